"""What travels to a cluster worker for one article, as plain data.

No shared file system is assumed. A worker gets, for each article:

* the article's own bytes and those of every project file its text can name (images, a cover, the
  articles of a reader pack and what *they* name), each by its path relative to the project and
  its SHA-256, so that a file many articles share is sent to the cluster once;
* the project's own layout folder (stylesheets, templates, fonts) as one bundle named by its
  digest, which each worker receives once and keeps on disk;
* the settings, options and build time that shape the outputs.

Which files an article reads is known exactly only after rendering (``sandbox.reads``), but every
file it can read is one its text names: a path relative to the article, whose last part is the
file's name. :class:`ProjectFiles` indexes the project's files by name (no hashing), and
:meth:`ProjectFiles.named_in` picks those whose name occurs in the text; only those are hashed
and sent. Nothing here imports Dask.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

#: Characters that end a file name in Markdown, HTML or YAML text.
SEPARATORS = re.compile(r"[\s\"'`()<>\[\]{}|,;=*?#/\\]+")
#: The same separators for ``str.split`` (whitespace, and the rest turned into spaces first):
#: ~5 times faster than the expression on an article, where it runs for every article sent.
SEPARATORS_TO_SPACES = str.maketrans(dict.fromkeys("\"'`()<>[]{}|,;=*?#/\\", " "))
#: Text files whose own references are followed (a pack names articles, which name images).
TEXT_SUFFIXES = (".md", ".yaml", ".yml")
#: Past this many files of one name in the project, only those in the article's own folder (or
#: named by their path relative to it) are sent.
SAME_NAME_LIMIT = 16
SKIPPED_FOLDERS = {"node_modules", "__pycache__"}


@dataclass(frozen=True)
class InputFile:
    """One file of the project an article may read: where it sits, its digest and mtime."""

    path: str  # relative to the project root, with "/"
    digest: str
    mtime_ns: int


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to render one article, except the bytes of its files (sent
    beside it, by digest) and of the layouts (one bundle per worker)."""

    source: str  # the article, relative to the project root
    client_root: str  # the project root on the client, to map paths back
    client_layouts: str | None  # the project's layout folder on the client (None: built-in only)
    client_builtin: str  # the built-in layouts on the client
    layouts_digest: str | None
    content: str  # content folder, relative to the root
    formats: tuple[str, ...]
    overrides: Mapping[str, Any]
    defaults: Mapping[str, Any]
    allow_remote: bool
    epoch: str | None  # SOURCE_DATE_EPOCH on the client (None: the article's mtime)
    files: tuple[InputFile, ...]
    versions: Mapping[str, str] = field(default_factory=dict)  # what the worker must run

    @property
    def digest(self) -> str:
        """A name for this job's inputs (the folder a worker renders it in)."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:24]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ProjectFiles:
    """The files of one project by name, found once per build and hashed only when sent.

    Skipped: dot-folders and dot-files, the output folder, the layout folder (it travels as a
    bundle), the cache, and symlinks leading outside the project (the sandbox would refuse them
    too)."""

    def __init__(self, root: Path, skip: tuple[Path, ...] = ()):
        self.root = root.resolve()
        skipped = {str(p.resolve()) for p in skip}
        self.by_name: dict[str, list[str]] = {}
        self.odd_names: list[str] = []  # names a separator would cut (spaces, brackets…)
        self._digests: dict[str, InputFile] = {}
        for folder, folders, files in os.walk(self.root, followlinks=False):
            folders[:] = sorted(
                d for d in folders if not d.startswith(".") and d not in SKIPPED_FOLDERS and os.path.join(folder, d) not in skipped
            )
            for name in files:
                if name.startswith("."):
                    continue
                relative = os.path.relpath(os.path.join(folder, name), self.root).replace(os.sep, "/")
                self.by_name.setdefault(name, []).append(relative)
        self.odd_names = [name for name in self.by_name if SEPARATORS.search(name)]
        self.names = frozenset(self.by_name)

    def entry(self, relative: str) -> InputFile | None:
        """The file's digest and mtime (hashed once per build), or None when it cannot be read
        or leads outside the project."""
        if relative not in self._digests:
            path = self.root / relative
            try:
                if not path.resolve().is_relative_to(self.root):
                    return None
                self._digests[relative] = InputFile(relative, file_sha256(path), path.stat().st_mtime_ns)
            except OSError:
                return None
        return self._digests[relative]

    def named_in(self, source: Path, data: bytes | None = None, digest: str | None = None) -> list[InputFile]:
        """The article (or pack) and every project file its text names, following the names in
        the text files it names (a pack's articles), each once. ``data`` and ``digest``: the
        source's bytes and SHA-256, when the caller has read them; ``source`` resolved."""
        first = os.path.relpath(source, self.root).replace(os.sep, "/")
        if data is not None and digest is not None and first not in self._digests and not first.startswith("../"):
            try:
                self._digests[first] = InputFile(first, digest, source.stat().st_mtime_ns)
            except OSError:
                pass
        found: dict[str, InputFile] = {}
        queue = [first]
        while queue:
            relative = queue.pop()
            if relative in found:
                continue
            entry = self.entry(relative)
            if entry is None:
                continue
            found[relative] = entry
            if relative.endswith(TEXT_SUFFIXES):
                try:
                    raw = data if relative == first and data is not None else (self.root / relative).read_bytes()
                except OSError:
                    continue
                text = raw.decode("utf-8", errors="replace")
                queue.extend(r for r in self._names_in(text, relative) if r not in found)
        return [found[r] for r in sorted(found)]

    def _names_in(self, text: str, relative: str) -> Iterator[str]:
        text = unquote(text)
        folder = relative.rpartition("/")[0]
        names = set(self.names.intersection(text.translate(SEPARATORS_TO_SPACES).split()))
        names.update(name for name in self.odd_names if name in text)
        for name in names:
            paths = self.by_name[name]
            if len(paths) <= SAME_NAME_LIMIT:
                yield from paths
                continue
            for path in paths:  # a common name: only the copies this article can mean
                near = os.path.relpath(path, folder or ".").replace(os.sep, "/")
                if path.startswith(folder + "/") or near in text:
                    yield path


@dataclass(frozen=True)
class LayoutBundle:
    """A project's layout folder, whole: its digest and ``{relative path: bytes}``."""

    digest: str
    files: Mapping[str, bytes]


def layout_bundle(folder: Path) -> LayoutBundle:
    """Every file below ``folder`` (dot-files skipped), named by a digest of names and bytes."""
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[relative.as_posix()] = path.read_bytes()
    digest = hashlib.sha256()
    for name, data in files.items():
        digest.update(f"{name}\0{hashlib.sha256(data).hexdigest()}\0".encode())
    return LayoutBundle(digest.hexdigest()[:32], files)


def path_mapper(pairs: Mapping[str, str]) -> Any:
    """A function replacing each prefix in ``pairs`` (longest first) by its counterpart."""
    ordered = sorted(pairs.items(), key=lambda item: -len(item[0]))

    def mapped(text: str) -> str:
        for old, new in ordered:
            if old and old in text:
                text = text.replace(old, new)
        return text

    return mapped
