"""Booklet imposition: order for duplex short-edge printing, padding, sheet sizes, read back."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pdfplumber
import pypdf
import pytest
import weasyprint

from helpers import SEED_ARTICLE, run_cli
from pressroom.render.booklet import impose_booklet, sheet_order


def handout(pages: int, size: str = "A5", word: str = "Page") -> bytes:
    html = f"<style>@page {{ size: {size}; margin: 10mm }} h1 {{ break-after: page }}</style>"
    html += "".join(f"<h1>{word} {i}</h1>" for i in range(1, pages + 1))
    return weasyprint.HTML(string=html).write_pdf()


def halves(pdf: bytes) -> list[tuple[str, str]]:
    """The text on the left and the right half of each sheet side."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [
            tuple((page.crop(box).extract_text() or "").strip() for box in ((0, 0, page.width / 2, page.height), (page.width / 2, 0, page.width, page.height)))
            for page in document.pages
        ]


def test_sheet_order_for_eight_pages() -> None:
    assert sheet_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    with pytest.raises(ValueError):
        sheet_order(6)


def test_eight_a5_pages_on_a4_landscape_in_duplex_order() -> None:
    booklet = impose_booklet(handout(8))
    reader = pypdf.PdfReader(io.BytesIO(booklet))
    assert reader.page_labels == ["8|1", "2|7", "6|3", "4|5"]
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((841.9, 595.3), abs=1)
    assert halves(booklet) == [("Page 8", "Page 1"), ("Page 2", "Page 7"), ("Page 6", "Page 3"), ("Page 4", "Page 5")]


def test_five_pages_padded_with_given_pages_then_blanks() -> None:
    notes = handout(1, word="Notes")
    booklet = impose_booklet(handout(5), padding=[notes, notes])
    assert pypdf.PdfReader(io.BytesIO(booklet)).page_labels == ["8|1", "2|7", "6|3", "4|5"]
    assert halves(booklet) == [("", "Page 1"), ("Page 2", "Notes 1"), ("Notes 1", "Page 3"), ("Page 4", "Page 5")]


@pytest.mark.parametrize(("pages", "sheets"), [(1, 2), (4, 2), (12, 6)])
def test_page_counts(pages: int, sheets: int) -> None:
    assert len(pypdf.PdfReader(io.BytesIO(impose_booklet(handout(pages)))).pages) == sheets


def test_letter_pages_on_double_width_sheets_and_reproducible_bytes() -> None:
    first = impose_booklet(handout(4, "letter"))
    page = pypdf.PdfReader(io.BytesIO(first)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((1224, 792), abs=1)
    assert hashlib.sha256(first).digest() == hashlib.sha256(impose_booklet(handout(4, "letter"))).digest()


def test_mixed_page_sizes_are_refused() -> None:
    mixed = weasyprint.HTML(string="<style>@page :first { size: A5 } @page { size: A4 }</style><p>a</p><p style='break-before: page'>b</p>").write_pdf()
    with pytest.raises(ValueError, match="pages of one size"):
        impose_booklet(mixed)


def test_booklet_option_writes_the_booklet_beside_the_handout(tmp_path: Path) -> None:
    (tmp_path / "seed.md").write_bytes(SEED_ARTICLE.read_bytes())
    run = run_cli("seed.md", "--out", "out", "--format", "pdf", "-M", "paper=a5", "-M", "booklet=true", "-M", "notes_pages=1", cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["wrote out/seed.pdf", "wrote out/seed-booklet.pdf"]
    handout_pages = len(pypdf.PdfReader(tmp_path / "out" / "seed.pdf").pages)
    booklet = (tmp_path / "out" / "seed-booklet.pdf").read_bytes()
    total = -(-handout_pages // 4) * 4
    assert pypdf.PdfReader(io.BytesIO(booklet)).page_labels == [f"{a}|{b}" for a, b in sheet_order(total)]
    texts = halves(booklet)
    assert texts[0][1].startswith("Why Joining Professional")
    padded = [text for (left, right), pair in zip(sheet_order(total), texts) for number, text in zip((left, right), pair) if number > handout_pages]
    assert padded and all(text.startswith("Notes") for text in padded)  # ruled pages pad the booklet


def test_links_are_not_carried_into_the_booklet() -> None:
    html = "<style>@page { size: A5 }</style><p><a href='#b'>to b</a> <a href='https://example.org'>web</a></p>"
    html += "<p id='b' style='break-before: page'>b</p>"
    booklet = impose_booklet(weasyprint.HTML(string=html).write_pdf())
    reader = pypdf.PdfReader(io.BytesIO(booklet))
    assert all("/Annots" not in page for page in reader.pages)
    assert len(booklet) < len(impose_booklet(handout(2))) * 3  # no stray copies of linked pages
