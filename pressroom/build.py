"""Builds a project: gathers its articles and settings, runs each through load → convert →
render (in this process or a pool of workers), then writes what came out.

Everything for an article is made before anything is written (the render core returns bytes);
:mod:`pressroom.store.files` then replaces the article's outputs all at once, and the cache
records what the build read and wrote. One guard per article turns any failure into that
article's diagnostics, so one article never stops the others.
"""

from __future__ import annotations

import gc
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressroom.load.articles import is_pack, load_article
from pressroom.load.settings import Project, find_project_root, load_project
from pressroom.model import (
    BuildError,
    ConfigError,
    Diagnostic,
    Warnings,
    display_path,
    internal_error,
    warn,
)
from pressroom.render.article import (
    RenderContext,
    Stopwatch,
    laid_out,
    output_name,
    render_article,
)
from pressroom.render.renderer import process_renderer
from pressroom.store.cache import (
    BuildCache,
    Entry,
    file_digest,
    stamp,
    warnings_from_json,
    warnings_to_json,
)
from pressroom.store.files import Output, WriteFailure, replace_outputs


@dataclass
class ArticleResult:
    """What building one article produced: files written, warnings, or the error that stopped it."""

    source: Path
    outputs: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    cached: bool = False  # nothing changed: the outputs are the ones already there
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    counts: dict[str, int] = field(default_factory=dict)  # stage -> passes (the layout's through WeasyPrint)
    removed: list[Path] = field(default_factory=list)  # its outputs under an earlier name (slug), removed

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class BuildRequest:
    """Everything one build (or each rebuild in watch mode) needs."""

    paths: list[Path]
    project: Project
    out_dir: Path
    formats: tuple[str, ...]
    overrides: dict[str, Any]
    jobs: int = 1
    cache: BuildCache | None = None
    verbosity: int = 1  # 0 quiet, 1 normal, 2 verbose
    cluster: str | None = None  # a Dask scheduler's address: render there (pressroom.cluster)
    #: Set by Ctrl-C (see cli.catch_interrupts): checked between articles, since the
    #: KeyboardInterrupt itself can land in a destructor, where Python only prints and drops it.
    interrupted: threading.Event = field(default_factory=threading.Event)


def project_for(source: Path, default: Project, warnings: Warnings, cache: BuildCache | None = None) -> Project:
    """The project an article belongs to: the one being built, or the nearest one around it
    (with a ``cache``, each folder of articles is resolved once per build, not each article)."""
    if cache is not None and not os.path.islink(source):
        folder = source.parent
        if cache.once(("in project", folder, default.root), lambda: folder == folder.resolve() and folder.is_relative_to(default.root)):
            return default  # the common case, without resolving the whole path again
    source = source.resolve()
    if source.is_relative_to(default.root):
        return default
    root = find_project_root(source.parent) or source.parent
    return load_project(root, warnings)


def search_path_of(project: Project, cache: BuildCache | None) -> tuple[Path, ...]:
    """``project.layout_search_path`` (a ``stat`` and a ``resolve`` per folder), taken once per
    build (until the cache is refreshed: a watcher, after a change) when there is a cache."""
    if cache is None:
        return project.layout_search_path
    return cache.once(("search path", project.root, project.layouts_dir), lambda: project.layout_search_path)


def cache_settings(project: Project, formats: tuple[str, ...], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that shape an article's outputs (part of its cache key)."""
    return {
        "defaults": project.defaults,
        "allow_remote": project.allow_remote,
        "formats": formats,
        "overrides": dict(overrides),
    }


def settings_of(project: Project, formats: tuple[str, ...], overrides: Mapping[str, Any], cache: BuildCache) -> str:
    """:func:`cache_settings` as canonical JSON (part of the cache key), made once per build for
    each project, formats and overrides, not for each article."""
    what = ("settings", project.root, formats, json.dumps(overrides, sort_keys=True, default=str))
    return cache.once(what, lambda: json.dumps(cache_settings(project, formats, overrides), sort_keys=True, default=str))


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
    clock = Stopwatch(result.timings, result.counts)
    with article_guard(result, clock):
        _build_article(source, project, out_dir, tuple(formats), overrides, cache, result, clock)
    return result


@contextmanager
def article_guard(result: ArticleResult, clock: Stopwatch, collect: bool = True) -> Iterator[None]:
    """Run one article's stages (collector paused) so that whatever they raise becomes the
    article's diagnostics in ``result``, and a failed article keeps no outputs. Only Ctrl-C and
    SIGTERM pass through. The same guard serves this process, ``-j`` workers and cluster workers;
    a cluster client, which only writes what came back, leaves the collector alone
    (``collect=False``)."""
    source = result.source
    try:
        with process_renderer().collector_paused() if collect else nullcontext():
            yield
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
    """Gather, render, then write: nothing reaches ``out_dir`` until every output is made."""
    with clock("load"):
        own_project = project_for(source, project, result.warnings)
        search_path = own_project.layout_search_path
        key = cache.key(source, settings_of(own_project, formats, overrides, cache), search_path) if cache else ""
    context = RenderContext(own_project, own_project.sandbox, result.warnings, clock, cache.folder if cache else None)
    slug, outputs = render_source(source, context, formats, overrides)
    keep_outputs(result, clock, out_dir, slug, outputs, formats)
    if cache:
        record(result, clock, cache, out_dir, formats, key, recorded_reads(source, context.sandbox.reads, search_path))


def render_source(
    source: Path, context: RenderContext, formats: tuple[str, ...], overrides: Mapping[str, Any]
) -> tuple[str, dict[str, Output]]:
    """Load and render one article or reader pack: its slug and its outputs, in memory."""
    if is_pack(source):
        from pressroom.render.pack import render_pack

        article, outputs = render_pack(source, context, formats, overrides)
    else:
        with context.clock("load"):
            project = context.project
            article = load_article(source, project.root, project.defaults, overrides, context.warnings)
        outputs = render_article(article, context, formats)
    return article.meta.slug, outputs


def keep_outputs(
    result: ArticleResult, clock: Stopwatch, out_dir: Path, slug: str, outputs: Mapping[str, Output], formats: tuple[str, ...]
) -> None:
    """Replace the article's outputs in ``out_dir``, all or none; a failure is a BuildError."""
    targets = {out_dir / output_name(slug, name): data for name, data in outputs.items()}
    with clock("write"):
        try:
            replace_outputs(targets)
        except WriteFailure as exc:
            raise BuildError(f"cannot write {display_path(exc.path)}: {exc.reason}", display_path(result.source)) from None
    result.outputs.extend(target / "index.html" if isinstance(data, Mapping) else target for target, data in targets.items())


def record(
    result: ArticleResult,
    clock: Stopwatch,
    cache: BuildCache,
    out_dir: Path,
    formats: tuple[str, ...],
    key: str,
    reads: Iterable[str],
    known: Mapping[str, str] | None = None,
) -> None:
    """Store the cache entry of an article whose outputs were just written (a failure to store
    it is a warning: the next build builds the article again). ``known``: the digests of files
    whose bytes the build used, by path (a cluster client hashed what it sent), not hashed again."""
    known = known or {}
    with clock("write"):
        read_digests = {path: None if "://" in path else known.get(path) or file_digest(Path(path)) for path in reads}
        writes = {str(p): stamp(p) for p in result.outputs}
        try:
            result.removed += cache.store(
                result.source, out_dir, formats, Entry(key, read_digests, writes, warnings_to_json(result.warnings))
            )
        except OSError as exc:
            warn(
                result.warnings,
                f"the build cache was not updated ({exc.strerror or exc}): the next build builds it again",
                display_path(result.source),
            )


def recorded_reads(source: Path, reads: Iterable[str], search_path: tuple[Path, ...]) -> list[str]:
    """The files a cache entry must check again: the source and what the build read, less the
    layouts and fonts (the cache key already covers every file below the layout folders, and
    hashing megabytes of fonts would slow every no-op build down)."""
    folders = [str(folder) + os.sep for folder in search_path]  # resolved already (layout_search_path)
    kept = [str(source)] + [path for path in reads if not any(path.startswith(folder) for folder in folders)]
    return list(dict.fromkeys(kept))


def _warm_up(printed: bool = True) -> None:
    """Worker start-up: load the conversion code and, when PDFs or EPUBs are wanted, WeasyPrint
    and the layout code once per process, not per article."""
    from pressroom.convert import markdown

    gc.enable()  # a worker lives for many articles, even when its parent runs without the collector
    markdown.load_parser()  # markdown-it-py and its plugins, imported and configured
    if printed:
        from pressroom.accel import load_weasyprint
        from pressroom.render import epub, handout  # noqa: F401

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
        own_project = project_for(source, project, warnings, cache)
        digest = file_digest(source)  # read once: for the key, and as the entry's first read
        key = cache.key(source, settings_of(own_project, formats, overrides, cache), search_path_of(own_project, cache), digest)
        entry = cache.lookup(source, out_dir, formats, key, {str(source): digest})
    except Exception:
        return None
    if entry is None:
        return None
    return ArticleResult(source, [Path(p) for p in entry.writes], warnings_from_json(entry.warnings), cached=True)


def separate_clashes(sources: list[Path], overrides: dict[str, Any]) -> tuple[list[Path], list[Diagnostic]]:
    """Sources whose outputs would take a name an earlier source already takes are not built:
    building them would overwrite that source's outputs."""
    from pressroom.load.articles import output_name as article_output_name

    owners: dict[str, Path] = {}
    kept, clashes = [], []
    for source in sources:
        name = article_output_name(source, overrides)
        if name in owners:
            message = f"its outputs would be named '{name}', like those of {display_path(owners[name])}: give one a different slug"
            clashes.append(Diagnostic("error", message, display_path(source)))
        else:
            owners[name] = source
            kept.append(source)
    return kept, clashes
