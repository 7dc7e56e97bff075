"""Booklet imposition: order for duplex short-edge printing, padding, sheet sizes, read back."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pdfplumber
import pikepdf
import pypdf
import pytest
import weasyprint
from helpers import SEED_ARTICLE, run_cli

from pressroom.render.booklet import impose_booklet, sheet_order
from pressroom.render.handout import print_bleed, set_bleed_box

MM = 72 / 25.4
SHEETS = {"A4": (297, 210), "A3": (420, 297), "Letter": (279.4, 215.9), "Tabloid": (431.8, 279.4)}  # landscape, mm


def handout(pages: int, size: str = "A5", word: str = "Page", bleed: str | None = None, marks: str | None = None) -> bytes:
    """A handout as the pipeline prints it: laid out with room for the marks, BleedBox at ``bleed``."""
    page = f"size: {size}; margin: 10mm; background: #000"
    if print_bleed(bleed, marks):
        page += f"; bleed: {print_bleed(bleed, marks)}"
    if marks:
        page += f"; marks: {marks}"
    html = f"<style>@page {{ {page} }} h1 {{ break-after: page; color: #fff }}</style>"
    html += "".join(f"<h1>{word} {i}</h1>" for i in range(1, pages + 1))
    pdf = weasyprint.HTML(string=html).write_pdf()
    return set_bleed_box(pdf, bleed) if marks else pdf


def boxes(pdf: bytes, index: int = 0) -> dict[str, list[float]]:
    """The sheet side's MediaBox, TrimBox and BleedBox, in mm."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[index].obj
        return {name: [float(v) / MM for v in page[f"/{name}"]] for name in ("MediaBox", "TrimBox", "BleedBox")}


def halves(pdf: bytes) -> list[tuple[str, str]]:
    """The text on the left and the right half of each sheet side."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [
            tuple(
                (page.crop(box).extract_text() or "").strip()
                for box in ((0, 0, page.width / 2, page.height), (page.width / 2, 0, page.width, page.height))
            )
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


def test_letter_pages_on_tabloid_sheets_and_reproducible_bytes() -> None:
    first = impose_booklet(handout(4, "letter"))
    page = pypdf.PdfReader(io.BytesIO(first)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((1224, 792), abs=1)
    assert hashlib.sha256(first).digest() == hashlib.sha256(impose_booklet(handout(4, "letter"))).digest()


def test_mixed_page_sizes_are_refused() -> None:
    mixed = weasyprint.HTML(
        string="<style>@page :first { size: A5 } @page { size: A4 }</style><p>a</p><p style='break-before: page'>b</p>"
    ).write_pdf()
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
    padded = [
        text
        for (left, right), pair in zip(sheet_order(total), texts, strict=True)
        for number, text in zip((left, right), pair, strict=True)
        if number > handout_pages
    ]
    assert padded and all(text.startswith("Notes") for text in padded)  # ruled pages pad the booklet


def test_links_are_not_carried_into_the_booklet() -> None:
    html = "<style>@page { size: A5 }</style><p><a href='#b'>to b</a> <a href='https://example.org'>web</a></p>"
    html += "<p id='b' style='break-before: page'>b</p>"
    booklet = impose_booklet(weasyprint.HTML(string=html).write_pdf())
    reader = pypdf.PdfReader(io.BytesIO(booklet))
    assert all("/Annots" not in page for page in reader.pages)
    assert len(booklet) < len(impose_booklet(handout(2))) * 3  # no stray copies of linked pages


def first_char(page: pdfplumber.page.Page, left: float, right: float) -> tuple[float, float]:
    """Where the first character between ``left`` and ``right`` sits, from the trim box's top left."""
    char = next(c for c in page.chars if left <= c["x0"] < right)
    return char["x0"] - page.trimbox[0], char["top"] - page.trimbox[1]


def ink(image: object, box_mm: tuple[float, float, float, float], height_mm: float, dpmm: float) -> bool:
    """Whether anything is drawn in ``box_mm`` (x0, y0, x1, y1, PDF's upward y) of a rendered sheet."""
    x0, y0, x1, y1 = box_mm
    region = image.crop((round(x0 * dpmm), round((height_mm - y1) * dpmm), round(x1 * dpmm), round((height_mm - y0) * dpmm)))
    return region.convert("L").getextrema()[0] < 200


@pytest.mark.parametrize(
    ("size", "sheet"),
    [("A5", "A4"), ("A4", "A3"), ("letter", "Tabloid"), ("5.5in 8.5in", "Letter"), ("170mm 240mm", "Tabloid"), ("300mm 400mm", None)],
)
def test_default_sheet_is_the_next_standard_size_up(size: str, sheet: str | None) -> None:
    width, height = boxes(handout(1, size))["MediaBox"][2:]
    got = boxes(impose_booklet(handout(1, size)))
    expected = SHEETS[sheet] if sheet else (2 * width, height)  # no standard sheet holds the pair: exactly two pages
    assert got["MediaBox"] == pytest.approx([0, 0, *expected], abs=0.05)
    left, bottom = (expected[0] - 2 * width) / 2, (expected[1] - height) / 2  # full size, centred
    assert got["TrimBox"] == pytest.approx([left, bottom, left + 2 * width, bottom + height], abs=0.05)
    assert got["BleedBox"] == pytest.approx(got["TrimBox"], abs=0.05)


@pytest.mark.parametrize("sheet", ["auto", "same"])
@pytest.mark.parametrize(("bleed", "marks"), [(None, None), ("3mm", None), ("3mm", "crop cross"), (None, "crop")])
@pytest.mark.parametrize("size", ["A5", "A4", "letter"])
def test_each_page_trim_lands_on_its_half_of_the_sheet_trim(size: str, bleed: str | None, marks: str | None, sheet: str) -> None:
    source = handout(4, size, bleed=bleed, marks=marks)
    booklet = impose_booklet(source, bleed=(float(bleed[:-2]) if bleed else 0) * MM, marks=marks or "none", sheet=sheet)
    got = boxes(booklet)
    page_width, page_height = {"A5": (148, 210), "A4": (210, 297), "letter": (215.9, 279.4)}[size]
    sheet_mm = {"A5": SHEETS["A4"], "A4": SHEETS["A3"], "letter": SHEETS["Tabloid"]}[size] if sheet == "auto" else (page_height, page_width)
    assert got["MediaBox"] == pytest.approx([0, 0, *sheet_mm], abs=0.05)  # always the chosen sheet, marks or not
    trim, bleed_box = got["TrimBox"], got["BleedBox"]
    scale = (trim[2] - trim[0]) / (2 * page_width)
    assert trim[3] - trim[1] == pytest.approx(page_height * scale, abs=0.01) and scale <= 1 + 1e-6
    grown = (float(bleed[:-2]) if bleed else 0) * scale
    assert bleed_box == pytest.approx([trim[0] - grown, trim[1] - grown, trim[2] + grown, trim[3] + grown], abs=0.01)
    room = 8 if marks else 0  # the marks sit outside the bleed
    assert bleed_box[0] - room >= -0.01 and bleed_box[1] - room >= -0.01
    assert bleed_box[2] + room <= sheet_mm[0] + 0.01 and bleed_box[3] + room <= sheet_mm[1] + 0.01
    assert (trim[0] + trim[2]) / 2 == pytest.approx(sheet_mm[0] / 2, abs=0.01)  # the fold in the middle of the sheet
    with pdfplumber.open(io.BytesIO(source)) as pages, pdfplumber.open(io.BytesIO(booklet)) as sheets:
        front = sheets.pages[0]
        fold = (front.trimbox[0] + front.trimbox[2]) / 2
        for side, number in enumerate((4, 1)):  # read back: "Page N" where its page's trim box puts it
            x, top = first_char(pages.pages[number - 1], -1e9, 1e9)
            half = (front.trimbox[0], fold)[side]
            assert first_char(front, half, half + (fold - front.trimbox[0])) == pytest.approx(
                (half - front.trimbox[0] + x * scale, top * scale), abs=0.05
            )


@pytest.mark.parametrize(("size", "sheet"), [("A5", "auto"), ("letter", "same"), ("A4", "auto")])
def test_marks_at_the_four_corners_bleed_at_the_outer_edges_and_nothing_at_the_fold(size: str, sheet: str) -> None:
    import pypdfium2

    booklet = impose_booklet(handout(4, size, bleed="3mm", marks="crop cross"), bleed=3 * MM, marks="crop cross", sheet=sheet)
    got = boxes(booklet)
    width, height = got["MediaBox"][2:]
    dpmm = 8.0
    image = pypdfium2.PdfDocument(booklet)[0].render(scale=dpmm * 25.4 / 72).to_pil()
    (tx0, ty0, tx1, ty1), (bx0, by0, bx1, by1) = got["TrimBox"], got["BleedBox"]
    fold, pad = (tx0 + tx1) / 2, 0.5
    for x, outward in ((tx0, -1), (tx1, 1)):
        for y, upward in ((ty0, -1), (ty1, 1)):
            beyond_x = (0, bx0 - pad) if outward < 0 else (bx1 + pad, width)
            beyond_y = (0, by0 - pad) if upward < 0 else (by1 + pad, height)
            assert ink(image, (beyond_x[0], y - pad, beyond_x[1], y + pad), height, dpmm)  # the horizontal arm
            assert ink(image, (x - pad, beyond_y[0], x + pad, beyond_y[1]), height, dpmm)  # the vertical arm
    for strip in ((0, by0 - pad), (by1 + pad, height)):  # no page's own marks at the spine, no gap
        assert not ink(image, (fold - 12, strip[0], fold + 12, strip[1]), height, dpmm)
    white_fold = image.crop(
        (round((fold - 1) * dpmm), round((height - by1 + pad) * dpmm), round((fold + 1) * dpmm), round((height - by0 - pad) * dpmm))
    )
    assert white_fold.convert("L").getextrema()[1] < 60  # the black backgrounds meet at the fold
    inside = image.crop(
        (round((bx0 + pad) * dpmm), round((height - by1 + pad) * dpmm), round((bx1 - pad) * dpmm), round((height - by0 - pad) * dpmm))
    )
    assert inside.convert("L").getextrema()[0] < 60 and sum(inside.convert("L").histogram()[200:]) < inside.width * inside.height * 0.05


def test_without_marks_nothing_is_drawn_outside_the_bleed() -> None:
    import pypdfium2

    booklet = impose_booklet(handout(4, "A5", bleed="3mm"), bleed=3 * MM, sheet="a3")
    got = boxes(booklet)
    width, height = got["MediaBox"][2:]
    assert got["TrimBox"] == pytest.approx([62, 43.5, 358, 253.5], abs=0.05)  # A5 pair at full size on A3
    image = pypdfium2.PdfDocument(booklet)[0].render(scale=4 * 25.4 / 72).to_pil()
    bx0, by0, bx1, by1 = got["BleedBox"]
    for box in ((0, 0, bx0 - 0.5, height), (bx1 + 0.5, 0, width, height), (0, 0, width, by0 - 0.5), (0, by1 + 0.5, width, height)):
        assert not ink(image, box, height, 4.0)


def test_same_sheet_scales_letter_pages_onto_letter() -> None:
    got = boxes(impose_booklet(handout(4, "letter"), sheet="same"))
    assert got["MediaBox"] == pytest.approx([0, 0, 279.4, 215.9], abs=0.05)
    scale = 279.4 / (2 * 215.9)  # the pair's width decides: 64.7 %
    assert got["TrimBox"] == pytest.approx([0, (215.9 - 279.4 * scale) / 2, 279.4, (215.9 + 279.4 * scale) / 2], abs=0.05)


def test_a_sheet_too_small_for_the_marks_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        impose_booklet(handout(1), marks="crop", sheet="10mmx10mm")


def test_booklet_with_bleed_marks_and_own_sheet_from_front_matter_is_reproducible(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\ntitle: Booklet\npaper: letter\nbooklet: true\nbooklet_sheet: same\nbleed: 3mm\nmarks: crop cross\n---\n\nText.\n"
    )
    built = []
    for out in ("one", "two"):
        run = run_cli("a.md", "--out", out, "--format", "pdf", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "1700000000"})
        assert run.code == 0, run.err
        built.append((tmp_path / out / "a-booklet.pdf").read_bytes())
    assert built[0] == built[1]
    got = boxes(built[0])
    assert got["MediaBox"] == pytest.approx([0, 0, 279.4, 215.9], abs=0.05)
    assert got["BleedBox"][0] == pytest.approx(got["TrimBox"][0] - 3 * (got["TrimBox"][2] - got["TrimBox"][0]) / 431.8, abs=0.01)
    assert pypdf.PdfReader(io.BytesIO(built[0])).page_labels == ["4|1", "2|3"]


def test_an_unknown_sheet_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: Booklet\nbooklet: true\nbooklet_sheet: tabliod\n---\n\nText.\n")
    run = run_cli("a.md", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert run.code == 1
    assert run.err.startswith(
        "a.md:4: error: 'booklet_sheet' must be one of auto, same, a5, a4, a3, letter, tabloid or WIDTHxHEIGHT"
        " such as 450mmx320mm, not 'tabliod' (did you mean 'tabloid'?)"
    )
