"""The plain data the stages pass on: the article, and errors and warnings that know where
they happened.

Stages deep in the pipeline raise :class:`BuildError` with the file and line at fault; the CLI
formats it once as ``path:line: error: message``. Warnings travel the same way but do not stop a
build: stages append :class:`Diagnostic` records to a list they are given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pressroom.load.metadata import Metadata


@dataclass(frozen=True)
class Diagnostic:
    """One message about the input, tied to a place in it."""

    level: str  # "error" or "warning"
    message: str
    path: str | None = None
    line: int | None = None
    detail: str | None = None  # an internal error's traceback, printed with -v

    def format(self) -> str:
        """Render as ``path:line: level: message`` (the shape compilers use)."""
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.level}: {self.message}"


class BuildError(Exception):
    """A problem with the input that stops one article from building."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    @property
    def diagnostic(self) -> Diagnostic:
        return Diagnostic("error", self.message, self.path, self.line)

    def __str__(self) -> str:
        return self.diagnostic.format()


class ConfigError(Exception):
    """The project settings are wrong; every problem found is reported together."""

    def __init__(self, problems: list[Diagnostic] | str, path: str | Path | None = None):
        if isinstance(problems, str):
            problems = [Diagnostic("error", problems, str(path) if path is not None else None)]
        super().__init__("; ".join(p.format() for p in problems))
        self.diagnostics = problems


class UsageError(Exception):
    """The command line is wrong (exit status 2)."""


Warnings = list[Diagnostic]


def warn(warnings: Warnings, message: str, path: str | Path | None = None, line: int | None = None) -> None:
    """Record a warning for the CLI to print."""
    warnings.append(Diagnostic("warning", message, str(path) if path is not None else None, line))


#: What each stage is doing, as an internal error names it ("internal error while laying out …").
STAGE_ACTIVITIES = {
    "load": "reading the article",
    "convert": "converting the Markdown",
    "hyphenation": "loading the hyphenation patterns",
    "layout": "laying out the handout",
    "pdf": "writing the PDF",
    "booklet": "imposing the booklet",
    "cover": "drawing the EPUB cover",
    "epub": "making the EPUB",
    "html": "making the web edition",
    "pack": "gathering the reader pack",
    "write": "writing the outputs",
}


def internal_error(exc: BaseException, stage: str | None, path: str | None) -> Diagnostic:
    """An exception no stage expected, as ``path: error: internal error while <stage>: <Type>:
    <message>``; the traceback goes in ``detail`` (printed with -v)."""
    import traceback

    activity = STAGE_ACTIVITIES.get(stage or "", stage or "building")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    message = f"internal error while {activity}: {type(exc).__name__}{': ' + text if text else ''}"
    detail = "".join(traceback.format_exception(exc)).rstrip()
    return Diagnostic("error", message, path, None, detail)


_cwd: tuple[str, Path] = ("", Path())  # the working folder as named, and resolved


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it (resolved once per folder)."""
    global _cwd
    cwd = os.getcwd()
    if _cwd[0] != cwd:
        _cwd = (cwd, Path(cwd).resolve())
    try:
        return str(path.resolve().relative_to(_cwd[1]))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Article:
    """One Markdown article, read and validated; nothing rendered yet."""

    source: Path  # the Markdown file
    root: Path  # the project folder: the build reads nothing outside it
    meta: Metadata
    body: str  # Markdown after the front matter
    body_line: int  # line number in ``source`` where ``body`` starts
    key_lines: Mapping[str, int] = field(default_factory=dict)  # front-matter key -> line

    @property
    def display_path(self) -> str:
        """The path as messages show it: relative to the working folder when possible."""
        return display_path(self.source)
