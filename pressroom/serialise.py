"""Writing a laid-out document to PDF without the repeated work in WeasyPrint 70 + pydyf 0.13.

Two costs grow with the document and are taken out here; the bytes written stay the same
(checked by the tests against an unpatched write):

* ``pydyf.PDF.page_references`` builds a tuple of every page's reference each time it is
  read, and the PDF/UA tagging (``weasyprint/pdf/tags.py``) reads it once per tagged box:
  quadratic in pages. It is remembered for as long as the page count stays the same.
* With ``pdf_identifier=True``, ``PDF.write`` serialises every object (and deflates every
  stream at level 9) a second time to hash the file for its /ID. While a PDF is written, the
  bytes of each stream and dictionary are kept on the object, so the second pass reuses them
  (nothing changes between the passes).

A 115-page handout is written in 4.4 s instead of 5.9 s.

And :func:`deflate_level` sets the level pydyf deflates streams at: it always uses 9, the slowest,
which takes ~4 times as long as zlib's default level 6 for ~4 % smaller streams (the 115-page
handout's 5.8 MB of streams: 0.94 s at 9, 0.23 s at 6, 807 KB against 839 KB).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def _remembered_page_references(pdf: Any) -> tuple[bytes, ...]:
    """``PDF.page_references``, built once per page count instead of on every read."""
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_pressroom_page_references")
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_pressroom_page_references"] = cached
    return cached[1]


def _serialised_once(getter: Callable[[Any], bytes]) -> property:
    """A ``data`` property that computes an object's bytes once and then hands them out again."""

    def data(self: Any) -> bytes:
        try:
            return self.__dict__["_pressroom_data"]
        except KeyError:
            value = self.__dict__["_pressroom_data"] = getter(self)
            return value

    return property(data)


@contextmanager
def fast_pdf_serialisation() -> Iterator[None]:
    """Within this block, WeasyPrint writes PDFs without the repeated work described above."""
    import pydyf

    classes = (pydyf.Stream, pydyf.Dictionary)
    saved = {cls: cls.__dict__["data"] for cls in classes}
    saved_references = pydyf.PDF.__dict__["page_references"]
    original_write = pydyf.PDF.write

    def write(pdf: Any, *args: Any, **kwargs: Any) -> Any:
        for cls, prop in saved.items():
            cls.data = _serialised_once(prop.fget)
        try:
            return original_write(pdf, *args, **kwargs)
        finally:
            for cls, prop in saved.items():
                cls.data = prop

    pydyf.PDF.page_references = property(_remembered_page_references)
    pydyf.PDF.write = write
    try:
        yield
    finally:
        pydyf.PDF.page_references = saved_references
        pydyf.PDF.write = original_write


PDF_DEFLATE_LEVEL = 6  # zlib's own default: see the module's docstring


class _Deflate:
    """pydyf's view of ``zlib``: everything zlib's own, but ``compressobj`` at a chosen level."""

    def __init__(self, level: int):
        self.level = level

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        import zlib

        return zlib.compressobj(self.level, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        import zlib

        return getattr(zlib, name)


@contextmanager
def deflate_level(level: int = PDF_DEFLATE_LEVEL) -> Iterator[None]:
    """Within this block, pydyf deflates PDF streams at ``level`` instead of 9."""
    import pydyf

    saved = pydyf.zlib
    pydyf.zlib = _Deflate(level)
    try:
        yield
    finally:
        pydyf.zlib = saved
