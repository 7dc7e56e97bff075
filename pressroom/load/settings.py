"""Project settings: ``[tool.pressroom]`` in ``pyproject.toml``, validated once.

A project is the folder a build may read from. Its settings name where articles live, where
outputs go, which formats to write, and default values for any front-matter key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressroom.load.metadata import FIELDS, check_fields, suggest
from pressroom.load.sandbox import Sandbox
from pressroom.model import BuildError, ConfigError, Diagnostic, Warnings, warn

FORMATS = ("pdf", "epub", "html")
DEFAULT_FORMATS = ("pdf", "epub")
PROJECT_KEYS = {"content", "output", "layouts", "formats", "allow_remote", "cluster"}
BUILTIN_LAYOUTS = Path(__file__).resolve().parents[1] / "layouts"  # shipped inside the package


@dataclass(frozen=True)
class Project:
    """Where things are and what the project asks for by default."""

    root: Path
    content_dir: Path
    output_dir: Path
    layouts_dir: Path
    formats: tuple[str, ...] = DEFAULT_FORMATS
    allow_remote: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)
    cluster: str | None = None  # the Dask scheduler to build on (None: this machine)

    @property
    def sandbox(self) -> Sandbox:
        """What a build of this project may read."""
        return Sandbox((self.root, *self.layout_search_path), allow_remote=self.allow_remote)

    @property
    def layout_search_path(self) -> tuple[Path, ...]:
        """Project layouts first, the built-in ones after (each only once)."""
        dirs = [self.layouts_dir, BUILTIN_LAYOUTS]
        unique: list[Path] = []
        for d in dirs:
            if d.is_dir() and d.resolve() not in unique:
                unique.append(d.resolve())
        return tuple(unique)


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` whose pyproject.toml has ``[tool.pressroom]``."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                return folder  # load_project reports the problem
            if "pressroom" in data.get("tool", {}):
                return folder
    return None


def parse_formats(value: Any, where: str, line: int | None) -> tuple[str, ...]:
    """``"pdf,epub"`` or ``["pdf", "epub"]`` → a tuple of known format names."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise BuildError(f"formats must be a list drawn from {', '.join(FORMATS)}", where, line)
    formats: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if name not in FORMATS:
            raise BuildError(f"unknown format '{name}'{suggest(name, list(FORMATS))}; known: {', '.join(FORMATS)}", where, line)
        if name not in formats:
            formats.append(name)
    return tuple(formats)


def load_project(root: Path, warnings: Warnings) -> Project:
    """Read and validate ``root/pyproject.toml``; every problem is reported together."""
    root = root.resolve()
    pyproject = root / "pyproject.toml"
    settings: dict[str, Any] = {}
    where = str(pyproject)
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read project settings: {exc}", where) from None
        settings = data.get("tool", {}).get("pressroom", {})
    problems: list[Diagnostic] = []

    def folder(key: str, default: str) -> Path:
        value = settings.get(key, default)
        if not isinstance(value, str) or not value:
            problems.append(Diagnostic("error", f"[tool.pressroom] {key} must be a folder name", where))
            value = default
        return (root / value).resolve()

    content_dir = folder("content", "content")
    output_dir = folder("output", "dist")
    layouts_dir = folder("layouts", "layouts")
    formats: tuple[str, ...] = DEFAULT_FORMATS
    if "formats" in settings:
        try:
            formats = parse_formats(settings["formats"], where, None)
        except BuildError as exc:
            problems.append(Diagnostic("error", f"[tool.pressroom] {exc.message}", where))
    allow_remote = settings.get("allow_remote", False)
    if not isinstance(allow_remote, bool):
        problems.append(Diagnostic("error", "[tool.pressroom] allow_remote must be true or false", where))
        allow_remote = False
    cluster = settings.get("cluster")
    if cluster is not None and (not isinstance(cluster, str) or not cluster.strip()):
        problems.append(Diagnostic("error", '[tool.pressroom] cluster must be a scheduler address such as "tcp://host:8786"', where))
        cluster = None
    defaults: dict[str, Any] = {}
    meta_settings = {k: v for k, v in settings.items() if k not in PROJECT_KEYS}
    for key, value in meta_settings.items():
        if key not in FIELDS:
            warn(warnings, f"[tool.pressroom] unknown key '{key}' ignored{suggest(key, [*FIELDS, *PROJECT_KEYS])}", where)
            continue
        try:
            defaults.update(check_fields({key: value}, where, {}, warnings))
        except BuildError as exc:
            problems.append(Diagnostic("error", f"[tool.pressroom] {exc.message}", where))
    if problems:
        raise ConfigError(problems)
    return Project(root, content_dir, output_dir, layouts_dir, formats, allow_remote, defaults, cluster)
