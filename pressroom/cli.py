"""The command line: arguments in, one line per output written, ``path:line: error: …`` out.

Exit status: 0 when everything built, 1 when an article (or the project settings) failed,
2 when the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DEFAULT_FORMATS, FORMATS, find_project_root, load_project, parse_formats
from .content import display_path, find_articles
from .errors import BuildError, ConfigError, Diagnostic, UsageError
from .metadata import check_fields

OVERRIDE_SOURCE = "-M"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python build.py",
        description="Build Markdown articles into a printable PDF handout and an EPUB 3.",
        epilog="With no PATH, builds every content/**/*.md of the project into dist/.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", type=Path, help="Markdown files or folders to build")
    p.add_argument("-o", "--out", type=Path, metavar="DIR", help="output folder (default: the project's dist/)")
    p.add_argument(
        "-f", "--format", metavar="LIST", help=f"comma-separated formats to write, from {','.join(FORMATS)} (default: {','.join(DEFAULT_FORMATS)})"
    )
    p.add_argument(
        "-M", "--metadata", action="append", default=[], metavar="KEY=VALUE",
        help="override a front-matter value for this run (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "-j", "--jobs", type=positive_int, default=os.cpu_count() or 1, metavar="N",
        help="build N articles at once in worker processes (default: the number of cores)",
    )  # fmt: skip
    p.add_argument("--force", action="store_true", help="rebuild even what the cache says is up to date")
    p.add_argument("--watch", action="store_true", help="keep running and rebuild what each saved change affects")
    output = p.add_mutually_exclusive_group()
    output.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    output.add_argument("-v", "--verbose", action="store_true", help="also print each stage's time per article")
    return p


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """``-M key=value`` pairs → validated metadata (values read as YAML: lists and dates work)."""
    if not pairs:
        return {}
    import yaml

    raw: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-M expects KEY=VALUE, got {pair!r}")
        try:
            parsed = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            parsed = value
        raw[key.strip()] = parsed
    warnings: list[Diagnostic] = []
    try:
        checked = check_fields(raw, OVERRIDE_SOURCE, {}, warnings)
    except BuildError as exc:
        raise UsageError(exc.message) from None
    if warnings:
        raise UsageError("; ".join(w.message.replace(" ignored", "") for w in warnings))
    return checked


def report(diagnostic: Diagnostic) -> None:
    print(diagnostic.format(), file=sys.stderr)


def main(argv: Sequence[str] | None = None, exiting: bool = False) -> int:
    """Run the command line. ``exiting``: the process ends right after (``build.py``), so a
    one-off build may skip the garbage collector's passes."""
    args = parser().parse_args(argv)
    if exiting:
        stop_cleanly_on_terminate()
    try:
        overrides = parse_overrides(args.metadata)
        formats = parse_formats(args.format, "--format", None) if args.format else None
    except (UsageError, BuildError) as exc:
        print(f"python build.py: error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    for path in args.paths:
        if not path.exists():
            print(f"python build.py: error: {path}: no such file or folder", file=sys.stderr)
            return 2

    from .cache import CACHE_FOLDER, BuildCache, forget
    from .pipeline import build_many

    forget()  # layout digests remembered by an earlier main() in this process may be stale

    warnings: list[Diagnostic] = []
    cwd = Path.cwd()
    try:
        project = load_project(find_project_root(cwd) or cwd, warnings)
    except ConfigError as exc:
        for diagnostic in exc.diagnostics:
            report(diagnostic)
        return 1
    for diagnostic in warnings:
        report(diagnostic)
    request = BuildRequest(
        paths=[Path(p) for p in args.paths] or [project.content_dir],
        project=project,
        out_dir=(args.out or project.output_dir).resolve(),
        formats=formats or project.formats,
        overrides=overrides,
        jobs=args.jobs,
        cache=None if args.force else BuildCache(project.root / CACHE_FOLDER),
        verbosity=0 if args.quiet else 2 if args.verbose else 1,
    )
    if args.watch:
        from .watch import watch

        return watch(request)
    if exiting:
        from .pipeline import collector_off_until_exit

        with collector_off_until_exit():
            return run_build(request, build_many)
    return run_build(request, build_many)


TERMINATED = 128 + 15  # the shell's exit status for a process ended by SIGTERM


def stop_cleanly_on_terminate() -> None:
    """Let SIGTERM (``kill``, a service manager, a closing terminal's job control) unwind this
    process like an exit: half-written outputs are removed, temporary font copies are deleted and
    a watcher stops its observer, where the default action would end the process on the spot."""
    import signal

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(TERMINATED)

    signal.signal(signal.SIGTERM, terminate)


@dataclass
class BuildRequest:
    """Everything one build (or each rebuild in watch mode) needs."""

    paths: list[Path]
    project: Any
    out_dir: Path
    formats: tuple[str, ...]
    overrides: dict[str, Any]
    jobs: int = 1
    cache: Any = None
    verbosity: int = 1  # 0 quiet, 1 normal, 2 verbose


def run_build(request: BuildRequest, build_many: Any) -> int:
    """Build what ``request`` names; print one line per output, then every problem. Exit status."""
    sources = find_articles(request.paths)
    if not sources:
        where = " ".join(display_path(p) for p in request.paths)
        print(f"python build.py: nothing to build: no Markdown files in {where}", file=sys.stderr)
        return 1
    failed = 0
    built = False
    progress = Progress(len(sources), request.verbosity)
    sources, clashes = separate_clashes(sources, request.overrides)
    for diagnostic in clashes:
        print(diagnostic.format(), file=sys.stderr)
        failed += 1
    results = build_many(
        sources, request.project, request.out_dir, request.formats, request.overrides, request.jobs, request.cache
    )
    with progress:
        for result in results:
            progress.advance(result.source)
            for diagnostic in [*result.warnings, *result.errors]:
                progress.print(diagnostic.format(), error=True)
            for output in result.outputs:
                if request.verbosity:
                    progress.print(f"{'unchanged' if result.cached else 'wrote'} {display_path(output)}")
            if request.verbosity > 1 and result.timings:
                stages = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in result.timings.items())
                progress.print(f"  {display_path(result.source)}: {stages}")
            failed += not result.ok
            built = built or not result.cached
    if request.verbosity > 1 and built:
        from .accel import skipped

        for note in skipped():  # the patches of other libraries' internals this build went without
            print(note)
    if failed:
        total = len(sources) + len(clashes)
        print(f"{failed} of {total} article{'s' if total != 1 else ''} failed", file=sys.stderr)
        return 1
    return 0


def separate_clashes(sources: list[Path], overrides: dict[str, Any]) -> tuple[list[Path], list[Diagnostic]]:
    """Sources whose outputs would take a name an earlier source already takes are not built:
    building them would overwrite that source's outputs."""
    from .content import output_name

    owners: dict[str, Path] = {}
    kept, clashes = [], []
    for source in sources:
        name = output_name(source, overrides)
        if name in owners:
            message = f"its outputs would be named '{name}', like those of {display_path(owners[name])}: give one a different slug"
            clashes.append(Diagnostic("error", message, display_path(source)))
        else:
            owners[name] = source
            kept.append(source)
    return kept, clashes


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
