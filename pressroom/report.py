"""Running a build and showing it: one line per output written, every problem as
``path:line: level: message``, a progress bar on a terminal, and the exit status."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from pressroom.build import ArticleResult, BuildRequest, build_many, separate_clashes
from pressroom.cluster import ClusterError
from pressroom.load.articles import find_articles, is_pack
from pressroom.model import Diagnostic, display_path, internal_error

PROGRAM = "pressroom"

Observer = Callable[[ArticleResult], None]


def report(diagnostic: Diagnostic, verbosity: int = 1) -> None:
    """Print a problem (and, with -v, an internal error's traceback) on stderr."""
    print(diagnostic.format(), file=sys.stderr)
    if diagnostic.detail and verbosity > 1:
        print(diagnostic.detail, file=sys.stderr)


def usage_error(message: str) -> int:
    """A mistake on the command line: one line, exit status 2."""
    print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    return 2


def guarded_build(request: BuildRequest, observe: Observer | None = None, rebuild: bool = False) -> int:
    """:func:`run_build`, with anything unexpected outside the articles' own guards (finding the
    articles, printing) reported as one internal error line (its traceback with -v), exit 1."""
    try:
        return run_build(request, observe, rebuild)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        report(internal_error(exc, None, PROGRAM), request.verbosity)
        return 1


def run_build(request: BuildRequest, observe: Observer | None = None, rebuild: bool = False) -> int:
    """Build what ``request`` names; print one line per output, then every problem. Exit status.

    ``observe`` sees each article's result as it comes. ``rebuild`` (a watcher's build after a
    change): print only what changed — no line for what the cache answered, no progress bar."""
    sources = find_articles(request.paths)
    if not sources:
        where = " ".join(display_path(p) for p in request.paths)
        return usage_error(f"nothing to build: no Markdown files (.md) or reader packs (.pack.yaml) in {where}")
    failed: list[Path] = []
    built = False
    progress = Progress(len(sources), 0 if rebuild else request.verbosity)
    every = list(sources)
    sources, clashes = separate_clashes(sources, request.overrides)
    for diagnostic in clashes:
        print(diagnostic.format(), file=sys.stderr)
        failed.append(Path(diagnostic.path or ""))
    printed: set[str] = set()  # a pack repeats its articles' problems: each is printed once
    cluster = None
    if request.cluster:
        from pressroom.cluster.client import build_on_cluster

        cluster, results = build_on_cluster(
            request.cluster, sources, request.project, request.out_dir, request.formats, request.overrides, request.cache
        )
    else:
        results = build_many(sources, request.project, request.out_dir, request.formats, request.overrides, request.jobs, request.cache)
    with progress:
        try:
            for result in results:
                if request.interrupted.is_set():
                    raise KeyboardInterrupt  # a Ctrl-C that Python dropped on the way
                if observe is not None:
                    observe(result)
                built = built or not result.cached
                if rebuild and result.cached:
                    continue  # a watcher's rebuild: this article's lines were printed when it was built
                if show(result, progress, request.verbosity, printed):
                    failed.append(result.source)
        except ClusterError as exc:
            progress.__exit__()
            return usage_error(exc.message) if exc.status == 2 else cluster_lost(exc.message)
        finally:
            # Ctrl-C between two articles leaves the results suspended: closing them now stops
            # the build's workers and writers (an article being written is finished, all or
            # none) before the process ends itself, instead of when they are collected.
            close = getattr(results, "close", None)
            if close is not None:
                close()
    for diagnostic in cluster.problems if cluster else []:  # workers that refused the work
        print(diagnostic.format(), file=sys.stderr)
    if request.cache is not None:
        for removed in request.cache.remove_orphans(request.out_dir, [(source, request.formats) for source in sources]):
            if request.verbosity:
                print(removed_line(removed))
    if request.verbosity > 1 and built:
        from pressroom.accel import skipped

        for note in skipped():  # the patches of other libraries' internals this build went without
            print(note)
    if failed:
        print(failure_summary(failed, every), file=sys.stderr)
    return 1 if failed or (cluster and cluster.problems) else 0


def failure_summary(failed: list[Path], sources: list[Path]) -> str:
    """``1 of 3 articles failed``; reader packs are counted apart (``… and 1 of 1 reader pack``)."""
    packs = sum(is_pack(path) for path in failed)
    articles = len(failed) - packs
    pack_total = sum(is_pack(path) for path in sources)
    parts = []
    if articles or not packs:
        parts.append(f"{articles} of {counted(len(sources) - pack_total, 'article')}")
    if packs:
        parts.append(f"{packs} of {counted(pack_total, 'reader pack')}")
    return " and ".join(parts) + " failed"


def sources_phrase(sources: list[Path]) -> str:
    """``3 articles``, ``2 articles and 1 reader pack``."""
    packs = sum(is_pack(path) for path in sources)
    return counted(len(sources) - packs, "article") + (f" and {counted(packs, 'reader pack')}" if packs else "")


def removed_line(path: Path) -> str:
    """``removed dist/old.pdf``; a web edition's folder ends with ``/`` (an output file always
    has a suffix, a slug never has a dot)."""
    return f"removed {display_path(path)}{'/' if path.suffix == '' else ''}"


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def show(result: ArticleResult, progress: Progress, verbosity: int, printed: set[str] | None = None) -> bool:
    """Print one article's problems (those not ``printed`` already) and outputs; whether it failed."""
    progress.advance(result.source)
    printed = set() if printed is None else printed
    problems = [d for d in [*result.warnings, *result.errors] if d.format() not in printed]
    if result.errors and is_pack(result.source) and not any(d.level == "error" for d in problems):
        problems.append(Diagnostic("error", "not built: an article it binds has errors (above)", display_path(result.source)))
    for diagnostic in problems:
        printed.add(diagnostic.format())
        progress.print(diagnostic.format(), error=True)
        if diagnostic.detail and verbosity > 1:
            progress.print(diagnostic.detail, error=True)
    for output in result.outputs:
        if verbosity:
            progress.print(f"{'unchanged' if result.cached else 'wrote'} {display_path(output)}")
    for removed in result.removed:
        if verbosity:
            progress.print(removed_line(removed))
    if verbosity > 1 and result.timings:
        stages = ", ".join(f"{stage} {seconds:.2f} s{passes(result.counts.get(stage))}" for stage, seconds in result.timings.items())
        progress.print(f"  {display_path(result.source)}: {stages}")
    return not result.ok


def passes(count: int | None) -> str:
    """`` (3 passes)`` after a stage's time, when the stage counts its passes."""
    return "" if count is None else f" ({count} pass{'' if count == 1 else 'es'})"


def cluster_lost(message: str) -> int:
    """The cluster went away during the build: one line, exit status 1."""
    print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    return 1


class Progress:
    """A progress bar on a terminal (rich), plain lines otherwise."""

    def __init__(self, total: int, verbosity: int):
        self.bar = None
        if verbosity and sys.stdout.isatty() and total > 1:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True)
            self.task = self.bar.add_task("building", total=total)

    def __enter__(self) -> Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar:
            self.bar.stop()

    def advance(self, source: Path) -> None:
        if self.bar:
            self.bar.update(self.task, advance=1, description=display_path(source))

    def print(self, line: str, error: bool = False) -> None:
        if self.bar:
            self.bar.console.print(line, markup=False, highlight=False, style="red" if error else None)
        else:
            print(line, file=sys.stderr if error else sys.stdout)
