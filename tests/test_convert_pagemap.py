"""The print page map: an EPUB page-break marker exactly where each printed page begins."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pdfplumber
import pytest
from helpers import (
    NS,
    assert_epubcheck_clean,
    epub_file,
    epub_xml,
    pdf_body_text,
    run_cli,
    squash,
    write_article,
)
from lxml import etree

from pressroom.convert.pagemap import INDEX, PageStart, insert_markers

MM = 72 / 25.4
COMPARED = 40  # characters compared at the top of each page
LIST_MARKERS = "•–‣"  # a page that starts with a list item shows its marker, which the EPUB's text does not hold


def page_tops(pdf_path: Path) -> list[str]:
    """The first characters of each page's body (running footer and footnotes excluded)."""
    tops = []
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            body = page.crop((0, 0, page.width, page.height - 24 * MM)).extract_text() or ""
            tops.append(squash(body).lstrip(LIST_MARKERS)[: COMPARED * 2])
    return tops


def text_after_markers(epub_path: Path) -> dict[int, str]:
    chapter = epub_xml(epub_path, "EPUB/chapter.xhtml")
    for notes in chapter.findall(".//x:section[@class='notes']", NS):
        notes.getparent().remove(notes)  # notes are at the foot of printed pages, not in the flow
    after = {}
    for span in chapter.iterfind(".//*[@epub:type='pagebreak']", NS):
        following = span.xpath("following::text()")
        after[int(span.get("aria-label"))] = squash("".join(following))[: COMPARED * 2]
    return after


def check_page_list(epub: Path, pdf: Path) -> None:
    chapter = epub_xml(epub, "EPUB/chapter.xhtml")
    headers = [squash("".join(head.itertext())) for head in chapter.iterfind(".//x:thead", NS)]
    # A table that runs onto the next page repeats its header there; the EPUB has it once.
    # A table that starts a page prints its header there too: the EPUB's page starts with it then.
    printed = page_tops(pdf)
    starts = text_after_markers(epub)
    tops = [
        next((top[len(h) :] for h in headers if h and top.startswith(h) and not starts.get(n, "").startswith(h)), top)
        for n, top in enumerate(printed, start=1)
    ]
    after = {n: text[: len(tops[n - 1])] for n, text in starts.items()}
    assert sorted(after) == list(range(1, len(tops) + 1))
    for number, top in enumerate(tops, start=1):
        if number == 1:  # the printed page 1 opens with the title block, which the EPUB keeps on its title page
            assert after[1][:COMPARED] in squash(pdf_body_text(pdf))
            continue
        assert len(top) >= min(COMPARED, len(after[number]))
        assert after[number][:COMPARED] == top[:COMPARED], f"page {number}"
    nav = epub_xml(epub, "EPUB/nav.xhtml")
    entries = nav.findall(".//x:nav[@epub:type='page-list']/x:ol/x:li/x:a", NS)
    assert [(a.text, a.get("href")) for a in entries] == [(str(n), f"chapter.xhtml#page-{n}") for n in range(1, len(tops) + 1)]


def test_seed_page_list_matches_the_printed_pages(seed) -> None:
    check_page_list(seed.epub, seed.pdf)
    opf = epub_xml(seed.epub, "EPUB/content.opf")
    source = opf.find("opf:metadata/dc:source", NS).text
    assert "printed handout" in source and "A4" in source
    assert opf.find("opf:metadata/opf:meta[@property='pageBreakSource']", NS).text == source


def test_documentation_page_list_matches_the_printed_pages(manual) -> None:
    check_page_list(manual.epub, manual.pdf)


def test_long_article_with_lists_code_and_notes(tmp_path: Path) -> None:
    sections = []
    for i in range(12):
        sections.append(
            f"## Part {i}\n\nPara {i} with a footnote.[^n{i}] " + "Words that wrap and hyphenate automatically " * 25
            + f"\n\n- item one of {i} " + "listed " * 30 + "\n- item two\n\n```\ncode line " + "x " * 50 + "\n```\n"
        )  # fmt: skip
    notes = "\n".join(f"[^n{i}]: Note {i}." for i in range(12))
    source = write_article(tmp_path, "# Long\n\n" + "\n\n".join(sections) + "\n\n" + notes + "\n", "long.md")
    run = run_cli(source, "--out", tmp_path / "out")
    assert run.code == 0, run.err
    check_page_list(tmp_path / "out" / "long.epub", tmp_path / "out" / "long.pdf")
    assert_epubcheck_clean(tmp_path / "out" / "long.epub")


def test_epub_only_build_still_gets_the_page_list(tmp_path: Path) -> None:
    source = write_article(tmp_path, "# T\n\n" + "\n\n".join("Paragraph text. " * 40 for _ in range(30)), "p.md")
    assert run_cli(source, "--out", tmp_path / "both").code == 0
    assert run_cli(source, "--out", tmp_path / "epub", "--format", "epub").code == 0
    both, alone = tmp_path / "both" / "p.epub", tmp_path / "epub" / "p.epub"
    assert epub_file(alone, "EPUB/nav.xhtml") == epub_file(both, "EPUB/nav.xhtml")
    assert b"page-3" in epub_file(alone, "EPUB/chapter.xhtml")


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0, '<p data-pr="1">|Hello <em data-pr="2">big</em> wide world</p>'),
        (3, '<p data-pr="1">Hel|lo <em data-pr="2">big</em> wide world</p>'),
        (5, '<p data-pr="1">Hello <em data-pr="2">big</em> |wide world</p>'),
        (7, '<p data-pr="1">Hello <em data-pr="2">big</em> wi|de world</p>'),
    ],
)
def test_markers_go_after_the_counted_characters_of_the_elements_own_text(offset: int, expected: str) -> None:
    root = lxml.html.fragment_fromstring('<div><p data-pr="1">Hello <em data-pr="2">big</em> wide world</p></div>')
    insert_markers(root, [PageStart(2, "1", offset)])
    html = etree.tostring(root[0], encoding="unicode")
    marker = '<span id="page-2" role="doc-pagebreak" aria-label="2" epub:type="pagebreak"/>'
    assert html.replace(marker, "|").replace("></span>", ">").replace(INDEX, INDEX) == expected
