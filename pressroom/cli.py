"""The command line: arguments in, one line per output written, ``path:line: error: …`` out.

Exit status: 0 when everything built, 1 when an article (or the project settings) failed,
2 when the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressroom.load.articles import PACK_SUFFIX
from pressroom.load.metadata import check_fields
from pressroom.load.settings import (
    DEFAULT_FORMATS,
    FORMATS,
    Project,
    find_project_root,
    load_project,
    parse_formats,
)
from pressroom.model import (
    BuildError,
    ConfigError,
    Diagnostic,
    UsageError,
    display_path,
)
from pressroom.report import PROGRAM, guarded_build, report, usage_error

if TYPE_CHECKING:
    from pressroom.build import BuildRequest

OVERRIDE_SOURCE = "-M"
MARKDOWN_SUFFIXES = (".md", PACK_SUFFIX)


COMMANDS = {
    "build": "build articles into PDF, EPUB (and web) outputs (the default command)",
    "new": "start an article: content/<slug>.md with commented front matter",
    "check": "validate every article and the settings without rendering",
    "preview": "serve the web edition of every article, rebuilt and reloaded on every save",
}


def parser(command: str = "build") -> argparse.ArgumentParser:
    """The arguments of one command (``build`` when the first argument names none)."""
    p = argparse.ArgumentParser(
        prog=PROGRAM if command == "build" else f"{PROGRAM} {command}",
        description=f"{COMMANDS[command][0].upper()}{COMMANDS[command][1:]}.",
        epilog=(
            "With no PATH, builds every content/**/*.md of the project into dist/. Other commands: "
            + "; ".join(f"{PROGRAM} {name}: {text}" for name, text in COMMANDS.items() if name != "build")
            if command == "build"
            else None
        ),
    )
    if command == "new":
        p.add_argument("title", metavar="TITLE", help="the article's title (its file is named after it)")
        return p
    p.add_argument("paths", nargs="*", metavar="PATH", type=Path, help="Markdown files, reader packs or folders")
    p.add_argument(
        "-M", "--metadata", action="append", default=[], metavar="KEY=VALUE",
        help="override a front-matter value for this run (repeatable)",
    )  # fmt: skip
    if command == "check":
        return p
    p.add_argument("-o", "--out", type=Path, metavar="DIR", help="output folder (default: the project's dist/)")
    p.add_argument(
        "-f",
        "--format",
        metavar="LIST",
        help=f"comma-separated formats to write, from {','.join(FORMATS)} (default: {','.join(DEFAULT_FORMATS)})",
    )
    p.add_argument("--force", action="store_true", help="rebuild even what the cache says is up to date")
    p.add_argument(
        "--allow-missing-glyphs", action="store_true",
        help="build even when characters are in no installed font (they print as boxes): a warning, not an error",
    )  # fmt: skip
    if command == "build":
        p.add_argument(
            "-j", "--jobs", type=positive_int, default=os.cpu_count() or 1, metavar="N",
            help="build N articles at once in worker processes (default: the number of cores)",
        )  # fmt: skip
        p.add_argument(
            "--cluster", metavar="ADDRESS",
            help="render on a Dask cluster, e.g. tcp://host:8786 (default: [tool.pressroom] cluster, or PRESSROOM_CLUSTER)",
        )  # fmt: skip
        p.add_argument("--watch", action="store_true", help="keep running and rebuild what each saved change affects")
        p.add_argument("--serve", action="store_true", help=f"the same as `{PROGRAM} preview`")
    p.add_argument("--port", type=port_number, default=0, metavar="N", help="preview: the port to serve on (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDRESS", help="preview: the address to bind (default: 127.0.0.1)")
    output = p.add_mutually_exclusive_group()
    output.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    output.add_argument("-v", "--verbose", action="store_true", help="also print each stage's time per article")
    return p


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return value


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

    from pressroom.load.articles import load_yaml

    raw: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-M expects KEY=VALUE, got {pair!r}")
        try:
            parsed = load_yaml(value) if value.strip() else ""
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


def path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be built (None: it can): it must be a folder, a Markdown file or a
    reader pack."""
    if not path.exists():
        return "no such file or folder"
    if path.is_dir() or path.name.endswith(MARKDOWN_SUFFIXES):
        return None
    return "not a Markdown file (.md) or a reader pack (.pack.yaml)"


def run() -> None:
    """The installed ``pressroom`` command, ``python -m pressroom`` and ``build.py``."""
    raise SystemExit(main(exiting=True))


def main(argv: Sequence[str] | None = None, exiting: bool = False) -> int:
    """Run the command line. ``exiting``: the process ends right after (``build.py``), so a
    one-off build may skip the garbage collector's passes, and Ctrl-C ends it with one line
    instead of a traceback. The first argument may name a command (``build``, ``new``,
    ``check``, ``preview``); otherwise it is ``build``'s."""
    if not exiting:
        return _main(argv, exiting)
    try:
        return _main(argv, exiting)
    except KeyboardInterrupt:
        end_interrupted()
        raise  # not reached: the process has ended


def catch_interrupts(request: BuildRequest) -> None:
    """Ctrl-C raises KeyboardInterrupt as usual, and also marks the request, so that an
    interrupt Python drops (one raised inside a destructor is printed and ignored) still stops
    the build after the article at hand."""
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        request.interrupted.set()
        raise KeyboardInterrupt

    def unraisable(info: Any, previous: Any = sys.unraisablehook) -> None:
        if not isinstance(info.exc_value, KeyboardInterrupt):  # that one is handled by the mark
            previous(info)

    signal.signal(signal.SIGINT, interrupt)
    sys.unraisablehook = unraisable


def end_interrupted() -> None:
    """Ctrl-C: say so in one line, clean up (half-written outputs are already removed on the way
    out; WeasyPrint's font copies here), then end as the shell expects of an interrupted program:
    by SIGINT itself, so that a calling script stops too."""
    import signal

    from pressroom.render.renderer import fresh_renderer

    print(f"{PROGRAM}: interrupted", file=sys.stderr)
    fresh_renderer()  # closes this process's renderer: its temporary font folders go
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


def _main(argv: Sequence[str] | None, exiting: bool) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in COMMANDS else "build"
    args = parser(command).parse_args(argv)
    if exiting:
        stop_cleanly_on_terminate()
    if command == "build" and args.serve:
        command = "preview"
    try:
        overrides = parse_overrides(getattr(args, "metadata", []))
        if getattr(args, "allow_missing_glyphs", False):
            overrides["allow_missing_glyphs"] = True
        formats = parse_formats(args.format, "--format", None) if getattr(args, "format", None) else None
    except (UsageError, BuildError) as exc:
        return usage_error(str(getattr(exc, "message", exc)))
    for path in getattr(args, "paths", []):
        problem = path_problem(path)
        if problem:
            return usage_error(f"{path}: {problem}")

    project = current_project()
    if project is None:
        return 1
    if command == "new":
        from pressroom.authoring import new_article

        return new_article(project, args.title)
    if not args.paths and not project.content_dir.is_dir():
        return usage_error(
            f"no {display_path(project.content_dir)}/ folder in {project.root}: "
            "name the Markdown files or folders to build, or create it and put articles in it"
        )
    paths = [Path(p) for p in args.paths] or [project.content_dir]
    if command == "check":
        from pressroom.authoring import check

        return check(paths, project, overrides)
    watching = command == "preview" or args.watch
    cluster = None if watching else (args.cluster or os.environ.get("PRESSROOM_CLUSTER") or project.cluster)
    if cluster:
        from pressroom.cluster.client import dask_missing

        if dask_missing():
            return usage_error(str(dask_missing()))
    from pressroom.build import BuildRequest
    from pressroom.store.cache import CACHE_FOLDER, BuildCache

    request = BuildRequest(
        paths=paths,
        project=project,
        out_dir=(args.out or project.output_dir).resolve(),
        formats=formats or project.formats,
        overrides=overrides,
        jobs=getattr(args, "jobs", 1),
        cache=None if args.force else BuildCache(project.root / CACHE_FOLDER),
        verbosity=0 if args.quiet else 2 if args.verbose else 1,
        cluster=cluster,
    )
    if command == "preview":
        from pressroom.preview import preview

        return preview(request, args.host, args.port)
    if args.watch:
        from pressroom.watch import watch

        return watch(request)
    if exiting:
        from pressroom.render.renderer import process_renderer

        catch_interrupts(request)
        with process_renderer().collector_off_until_exit():
            return guarded_build(request)
    return guarded_build(request)


def current_project() -> Project | None:
    """The project around the working folder (or the folder itself), its warnings printed; None
    when its settings are wrong (their errors printed)."""
    from pressroom.render.renderer import process_renderer

    process_renderer().refresh()  # layouts may have changed since an earlier main() in this process
    warnings: list[Diagnostic] = []
    cwd = Path.cwd()
    try:
        project = load_project(find_project_root(cwd) or cwd, warnings)
    except ConfigError as exc:
        for diagnostic in exc.diagnostics:
            report(diagnostic)
        return None
    for diagnostic in warnings:
        report(diagnostic)
    return project


TERMINATED = 128 + 15  # the shell's exit status for a process ended by SIGTERM


def stop_cleanly_on_terminate() -> None:
    """Let SIGTERM (``kill``, a service manager, a closing terminal's job control) unwind this
    process like an exit: half-written outputs are removed, temporary font copies are deleted and
    a watcher stops its observer, where the default action would end the process on the spot."""
    import signal

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(TERMINATED)

    signal.signal(signal.SIGTERM, terminate)
