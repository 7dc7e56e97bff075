"""The printed handout: layout HTML → WeasyPrint → PDF bytes.

WeasyPrint only logs a resource it could not load and writes the PDF anyway; here every such
record becomes a build error, and every fetch goes through :class:`SandboxFetcher`, which refuses
anything outside the project and the layouts (and the network, unless the project allows it).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pressroom.accel import load_weasyprint
from pressroom.accel.deflate import deflate_level
from pressroom.accel.document_id import written_with_stable_id
from pressroom.accel.lxml_parse import weasyprint_html
from pressroom.accel.notes_stay import notes_stay_with_calls
from pressroom.accel.pdf_serialise import fast_pdf_serialisation
from pressroom.accel.stylesheets import reuse_layout_stylesheets
from pressroom.convert.markdown import Document, source_line
from pressroom.load.metadata import ALIASES, FIELDS, Metadata, content_box_mm, css_sides, page_size, to_mm
from pressroom.load.sandbox import Sandbox
from pressroom.model import Article, BuildError, Warnings, warn
from pressroom.render.fetcher import FetchLog, weasyprint_fetcher
from pressroom.render.fit import (
    LARGE_PRINT,
    SMALLEST_BODY_PT,
    STEPS,
    TIGHTEST_MARGIN_MM,
    WIDEST_MEASURE,
    Trial,
    body_leading,
    fit_to_pages,
    lerp,
    short_last_page,
    tighter_leading,
    tighter_margin,
    tighter_space,
)
from pressroom.render.footnotes import keep_notes_with_calls
from pressroom.render.glyphs import (
    check_glyphs,
    chosen_coverage,
    chosen_families,
    common_coverage,
    generated_characters,
    layout_text,
)
from pressroom.render.renderer import process_renderer
from pressroom.render.svg_fonts import print_svg

TOC_DEPTH = 3  # the handout's contents (toc: true) list the top three levels of headings
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


PT_PER_MM = 72 / 25.4
BODY_PT = 10.5  # handout.css: the body size on paper wide enough for it
#: SMALLEST_BODY_PT (fit.py, 9.5): the body size a small page (A5) may go down to, to keep a full measure
CHAR_EM = 0.49  # the mean width of a character of body text (spaces included) in Noto Serif, in em
COLUMN_GAP_MM = 7.0  # handout.css: .columns-2 .body column-gap
#: characters per line: what a reader reads comfortably, and what the text block is set to
MEASURE = {1: (60, 75, 66), 2: (38, 55, 46)}


@dataclass(frozen=True)
class Measure:
    """The text block of the handout: body size, page margins and columns, chosen so that a line of
    body text holds 60–75 characters in one column and 38–55 in two; and, when the handout is
    set tighter to fit its pages (``fit_pages``), the leading (None: the layouts') and the share
    of the designed space kept between blocks."""

    body_pt: float
    margins: str
    columns: int
    warning: str | None = None
    leading: float | None = None
    space: float = 1.0

    @property
    def class_name(self) -> str:
        return f"columns-{self.columns}"


def characters_per_line(width_mm: float, body_pt: float, columns: int) -> float:
    """How many characters of body text a line holds, on average."""
    line_mm = (width_mm - COLUMN_GAP_MM * (columns - 1)) / columns
    return line_mm * PT_PER_MM / (CHAR_EM * body_pt)


def sets_body_size(meta: Metadata) -> bool:
    """Whether the handout's body size is the measure's (classic and modern without
    ``font_size``), not one the article or the theme sets."""
    return meta.font_size is None and meta.theme in ("classic", "modern")


def text_measure(meta: Metadata, tightness: float = 0.0, leading: float | None = None) -> Measure:
    """Fit the body text to a readable measure.

    A page too narrow for the measure at the body size sets the text smaller (down to 9.5 pt); a
    page too wide gets a narrower text block, centred between the article's margins (the margins
    only ever grow, so nothing prints outside them). Two columns that would hold fewer than 38
    characters even at the smallest size become one, with a warning.

    ``tightness`` (0–1) sets it tighter, to fit the handout's pages (see :mod:`.fit`): margins
    towards 15 mm, the body size towards 9.5 pt (where the measure sets it), the measure towards
    70 characters (50 in two columns), the layouts' ``leading`` and the space between blocks
    down.
    """
    width, _ = content_box_mm(meta.paper, meta.margins)
    columns, warning = meta.columns, None
    low, high, target = MEASURE[columns]
    if columns == 2 and characters_per_line(width, SMALLEST_BODY_PT, 2) < low:  # decided as designed: fitting keeps it
        fits = characters_per_line(width, SMALLEST_BODY_PT, 2)
        warning = (
            f"two columns on this paper would hold only {fits:.0f} characters a line (a readable column holds {low} to {high}):"
            " the handout is set in one column"
        )
        columns = 1
        low, high, target = MEASURE[1]
    top, right, bottom, left = css_sides([to_mm(v) for v in meta.margins.split()])
    if tightness:
        top, right, bottom, left = (tighter_margin(side, tightness) for side in (top, right, bottom, left))
        width = content_box_mm(meta.paper, "0")[0] - left - right
    aim = lerp(target, WIDEST_MEASURE[columns], tightness)  # the characters a line is set to
    body = BODY_PT
    if characters_per_line(width, body, columns) < low:
        line_mm = (width - COLUMN_GAP_MM * (columns - 1)) / columns
        body = min(BODY_PT, max(SMALLEST_BODY_PT, int(line_mm * PT_PER_MM / (CHAR_EM * aim) * 4) / 4))
    if tightness and sets_body_size(meta):
        body = round(lerp(body, SMALLEST_BODY_PT, tightness), 4)
    if characters_per_line(width, body, columns) > high:
        wanted = aim * CHAR_EM * body / PT_PER_MM * columns + COLUMN_GAP_MM * (columns - 1)
        extra = (width - wanted) / 2
        right, left = right + extra, left + extra
    margins = " ".join(f"{value:.2f}mm" for value in (top, right, bottom, left))
    if not tightness:
        return Measure(body, margins, columns, warning)
    return Measure(body, margins, columns, warning, tighter_leading(leading, tightness, meta.theme), tighter_space(tightness))


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
    measure: Measure | None = None,
) -> str:
    """The handout as one HTML document, through the shared layouts (or just one ruled notes page),
    set to ``measure`` (default: the article's, see :func:`text_measure`)."""
    from pressroom.render.layouts import (  # Jinja: loaded only by a process that fills layouts
        markup,
        render,
    )

    meta = article.meta
    return render(
        search_path,
        "handout.html",
        meta=meta,
        measure=measure or text_measure(meta),
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
        headings=contents(document) if meta.toc and not pack_toc else [],
    )


def contents(document: Document) -> list[dict[str, Any]]:
    """The headings the handout's contents list (``toc: true``): the top three levels used,
    each with its depth (1 for the top one) and the id its page number is taken from."""
    levels = sorted({h.level for h in document.headings})[:TOC_DEPTH]
    return [{"id": h.id, "text": h.text, "depth": levels.index(h.level) + 1} for h in document.headings if h.level in levels]


def font_config(search_path: tuple[Path, ...]) -> Any:
    """The process's WeasyPrint font configuration for these layouts (see
    :meth:`pressroom.render.renderer.Renderer.font_config`)."""
    return process_renderer().font_config(search_path)


@dataclass
class Passes:
    """How many times WeasyPrint laid a document out (each fitting trial, each footnote re-layout)."""

    count: int = 0


def render_html(
    html: str, article: Article, sandbox: Sandbox, warnings: Warnings, search_path: tuple[Path, ...], passes: Passes | None = None
) -> weasyprint.Document:
    """Lay out HTML with the sandboxed fetcher; refusals and load failures are build errors.
    Each layout pass is counted in ``passes``."""
    weasyprint = load_weasyprint()
    reuse_layout_stylesheets(weasyprint)

    log = FetchLog()
    fetcher = weasyprint_fetcher(sandbox, log, lambda data: print_svg(data, search_path))
    base_url = article.source.parent.as_uri() + "/"
    with weasyprint_messages() as records, notes_stay_with_calls():

        def render(source: str) -> Any:
            records.clear()  # the messages of the layout kept, not of one discarded
            if passes is not None:
                passes.count += 1
            return weasyprint_html(source, base_url, fetcher).render(font_config=font_config(search_path))

        notes = keep_notes_with_calls(html, render(html), render)
    rendered = notes.rendered
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
    for ident in notes.lost:
        label = ident.rsplit("fn-", 1)[-1]
        raise BuildError(f"footnote [^{label}] was left out of the PDF by the layout engine", where, source_line(article, f"[^{label}]:"))
    for ident in notes.too_tall:
        label = ident.rsplit("fn-", 1)[-1]
        warn(
            warnings,
            f"footnote [^{label}] is taller than what a page holds below its calling line: it prints on a later page",
            where,
            source_line(article, f"[^{label}]:"),
        )
    return rendered


def write_pdf(rendered: weasyprint.Document, variant: str = "none", document_id: str = "pressroom") -> bytes:
    """Serialise a laid-out document in a PDF variant ("none": untagged PDF).

    The /ID is a hash of the content and the XMP DocumentID derives from ``document_id``, so the
    bytes are reproducible.
    """
    options = {} if variant == "none" else {"pdf_variant": variant}

    def write() -> bytes:
        with fast_pdf_serialisation(), deflate_level():
            return rendered.write_pdf(pdf_identifier=True, **options)

    return written_with_stable_id(write, document_id)


@dataclass
class LaidOut:
    """The handout laid out in pages, the measure it is set to, and what laying it out cost."""

    rendered: weasyprint.Document
    measure: Measure
    passes: int
    trials: int = 1  # the tightness steps tried to fit its pages (fit_pages)


def layout_handout(
    article: Article,
    document: Document,
    search_path: tuple[Path, ...],
    sandbox: Sandbox,
    dates: dict[str, str],
    warnings: Warnings,
    pack_toc: list[dict[str, str]] | None = None,
) -> LaidOut:
    """The handout laid out in pages (written to PDF, and read for the EPUB's page map): fitted
    to ``fit_pages`` when the article asks (see :mod:`pressroom.render.fit`); else a last page
    holding only a few lines is a warning that suggests it. A reader pack is not fitted."""
    html = handout_source(article, document, search_path, dates, warnings, pack_toc)
    meta, where, passes = article.meta, article.display_path, Passes()
    if pack_toc is not None or meta.fit_pages is None:
        rendered = render_html(html, article, sandbox, warnings, search_path, passes)
        short = short_last_page(rendered, meta.notes_pages) if pack_toc is None else None
        if short:
            lines, pages = short
            total = pages + meta.notes_pages
            warn(
                warnings,
                f"the last page of text holds only {counted(lines, 'line')}: 'fit_pages: {total - 1}' in the front matter would set"
                f" the handout a little tighter, on {counted(total - 1, 'page')}",
                where,
            )
        return LaidOut(rendered, text_measure(meta), passes.count)
    line = article.key_lines.get("fit_pages")  # leaves a page for the text: checked on loading
    leading: float | None = None  # the layouts' own, read from the handout as designed

    def layout(step: int) -> Trial:
        nonlocal leading
        own: Warnings = []  # a trial's renderer warnings: only the kept layout's are reported
        source = (
            html if step == 0 else handout_html(article, document, search_path, dates, measure=text_measure(meta, step / STEPS, leading))
        )
        rendered = render_html(source, article, sandbox, own, search_path, passes)
        if step == 0:
            leading = body_leading(rendered)
        return Trial(step, rendered, own)

    fit = fit_to_pages(layout, meta.fit_pages)
    warnings.extend(fit.chosen.warnings)
    if not fit.reached:
        over = fit.lines_over(meta.notes_pages)
        pages = fit.chosen.pages
        how = "as designed (tightening saves no page)" if fit.chosen.step == 0 else "no tighter than that takes"
        warn(
            warnings,
            f"'fit_pages: {meta.fit_pages}' is out of reach: even set as tight as a handout may be ({fit_bounds(meta)}) it runs"
            f" {counted(over, 'line')} over {counted(meta.fit_pages, 'page')}; it is set on {pages} pages, {how}",
            where,
            line,
        )
    step = fit.chosen.step
    return LaidOut(fit.chosen.rendered, text_measure(meta, step / STEPS, leading), passes.count, fit.trials)


def fit_bounds(meta: Metadata) -> str:
    """The bounds fitting keeps to, in words, for this article."""
    margins = f"margins down to {TIGHTEST_MARGIN_MM:g} mm"
    if meta.theme == LARGE_PRINT:
        return f"large print keeps its text size, leading and paragraph spacing; headings closer, {margins}"
    size = f"body text down to {SMALLEST_BODY_PT:g} pt" if sets_body_size(meta) else "body text at its set size"
    return f"{size}, leading and spacing closer, {margins}"


def counted(number: int, noun: str) -> str:
    """``1 line``, ``3 lines``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


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
    html = handout_html(article, document, search_path, dates, pack_toc=pack_toc)
    measure = text_measure(article.meta)
    if measure.warning:
        warn(warnings, measure.warning, article.display_path)
    common = common_coverage(fonts)

    @cache
    def chosen() -> frozenset[int]:  # what the installed faces the layouts name draw: read when needed
        return chosen_coverage(chosen_families(html, lambda href: layout_stylesheet(href, search_path)))

    generated = generated_characters(
        html, lambda href: layout_stylesheet(href, search_path), lambda ch: ord(ch) in common or ord(ch) in chosen()
    )
    code = "".join(
        element.text_content()
        for element in document.tree.xpath(
            ".//*[self::code or self::pre or self::kbd or self::samp][not(ancestor::code or ancestor::pre or ancestor::kbd or ancestor::samp)]"
        )
    )
    check_glyphs(
        document.text + layout_text(html),
        fonts,
        article.display_path,
        lambda text: written_line(article, text),
        warnings,
        generated,
        code,
        chosen=chosen,
        allow_missing=article.meta.allow_missing_glyphs,
    )
    return html


def written_line(article: Article, text: str) -> int | None:
    """The first line of the article where ``text`` is written: in the body, else the line of the
    front-matter key whose value holds it (a title, an author's name)."""
    line = source_line(article, text)
    if line is not None:
        return line
    for key, key_line in sorted(article.key_lines.items(), key=lambda item: item[1]):
        field = FIELDS.get(ALIASES.get(key, key))
        if field is not None and text in str(getattr(article.meta, field[0], "")):
            return key_line
    return None


def layout_stylesheet(href: str, search_path: tuple[Path, ...]) -> str | None:
    """The text of a stylesheet the handout links, when it is a file of the layouts."""
    from urllib.request import url2pathname

    parts = urlsplit(href)
    if parts.scheme != "file":
        return None
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_file() or not any(path.is_relative_to(folder.resolve()) for folder in search_path):
        return None
    return path.read_text(encoding="utf-8", errors="replace")


def booklet_pdf(
    article: Article,
    document: Document,
    handout: bytes,
    search_path: tuple[Path, ...],
    sandbox: Sandbox,
    dates: dict[str, str],
    warnings: Warnings,
    measure: Measure | None = None,
) -> bytes:
    """The handout imposed as a saddle-stitch booklet, padded with ruled notes pages when the
    article asks for notes pages (set to the handout's ``measure``), else with blank pages, on
    the sheet the article asks for, with its bleed and printer's marks."""
    from pressroom.render.booklet import impose_booklet

    padding: list[bytes] = []
    if article.meta.notes_pages:
        html = handout_html(article, document, search_path, dates, notes_only=True, measure=measure)
        padding = [write_pdf(render_html(html, article, sandbox, warnings, search_path), "none")] * 3
    try:
        meta = article.meta
        bleed = to_mm(meta.bleed or "0") * 72 / 25.4
        return impose_booklet(handout, padding, bleed=bleed, marks=meta.marks or "none", sheet=meta.booklet_sheet)
    except ValueError as exc:
        raise BuildError(f"cannot make the booklet: {exc}", article.display_path) from None
