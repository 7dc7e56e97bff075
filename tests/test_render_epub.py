"""The EPUB, unzipped and read back; every EPUB built here goes through EPUBCheck 5.3."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from helpers import (
    NS,
    SEED_ARTICLE,
    article_paragraphs,
    assert_epubcheck_clean,
    epub_file,
    epub_text,
    epub_xml,
    run_cli,
    sentences,
    squash,
    write_article,
)
from PIL import Image


def opf(path: Path):
    return epub_xml(path, "EPUB/content.opf")


def dc(path: Path, name: str) -> list[str]:
    return [el.text for el in opf(path).iterfind(f"opf:metadata/dc:{name}", NS)]


def test_seed_epub_passes_epubcheck(seed) -> None:
    assert_epubcheck_clean(seed.epub)


def test_documentation_fixture_passes_epubcheck(manual) -> None:
    assert_epubcheck_clean(manual.epub)


def test_every_sentence_of_the_article_is_in_the_epub(seed) -> None:
    text = squash(epub_text(seed.epub))
    missing = [s for p in article_paragraphs(SEED_ARTICLE) for s in sentences(p) if squash(s) not in text]
    assert missing == []


def test_package_metadata(seed) -> None:
    assert dc(seed.epub, "title") == ["Why Joining Professional Organizations Matters for Library Media Specialists"]
    assert dc(seed.epub, "language") == ["en"]
    assert dc(seed.epub, "publisher") == ["Examzify"]
    assert dc(seed.epub, "description")[0].startswith("Participating in professional organizations")
    assert "school libraries" in dc(seed.epub, "subject")
    modified = opf(seed.epub).find("opf:metadata/opf:meta[@property='dcterms:modified']", NS).text
    assert modified == "2023-11-14T22:13:20Z"  # SOURCE_DATE_EPOCH=1700000000
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", dc(seed.epub, "identifier")[0])


def test_all_metadata_keys_reach_the_package(tmp_path: Path) -> None:
    source = write_article(
        tmp_path,
        """
        ---
        title: Full
        subtitle: Every key set
        author: [Ada Lovelace, Charles Babbage]
        date: 2024-05-31
        lang: fr
        summary: A summary.
        keywords: alpha, beta
        publisher: The Press
        rights: CC BY 4.0
        identifier: urn:isbn:9780000000002
        slug: full-article
        ---

        Bonjour.
        """,
    )
    run = run_cli(source, "--out", tmp_path / "out", "--format", "epub")
    assert run.code == 0, run.err
    epub = tmp_path / "out" / "full-article.epub"
    assert_epubcheck_clean(epub)
    assert dc(epub, "creator") == ["Ada Lovelace", "Charles Babbage"]
    assert dc(epub, "title") == ["Full", "Every key set"]
    assert dc(epub, "language") == ["fr"]
    assert dc(epub, "identifier") == ["urn:isbn:9780000000002"]
    assert dc(epub, "rights") == ["CC BY 4.0"]
    assert dc(epub, "subject") == ["alpha", "beta"]
    assert dc(epub, "date") == ["2024-05-31"]
    chapter = epub_xml(epub, "EPUB/chapter.xhtml")
    assert chapter.get("lang") == "fr"
    assert "31 mai 2024" in epub_text(epub, "EPUB/titlepage.xhtml")  # the long date of the article's language


def test_identifier_is_stable_and_modified_follows_the_article(tmp_path: Path) -> None:
    source = write_article(tmp_path, "# Stable\n\nText.\n")
    os.utime(source, (1_600_000_000, 1_600_000_000))
    env_without = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        first = run_cli(source, "--out", tmp_path / "a", "--format", "epub")
        second = run_cli(source, "--out", tmp_path / "b", "--format", "epub")
    finally:
        os.environ.clear()
        os.environ.update(env_without)
    assert first.code == second.code == 0
    a, b = tmp_path / "a" / "article.epub", tmp_path / "b" / "article.epub"
    assert dc(a, "identifier") == dc(b, "identifier")
    assert a.read_bytes() == b.read_bytes()
    modified = opf(a).find("opf:metadata/opf:meta[@property='dcterms:modified']", NS).text
    assert modified == "2020-09-13T12:26:40Z"


def test_footnotes_are_popup_notes(manual) -> None:
    chapter = epub_xml(manual.epub, "EPUB/chapter.xhtml")
    refs = chapter.findall(".//x:a[@epub:type='noteref']", NS)
    assert len(refs) >= 2
    for ref in refs:
        assert ref.get("role") == "doc-noteref"
        target = ref.get("href").lstrip("#")
        aside = chapter.find(f".//x:aside[@id='{target}']", NS)
        assert aside is not None
        assert aside.get("{http://www.idpf.org/2007/ops}type") == "footnote"
        assert aside.get("role") == "doc-footnote"
    assert "Clustering is covered in a separate guide." in "".join(chapter.itertext())


def test_navigation_toc_landmarks_and_ncx(seed) -> None:
    nav = epub_xml(seed.epub, "EPUB/nav.xhtml")
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    sections = toc.findall("./x:ol/x:li/x:ol/x:li/x:a", NS)
    assert len(sections) == 8
    assert sections[-1].text == "Conclusion: Embrace the Opportunity"
    chapter_ids = {el.get("id") for el in epub_xml(seed.epub, "EPUB/chapter.xhtml").iter() if el.get("id")}
    assert all(a.get("href").split("#")[1] in chapter_ids for a in sections)
    landmarks = [a.get("{http://www.idpf.org/2007/ops}type") for a in nav.iterfind(".//x:nav[@epub:type='landmarks']//x:a", NS)]
    assert landmarks == ["cover", "titlepage", "toc", "bodymatter"]
    ncx = epub_xml(seed.epub, "EPUB/toc.ncx")
    assert len(ncx.findall(".//ncx:navPoint", NS)) == 9


def test_title_page_and_generated_cover(seed) -> None:
    titlepage = epub_xml(seed.epub, "EPUB/titlepage.xhtml")
    assert "Why Joining Professional Organizations" in "".join(titlepage.itertext())
    item = opf(seed.epub).find("opf:manifest/opf:item[@properties='cover-image']", NS)
    assert item.get("media-type") == "image/jpeg"
    cover = Image.open(io.BytesIO(epub_file(seed.epub, "EPUB/" + item.get("href"))))
    assert max(cover.size) >= 1600
    assert len(cover.convert("L").getcolors(256)) > 10  # not blank: the title is drawn


def test_images_are_packaged_with_their_media_types(manual) -> None:
    manifest = {i.get("href"): i.get("media-type") for i in opf(manual.epub).iterfind("opf:manifest/opf:item", NS)}
    types = {t for h, t in manifest.items() if h.startswith("images/") and "cover" not in h}
    assert types == {"image/png", "image/jpeg", "image/gif", "image/svg+xml"}
    chapter = epub_xml(manual.epub, "EPUB/chapter.xhtml")
    for img in chapter.iterfind(".//x:img", NS):
        assert img.get("src") in manifest
    figures = chapter.findall(".//x:figure", NS)
    captions = ["".join(f.find("x:figcaption", NS).itertext()) for f in figures]
    assert "The dashboard after a fresh install" in captions
    assert "Order flow from scheduler to workers" in captions


def test_reader_css_uses_relative_units(seed) -> None:
    css = epub_file(seed.epub, "EPUB/style/epub.css").decode()
    sizes = re.findall(r"font-size:\s*([^;]+);", css)
    assert sizes and all(size.strip().endswith(("em", "%")) for size in sizes)
    assert "font-family" not in css.split("/* Pygments")[0]


def test_zip_layout_mimetype_first_and_stored(seed) -> None:
    with zipfile.ZipFile(seed.epub) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"


def rendered_text_and_sizes(epub: Path, name: str, folder: Path) -> tuple[str, list[tuple[str, float, str]]]:
    """Lay out one EPUB document with its stylesheet at a 16 px reader size (WeasyPrint) and read it
    back: its text, and each character's (text, size in pt, font name)."""
    import pdfplumber
    import weasyprint

    with zipfile.ZipFile(epub) as archive:
        archive.extractall(folder)
    pdf = folder / "page.pdf"
    weasyprint.HTML(folder / "EPUB" / name).write_pdf(pdf, stylesheets=[weasyprint.CSS(string="@page { size: 120mm 300mm; margin: 10mm }")])
    with pdfplumber.open(pdf) as document:
        text = "\n".join(page.extract_text() for page in document.pages)
        chars = [(c["text"], c["size"], c["fontname"]) for page in document.pages for c in page.chars]
    return text, chars


def test_the_title_shows_once_on_the_title_page_and_the_chapter_starts_with_its_text(seed) -> None:
    title = "Why Joining Professional Organizations Matters for Library Media Specialists"
    titlepage = " ".join("".join(epub_xml(seed.epub, "EPUB/titlepage.xhtml").find(".//x:body", NS).itertext()).split())
    assert titlepage.count(title) == 1
    chapter = epub_xml(seed.epub, "EPUB/chapter.xhtml")
    body = " ".join("".join(chapter.find(".//x:body", NS).itertext()).split())
    assert title not in body
    assert body.startswith("Participating in professional organizations offers")
    assert chapter.find(".//x:span[@id='page-1']", NS) is not None  # the printed page 1 still starts here


def test_code_reads_at_0_9_em_with_padding_and_the_contents_are_not_numbered(tmp_path: Path) -> None:
    source = write_article(
        tmp_path,
        """\
        ---
        title: Code
        ---

        Call `configure()` first.

        ```python
        def configure(value=1):  # a long comment that runs well past the width of a small e-reader screen, unbroken
            return value
        ```

        ## Next

        Text.
        """,
    )
    run = run_cli(source, "--out", tmp_path / "out", "--format", "epub")
    assert run.code == 0, run.err
    epub = tmp_path / "out" / "article.epub"
    assert_epubcheck_clean(epub)
    text, chars = rendered_text_and_sizes(epub, "chapter.xhtml", tmp_path / "unzipped")
    body = max((size for ch, size, font in chars if ch == "C"), default=0)  # "Call", in the body font
    code = [size for ch, size, font in chars if "Mono" in font]
    assert body == pytest.approx(12, abs=0.1) and code, chars[:5]  # 16 px
    assert min(code) >= 0.9 * body - 0.05, (min(code), body)
    assert "unbroken" in text  # the long line wraps instead of running off the page
    import weasyprint

    page = weasyprint.HTML(tmp_path / "unzipped" / "EPUB" / "chapter.xhtml").render().pages[0]
    boxes = [box for box in _descendants(page._page_box) if getattr(box, "element_tag", None) == "pre"]
    assert boxes and boxes[0].padding_left >= 8 and boxes[0].padding_top >= 5  # px: 0.75 em and 0.5 em of 14.4 px
    nav_text, _ = rendered_text_and_sizes(epub, "nav.xhtml", tmp_path / "nav")
    assert not re.search(r"^\s*\d+\.", nav_text, re.M), nav_text  # one article: no "1." before its entries


def _descendants(box):  # type: ignore[no-untyped-def]
    yield box
    for child in getattr(box, "children", []):
        yield from _descendants(child)


AUTHORS_WITH_AFFILIATIONS = """
---
title: Credits
authors:
- name: Ann Lee
  affiliation: 1, 2
  orcid: 0000-0002-1825-0097
  email: ann@example.org
- name: Bo Chen
  affiliation: 2
- Cy Dee
affiliations:
- name: Physics Lab
  index: 1
- name: Institute of Things
  index: 2
---

Text.
"""


def test_authors_as_maps_reach_the_package_and_the_title_page(tmp_path: Path) -> None:
    """Each author is a ``dc:creator`` with the role ``aut``, the ORCID iD and affiliations as
    refinements; the title page numbers the affiliations; EPUBCheck passes it."""
    source = write_article(tmp_path, AUTHORS_WITH_AFFILIATIONS)
    run = run_cli(source, "--out", tmp_path / "out", "--format", "epub")
    assert run.code == 0, run.err
    epub = tmp_path / "out" / "article.epub"
    assert_epubcheck_clean(epub)
    assert dc(epub, "creator") == ["Ann Lee", "Bo Chen", "Cy Dee"]
    metadata = opf(epub).find("opf:metadata", NS)
    creators = {el.get("id"): el.text for el in metadata.iterfind("dc:creator", NS)}
    refinements = [(creators[m.get("refines")[1:]], m.get("property"), m.text) for m in metadata.iterfind("opf:meta[@refines]", NS)]
    assert refinements == [
        ("Ann Lee", "role", "aut"),
        ("Ann Lee", "dcterms:identifier", "https://orcid.org/0000-0002-1825-0097"),
        ("Ann Lee", "schema:affiliation", "Physics Lab"),
        ("Ann Lee", "schema:affiliation", "Institute of Things"),
        ("Bo Chen", "role", "aut"),
        ("Bo Chen", "schema:affiliation", "Institute of Things"),
        ("Cy Dee", "role", "aut"),
    ]
    page = epub_xml(epub, "EPUB/titlepage.xhtml")
    byline = page.find(".//x:p[@class='byline']", NS)
    assert squash("".join(byline.itertext())) == squash("Ann Lee1,2, Bo Chen2, Cy Dee")
    assert [" ".join("".join(li.itertext()).split()) for li in page.iterfind(".//x:ol[@class='affiliations']/x:li", NS)] == [
        "1 Physics Lab",
        "2 Institute of Things",
    ]
