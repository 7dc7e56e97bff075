"""A reproducible XMP DocumentID for PDF/X-4 and PDF/X-5g (patch ``stable-document-id``).

What it changes: WeasyPrint 70 writes ``xmpMM:DocumentID`` as ``xmp.did:`` and a random
``uuid4()`` (``weasyprint/pdf/metadata.py``) in PDF/X-4 and X-5g, which is the only thing that
keeps those variants from being byte-reproducible. While :func:`written_with_stable_id` writes,
that module's ``uuid4`` gives a UUID derived from the article's identifier instead; the id names
the document, so a stable one per article is also the right meaning. This is a correctness
patch, not a speed-up.

The fallback, when the patch does not apply (or ``PRESSROOM_ACCEL=off``): the PDF is written as
WeasyPrint writes it, then pikepdf replaces the random id in the XMP metadata by the same
derived one and saves the file with a content-derived /ID. The PDF is as reproducible, though
not byte-identical to the patched write (pikepdf lays the file out anew).

Written for: WeasyPrint 70. Shape checked: ``weasyprint.pdf.metadata.uuid4`` is the standard
``uuid.uuid4`` and ``DocumentMetadata.generate_rdf_metadata`` calls it.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable

from . import Patch, load_weasyprint, patched

RANDOM_ID = re.compile(rb"xmp\.did:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _shape() -> str | None:
    load_weasyprint()
    from weasyprint.pdf import metadata

    if getattr(metadata, "uuid4", None) is not uuid.uuid4:
        return "weasyprint.pdf.metadata.uuid4 is not uuid.uuid4"
    if "uuid4" not in metadata.DocumentMetadata.generate_rdf_metadata.__code__.co_names:
        return "DocumentMetadata.generate_rdf_metadata no longer calls uuid4()"
    return None


PATCH = Patch("stable-document-id", {"weasyprint": ("70",)}, _shape)


def document_uuid(seed: str) -> uuid.UUID:
    """The UUID that names the document made from ``seed`` (the article's identifier)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, seed)


def written_with_stable_id(write: Callable[[], bytes], seed: str) -> bytes:
    """``write()``'s PDF with its XMP DocumentID derived from ``seed`` instead of drawn at random."""

    def install() -> Callable[[], None]:
        from weasyprint.pdf import metadata

        original = metadata.uuid4
        metadata.uuid4 = lambda: document_uuid(seed)

        def undo() -> None:
            metadata.uuid4 = original

        return undo

    with patched(PATCH, install) as active:
        pdf = write()
    return pdf if active else stable_id_afterwards(pdf, seed)


def stable_id_afterwards(pdf: bytes, seed: str) -> bytes:
    """``pdf`` with a random XMP DocumentID replaced by the one derived from ``seed`` (pikepdf;
    content-derived /ID), or as it is when it has none."""
    import pikepdf  # the catalog may sit in a compressed object stream: a byte search cannot tell

    with pikepdf.open(io.BytesIO(pdf)) as document:
        stream = document.Root.get("/Metadata")
        xmp = stream.read_bytes() if stream is not None else b""
        if stream is None or not RANDOM_ID.search(xmp):
            return pdf
        stream.write(RANDOM_ID.sub(f"xmp.did:{document_uuid(seed)}".encode(), xmp))
        del document.trailer["/ID"]  # a hash of the random id: qpdf would keep its first half
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()
