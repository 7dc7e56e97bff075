"""Orders the stages for one article and for many: load → convert → layout → write.

Everything for an article is gathered and checked before anything is written; each output is
written to a temporary file beside its final name and renamed into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .background import Children, run_stage_in_background, stage_result
from .cache import BuildCache, Entry, build_key, file_digest, stamp, warnings_from_json, warnings_to_json
from .config import Project, find_project_root, load_project
from .content import Article, display_path, is_pack, load_article
from .errors import BuildError, ConfigError, Diagnostic, Warnings
from .sandbox import Sandbox


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


STALE_TEMPORARY_SECONDS = 3600


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files a killed build left beside ``path`` (only old ones: a build running
    at the same time may be writing a fresh one)."""
    now = time.time()
    for leftover in path.parent.glob(f".{path.name}.*.part"):
        try:
            if now - leftover.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                leftover.unlink()
        except OSError:
            pass


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_folder_atomic(folder: Path, files: Mapping[str, bytes]) -> None:
    """Replace ``folder`` with exactly ``files``: built beside it, then swapped in by renames."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for path in [staging, *staging.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        retired = None
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.replace(folder, retired / "previous")
        os.replace(staging, folder)
        if retired:
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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
    overlap: bool = False,
) -> ArticleResult:
    """Build one article into ``out_dir``; content problems come back as diagnostics, not exceptions.

    With a cache, what the build read and wrote is recorded for :func:`build_article_if_cached`.
    ``overlap``: a core is free to write the PDF while the EPUB is made.
    """
    with collector_paused():
        return _build_article(source, project, out_dir, formats, overrides, cache, overlap)


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
    formats: Iterable[str],
    overrides: Mapping[str, Any],
    cache: BuildCache | None,
    overlap: bool = False,
) -> ArticleResult:
    result = ArticleResult(source)
    formats = tuple(formats)
    try:
        own_project = project_for(source, project, result.warnings)
        search_path = own_project.layout_search_path
        key = build_key(source, cache_settings(own_project, formats, overrides), search_path) if cache else ""
        sandbox = own_project.sandbox
        covers = cache.folder if cache else None
        if is_pack(source):
            article, outputs = render_pack(source, own_project, sandbox, formats, overrides, result, covers, overlap)
        else:
            article = load_article(source, own_project.root, own_project.defaults, overrides, result.warnings)
            outputs = render_outputs(
                article, own_project, sandbox, formats, result.warnings, result.timings, covers=covers, overlap=overlap
            )
        for suffix, data in outputs.items():
            if isinstance(data, dict):  # a folder of files: the web edition
                target = out_dir / article.meta.slug / "index.html"
                write_folder_atomic(target.parent, data)
            else:
                target = out_dir / f"{article.meta.slug}{'-' if '.' in suffix else '.'}{suffix}"
                write_atomic(target, data)
            result.outputs.append(target)
        if cache:
            reads = {path: None if "://" in path else file_digest(Path(path)) for path in recorded_reads(source, sandbox.reads, search_path)}
            writes = {str(p): stamp(p) for p in result.outputs}
            cache.store(source, out_dir, formats, Entry(key, reads, writes, warnings_to_json(result.warnings)))
    except ConfigError as exc:
        result.errors.extend(exc.diagnostics)
    except BuildError as exc:
        diagnostic = exc.diagnostic
        if diagnostic.path is None:
            diagnostic = Diagnostic("error", exc.message, display_path(source))
        result.errors.append(diagnostic)
    return result


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
    timings: dict[str, float],
    document: Any = None,
    pack_toc: list[dict[str, str]] | None = None,
    covers: Path | None = None,
    overlap: bool = False,
) -> dict[str, Any]:
    """All requested outputs of one article (or of a gathered reader pack: ``document`` given),
    in memory: nothing is written until all succeed. Generated covers are kept in ``covers``.
    With ``overlap`` (a spare core), the PDF is written in a background process, and in a process
    that has not loaded WeasyPrint yet, the Markdown is converted in another while it loads."""
    clock = Stopwatch(timings)
    search_path = project.layout_search_path
    when = build_time(article)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    dates = {"created": article.meta.date.isoformat() if article.meta.date else stamp, "modified": stamp}
    outputs: dict[str, Any] = {}
    with Children() as children:

        def in_background(function: Callable[..., Any], *args: Any) -> Any:
            return children.start(run_stage_in_background(sandbox, warnings, function, *args))

        printed = laid_out(formats)
        html = None
        if printed and overlap and document is None and "weasyprint" not in sys.modules:
            # A cold process with a spare core: a copy of it converts the Markdown, fills the
            # layouts and reads the hyphenation patterns while this one loads WeasyPrint (~0.5 s).
            preparing = in_background(prepared_handout, article, sandbox, search_path, dates, warnings)
            with clock("load"):
                from .accel import load_weasyprint

                load_weasyprint()
            (document, html, patterns), timings["convert"] = stage_result(preparing, sandbox, warnings)
            from .accel.hyphenation import adopt

            adopt(patterns)
        elif document is None:
            with clock("convert"):
                from .convert import convert

                document = convert(article, sandbox, warnings)
        drawing = None
        if html is not None and "epub" in formats and not article.meta.cover:
            from .cover import cover_apart, kept_cover

            if kept_cover(article, search_path, covers) is None:
                # A copy with WeasyPrint loaded draws the cover while this one lays out the handout.
                drawing = in_background(cover_apart, article, search_path, sandbox, warnings, covers)
        if printed:
            if html is None:  # else the child loaded the hyphenation patterns (adopted above)
                with clock("hyphenation"):
                    from .accel.hyphenation import patterns_for

                    patterns_for(article.meta.lang)  # into Pyphen's cache, from the parsed copy kept
            with clock("layout"):
                from .pdf import layout_handout, render_html

                # The EPUB's page-list needs the print layout too, so it is laid out once for both.
                if html is None:
                    handout = layout_handout(article, document, search_path, sandbox, dates, warnings, pack_toc)
                else:
                    handout = render_html(html, article, sandbox, warnings, search_path)
        printing = None
        if "pdf" in formats and "epub" in formats and overlap:
            # A spare core writes the PDF in a copy of this process while this one makes the EPUB.
            printing = in_background(handout_pdf, handout, article)
        elif "pdf" in formats:
            with clock("pdf"):
                outputs["pdf"] = handout_pdf(handout, article)
        if "epub" in formats:
            with clock("epub"):
                from .cover import make_cover
                from .epub import build_epub
                from .pagemap import page_starts

                if drawing is None:
                    cover = make_cover(article, search_path, sandbox, warnings, covers)
                else:
                    cover, timings["cover"] = stage_result(drawing, sandbox, warnings)
                starts = page_starts(handout.pages)
                outputs["epub"] = build_epub(article, document, cover, search_path, when, len(handout.pages), starts)
        if printing is not None:
            outputs["pdf"], timings["pdf"] = stage_result(printing, sandbox, warnings)  # the time the child took
    if article.meta.booklet and "pdf" in outputs:
        with clock("pdf"):
            from .pdf import booklet_pdf

            outputs["booklet.pdf"] = booklet_pdf(article, document, outputs["pdf"], search_path, sandbox, dates, warnings)
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
    """The laid-out handout as PDF bytes, with the article's bleed box (a pure function of both:
    it may run in a background process)."""
    from .content import stable_identifier
    from .pdf import set_bleed_box, write_pdf

    pdf = write_pdf(handout, article.meta.pdf_variant, stable_identifier(article))
    if article.meta.marks not in (None, "none"):
        pdf = set_bleed_box(pdf, article.meta.bleed)
    return pdf


def prepared_handout(
    article: Article, sandbox: Sandbox, search_path: tuple[Path, ...], dates: dict[str, str], warnings: Warnings
) -> tuple[Any, str, dict[Path, Any]]:
    """Everything before layout, none of which needs WeasyPrint: the article converted, the
    handout's HTML, and the hyphenation patterns of its language parsed."""
    from .convert import convert
    from .accel.hyphenation import patterns_for
    from .pdf import handout_source

    document = convert(article, sandbox, warnings)
    return document, handout_source(article, document, search_path, dates, warnings), patterns_for(article.meta.lang)


def render_pack(
    source: Path,
    project: Project,
    sandbox: Sandbox,
    formats: tuple[str, ...],
    overrides: Mapping[str, Any],
    result: ArticleResult,
    covers: Path | None = None,
    overlap: bool = False,
) -> tuple[Article, dict[str, Any]]:
    """A reader pack's outputs: its articles converted one by one, gathered into one book."""
    from .convert import convert
    from .packs import as_article, gather, load_pack

    pack = load_pack(source, project.defaults, dict(overrides), result.warnings)
    parts = []
    with Stopwatch(result.timings)("convert"):
        for index, path in enumerate(pack.articles, start=1):
            article = load_article(path, project.root, project.defaults, {}, result.warnings)
            article = replace(article, meta=replace(article.meta, paper=pack.meta.paper))
            sandbox.reads.append(str(path))
            parts.append((article, convert(article, sandbox, result.warnings, prefix=f"a{index}-")))
    document = gather(pack, parts, project.layout_search_path)
    toc = [{"id": f"a{i}-article", "title": a.meta.title, "authors": ", ".join(a.meta.authors)} for i, (a, _) in enumerate(parts, start=1)]
    book = as_article(pack, project.root)
    return book, render_outputs(book, project, sandbox, formats, result.warnings, result.timings, document, toc, covers, overlap)


class Stopwatch:
    """Adds the wall-clock time of each ``with clock("stage"):`` block to ``timings``."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def _warm_up(printed: bool = True) -> None:
    """Worker start-up: load the conversion code and, when PDFs or EPUBs are wanted, WeasyPrint
    and the layout code once per process, not per article."""
    from . import convert

    gc.enable()  # a worker lives for many articles, even when its parent runs without the collector
    convert.markdown_extensions()  # Python-Markdown and its extensions, imported
    if printed:
        from . import epub, pdf  # noqa: F401
        from .accel import load_weasyprint

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

    Articles the cache says are up to date are answered here without starting a worker.
    """
    pending: list[tuple[int, Path]] = []
    answered: dict[int, ArticleResult] = {}
    for index, source in enumerate(sources):
        if cache is not None:
            result = build_article_if_cached(source, project, out_dir, formats, overrides, cache)
            if result is not None:
                answered[index] = result
                continue
        pending.append((index, source))
    if jobs <= 1 or len(pending) <= 1:
        overlap = jobs > 1 and hasattr(os, "fork")  # one article to build and a core to spare
        for index, source in enumerate(sources):
            if index in answered:
                yield answered[index]
            else:
                yield build_article(source, project, out_dir, formats, overrides, cache, overlap)
        return
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=min(jobs, len(pending)), initializer=_warm_up, initargs=(laid_out(formats),))
    try:
        futures = {index: pool.submit(build_article, source, project, out_dir, formats, overrides, cache) for index, source in pending}
        for index in range(len(sources)):
            yield answered[index] if index in answered else futures[index].result()
    finally:
        # Stopped early (Ctrl-C, SIGTERM): articles not started are dropped, not built first.
        pool.shutdown(wait=True, cancel_futures=True)


def build_article_if_cached(
    source: Path, project: Project, out_dir: Path, formats: tuple[str, ...], overrides: Mapping[str, Any], cache: BuildCache
) -> ArticleResult | None:
    """The cached result for ``source`` when nothing it depends on changed, else None."""
    warnings: list[Diagnostic] = []
    try:
        own_project = project_for(source, project, warnings)
        key = build_key(source, cache_settings(own_project, formats, overrides), own_project.layout_search_path)
    except (ConfigError, OSError):
        return None
    entry = cache.lookup(source, out_dir, formats, key)
    if entry is None:
        return None
    return ArticleResult(source, [Path(p) for p in entry.writes], warnings_from_json(entry.warnings), cached=True)
