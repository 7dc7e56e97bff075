"""Booklets: a handout's pages imposed two-up for saddle-stitch printing (pypdf).

Pages are padded to a multiple of four (first with the given padding pages, e.g. ruled notes
pages, then with blank ones) and placed on sheets twice the page size, in the order that duplex
printing with short-edge flip needs: for 8 pages, sheet 1 front 8|1, back 2|7; sheet 2 front
6|3, back 4|5. Each sheet side's page label names its two pages ("8|1"). A sheet whose size is
within 1 % of a standard one (A5 pages on A4, half-Letter pages on Letter) gets that size, with
the pair centred on it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pypdf import PageObject, PdfReader, PdfWriter, Transformation

#: (name, width, height) of landscape sheets, in points
STANDARD_SHEETS = (("A4", 841.89, 595.28), ("A3", 1190.55, 841.89), ("Letter", 792.0, 612.0), ("Tabloid", 1224.0, 792.0))


def sheet_order(pages: int) -> list[tuple[int, int]]:
    """(left, right) page numbers of each sheet side, front then back, sheet by sheet."""
    if pages % 4:
        raise ValueError("a saddle-stitched booklet needs a multiple of four pages")
    order = []
    for sheet in range(pages // 4):
        order.append((pages - 2 * sheet, 1 + 2 * sheet))
        order.append((2 + 2 * sheet, pages - 1 - 2 * sheet))
    return order


def sheet_size(page_width: float, page_height: float) -> tuple[float, float]:
    """Twice the page, snapped to a standard landscape sheet when within 1 %."""
    width, height = 2 * page_width, page_height
    for _, standard_width, standard_height in STANDARD_SHEETS:
        if abs(width - standard_width) <= standard_width * 0.01 and abs(height - standard_height) <= standard_height * 0.01:
            return max(width, standard_width), max(height, standard_height)
    return width, height


def impose_booklet(pdf: bytes, padding: Sequence[bytes] = ()) -> bytes:
    """Two-up saddle-stitch booklet of ``pdf``'s pages (all of one size); see the module docstring."""
    reader = PdfReader(io.BytesIO(pdf))
    pages = list(reader.pages)
    if not pages:
        raise ValueError("the handout has no pages")
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    if any(abs(float(p.mediabox.width) - width) > 0.5 or abs(float(p.mediabox.height) - height) > 0.5 for p in pages):
        raise ValueError("a booklet needs pages of one size")
    total = -(-len(pages) // 4) * 4
    fillers = [PdfReader(io.BytesIO(extra)).pages[0] for extra in padding][: total - len(pages)]
    for page in [*pages, *fillers]:
        # Merging would copy link annotations, and a link to another page would drag that whole
        # page into the booklet as an unused object: the booklet is for printing, so no links.
        if "/Annots" in page:
            del page["/Annots"]
    sequence: list[PageObject | None] = [*pages, *fillers]
    sequence += [None] * (total - len(sequence))
    sheet_width, sheet_height = sheet_size(width, height)
    offset_x, offset_y = (sheet_width - 2 * width) / 2, (sheet_height - height) / 2
    writer = PdfWriter()
    for index, (left, right) in enumerate(sheet_order(total)):
        sheet = writer.add_blank_page(width=sheet_width, height=sheet_height)
        for position, number in enumerate((left, right)):
            source = sequence[number - 1]
            if source is not None:
                sheet.merge_transformed_page(source, Transformation().translate(offset_x + position * width, offset_y))
        writer.set_page_label(index, index, prefix=f"{left}|{right}")
    if reader.metadata:
        writer.add_metadata({key: value for key, value in reader.metadata.items() if key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate", "/ModDate")})
    writer.add_metadata({"/Producer": "Pressroom (pypdf)"})
    writer._ID = None  # noqa: SLF001 - set below from the content, for reproducible bytes
    out = io.BytesIO()
    writer.write(out)
    return _with_content_id(out.getvalue())


def _with_content_id(pdf: bytes) -> bytes:
    """Replace the file identifier by a hash of the content (pypdf draws a random one)."""
    import hashlib

    from pypdf.generic import ArrayObject, ByteStringObject

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    digest = hashlib.md5(pdf, usedforsecurity=False).digest()
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])  # noqa: SLF001
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
