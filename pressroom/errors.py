"""Errors and warnings that know where they happened.

Stages deep in the pipeline raise :class:`BuildError` with the file and line at fault; the CLI
formats it once as ``path:line: error: message``. Warnings travel the same way but do not stop a
build: stages append :class:`Diagnostic` records to a list they are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Diagnostic:
    """One message about the input, tied to a place in it."""

    level: str  # "error" or "warning"
    message: str
    path: str | None = None
    line: int | None = None

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
