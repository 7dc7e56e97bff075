"""Writing outputs: every file whole or not at all, and an article's outputs all or none.

Each output is first written in full to a temporary file beside its final name (flushed to disk).
Only when every output of the article is staged are they renamed into place; the previous
versions are kept aside until then, so a failure at any point (a full disk, a read-only or
vanished folder, a folder in the way) leaves the article's previous outputs exactly as they were
and no temporary file behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

Output = bytes | Mapping[str, bytes]  # a file, or a folder of files (the web edition)

STALE_TEMPORARY_SECONDS = 3600


class WriteFailure(OSError):
    """Writing ``path`` failed; ``reason`` is the operating system's."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files a killed build left beside ``path`` (only old ones: a build running
    at the same time may be writing a fresh one)."""
    prefix = f".{path.name}."
    stale = _stale_in(path.parent)
    for leftover in [p for p in stale if p.name.startswith(prefix)]:
        stale.remove(leftover)
        try:
            shutil.rmtree(leftover) if leftover.is_dir() and not leftover.is_symlink() else leftover.unlink()
        except OSError:
            pass


#: Folder -> (when it was looked through, its stale temporaries not yet removed).
_stale: dict[Path, tuple[float, list[Path]]] = {}


def _stale_in(folder: Path) -> list[Path]:
    """The stale temporaries in ``folder``, listed once per process (again after an hour, for
    a long-lived one): an article's write does not scan a folder of thousands of outputs."""
    now = time.time()
    seen = _stale.get(folder)
    if seen is None or now - seen[0] > STALE_TEMPORARY_SECONDS:
        found = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith(".") and name.endswith((".part", ".old")) and name.count(".") >= 3:
                        try:
                            if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMPORARY_SECONDS:
                                found.append(Path(entry.path))
                        except OSError:
                            pass
        except OSError:
            pass
        seen = _stale[folder] = (now, found)
    return seen[1]


def _new_temporary(path: Path) -> tuple[int, Path]:
    """A new file beside ``path``, named as ``tempfile.mkstemp`` would name it (``.NAME.XXXXXXXX.part``,
    the shape :func:`remove_stale_temporaries` knows), created exclusively: its descriptor and
    path. mkstemp's own Python (a random name drawn letter by letter, its parameters checked) cost
    a cluster client ~0.1 ms an output."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.part"
        try:
            return os.open(temporary, flags, 0o600), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _staged_file(path: Path, data: bytes, durable: bool = True) -> Path:
    handle, temporary = _new_temporary(path)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
            os.fchmod(stream.fileno(), 0o644)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _staged_folder(folder: Path, files: Mapping[str, bytes]) -> Path:
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        for path in [staging, *staging.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _discard(path: Path | None) -> None:
    if path is None:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _stage(target: Path, data: Output, durable: bool = True) -> Path:
    """Write ``data`` in full beside ``target``; the temporary's path."""
    if isinstance(data, bytes) and target.is_dir():
        raise IsADirectoryError("a folder is in the way")
    if not isinstance(data, bytes) and target.exists() and not target.is_dir():
        raise NotADirectoryError("a file is in the way")
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    return _staged_file(target, data, durable) if isinstance(data, bytes) else _staged_folder(target, data)


def _swap_in(staged: Path, target: Path) -> Path | None:
    """Move ``staged`` to ``target``; the previous version, kept aside (None: there was none)."""
    if not target.exists():
        os.rename(staged, target)
        return None
    previous = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.old"
    if target.is_dir():
        os.rename(target, previous)  # a folder cannot be replaced in one step
        try:
            os.rename(staged, target)
        except BaseException:
            os.rename(previous, target)
            raise
    else:
        os.link(target, previous)  # readers see the old file or the new one, never none
        try:
            os.replace(staged, target)
        except BaseException:
            previous.unlink(missing_ok=True)
            raise
    return previous


def _restore(target: Path, previous: Path | None) -> None:
    if previous is None:
        _discard(target)
    elif previous.is_dir():
        _discard(target)
        os.rename(previous, target)
    else:
        os.replace(previous, target)


def replace_outputs(outputs: Mapping[Path, Output], durable: bool = True) -> None:
    """Put every output in place, or none: on failure, a :class:`WriteFailure` naming the file,
    and every target as it was before. ``durable``: each file is on disk (``fsync``) before it
    replaces the previous one, so that a crash of the machine leaves the old file or the new
    one, never an empty one."""
    staged: dict[Path, Path] = {}
    current = Path(".")
    try:
        for current, data in outputs.items():
            staged[current] = _stage(current, data, durable)
    except OSError as exc:
        for temporary in staged.values():
            _discard(temporary)
        raise WriteFailure(current, _reason(exc)) from exc
    except BaseException:
        for temporary in staged.values():
            _discard(temporary)
        raise
    replaced: list[tuple[Path, Path | None]] = []
    with signals_held():  # a few renames: Ctrl-C and SIGTERM wait for them, so none is left half done
        try:
            for current, temporary in staged.items():
                replaced.append((current, _swap_in(temporary, current)))
        except BaseException as exc:
            for target, previous in reversed(replaced):
                try:
                    _restore(target, previous)
                except OSError:
                    pass
            for temporary in staged.values():
                _discard(temporary)
            if isinstance(exc, OSError):
                raise WriteFailure(current, _reason(exc)) from exc
            raise
        for _, previous in replaced:
            _discard(previous)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM until the block is done; one that arrived meanwhile is raised
    on leaving, to the handler it would have met. Python runs signal handlers in the main thread
    whichever thread the signal reached, so the handlers are swapped, not the thread's mask."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []

    def hold(signum: int, frame: object) -> None:
        arrived.append(signum)

    previous = {number: signal.signal(number, hold) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for late in dict.fromkeys(arrived):
            signal.raise_signal(late)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def remove_output(path: Path) -> bool:
    """Delete an output (a file, or a web edition's folder); whether it went."""
    try:
        _discard(path)
    except OSError:
        pass
    return not os.path.lexists(path)


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write one file so that readers see the old file or the new one, never a part (with
    ``durable=False`` not flushed to disk first: after a crash of the machine it may be empty)."""
    replace_outputs({path: data}, durable)
