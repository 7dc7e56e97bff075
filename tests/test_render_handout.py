"""The printed handout, read back: text, headings, fonts, metadata, outline, geometry, footnotes."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pypdf
import pytest
from helpers import (
    MARGIN_BOTTOM,
    MARGIN_X,
    NS,
    SEED_ARTICLE,
    TOLERANCE,
    article_paragraphs,
    epub_xml,
    glyphs_outside_margins,
    pdf_body_text,
    pdf_text,
    run_cli,
    sentences,
    squash,
    write_article,
)


def outline_titles(reader: pypdf.PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles


def test_every_heading_and_sentence_of_the_article_is_in_the_pdf(seed) -> None:
    text = squash(pdf_body_text(seed.pdf))
    paragraphs = article_paragraphs(SEED_ARTICLE)
    assert len(paragraphs) > 20
    missing = [s for p in paragraphs for s in sentences(p) if squash(s) not in text]
    assert missing == []


def test_title_block_and_running_footer(seed) -> None:
    pages = pdf_text(seed.pdf)
    assert " ".join(pages[0].split()).startswith("Why Joining Professional Organizations")
    assert "Examzify" in pages[0].split("Participating")[0]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Professional Organizations" in page.splitlines()[-1] or "Professional Organizations" in page


def test_fonts_are_the_bundled_ones_and_all_embedded(seed) -> None:
    reader = pypdf.PdfReader(seed.pdf)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    names = " ".join(fonts)
    assert "Pressroom-Serif" in names and "Pressroom-Sans" in names  # layouts/fonts.css families


def test_metadata(seed) -> None:
    reader = pypdf.PdfReader(seed.pdf)
    meta = reader.metadata
    assert meta.title == "Why Joining Professional Organizations Matters for Library Media Specialists"
    assert meta.subject.startswith("Participating in professional organizations offers")
    assert "school libraries" in meta["/Keywords"]
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20231114221320Z"  # SOURCE_DATE_EPOCH


def test_outline_has_the_title_and_the_eight_sections(seed) -> None:
    titles = outline_titles(pypdf.PdfReader(seed.pdf))
    assert titles[0].startswith("Why Joining Professional Organizations Matters")
    assert titles[1].startswith("Why Joining Professional Organizations is a Game Changer")
    assert titles[-1] == "Conclusion: Embrace the Opportunity"
    assert len(titles) == 9


def test_body_text_is_hyphenated_in_the_article_language(seed) -> None:
    lines = [line for page in pdf_text(seed.pdf) for line in page.splitlines()]
    assert any(re.search(r"[a-z][-\u2010]$", line) for line in lines)  # the hyphen, as the PDF maps its glyph


@pytest.mark.parametrize(("paper", "size"), [("a4", (595.3, 841.9)), ("letter", (612, 792)), ("a5", (419.5, 595.3))])
def test_paper_sizes(tmp_path: Path, paper: str, size: tuple[float, float]) -> None:
    source = write_article(tmp_path, f"---\ntitle: Paper\npaper: {paper}\n---\n\nSome text.\n")
    assert run_cli(source, "--out", tmp_path / "out", "--format", "pdf").code == 0
    box = pypdf.PdfReader(tmp_path / "out" / "article.pdf").pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(size, abs=0.5)


def test_no_glyph_outside_the_margin_box(seed, manual) -> None:
    assert glyphs_outside_margins(seed.pdf) == []
    assert glyphs_outside_margins(manual.pdf) == []


def test_long_code_lines_urls_and_words_wrap(manual) -> None:
    text = squash("".join(pdf_text(manual.pdf)))
    assert squash("the overrides win, always, even when they are empty strings") in text
    assert squash("https://widgets.example.com/api/v2/orders/pending/with/a/really/long/path") in text
    assert squash("Averyveryverylongunbreakablewordthatkeepsgoing") in text


def test_footnote_text_is_on_the_page_that_references_it(tmp_path: Path) -> None:
    filler = "\n\n".join(f"Paragraph {i} " + "with enough words to fill the page " * 12 for i in range(14))
    source = write_article(
        tmp_path,
        f"# Notes\n\nFirst claim.[^one]\n\n{filler}\n\nSecond claim.[^two]\n\n{filler}\n\n"
        "[^one]: Evidence for the first claim.\n[^two]: Evidence for the second claim.\n\n    A second paragraph.\n",
    )
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf")
    assert run.code == 0, run.err
    with pdfplumber.open(tmp_path / "out" / "article.pdf") as pdf:
        pages = [squash(page.extract_text()) for page in pdf.pages]
        assert len(pages) >= 3
        for claim, note in [("Firstclaim.", "Evidenceforthefirstclaim."), ("Secondclaim.", "Evidenceforthesecondclaim.")]:
            claim_page = next(i for i, page in enumerate(pages) if claim in page)
            note_page = next(i for i, page in enumerate(pages) if note in page)
            assert claim_page == note_page
            page = pdf.pages[note_page]
            note_top = min(w["top"] for w in page.extract_words() if w["text"].startswith("Evidence"))
            assert note_top > page.height / 2  # at the foot of the page


def test_links_are_clickable(manual) -> None:
    reader = pypdf.PdfReader(manual.pdf)
    targets = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None:
                targets.append(action.get("/URI") or action.get("/D"))
            elif "/Dest" in annotation.get_object():
                targets.append("internal")
    assert any(str(t).startswith("https://") for t in targets if t)
    assert len(targets) >= 3


def test_images_fit_the_text_width(manual) -> None:
    with pdfplumber.open(manual.pdf) as pdf:
        images = [image for page in pdf.pages for image in page.images]
        widths = [image["x1"] - image["x0"] for image in images]
        assert len(images) >= 3
        for image in images:
            assert image["x0"] >= MARGIN_X - TOLERANCE
            assert image["x1"] <= pdf.pages[0].width - MARGIN_X + TOLERANCE
        assert max(widths) > 100


def test_block_content_of_a_footnote_stays_in_the_footnote_area(tmp_path: Path) -> None:
    source = write_article(
        tmp_path,
        "# Blocks\n\nFirst body paragraph cites code.[^code] And a list.[^list]\n\nClosing body paragraph.\n\n"
        "[^code]: A note with code:\n\n        def hello():\n            return 1\n\n    After the code.\n\n"
        "[^list]: A note with a list:\n\n    1. first\n    2. second\n",
    )
    assert run_cli(source, "--out", tmp_path / "out", "--format", "pdf").code == 0
    with pdfplumber.open(tmp_path / "out" / "article.pdf") as pdf:
        page = pdf.pages[0]
        words = {w["text"]: w["top"] for w in page.extract_words()}
        body_bottom = words["Closing"]
        for note_word in ("hello():", "After", "first", "second"):
            assert words[note_word] > body_bottom + 100, note_word  # in the footnote area, not the body
        text = page.extract_text()
        assert "1. A note with code:" in text and "2. A note with a list:" in text


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.needs_accel  # the clean-up of font copies is the font-folder-cleanup patch
def test_a_build_leaves_no_copies_of_the_fonts_in_the_temporary_folder(tmp_path: Path, jobs: str) -> None:
    """WeasyPrint copies @font-face fonts into a temporary folder per font configuration; every
    process (the build itself, or each -j worker) removes its folders when it exits."""
    import os
    import subprocess
    import sys

    from helpers import REPO

    for name in ("one.md", "two.md"):
        write_article(tmp_path / "content", f"---\ntitle: {name}\n---\n\nSome text.\n", name)
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    build = [sys.executable, str(REPO / "build.py"), "-q", "-j", jobs]
    done = subprocess.run(build, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "dist" / "two.pdf").is_file()
    assert sorted(p.name for p in temporary.iterdir()) == []
    assert "Exception ignored" not in done.stderr


def test_a_running_footer_that_wraps_is_not_hyphenated(tmp_path: Path) -> None:
    words = "Characteristically Incomprehensibilities Internationalisation Interoperability Uncharacteristically"
    write_article(tmp_path, f"---\ntitle: {words} {words}\nlang: en\n---\n\nText.\n", "f.md")
    assert run_cli("f.md", "--out", "out", cwd=tmp_path).code == 0
    with pdfplumber.open(tmp_path / "out" / "f.pdf") as pdf:
        page = pdf.pages[0]
        footer = page.crop((0, page.height - MARGIN_BOTTOM, page.width, page.height)).extract_text()
    lines = footer.replace("Page 1 of 1", "").splitlines()
    assert len(lines) >= 2  # the footer wraps
    assert " ".join(lines).split() == f"{words} {words}".split()  # at spaces only: no word cut


# Notes whose Markdown leaves white space at a line's end (a hard line break closing a paragraph,
# trailing spaces, a <br> closing a block) in each kind of block a note may hold. WeasyPrint 70
# lays a footnote's text out without collapsing its white space (see convert.collapse_note_whitespace).
NOTE_SHAPES = {
    "hard break closing the first of two blocks": (
        "[^a]: Here is the note.  This one contains multiple\nblocks.  \n\n    Second block.\n",
        ["1. Here is the note. This one contains multiple blocks.", "Second block."],
    ),
    "hard break inside a paragraph": ("[^a]: First line  \n    second line.  \n", ["1. First line", "second line."]),
    "trailing spaces and tabs, a soft line break": ("[^a]: A note with \ntrailing space. \t \n", ["1. A note with trailing space."]),
    "<br> closing each block": ("[^a]: A note.<br>\n\n    Second.<br>\n\n    Third.<br/>  \n", ["1. A note.", "Second.", "Third."]),
    "list items": (
        "[^a]: A list:\n\n    - one  \n      continued  \n    - two<br>\n    - three  \n\n    After.  \n",
        ["1. A list:", "• one", "continued", "• two", "• three", "After."],
    ),
    "loose list items": ("[^a]: A list:\n\n    1. one  \n\n    2. two<br>  \n\n    After.\n", ["1. A list:", "1. one", "2. two", "After."]),
    "table cells": (
        "[^a]: A table:\n\n    | head  | cell |\n    |---|---|\n    | one<br> | two  |\n    | x<br>y | z<br>  |\n\n    After.\n",
        ["1. A table:", "head cell", "one two", "x z", "y", "After."],
    ),
    "blockquote": (
        "[^a]: A quote:\n\n    > quoted line  \n    > more  \n\n    > second<br>\n\n    After.  \n",
        ["1. A quote:", "quoted line", "more", "second", "After."],
    ),
    "definition list": ("[^a]: Terms:\n\n    Term  \n    : Definition  \n", ["1. Terms:", "Term", "Definition"]),
    "code with trailing spaces": (
        "[^a]: Code:\n\n        x = 1  \n        y = 2\t\n\n    After.  \n",
        ["1. Code:", "x = 1", "y = 2", "After."],
    ),
}


@pytest.mark.parametrize("shape", list(NOTE_SHAPES))
def test_a_note_with_white_space_at_a_line_end_builds_and_keeps_its_lines(tmp_path: Path, shape: str) -> None:
    note, lines = NOTE_SHAPES[shape]
    source = write_article(tmp_path, f"---\ntitle: Shape\n---\n\nText.[^a] Closing body sentence.\n\n{note}")
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf")
    assert run.code == 0, run.err
    with pdfplumber.open(tmp_path / "out" / "article.pdf") as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        body_bottom = next(line["bottom"] for line in page.extract_text_lines() if "Closing" in line["text"])
        footer_top = page.height - MARGIN_BOTTOM
        note_lines = [line["text"] for line in page.extract_text_lines() if body_bottom + 100 < line["top"] < footer_top]
    assert note_lines == lines  # each line of the note as written: no source newline forces a break


def test_toc_lists_the_headings_with_their_page_numbers_after_the_title_block(tmp_path: Path) -> None:
    filler = "\n\n".join("A paragraph of running text that fills the page. " * 8 for _ in range(9))
    text = (
        f"---\ntitle: Handbook\ntoc: true\n---\n\n[TOC]\n\n## First part\n\nShort.\n\n### A detail\n\n{filler}\n\n## Second part\n\nEnd.\n"
    )
    source = write_article(tmp_path, text, "toc.md")
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf,epub,html")
    assert run.code == 0, run.err
    pages = pdf_text(tmp_path / "out" / "toc.pdf")
    first = pages[0].splitlines()
    assert first[:2] == ["Handbook", "Contents"]  # right after the title block
    entries = [re.sub(r" ?\.{3,} ?", " … ", line) for line in first[2:5]]  # dotted leaders
    assert entries == ["First part … 1", "A detail … 1", "Second part … 2"]
    assert len(pages) == 2 and "Second part" in pages[1]
    # [TOC] still places its linked list in the EPUB and on the web page
    chapter = epub_xml(tmp_path / "out" / "toc.epub", "EPUB/chapter.xhtml")
    links = chapter.findall(".//x:div[@class='toc']//x:a", NS)
    assert [(a.get("href"), a.text) for a in links][:2] == [("#first-part", "First part"), ("#a-detail", "A detail")]
    assert '<div class="toc">' in (tmp_path / "out" / "toc" / "index.html").read_text()


def test_without_toc_there_are_no_contents(seed) -> None:
    assert "Contents" not in pdf_text(seed.pdf)[0]


def test_authors_with_affiliations_in_the_title_block_and_the_metadata(tmp_path: Path) -> None:
    """Several affiliations are numbered under the names; the PDF's Author (and its XMP
    dc:creator) names every author; the handout stays a tagged PDF/UA-1 file."""
    source = write_article(
        tmp_path,
        """
        ---
        title: Credits
        authors:
        - {name: Ann Lee, affiliation: "1, 2", orcid: 0000-0002-1825-0097}
        - {name: Bo Chen, affiliation: 2}
        - Cy Dee
        affiliations:
        - {name: Physics Lab, index: 1}
        - {name: Institute of Things, index: 2}
        ---

        Text.
        """,
    )
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf")
    assert run.code == 0, run.err
    pdf = tmp_path / "out" / "article.pdf"
    reader = pypdf.PdfReader(pdf)
    assert reader.metadata["/Author"] == "Ann Lee, Bo Chen, Cy Dee"
    assert reader.xmp_metadata.dc_creator == ["Ann Lee", "Bo Chen", "Cy Dee"]
    assert b'pdfuaid:part="1"' in reader.trailer["/Root"]["/Metadata"].get_data()
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    lines = [" ".join(line.split()) for line in pdf_text(pdf)[0].splitlines()]
    assert lines[1:4] == ["Ann Lee1,2, Bo Chen2, Cy Dee", "1 Physics Lab", "2 Institute of Things"]

    single = write_article(
        tmp_path, "---\ntitle: One place\nauthors: [{name: Ann, affiliation: Lab}, {name: Bo, affiliation: Lab}]\n---\n\nText.\n"
    )
    assert run_cli(single, "--out", tmp_path / "out", "--format", "pdf").code == 0
    lines = [" ".join(line.split()) for line in pdf_text(tmp_path / "out" / "article.pdf")[0].splitlines()]
    assert lines[1:3] == ["Ann, Bo", "Lab"]  # one affiliation for all: a line of its own, no numbers
