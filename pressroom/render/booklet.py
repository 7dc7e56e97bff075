"""Booklets: a handout's pages imposed two-up for saddle-stitch printing (pikepdf).

Pages are padded to a multiple of four (first with the given padding pages, e.g. ruled notes
pages, then with blank ones) and placed in pairs on landscape sheets, in the order that duplex
printing with short-edge flip needs: for 8 pages, sheet 1 front 8|1, back 2|7; sheet 2 front
6|3, back 4|5. Each sheet side's page label names its two pages ("8|1").

Each page is placed by its trim box and drawn from its whole media box, clipped to its bleed on
the outer edges and to its trim at the spine, so the two pages meet at the fold with no gap. The
sheet carries a TrimBox (the two pages' trim boxes side by side) and a BleedBox (that grown by the
bleed), and, when asked, its own marks outside that bleed: crop marks at the four corners of the
trim, registration targets beside the middle of each page and of the outer edges, nothing at the
fold. The pages' own marks are clipped away with their bleed.

The sheet (:func:`sheet_size`): ``auto``, the smallest standard sheet that holds two pages at full
size (A5 pages on A4, A4 on A3, half-Letter on Letter, Letter on Tabloid), or exactly two pages
when none does; ``same``, the page's own size (Letter on Letter: what an office printer's booklet
mode does); a standard name; or ``WIDTHxHEIGHT``. Pages are scaled down, never up, when the pair
with its bleed and marks does not fit the sheet, and centred on it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pikepdf

MM = 72 / 25.4
#: landscape sheets (width, height), in points, smallest first
STANDARD_SHEETS = {
    "a5": (595.28, 419.53),
    "letter": (792.0, 612.0),
    "a4": (841.89, 595.28),
    "tabloid": (1224.0, 792.0),
    "a3": (1190.55, 841.89),
}
MARK_GAP = 3 * MM  # between the bleed and the printer's marks
MARK_LENGTH = 5 * MM  # of a crop mark; registration targets fit in the same band
MARKS_ROOM = MARK_GAP + MARK_LENGTH  # beyond the bleed, on each side of the sheet
FIT = 1.0  # points a pair may overhang a sheet and still count as fitting it (rounding in page sizes)


def sheet_order(pages: int) -> list[tuple[int, int]]:
    """(left, right) page numbers of each sheet side, front then back, sheet by sheet."""
    if pages % 4:
        raise ValueError("a saddle-stitched booklet needs a multiple of four pages")
    order = []
    for sheet in range(pages // 4):
        order.append((pages - 2 * sheet, 1 + 2 * sheet))
        order.append((2 + 2 * sheet, pages - 1 - 2 * sheet))
    return order


@dataclass(frozen=True)
class Sheet:
    """Where a pair of pages goes: the sheet's size, the scale of the pages and their trim on it."""

    width: float
    height: float
    scale: float
    trim: tuple[float, float, float, float]  # the two pages' trim boxes side by side

    @property
    def fold(self) -> float:
        return (self.trim[0] + self.trim[2]) / 2


def landscape(width: float, height: float) -> tuple[float, float]:
    return max(width, height), min(width, height)


def standard_sheet(page_width: float, page_height: float) -> tuple[float, float] | None:
    """The smallest standard landscape sheet that holds two pages of this size, if any."""
    for width, height in STANDARD_SHEETS.values():
        if 2 * page_width <= width + FIT and page_height <= height + FIT:
            return width, height
    return None


def sheet_size(page_width: float, page_height: float, choice: str = "auto") -> tuple[float, float]:
    """The landscape sheet for pages of this trim size (points); ``choice`` as in the module docstring.

    ``auto`` with no standard sheet that holds two pages: exactly two pages.
    """
    if choice == "auto":
        return standard_sheet(page_width, page_height) or (2 * page_width, page_height)
    if choice == "same":
        return landscape(page_width, page_height)
    if choice in STANDARD_SHEETS:
        return STANDARD_SHEETS[choice]
    from pressroom.load.metadata import CUSTOM_PAPER, to_mm

    match = CUSTOM_PAPER.match(choice)
    if not match:
        raise ValueError(f"unknown booklet sheet {choice!r}")
    return landscape(to_mm(match.group(1)) * MM, to_mm(match.group(2)) * MM)


def place_pair(page_width: float, page_height: float, bleed: float = 0.0, marks: bool = False, choice: str = "auto") -> Sheet:
    """The sheet for a pair of pages of this trim size with ``bleed`` (points) and room for marks.

    The pages keep their size when the pair, its outer bleed and the marks fit on the sheet (or
    overhang it by a rounding error: the sheet then grows by that much); else they shrink to fit.
    ``auto`` with no standard sheet for the pair grows the sheet to hold everything at full size.
    """
    width, height = sheet_size(page_width, page_height, choice)
    room = MARKS_ROOM if marks else 0.0
    content = (2 * page_width + 2 * bleed, page_height + 2 * bleed)  # what is scaled: pages and bleed
    if choice == "auto" and standard_sheet(page_width, page_height) is None:
        width, height = content[0] + 2 * room, content[1] + 2 * room
    scale = min((width - 2 * room) / content[0], (height - 2 * room) / content[1])
    if scale < 0.1:
        raise ValueError(f"a {width / MM:.0f} × {height / MM:.0f} mm sheet is too small for the pages")
    if scale * content[0] >= content[0] - FIT and scale * content[1] >= content[1] - FIT:
        scale = 1.0
        width, height = max(width, content[0] + 2 * room), max(height, content[1] + 2 * room)
    pair_width, pair_height = 2 * page_width * scale, page_height * scale
    left, bottom = (width - pair_width) / 2, (height - pair_height) / 2
    return Sheet(width, height, scale, (left, bottom, left + pair_width, bottom + pair_height))


def _box(page: pikepdf.Dictionary, name: str) -> tuple[float, float, float, float]:
    box = [float(v) for v in page.get(name, page.MediaBox)]
    return min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])


def mark_lines(trim: tuple[float, float, float, float], bleed: float, marks: str) -> bytes:
    """Content-stream operators that draw ``marks`` ("crop", "cross", both) around ``trim``,
    outside ``bleed``, in registration colour (every separation)."""
    x0, y0, x1, y1 = trim
    near, far = bleed + MARK_GAP, bleed + MARK_GAP + MARK_LENGTH
    ops = ["q", "/Reg CS 1 SCN", "0.25 w", "0 J"]

    def line(ax: float, ay: float, bx: float, by: float) -> None:
        ops.append(f"{ax:.3f} {ay:.3f} m {bx:.3f} {by:.3f} l S")

    if "crop" in marks.split():
        for x, sx in ((x0, -1), (x1, 1)):
            for y, sy in ((y0, -1), (y1, 1)):
                line(x + sx * near, y, x + sx * far, y)  # along the horizontal trim edge
                line(x, y + sy * near, x, y + sy * far)  # along the vertical trim edge
    if "cross" in marks.split():
        middle = (near + far) / 2
        radius = MARK_LENGTH * 0.3
        # above and below the middle of each page, beside the middle of the outer edges: none at
        # the fold, which stays clear of marks
        quarters = (x0 + (x1 - x0) / 4, x1 - (x1 - x0) / 4)
        centres = [(x, y) for x in quarters for y in (y0 - middle, y1 + middle)]
        centres += [(x0 - middle, (y0 + y1) / 2), (x1 + middle, (y0 + y1) / 2)]
        k = 0.5523 * radius  # Bézier handle length for a quarter circle
        for cx, cy in centres:
            ops.append(
                f"{cx + radius:.3f} {cy:.3f} m "
                f"{cx + radius:.3f} {cy + k:.3f} {cx + k:.3f} {cy + radius:.3f} {cx:.3f} {cy + radius:.3f} c "
                f"{cx - k:.3f} {cy + radius:.3f} {cx - radius:.3f} {cy + k:.3f} {cx - radius:.3f} {cy:.3f} c "
                f"{cx - radius:.3f} {cy - k:.3f} {cx - k:.3f} {cy - radius:.3f} {cx:.3f} {cy - radius:.3f} c "
                f"{cx + k:.3f} {cy - radius:.3f} {cx + radius:.3f} {cy - k:.3f} {cx + radius:.3f} {cy:.3f} c S"
            )
            half = MARK_LENGTH / 2
            line(cx - half, cy, cx + half, cy)
            line(cx, cy - half, cx, cy + half)
    ops.append("Q")
    return ("\n".join(ops) + "\n").encode()


def _registration(pdf: pikepdf.Pdf) -> pikepdf.Array:
    """The /All separation: ink on every plate, as printer's marks need."""
    tint = pdf.make_indirect(pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1))
    return pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK, tint])


def impose_booklet(pdf: bytes, padding: Sequence[bytes] = (), *, bleed: float = 0.0, marks: str = "none", sheet: str = "auto") -> bytes:
    """Two-up saddle-stitch booklet of ``pdf``'s pages (all of one trim size); see the module docstring.

    ``bleed`` is the pages' bleed in points (kept on the sheet's outer edges), ``marks`` the
    printer's marks to draw on the sheet (``crop``, ``cross``, ``crop cross`` or ``none``),
    ``sheet`` the sheet choice.
    """
    source = pikepdf.open(io.BytesIO(pdf))
    pages = [page.obj for page in source.pages]
    if not pages:
        raise ValueError("the handout has no pages")
    first = _box(pages[0], "/TrimBox")
    width, height = first[2] - first[0], first[3] - first[1]
    total = -(-len(pages) // 4) * 4
    padding = padding[: total - len(pages)]
    # a padding page given more than once is read, and copied into the booklet, once
    opened = {extra: pikepdf.open(io.BytesIO(extra)) for extra in dict.fromkeys(padding)}
    padding_pages = {extra: document.pages[0].obj for extra, document in opened.items()}
    fillers = [padding_pages[extra] for extra in padding]
    for page in [*pages, *fillers]:
        trim = _box(page, "/TrimBox")
        if abs(trim[2] - trim[0] - width) > 0.5 or abs(trim[3] - trim[1] - height) > 0.5:
            raise ValueError("a booklet needs pages of one size")
    sequence: list[pikepdf.Dictionary | None] = [*pages, *fillers]
    sequence += [None] * (total - len(sequence))

    draw_marks = marks not in ("", "none")
    place = place_pair(width, height, bleed, draw_marks, sheet)
    scale = place.scale
    out = pikepdf.new()
    forms: dict[tuple[int, int], pikepdf.Object] = {}  # (id of the page in sequence, side) -> its form

    def form(page: pikepdf.Dictionary, side: int) -> pikepdf.Object:
        """The page as a form XObject clipped to its bleed, except at the spine (its trim)."""
        key = (id(page), side)
        if key not in forms:
            x0, y0, x1, y1 = _box(page, "/TrimBox")
            xobject = out.copy_foreign(pikepdf.Page(page).as_form_xobject())
            xobject.BBox = [x0 - bleed * (side == 0), y0 - bleed, x1 + bleed * (side == 1), y1 + bleed]
            forms[key] = xobject
        return forms[key]

    sheet_bleed = bleed * scale
    trim = place.trim
    bleed_box = [trim[0] - sheet_bleed, trim[1] - sheet_bleed, trim[2] + sheet_bleed, trim[3] + sheet_bleed]
    registration = _registration(out) if draw_marks else None
    labels = pikepdf.Array()
    for index, (left, right) in enumerate(sheet_order(total)):
        xobjects = pikepdf.Dictionary()
        content = b""
        for side, number in enumerate((left, right)):
            placed = sequence[number - 1]
            if placed is None:
                continue
            x0, y0, _, _ = _box(placed, "/TrimBox")
            name = f"/P{side}"
            xobjects[name] = form(placed, side)
            tx, ty = trim[0] + side * width * scale - scale * x0, trim[1] - scale * y0
            content += f"q {scale:.6f} 0 0 {scale:.6f} {tx:.4f} {ty:.4f} cm {name} Do Q\n".encode()
        resources = pikepdf.Dictionary(XObject=xobjects)
        if registration is not None:
            content += mark_lines(trim, sheet_bleed, marks)
            resources.ColorSpace = pikepdf.Dictionary(Reg=registration)
        sheet_page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, round(place.width, 4), round(place.height, 4)],
            TrimBox=[round(v, 4) for v in trim],
            BleedBox=[round(v, 4) for v in bleed_box],
            Resources=resources,
            Contents=out.make_stream(content),
        )
        out.pages.append(pikepdf.Page(sheet_page))
        labels.extend([index, pikepdf.Dictionary(P=pikepdf.String(f"{left}|{right}"))])  # type: ignore[list-item]  # pikepdf takes ints
    out.Root.PageLabels = pikepdf.Dictionary(Nums=labels)
    info = source.trailer.get("/Info")
    kept = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate", "/ModDate")
    docinfo = {key: pikepdf.String(bytes(info[key])) for key in kept if info is not None and key in info}
    docinfo["/Producer"] = pikepdf.String("Pressroom (pikepdf)")
    out.docinfo = out.make_indirect(pikepdf.Dictionary(docinfo))
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()
