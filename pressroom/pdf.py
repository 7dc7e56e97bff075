"""The printed handout: layout HTML → WeasyPrint → PDF bytes.

WeasyPrint only logs a resource it could not load and writes the PDF anyway; here every such
record becomes a build error, and every fetch goes through :class:`SandboxFetcher`, which refuses
anything outside the project and the layouts (and the network, unless the project allows it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .content import Article
from .convert import Document, source_line
from .errors import BuildError, Warnings, warn
from .layouts import markup, render
from .glyphs import check_glyphs
from .metadata import PAPER_SIZES
from .sandbox import FetchLog, Sandbox, weasyprint_fetcher

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


def handout_html(article: Article, document: Document, search_path: tuple[Path, ...], dates: dict[str, str]) -> str:
    """The handout as one HTML document, through the shared layouts."""
    return render(
        search_path,
        "handout.html",
        meta=article.meta,
        body=markup(document.print_html),
        notes=[],
        page_size=PAPER_SIZES[article.meta.paper],
        created=dates["created"],
        modified=dates["modified"],
    )


def render_html(html: str, article: Article, sandbox: Sandbox, warnings: Warnings) -> weasyprint.Document:
    """Lay out HTML with the sandboxed fetcher; refusals and load failures are build errors."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    log = FetchLog()
    fetcher = weasyprint_fetcher(sandbox, log)
    base_url = article.source.parent.as_uri() + "/"
    with weasyprint_messages() as records:
        rendered = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=FontConfiguration()
        )
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


def write_pdf(rendered: weasyprint.Document) -> bytes:
    """Serialise a laid-out document; the /ID is a hash of the content, so bytes are reproducible."""
    return rendered.write_pdf(pdf_identifier=True)


def layout_handout(
    article: Article,
    document: Document,
    search_path: tuple[Path, ...],
    sandbox: Sandbox,
    dates: dict[str, str],
    warnings: Warnings,
) -> weasyprint.Document:
    """The handout laid out in pages (written to PDF, and read for the EPUB's page map)."""
    fonts = tuple(folder / "fonts" for folder in search_path)
    check_glyphs(document.text, fonts, article.display_path, lambda ch: source_line(article, ch), warnings)
    html = handout_html(article, document, search_path, dates)
    return render_html(html, article, sandbox, warnings)
