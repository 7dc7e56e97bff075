"""Right to left: ``dir`` follows the language (ar, he, fa, ur…) or the ``dir`` key; the handout's
page, lists, quotes and tables mirror, the EPUB's pages turn right to left, the web page says so."""

from __future__ import annotations

import zipfile
from pathlib import Path

import lxml.etree as etree
import pdfplumber
import pytest
from helpers import assert_epubcheck_clean, run_cli, write_article

from pressroom.load.metadata import Metadata

ARABIC = """\
---
title: مقال تجريبي
lang: ar
---
هذه فقرة باللغة العربية قصيرة.

- البند الأول
- البند الثاني

> اقتباس قصير.

| العمود | القيمة |
|---|---|
| أ | ب |
"""
HEBREW = "---\ntitle: מאמר לדוגמה\nlang: he-IL\n---\nזוהי פסקה קצרה בעברית.\n\n- פריט ראשון\n"
MM = 72 / 25.4
LONG_PARAGRAPH = " ".join(["تطبع المكتبات في القاهرة ودمشق وبيروت كتبها بلغتها الخاصة، وتستخدم الإصدار 3.2 من البرنامج."] * 4)


@pytest.mark.parametrize(
    ("lang", "direction", "expected"),
    [("ar", None, "rtl"), ("he-IL", None, "rtl"), ("fa", None, "rtl"), ("ur", None, "rtl"), ("en", None, "ltr"),
     ("ar", "ltr", "ltr"), ("en", "rtl", "rtl")],
)  # fmt: skip
def test_direction_follows_the_language_unless_set(lang: str, direction: str | None, expected: str) -> None:
    assert Metadata(title="t", slug="t", lang=lang, dir=direction).direction == expected


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rtl")
    write_article(folder, ARABIC, "ar.md")
    write_article(folder, HEBREW, "he.md")
    write_article(folder, ARABIC.replace("lang: ar", "lang: ar\ndir: ltr"), "ltr.md")
    write_article(folder, ARABIC.replace("هذه فقرة باللغة العربية قصيرة.", LONG_PARAGRAPH), "long.md")
    run = run_cli("ar.md", "he.md", "ltr.md", "long.md", "--out", "out", "--format", "pdf,epub,html", "--force", cwd=folder)
    assert run.code == 0, run.err
    return folder / "out"


def spine_direction(epub: Path) -> str | None:
    opf = etree.fromstring(zipfile.ZipFile(epub).read("EPUB/content.opf"))
    return opf.find("{http://www.idpf.org/2007/opf}spine").get("page-progression-direction")


@pytest.mark.parametrize("name", ["ar", "he"])
def test_the_epub_turns_pages_right_to_left_and_passes_epubcheck(built: Path, name: str) -> None:
    epub = built / f"{name}.epub"
    assert spine_direction(epub) == "rtl"
    book = zipfile.ZipFile(epub)
    for document in ("EPUB/chapter.xhtml", "EPUB/nav.xhtml", "EPUB/titlepage.xhtml"):
        assert etree.fromstring(book.read(document)).get("dir") == "rtl", document
    assert_epubcheck_clean(epub)
    assert '<html lang="' in (page := (built / name / "index.html").read_text(encoding="utf-8")) and 'dir="rtl"' in page


def test_dir_ltr_keeps_an_arabic_article_left_to_right(built: Path) -> None:
    assert spine_direction(built / "ltr.epub") is None
    assert etree.fromstring(zipfile.ZipFile(built / "ltr.epub").read("EPUB/chapter.xhtml")).get("dir") is None


def has(line: dict, word: str) -> bool:
    """Whether a line read back from the PDF holds ``word`` (right-to-left text comes out in
    visual order, reversed)."""
    return word in line["text"] or word[::-1] in line["text"]


def lines(path: Path) -> tuple[float, list[dict]]:
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        return float(page.width), page.extract_text_lines() + [{"rule": r} for r in page.rects + page.lines]


@pytest.mark.parametrize("name", ["ar", "he"])
def test_the_handout_mirrors(built: Path, name: str) -> None:
    width, found = lines(built / f"{name}.pdf")
    text_lines = [line for line in found if "text" in line and "Page" not in line["text"]]
    right_margin = max(line["x1"] for line in text_lines)  # the text block's right edge (the measure may centre it)
    assert right_margin <= width - 20 * MM + 1
    body = [line for line in text_lines if line["x1"] > right_margin - 2]
    assert len(body) >= 2  # the title and the paragraph start at the right margin
    for line in text_lines:
        assert line["x1"] <= right_margin + 1
    if name == "ar":  # the quote's rule is on the right, the list's bullets by the right margin
        quote = next(line for line in text_lines if has(line, "اقتباس"))
        assert quote["x1"] < right_margin - 5 * MM
        # The quote's box (WeasyPrint draws its border as one path) ends at its rule on the right,
        # just beyond the text, with the quote's indent between it and the margin.
        rules = [
            r["rule"]
            for r in found
            if "rule" in r
            and r["rule"]["top"] - 1 < quote["top"] < r["rule"]["bottom"]
            and quote["x1"] < r["rule"]["x1"] < right_margin - 5
        ]
        assert rules, "no rule beside the quote on the right"
        bullets = [line for line in text_lines if "•" in line["text"]]
        assert bullets and all(right_margin - 20 < line["x1"] < right_margin for line in bullets)  # indented from the right


def test_the_ltr_article_is_not_mirrored(built: Path) -> None:
    width, found = lines(built / "ltr.pdf")
    quote = next(line for line in found if "text" in line and has(line, "اقتباس"))
    assert quote["x0"] > 20 * MM + 3 * MM and quote["x1"] < width / 2 + 100


@pytest.mark.parametrize(("name", "page_word", "title_word"), [("ar", "صفحة", "تجريبي"), ("he", "עמוד", "לדוגמה")])
def test_the_footer_mirrors_and_counts_pages_in_the_language(built: Path, name: str, page_word: str, title_word: str) -> None:
    with pdfplumber.open(built / f"{name}.pdf") as pdf:
        page = pdf.pages[0]
        words = page.crop((0, page.height - 24 * MM, page.width, page.height)).extract_words()
    count = next(w for w in words if page_word in (w["text"], w["text"][::-1]))
    title = next(w for w in words if title_word in (w["text"], w["text"][::-1]))
    assert count["x1"] < page.width / 2 < title["x0"]  # the page count at the left, the title at the right
    assert not any(w["text"] in ("Page", "of") for w in words)


def test_no_line_of_a_long_paragraph_passes_the_right_margin(built: Path) -> None:
    """WeasyPrint 70 shifts justified right-to-left lines past the margin: they are set flush right."""
    with pdfplumber.open(built / "long.pdf") as pdf:
        page = pdf.pages[0]
        edge = max(rule["x1"] for rule in page.lines + page.rects if rule["top"] < 150)  # the title block's rule spans the text block
        paragraph = [line for line in page.extract_text_lines() if has(line, "المكتبات")]
        assert len(paragraph) >= 3
        assert max(char["x1"] for char in page.chars) <= edge + 0.5
