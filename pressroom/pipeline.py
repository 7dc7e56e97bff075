"""Orders the stages for one article and for many: load → convert → layout → write.

Everything for an article is gathered and checked before anything is written; each output is
written to a temporary file beside its final name and renamed into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cache import BuildCache, Entry, build_key, file_digest, stamp, warnings_from_json, warnings_to_json
from .config import Project, find_project_root, load_project
from .content import Article, display_path, is_pack, load_article
from .errors import BuildError, ConfigError, Diagnostic, Warnings, internal_error, warn
from .sandbox import Sandbox
from .writing import Output, WriteFailure, replace_outputs, write_atomic  # noqa: F401 (write_atomic: re-exported)


@dataclass
class ArticleResult:
    """What building one article produced: files written, warnings, or the error that stopped it."""

    source: Path
    outputs: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    cached: bool = False  # nothing changed: the outputs are the ones already there
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds

    @property
    def ok(self) -> bool:
        return not self.errors


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
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def project_for(source: Path, default: Project, warnings: Warnings) -> Project:
    """The project an article belongs to: the one being built, or the nearest one around it."""
    source = source.resolve()
    if source.is_relative_to(default.root):
        return default
    root = find_project_root(source.parent) or source.parent
    return load_project(root, warnings)


def cache_settings(project: Project, formats: tuple[str, ...], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that shape an article's outputs (part of its cache key)."""
    return {
        "defaults": project.defaults,
        "allow_remote": project.allow_remote,
        "formats": formats,
        "overrides": dict(overrides),
    }


def build_article(
    source: Path,
    project: Project,
    out_dir: Path,
    formats: Iterable[str],
    overrides: Mapping[str, Any],
    cache: BuildCache | None = None,
) -> ArticleResult:
    """Build one article into ``out_dir``. Nothing it does raises: problems with the input come
    back as diagnostics, and so does any unexpected exception in any stage (an internal error
    naming the stage), with the article's previous outputs untouched. Only Ctrl-C and SIGTERM
    (``KeyboardInterrupt``, ``SystemExit``) pass through."""
    result = ArticleResult(source)
    clock = Stopwatch(result.timings)
    try:
        with collector_paused():
            _build_article(source, project, out_dir, tuple(formats), overrides, cache, result, clock)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except ConfigError as exc:
        result.errors.extend(exc.diagnostics)
    except BuildError as exc:
        diagnostic = exc.diagnostic
        if diagnostic.path is None:
            diagnostic = Diagnostic("error", exc.message, display_path(source))
        result.errors.append(diagnostic)
    except BaseException as exc:  # a bug, an upgraded library, MemoryError, RecursionError, WeasyPrint's fatal fetch
        result.errors.append(internal_error(exc, clock.stage, display_path(source)))
    if result.errors:
        result.outputs.clear()  # nothing was replaced
    return result


_garbage_pending = False  # an article was built while the collector was off for good


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while one article builds.

    Laying out a long handout allocates millions of objects that live until the PDF is written
    (boxes, styles, glyph runs). Each time that population grows by a quarter, Python's collector
    walks all of it: about 11 full passes, 1.5-2 s of a 300 KB document's ~20 s. What a build
    leaves behind is freed by reference counting almost entirely; the collector, switched back
    on afterwards, takes the rest in a long-lived process (--watch, -j workers).
    """
    global _garbage_pending
    if not gc.isenabled():  # a one-off process (collector_off_until_exit): the collector stays off
        if _garbage_pending:
            gc.collect()  # what the previous article left, so memory does not grow with each article
        _garbage_pending = True
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def collector_off_until_exit() -> Iterator[None]:
    """For a process that exits once this build is done (``python build.py`` without --watch).

    The collector stays off for the whole build instead of coming back after each article (its
    first pass would walk every object the build left in the young generation, ~0.7 s after a
    300 KB document), and what is still tracked at the end is frozen, so that the interpreter's
    collection at exit does not walk it either: the process ends and the memory goes with it.
    Between two articles built here, :func:`collector_paused` collects what the first one left.
    Worker processes turn the collector back on (:func:`_warm_up`): they build many articles.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()


def _build_article(
    source: Path,
    project: Project,
    out_dir: Path,
    formats: tuple[str, ...],
    overrides: Mapping[str, Any],
    cache: BuildCache | None,
    result: ArticleResult,
    clock: Stopwatch,
) -> None:
    with clock("load"):
        own_project = project_for(source, project, result.warnings)
        search_path = own_project.layout_search_path
        key = build_key(source, cache_settings(own_project, formats, overrides), search_path) if cache else ""
        sandbox = own_project.sandbox
        covers = cache.folder if cache else None
    if is_pack(source):
        article, outputs = render_pack(source, own_project, sandbox, formats, overrides, result, clock, covers)
    else:
        with clock("load"):
            article = load_article(source, own_project.root, own_project.defaults, overrides, result.warnings)
        outputs = render_outputs(article, own_project, sandbox, formats, result.warnings, clock, covers=covers)
    targets = {output_path(out_dir, article.meta.slug, suffix): data for suffix, data in outputs.items()}
    with clock("write"):
        try:
            replace_outputs(targets)
        except WriteFailure as exc:
            raise BuildError(f"cannot write {display_path(exc.path)}: {exc.reason}", display_path(source)) from None
    result.outputs.extend(targets)
    if cache:
        with clock("write"):
            reads = {path: None if "://" in path else file_digest(Path(path)) for path in recorded_reads(source, sandbox.reads, search_path)}
            writes = {str(p): stamp(p) for p in result.outputs}
            try:
                cache.store(source, out_dir, formats, Entry(key, reads, writes, warnings_to_json(result.warnings)))
            except OSError as exc:
                warn(result.warnings, f"the build cache was not updated ({exc.strerror or exc}): the next build builds it again", display_path(source))


def output_path(out_dir: Path, slug: str, suffix: str) -> Path:
    """Where an output goes: ``<slug>.pdf``, ``<slug>-booklet.pdf``, the web edition's folder."""
    if suffix == "html":
        return out_dir / slug
    return out_dir / f"{slug}{'-' if '.' in suffix else '.'}{suffix}"


def recorded_reads(source: Path, reads: Iterable[str], search_path: tuple[Path, ...]) -> list[str]:
    """The files a cache entry must check again: the source and what the build read, less the
    layouts and fonts (the cache key already covers every file below the layout folders, and
    hashing megabytes of fonts would slow every no-op build down)."""
    folders = [str(folder.resolve()) + os.sep for folder in search_path]
    kept = [str(source)] + [path for path in reads if not any(path.startswith(folder) for folder in folders)]
    return list(dict.fromkeys(kept))


def render_outputs(
    article: Article,
    project: Project,
    sandbox: Sandbox,
    formats: tuple[str, ...],
    warnings: Warnings,
    clock: Stopwatch,
    document: Any = None,
    pack_toc: list[dict[str, str]] | None = None,
    covers: Path | None = None,
) -> dict[str, Output]:
    """All requested outputs of one article (or of a gathered reader pack: ``document`` given),
    in memory: nothing is written until all succeed. Generated covers are kept in ``covers``."""
    search_path = project.layout_search_path
    when = build_time(article)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    dates = {"created": article.meta.date.isoformat() if article.meta.date else stamp, "modified": stamp}
    outputs: dict[str, Output] = {}
    if document is None:
        with clock("convert"):
            from .convert import convert

            document = convert(article, sandbox, warnings)
    if laid_out(formats):
        with clock("hyphenation"):
            from .hyphenation import patterns_for

            patterns_for(article.meta.lang)  # into Pyphen's cache, from the parsed copy kept
        with clock("layout"):
            from .pdf import layout_handout

            # The EPUB's page-list needs the print layout too, so it is laid out once for both.
            handout = layout_handout(article, document, search_path, sandbox, dates, warnings, pack_toc)
    if "pdf" in formats:
        with clock("pdf"):
            outputs["pdf"] = handout_pdf(handout, article)
        if article.meta.booklet:
            with clock("booklet"):
                from .pdf import booklet_pdf

                outputs["booklet.pdf"] = booklet_pdf(article, document, outputs["pdf"], search_path, sandbox, dates, warnings)
    if "epub" in formats:
        with clock("cover"):
            from .cover import make_cover

            cover = make_cover(article, search_path, sandbox, warnings, covers)
        with clock("epub"):
            from .epub import build_epub
            from .pagemap import page_starts

            starts = page_starts(handout.pages)
            outputs["epub"] = build_epub(article, document, cover, search_path, when, len(handout.pages), starts)
    if "html" in formats:
        with clock("html"):
            from .web import web_files

            downloads = [{"href": f"../{article.meta.slug}.{f}", "label": f.upper()} for f in ("pdf", "epub") if f in formats]
            outputs["html"] = web_files(article, document, search_path, downloads)
    return {suffix: outputs[suffix] for suffix in OUTPUT_ORDER if suffix in outputs}


def laid_out(formats: Iterable[str]) -> bool:
    """Whether these outputs need the handout laid out in pages (WeasyPrint): the PDF and the
    EPUB (its page-list) do, the web edition alone does not."""
    return "pdf" in formats or "epub" in formats


OUTPUT_ORDER = ("pdf", "booklet.pdf", "epub", "html")  # the order outputs are written and reported in


def handout_pdf(handout: Any, article: Article) -> bytes:
    """The laid-out handout as PDF bytes, with the article's bleed box."""
    from .content import stable_identifier
    from .pdf import set_bleed_box, write_pdf

    pdf = write_pdf(handout, article.meta.pdf_variant, stable_identifier(article))
    if article.meta.marks not in (None, "none"):
        pdf = set_bleed_box(pdf, article.meta.bleed)
    return pdf


def render_pack(
    source: Path,
    project: Project,
    sandbox: Sandbox,
    formats: tuple[str, ...],
    overrides: Mapping[str, Any],
    result: ArticleResult,
    clock: Stopwatch,
    covers: Path | None = None,
) -> tuple[Article, dict[str, Output]]:
    """A reader pack's outputs: its articles converted one by one, gathered into one book."""
    from .convert import convert
    from .packs import as_article, gather, load_pack

    with clock("load"):
        pack = load_pack(source, project.defaults, dict(overrides), result.warnings)
    parts = []
    for index, path in enumerate(pack.articles, start=1):
        with clock("load"):
            article = load_article(path, project.root, project.defaults, {}, result.warnings)
            article = replace(article, meta=replace(article.meta, paper=pack.meta.paper))
            sandbox.reads.append(str(path))
        with clock("convert"):
            parts.append((article, convert(article, sandbox, result.warnings, prefix=f"a{index}-")))
    with clock("pack"):
        document = gather(pack, parts, project.layout_search_path)
        toc = [{"id": f"a{i}-article", "title": a.meta.title, "authors": ", ".join(a.meta.authors)} for i, (a, _) in enumerate(parts, start=1)]
        book = as_article(pack, project.root)
    return book, render_outputs(book, project, sandbox, formats, result.warnings, clock, document, toc, covers)


class Stopwatch:
    """Adds the wall-clock time of each ``with clock("stage"):`` block to ``timings``, and knows
    which stage is running (what an internal error names)."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.stage: str | None = None

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        outer, self.stage = self.stage, stage
        yield
        # Not in a ``finally``: after an exception, ``stage`` still names the stage that raised.
        self.stage = outer
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def _warm_up(printed: bool = True) -> None:
    """Worker start-up: load the conversion code and, when PDFs or EPUBs are wanted, WeasyPrint
    and the layout code once per process, not per article."""
    from . import convert

    gc.enable()  # a worker lives for many articles, even when its parent runs without the collector
    convert.markdown_extensions()  # Python-Markdown and its extensions, imported
    if printed:
        from . import epub, pdf  # noqa: F401
        from .libraries import load_weasyprint

        load_weasyprint()


def build_many(
    sources: Sequence[Path],
    project: Project,
    out_dir: Path,
    formats: tuple[str, ...],
    overrides: Mapping[str, Any],
    jobs: int = 1,
    cache: BuildCache | None = None,
) -> Iterator[ArticleResult]:
    """Build articles, in worker processes when ``jobs`` > 1; results come back in ``sources`` order.

    Articles the cache says are up to date are answered here without starting a worker. A worker
    that dies (killed, out of memory, a crash in native code) costs only the article it was
    building: the others are built again in a fresh worker, one at a time, until the culprit is
    found.
    """
    pending: list[tuple[int, Path]] = []
    answered: dict[int, ArticleResult] = {}
    for index, source in enumerate(sources):
        result = build_article_if_cached(source, project, out_dir, formats, overrides, cache) if cache else None
        if result is not None:
            answered[index] = result
        else:
            pending.append((index, source))
    if jobs <= 1 or len(pending) <= 1:
        for index, source in enumerate(sources):
            yield answered[index] if index in answered else build_article(source, project, out_dir, formats, overrides, cache)
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    def new_pool(workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, initializer=_warm_up, initargs=(laid_out(formats),))

    pool = new_pool(min(jobs, len(pending)))
    try:
        futures = {index: pool.submit(build_article, source, project, out_dir, formats, overrides, cache) for index, source in pending}
        for index, source in enumerate(sources):
            if index in answered:
                yield answered[index]
                continue
            try:
                yield futures[index].result()
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                pool = new_pool(1)  # from here on one article at a time, so a death names its article
                try:
                    yield pool.submit(build_article, source, project, out_dir, formats, overrides, cache).result()
                except BrokenProcessPool:
                    pool.shutdown(wait=True)
                    pool = new_pool(1)
                    message = "internal error: the worker process building it stopped unexpectedly (killed, or a crash in native code)"
                    yield ArticleResult(source, errors=[Diagnostic("error", message, display_path(source))])
                futures = {i: pool.submit(build_article, s, project, out_dir, formats, overrides, cache) for i, s in pending if i > index}
    finally:
        # Stopped early (Ctrl-C, SIGTERM): articles not started are dropped, not built first.
        pool.shutdown(wait=True, cancel_futures=True)


def build_article_if_cached(
    source: Path, project: Project, out_dir: Path, formats: tuple[str, ...], overrides: Mapping[str, Any], cache: BuildCache
) -> ArticleResult | None:
    """The cached result for ``source`` when nothing it depends on changed, else None (also when
    the cache cannot tell: the article is then built, which reports what is wrong)."""
    warnings: list[Diagnostic] = []
    try:
        own_project = project_for(source, project, warnings)
        key = build_key(source, cache_settings(own_project, formats, overrides), own_project.layout_search_path)
        entry = cache.lookup(source, out_dir, formats, key)
    except Exception:
        return None
    if entry is None:
        return None
    return ArticleResult(source, [Path(p) for p in entry.writes], warnings_from_json(entry.warnings), cached=True)
