"""The printed handout: layout HTML → WeasyPrint → PDF bytes.

WeasyPrint only logs a resource it could not load and writes the PDF anyway; here every such
record becomes a build error, and every fetch goes through :class:`SandboxFetcher`, which refuses
anything outside the project and the layouts (and the network, unless the project allows it).
"""

from __future__ import annotations

import io
import logging
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import layouts_digest
from .content import Article
from .convert import Document, source_line
from .errors import BuildError, Warnings, warn
from .footnotes import keep_notes_with_calls
from .glyphs import check_glyphs
from .htmltree import weasyprint_html
from .libraries import load_weasyprint
from .metadata import content_box_mm, page_size, to_mm
from .sandbox import FetchLog, Sandbox, weasyprint_fetcher
from .serialise import deflate_level, fast_pdf_serialisation
from .stylesheets import reuse_layout_stylesheets

NOTES_LINE_MM = 8.0  # the spacing of the ruled lines on notes pages (handout.css .rule)
NOTES_HEADING_MM = 12.0

if TYPE_CHECKING:
    import weasyprint


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def weasyprint_messages() -> Iterator[list[logging.LogRecord]]:
    """Collect WeasyPrint's warnings and errors instead of letting them scroll by."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


MARKS_ROOM_MM = 10.0  # WeasyPrint draws printer's marks inside the bleed: they need this much room


def print_bleed(bleed: str | None, marks: str | None) -> str | None:
    """The bleed laid out: what the article asks for, widened so that printer's marks show.

    :func:`set_bleed_box` puts the PDF's BleedBox back at the requested bleed afterwards.
    """
    if marks and marks != "none":
        return f"{max(to_mm(bleed or '0'), MARKS_ROOM_MM)}mm"
    return bleed


def set_bleed_box(pdf: bytes, bleed: str | None) -> bytes:
    """Set each page's BleedBox to its TrimBox grown by ``bleed`` (pikepdf; deterministic /ID)."""
    import pikepdf

    grow = to_mm(bleed or "0") * 72 / 25.4
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            trim = [float(v) for v in page.obj.get("/TrimBox", page.obj.MediaBox)]
            page.obj.BleedBox = pikepdf.Array([trim[0] - grow, trim[1] - grow, trim[2] + grow, trim[3] + grow])
        out = io.BytesIO()
        document.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()


def qr_data_uri(url: str) -> str:
    """A vector QR code (SVG) for ``url``, as a data: URI WeasyPrint draws without rasterising."""
    import segno

    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=0, dark="#000", light=None)


def handout_html(
    article: Article,
    document: Document,
    search_path: tuple[Path, ...],
    dates: dict[str, str],
    notes_only: bool = False,
    pack_toc: list[dict[str, str]] | None = None,
) -> str:
    """The handout as one HTML document, through the shared layouts (or just one ruled notes page)."""
    from .layouts import markup, render  # Jinja: loaded only by a process that fills layouts

    meta = article.meta
    return render(
        search_path,
        "handout.html",
        meta=meta,
        body=markup(document.print_html),
        page_size=page_size(meta.paper),
        footer_title=" — ".join(filter(None, [meta.running_title, meta.event.name if meta.event else None])),
        qr=qr_data_uri(meta.url) if meta.url and meta.qr else None,
        print_bleed=print_bleed(meta.bleed, meta.marks),
        notes_lines=max(int((content_box_mm(meta.paper, meta.margins)[1] - NOTES_HEADING_MM) // NOTES_LINE_MM), 1),
        created=dates["created"],
        modified=dates["modified"],
        notes_only=notes_only,
        pack_toc=pack_toc or [],
    )


_font_configs: dict[tuple, Any] = {}
#: Font configurations still alive, with the process that made them (and owns their folder: a
#: forked -j worker inherits its parent's and must not delete them).
_font_config_owners: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_clean_up_registered_by: int | None = None


def font_config(search_path: tuple[Path, ...]) -> Any:
    """One WeasyPrint font configuration per set of layouts (and per version of their files): the
    @font-face fonts load once per process, not once per document."""
    from weasyprint.text.fonts import FontConfiguration

    key = (search_path, layouts_digest(search_path))
    if key not in _font_configs:
        _font_configs.clear()
        config = FontConfiguration()
        _font_configs[key] = config
        _font_config_owners[config] = os.getpid()
        global _clean_up_registered_by
        if _clean_up_registered_by != os.getpid():
            from multiprocessing.util import Finalize

            # At the exit of this process (the main one, or a -j worker, which skips atexit).
            Finalize(None, remove_font_folders, exitpriority=0)
            _clean_up_registered_by = os.getpid()
    return _font_configs[key]


def remove_font_folders() -> None:
    """Delete the copies of the layout fonts WeasyPrint keeps in temporary folders.

    A FontConfiguration removes its folder when it is deleted, but one still alive when Python
    shuts down is deleted too late (its ``rmtree`` is already gone) or never: every build would
    leave ~5 MB in the temporary folder. This runs at exit, while everything still works.
    """
    import shutil

    _font_configs.clear()
    for config, owner in list(_font_config_owners.items()):
        if owner == os.getpid():
            folder, config._folder = config._folder, None  # WeasyPrint's own clean-up has nothing left to do
            if folder:
                shutil.rmtree(folder, ignore_errors=True)


_inherited_font_configs: list[Any] = []


@contextmanager
def own_font_configs() -> Iterator[None]:
    """For a forked child that lays out a document while its parent lays out another: font
    configurations of its own inside (both would otherwise add fonts to the parent's temporary
    folder at once), deleted on leaving. The parent's are kept alive meanwhile: deleting one here
    would delete the parent's folder."""
    _inherited_font_configs.extend(_font_configs.values())
    _font_configs.clear()
    try:
        yield
    finally:
        remove_font_folders()  # only the ones this process made


def render_html(
    html: str, article: Article, sandbox: Sandbox, warnings: Warnings, search_path: tuple[Path, ...]
) -> weasyprint.Document:
    """Lay out HTML with the sandboxed fetcher; refusals and load failures are build errors."""
    weasyprint = load_weasyprint()
    reuse_layout_stylesheets(weasyprint)

    log = FetchLog()
    fetcher = weasyprint_fetcher(sandbox, log)
    base_url = article.source.parent.as_uri() + "/"
    with weasyprint_messages() as records:

        def render(source: str) -> weasyprint.Document:
            records.clear()  # the messages of the layout kept, not of one discarded
            return weasyprint_html(source, base_url, fetcher).render(font_config=font_config(search_path))

        rendered = keep_notes_with_calls(html, render(html), render)
    where = article.display_path
    for url, reason in log.refused:
        shown = url if not url.startswith("data:") else url[:40] + "…"
        needle = url.rsplit("/", 1)[-1] if url.startswith("file:") else url[:60]
        raise BuildError(f"refused to load '{shown}': {reason}", where, source_line(article, needle))
    for record in records:
        message = record.getMessage()
        if message.startswith("Failed to load") or record.levelno >= logging.ERROR:
            raise BuildError(f"PDF renderer: {message.splitlines()[0]}", where)
        warn(warnings, f"PDF renderer: {message.splitlines()[0]}", where)
    return rendered


@contextmanager
def stable_document_id(seed: str) -> Iterator[None]:
    """Make WeasyPrint's XMP DocumentID (PDF/X-4, X-5g) derive from ``seed`` instead of uuid4().

    WeasyPrint 70 draws that id at random (weasyprint/pdf/metadata.py), which is the only thing
    that keeps those variants from being byte-reproducible; the id names the document, so a
    stable one per article is also the right meaning.
    """
    import uuid

    from weasyprint.pdf import metadata

    original = metadata.uuid4
    metadata.uuid4 = lambda: uuid.uuid5(uuid.NAMESPACE_URL, seed)
    try:
        yield
    finally:
        metadata.uuid4 = original


def write_pdf(rendered: weasyprint.Document, variant: str = "none", document_id: str = "pressroom") -> bytes:
    """Serialise a laid-out document in a PDF variant ("none": untagged PDF).

    The /ID is a hash of the content and the XMP DocumentID derives from ``document_id``, so the
    bytes are reproducible.
    """
    options = {} if variant == "none" else {"pdf_variant": variant}
    with stable_document_id(document_id), fast_pdf_serialisation(), deflate_level():
        return rendered.write_pdf(pdf_identifier=True, **options)


def layout_handout(
    article: Article,
    document: Document,
    search_path: tuple[Path, ...],
    sandbox: Sandbox,
    dates: dict[str, str],
    warnings: Warnings,
    pack_toc: list[dict[str, str]] | None = None,
) -> weasyprint.Document:
    """The handout laid out in pages (written to PDF, and read for the EPUB's page map)."""
    html = handout_source(article, document, search_path, dates, warnings, pack_toc)
    return render_html(html, article, sandbox, warnings, search_path)


def handout_source(
    article: Article,
    document: Document,
    search_path: tuple[Path, ...],
    dates: dict[str, str],
    warnings: Warnings,
    pack_toc: list[dict[str, str]] | None = None,
) -> str:
    """The handout's HTML, once the text is checked against the layout fonts (no WeasyPrint)."""
    fonts = tuple(folder / "fonts" for folder in search_path)
    check_glyphs(document.text, fonts, article.display_path, lambda ch: source_line(article, ch), warnings)
    return handout_html(article, document, search_path, dates, pack_toc=pack_toc)


def booklet_pdf(
    article: Article,
    document: Document,
    handout: bytes,
    search_path: tuple[Path, ...],
    sandbox: Sandbox,
    dates: dict[str, str],
    warnings: Warnings,
) -> bytes:
    """The handout imposed as a saddle-stitch booklet, padded with ruled notes pages when the
    article asks for notes pages, else with blank pages."""
    from .imposition import impose_booklet

    padding: list[bytes] = []
    if article.meta.notes_pages:
        html = handout_html(article, document, search_path, dates, notes_only=True)
        padding = [write_pdf(render_html(html, article, sandbox, warnings, search_path), "none")] * 3
    try:
        return impose_booklet(handout, padding)
    except ValueError as exc:
        raise BuildError(f"cannot make the booklet: {exc}", article.display_path) from None
