"""The render core: one article (or a gathered reader pack) in, its outputs out as bytes.

Nothing here writes to the output folder: :func:`render_article` returns ``{name: bytes}`` (a
folder of files for the web edition) and leaves warnings in the context, so the same call can run
in this process, a worker process, or a machine of a cluster. Every file it reads goes through the
context's sandbox.

Each output format is a :class:`Writer` in :data:`WRITERS`: what it is called, whether it needs
the handout laid out in pages, and the function that makes its bytes from an :class:`ArticleJob`.
The job makes each shared step once, when the first writer asks for it (the Markdown converted,
the handout laid out, the PDF written), each timed as a stage. Adding a format touches one entry.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from pressroom.model import Article, BuildError, warn
from pressroom.render.context import RenderContext, Stopwatch  # noqa: F401 (Stopwatch: re-exported)
from pressroom.store.files import Output


def build_time(article: Article) -> dt.datetime:
    """The time a build stamps on its outputs: ``SOURCE_DATE_EPOCH``, else the article's mtime."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            seconds = int(epoch)
        except ValueError:
            raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}") from None
    else:
        seconds = int(article.source.stat().st_mtime)
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def typeset(article: Article, context: RenderContext) -> Article:
    """The article with smart punctuation in every front-matter text the outputs show (title,
    subtitle, short title, summary, event) in its language; a language Pressroom does not know is
    set as English, and the build says so (once for the article)."""
    from pressroom.convert.language import known, languages, smarten

    meta = article.meta
    if not known(meta.lang):
        where = article.key_lines.get("lang")
        message = f"language '{meta.lang}' is not one Pressroom sets ({', '.join(languages())}): dates, quotation marks and printed words are in English"
        warn(context.warnings, message, article.display_path, where)

    def smart(text: str | None) -> str | None:
        return smarten(text, meta.lang) if text else text

    event = meta.event
    if event is not None:
        event = replace(event, name=smarten(event.name, meta.lang), place=smart(event.place))
    typeset_meta = replace(
        meta,
        title=smarten(meta.title, meta.lang),
        subtitle=smart(meta.subtitle),
        short_title=smart(meta.short_title),
        summary=smart(meta.summary),
        event=event,
    )
    return replace(article, meta=typeset_meta)


class ArticleJob:
    """One article being rendered: the steps its writers share, each made once, on first use."""

    def __init__(
        self,
        article: Article,
        context: RenderContext,
        formats: tuple[str, ...],
        document: Any = None,
        pack_toc: list[dict[str, str]] | None = None,
    ):
        self.article = article
        self.context = context
        self.formats = formats
        self.pack_toc = pack_toc
        if document is not None:
            self.__dict__["document"] = document  # a gathered reader pack: already converted
        self.when = build_time(article)
        stamp = self.when.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.dates = {"created": article.meta.date.isoformat() if article.meta.date else stamp, "modified": stamp}

    @cached_property
    def document(self) -> Any:
        """The article's Markdown converted (:class:`pressroom.convert.markdown.Document`)."""
        from pressroom.convert.markdown import convert

        with self.context.clock("convert"):
            return convert(self.article, self.context.sandbox, self.context.warnings)

    @cached_property
    def laid_out(self) -> Any:
        """The handout laid out in pages (:class:`pressroom.render.handout.LaidOut`): printed as
        the PDF, and the source of the EPUB's page-list, so it is laid out once for both. The
        layout passes it took are counted with the stage's time."""
        from pressroom.accel.hyphenation import patterns_for
        from pressroom.render.handout import layout_handout

        document = self.document
        with self.context.clock("hyphenation"):
            patterns_for(self.article.meta.lang)  # into Pyphen's cache, from the parsed copy kept
        context = self.context
        with context.clock("layout"):
            laid_out = layout_handout(
                self.article, document, context.search_path, context.sandbox, self.dates, context.warnings, self.pack_toc
            )
        context.clock.count("layout", laid_out.passes)
        return laid_out

    @property
    def handout(self) -> Any:
        """The laid-out handout's WeasyPrint document."""
        return self.laid_out.rendered

    @cached_property
    def pdf(self) -> bytes:
        """The laid-out handout as PDF bytes, with the article's bleed box."""
        from pressroom.load.articles import stable_identifier
        from pressroom.render.handout import set_bleed_box, write_pdf

        handout = self.handout
        with self.context.clock("pdf"):
            pdf = write_pdf(handout, self.article.meta.pdf_variant, stable_identifier(self.article))
            if self.article.meta.marks not in (None, "none"):
                pdf = set_bleed_box(pdf, self.article.meta.bleed)
            return pdf


@dataclass(frozen=True)
class Writer:
    """One output format: its name (``--format``), the file it becomes (:func:`output_name`),
    whether it needs the handout laid out in pages (WeasyPrint), and how its bytes are made
    (None: this article does not have one, e.g. no booklet asked for)."""

    name: str
    suffix: str
    laid_out: bool
    make: Callable[[ArticleJob], Output | None]
    requested_by: str = ""  # the format that brings it (default: its own name)


def _pdf(job: ArticleJob) -> bytes:
    return job.pdf


def _booklet(job: ArticleJob) -> bytes | None:
    if not job.article.meta.booklet:
        return None
    from pressroom.render.handout import booklet_pdf

    pdf, context = job.pdf, job.context
    with context.clock("booklet"):
        return booklet_pdf(
            job.article, job.document, pdf, context.search_path, context.sandbox, job.dates, context.warnings, job.laid_out.measure
        )


def _epub(job: ArticleJob) -> bytes:
    from pressroom.render.cover import make_cover
    from pressroom.render.epub import build_epub
    from pressroom.render.pagestarts import page_starts

    context, document, handout = job.context, job.document, job.handout
    with context.clock("cover"):
        cover = make_cover(job.article, context)
    with context.clock("epub"):
        starts = page_starts(handout.pages)
        return build_epub(job.article, document, cover, context.search_path, job.when, len(handout.pages), starts)


def _web(job: ArticleJob) -> dict[str, bytes]:
    from pressroom.convert.language import language
    from pressroom.render.web import web_files

    slug, document = job.article.meta.slug, job.document
    with job.context.clock("html"):
        downloads = [{"href": f"../{slug}.{f}", "label": f.upper()} for f in ("pdf", "epub") if f in job.formats]
        if "pdf" in job.formats and job.article.meta.booklet:
            words = language(job.article.meta.lang).words
            downloads.insert(1, {"href": f"../{slug}-booklet.pdf", "label": f"PDF ({words['booklet']})"})
        context = job.context
        code = context.renderer.code_digest() if context.covers else ""
        return web_files(job.article, document, context.search_path, downloads, context.covers, code)


#: Every output, in the order outputs are made, written and reported.
WRITERS: tuple[Writer, ...] = (
    Writer("pdf", ".pdf", True, _pdf),
    Writer("booklet", "-booklet.pdf", True, _booklet, requested_by="pdf"),
    Writer("epub", ".epub", True, _epub),  # its page-list follows the printed pages
    Writer("html", "/", False, _web),  # a folder: <slug>/index.html and what it links
)


def writers_for(formats: tuple[str, ...]) -> list[Writer]:
    return [w for w in WRITERS if (w.requested_by or w.name) in formats]


def laid_out(formats: tuple[str, ...]) -> bool:
    """Whether these formats need the handout laid out in pages (WeasyPrint): the PDF and the
    EPUB (its page-list) do, the web edition alone does not."""
    return any(writer.laid_out for writer in writers_for(formats))


def output_name(slug: str, writer_name: str) -> str:
    """The file (or folder) an output is written to, relative to the output folder."""
    suffix = next(w.suffix for w in WRITERS if w.name == writer_name)
    return slug if suffix == "/" else f"{slug}{suffix}"


def render_article(
    article: Article,
    context: RenderContext,
    formats: tuple[str, ...],
    document: Any = None,
    pack_toc: list[dict[str, str]] | None = None,
) -> dict[str, Output]:
    """All requested outputs of one article (or of a gathered reader pack: ``document`` given),
    by writer name, in memory: nothing is written, so all succeed before any is kept."""
    from pressroom.render.layouts import check_theme

    check_theme(article.meta, context.search_path, article.display_path, article.key_lines.get("theme"))
    job = ArticleJob(typeset(article, context), context, formats, document, pack_toc)
    outputs: dict[str, Output] = {}
    for writer in writers_for(formats):
        data = writer.make(job)
        if data is not None:
            outputs[writer.name] = data
    return outputs
