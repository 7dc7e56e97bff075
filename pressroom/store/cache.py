"""The build cache: an output whose inputs have not changed is not built again.

An article's entry records a key over everything that shapes its outputs (its bytes, the build
time stamped into them, the settings, the layouts and fonts, Pressroom's own code) and the digest
of each other file it read (images, cover) and wrote. The entry is written after the outputs, so
a killed build leaves at worst no entry (a rebuild), never a stale one. The folder may be deleted
at any time. Nothing here imports the renderers: a no-op build stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pressroom import __version__
from pressroom.model import Diagnostic

CACHE_FOLDER = Path(".cache") / "pressroom"
FORMAT_VERSION = 1


def file_digest(path: Path | str) -> str | None:
    try:
        with open(path, "rb") as file:
            return hashlib.sha256(file.read()).hexdigest()
    except OSError:
        return None


def stamp(path: Path | str) -> str | None:
    """A cheap fingerprint (size and modification time) for files too big to hash on every run."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return f"stat:{status.st_size}:{status.st_mtime_ns}"


def folder_digest(folders: Iterable[Path], fingerprint: Callable[[Path], str | None] = stamp, pattern: str = "*") -> str:
    """One digest over every file (name and fingerprint) below ``folders`` whose name matches."""
    digest = hashlib.sha256()
    for folder in folders:
        files = (p for p in folder.rglob(pattern) if p.is_file() and not any(x.startswith(".") for x in p.relative_to(folder).parts))
        for path in sorted(files):
            digest.update(f"{path.relative_to(folder)}\0{fingerprint(path)}\0".encode())
    return digest.hexdigest()


def code_digest() -> str:
    """Pressroom's version and source: a change to either rebuilds everything (the source only:
    compiled files in __pycache__ come and go with the interpreter's settings)."""
    return __version__ + ":" + folder_digest([Path(__file__).resolve().parents[1]], file_digest, "*.py")


@dataclass
class Entry:
    """What one successful build of an article read and wrote."""

    key: str
    reads: dict[str, str | None] = field(default_factory=dict)  # path -> digest (None: not cacheable)
    writes: dict[str, str | None] = field(default_factory=dict)  # output path -> size and mtime
    warnings: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""  # the article (or pack) built, and the folder written: what clean-up goes by
    out_dir: str = ""

    def still_valid(self, known: Mapping[str, str | None] | None = None) -> bool:
        """Every file read has the same content, every output is the one this build wrote
        (``known``: digests the caller has just taken, by path, not taken again)."""
        known = known or {}
        reads_same = all(
            digest is not None and (known[path] if path in known else file_digest(path)) == digest for path, digest in self.reads.items()
        )
        return reads_same and all(stamp(path) == value for path, value in self.writes.items())


class BuildCache:
    """Entries stored as small JSON files under the project's ``.cache/pressroom``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._digests: dict[Any, str] = {}  # taken once per build: see refresh()
        self._resolved: dict[Path, str] = {}
        self._once: dict[Any, Any] = {}
        self._entry_paths: dict[tuple[Path, Path, tuple[str, ...]], Path] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Only the folder travels to a worker process: the memos of a build (thousands of
        paths) would be pickled again with every article sent."""
        return {"folder": self.folder}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["folder"])  # type: ignore[misc]

    def refresh(self) -> None:
        """Take the layouts' and Pressroom's digests again at the next lookup (a watcher, after
        a change)."""
        self._digests.clear()
        self._resolved.clear()
        self._once.clear()
        self._entry_paths.clear()

    def once(self, what: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered as ``what`` until :meth:`refresh` (for one build: a
        folder's resolved path, the layout search path)."""
        if what not in self._once:
            self._once[what] = compute()
        return self._once[what]

    def _resolve(self, path: Path) -> str:
        """``str(path.resolve())``, once per build for each path (the output folder, every
        source), and for a file that is no symbolic link, once per folder (its folder's
        resolved path and its name)."""
        resolved = self._resolved.get(path)
        if resolved is None:
            name = path.name
            if name in ("", ".", "..") or os.path.islink(path):
                resolved = str(path.resolve())
            else:
                resolved = os.path.join(self._resolve(path.parent), name)
            self._resolved[path] = resolved
        return resolved

    def _digest(self, what: Any, compute: Callable[[], str]) -> str:
        if what not in self._digests:
            self._digests[what] = compute()
        return self._digests[what]

    def key(self, source: Path, settings: str, search_path: tuple[Path, ...], source_digest: str | None = None) -> str:
        """Everything that shapes an article's outputs, except the files it reads while building
        (``settings``: the build's settings as canonical text, see ``build.settings_of``;
        ``source_digest``: the SHA-256 of the source's bytes, when the caller read them)."""
        material = [
            f"format {FORMAT_VERSION}",
            self._digest("code", code_digest),
            source_digest or file_digest(source) or "",
            os.environ.get("SOURCE_DATE_EPOCH") or str(int(source.stat().st_mtime)),
            self._digest(search_path, lambda: folder_digest(search_path)),
            settings,
        ]
        return hashlib.sha256("\0".join(material).encode()).hexdigest()

    def _path(self, source: Path, out_dir: Path, formats: tuple[str, ...]) -> Path:
        """The entry's file: named by the resolved source, output folder and formats (made once
        per build for each)."""
        known = self._entry_paths.get((source, out_dir, formats))
        if known is None:
            name = hashlib.sha256(f"{self._resolve(source)}\0{self._resolve(out_dir)}\0{','.join(formats)}".encode()).hexdigest()[:24]
            known = self._entry_paths[(source, out_dir, formats)] = self.folder / f"{name}.json"
        return known

    def lookup(
        self, source: Path, out_dir: Path, formats: tuple[str, ...], key: str, known: Mapping[str, str | None] | None = None
    ) -> Entry | None:
        """The entry for this build if nothing it depends on has changed (``known``: digests of
        files the caller has just read, by path)."""
        entry = read_entry(self._path(source, out_dir, formats))
        return entry if entry is not None and entry.key == key and entry.still_valid(known) else None

    def store(self, source: Path, out_dir: Path, formats: tuple[str, ...], entry: Entry) -> list[Path]:
        """Record ``entry``; the outputs an earlier build of the same article wrote under another
        name (its slug changed) are removed, as :meth:`remove_orphans` does. Those removed."""
        from pressroom.store.files import write_atomic

        path = self._path(source, out_dir, formats)
        previous = read_entry(path)
        entry.source, entry.out_dir = self._resolve(source), self._resolve(out_dir)
        # Its fields as they are (no deep copy) and compact JSON, which the C encoder writes.
        data = json.dumps(vars(entry), separators=(",", ":")).encode()
        # Not flushed to disk: an entry lost or cut short by a crash of the machine is no entry
        # (read_entry), and one that outlived its outputs no longer matches their stamps, so the
        # worst a crash can do is a rebuild. Skipping the fsync spares each article ~2 ms.
        write_atomic(path, data, durable=False)
        if previous is None:
            return []
        return remove_written({p: v for p, v in previous.writes.items() if p not in entry.writes}, out_dir)

    def remove_orphans(self, out_dir: Path, current: Iterable[tuple[Path, tuple[str, ...]]] = ()) -> list[Path]:
        """Remove what earlier builds wrote into ``out_dir`` for articles that no longer exist,
        and forget those entries; the outputs removed (a web edition as its folder). Only an
        output that is still exactly as Pressroom wrote it goes: anything else in the folder —
        a file of someone else's, an output replaced since — is left alone. ``current``: the
        sources (and formats) this build looked up, whose entries are not even read (their
        sources exist)."""
        known = {self._path(source, out_dir, formats).name for source, formats in current}
        out_dir = out_dir.resolve()
        removed: list[Path] = []
        for path in sorted(p for p in self.folder.glob("*.json") if p.name not in known):
            entry = read_entry(path)
            if entry is None or not entry.source or entry.out_dir != str(out_dir) or Path(entry.source).exists():
                continue
            removed += remove_written(entry.writes, out_dir)
            path.unlink(missing_ok=True)
        return removed


def read_entry(path: Path) -> Entry | None:
    try:
        return Entry(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def remove_written(writes: Mapping[str, str | None], out_dir: Path) -> list[Path]:
    """Remove the outputs a cache entry recorded (a web edition as its folder) that are still as
    Pressroom wrote them and inside ``out_dir``; those removed."""
    from pressroom.store.files import remove_output

    out_dir = out_dir.resolve()
    removed = []
    for written, value in writes.items():
        output = Path(written)
        if stamp(output) != value or not output.is_relative_to(out_dir):
            continue
        target = output.parent if output.name == "index.html" and output.parent != out_dir else output
        if remove_output(target):
            removed.append(target)
    return removed


def warnings_to_json(warnings: Iterable[Diagnostic]) -> list[dict[str, Any]]:
    return [asdict(w) for w in warnings]


def warnings_from_json(data: Iterable[Mapping[str, Any]]) -> list[Diagnostic]:
    return [Diagnostic(**item) for item in data]
