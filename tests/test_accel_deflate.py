"""PDF streams deflated at a chosen level (pressroom.accel.deflate): the same decoded content, pydyf restored."""

from __future__ import annotations

import pydyf
import pytest

from pressroom.accel import load_weasyprint
from pressroom.accel.deflate import deflate_level

PAGES = "".join(f"<h2>Part {n}</h2><p>{'Words in a tagged paragraph. ' * 40}</p><ul><li>one</li><li>two</li></ul>" for n in range(12))


def streams(pdf: bytes) -> list[tuple[bytes, bytes]]:
    """Each stream of ``pdf``: its bytes as stored and as decoded (not the cross-reference
    stream, which lists where the other objects start: it changes with their sizes)."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [
            (obj.read_raw_bytes(), obj.read_bytes()) for obj in document.objects
            if isinstance(obj, pikepdf.Stream) and obj.get("/Type") != "/XRef"
        ]  # fmt: skip


@pytest.mark.parametrize("level", [1, 6])
def test_streams_are_deflated_at_the_chosen_level_and_hold_the_same_content(level: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import zlib

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    weasyprint = load_weasyprint()
    document = weasyprint.HTML(string=f'<html lang="en"><title>T</title><body>{PAGES}</body></html>').render()
    plain = document.write_pdf(pdf_variant="pdf/ua-1")
    with deflate_level(level):
        chosen = document.write_pdf(pdf_variant="pdf/ua-1")
    assert pydyf.zlib is zlib  # restored
    assert len(chosen) > len(plain)  # level 9 deflates the most
    assert [decoded for _, decoded in streams(chosen)] == [decoded for _, decoded in streams(plain)]
    deflated = [(raw, decoded) for raw, decoded in streams(chosen) if raw != decoded]
    assert deflated and all(raw == zlib.compress(decoded, level) for raw, decoded in deflated)
