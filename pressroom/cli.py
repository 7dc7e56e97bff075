"""The command line: arguments in, one line per output written, ``path:line: error: …`` out.

Exit status: 0 when everything built, 1 when an article (or the project settings) failed,
2 when the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .config import FORMATS, find_project_root, load_project, parse_formats
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
        "-f", "--format", metavar="LIST", help=f"comma-separated formats to write (default: {','.join(FORMATS)})"
    )
    p.add_argument(
        "-M", "--metadata", action="append", default=[], metavar="KEY=VALUE",
        help="override a front-matter value for this run (repeatable)",
    )  # fmt: skip
    return p


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """``-M key=value`` pairs → validated metadata (values read as YAML: lists and dates work)."""
    raw: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-M expects KEY=VALUE, got {pair!r}")
        try:
            parsed = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            parsed = value
        raw[key.strip()] = value if isinstance(parsed, dict) else parsed
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


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
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

    from .pipeline import build_article

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
    sources = find_articles(args.paths or [project.content_dir])
    if not sources:
        where = display_path(project.content_dir) if not args.paths else " ".join(map(str, args.paths))
        print(f"python build.py: nothing to build: no Markdown files in {where}", file=sys.stderr)
        return 1
    out_dir = (args.out or project.output_dir).resolve()
    failed = 0
    claimed: dict[Path, Path] = {}
    for source in sources:
        result = build_article(source, project, out_dir, formats or project.formats, overrides)
        for diagnostic in result.warnings:
            report(diagnostic)
        for diagnostic in result.errors:
            report(diagnostic)
        for output in result.outputs:
            earlier = claimed.setdefault(output, source)
            if earlier != source:
                report(Diagnostic("warning", f"overwrote {display_path(output)} built from {display_path(earlier)}: give one a different slug", display_path(source)))
            print(f"wrote {display_path(output)}")
        failed += not result.ok
    if failed:
        print(f"{failed} of {len(sources)} article{'s' if len(sources) != 1 else ''} failed", file=sys.stderr)
        return 1
    return 0
