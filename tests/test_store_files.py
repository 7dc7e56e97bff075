"""Writing outputs: a full disk, a read-only folder, a folder in the way: one clear error, nothing
half-written, and an article's previous outputs all kept (all or none replaced)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import SEED_ARTICLE, run_cli, write_article

from pressroom.store import files as writing
from pressroom.store.files import WriteFailure, replace_outputs, write_atomic

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder`` (the tests run as root here; where mounting is
    not allowed they skip, and the folder-in-the-way and injected-failure tests still run)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:  # not root, or a container without mount rights: nothing to test with
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave: int) -> None:
    """Take up the disk's free space but ``leave`` bytes."""
    status = os.statvfs(folder)
    free = status.f_bavail * status.f_frsize
    (folder / ".filler").write_bytes(b"\0" * max(0, free - leave))


def test_write_atomic_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.pdf"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["a.pdf"]


def test_a_failure_while_swapping_in_puts_every_previous_output_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, folder = tmp_path / "a.pdf", tmp_path / "a.epub", tmp_path / "a"
    replace_outputs({first: b"old pdf", second: b"old epub", folder: {"index.html": b"old page"}})
    real_replace = os.replace

    def failing_replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        if str(target).endswith(".epub") and ".part" in str(source):
            raise OSError(5, "Input/output error")
        real_replace(source, target)

    monkeypatch.setattr(writing.os, "replace", failing_replace)
    with pytest.raises(WriteFailure, match="Input/output error"):
        replace_outputs({first: b"new pdf", second: b"new epub", folder: {"index.html": b"new page"}})
    monkeypatch.undo()
    assert files(tmp_path) == {"a.pdf": b"old pdf", "a.epub": b"old epub", "a/index.html": b"old page"}


def test_a_full_disk_is_one_error_and_keeps_the_previous_outputs(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with small_disk(disk, "1m"):
        first = run_cli(SEED_ARTICLE, "--out", disk, "--format", "pdf,epub", env=EPOCH)
        assert first.code == 0, first.err
        before = files(disk)
        pdf_size = len(before["professional-organizations.pdf"])
        fill(disk, pdf_size + 64 * 1024)  # the new PDF fits, the EPUB does not
        run = run_cli(SEED_ARTICLE, "--out", disk, "--format", "pdf,epub", "--force", "-M", "subtitle=Second edition", env=EPOCH)
        (disk / ".filler").unlink()
        after = files(disk)
    assert run.code == 1
    assert f"cannot write {disk}/professional-organizations.epub: No space left on device" in run.err, run.err
    assert "Traceback" not in run.err
    assert after == before  # the PDF written before the EPUB failed did not replace the last good one


def test_the_cache_is_not_updated_when_writing_fails(tmp_path: Path) -> None:
    source = write_article(tmp_path / "content", "# Doc\n\nText.\n", "doc.md")
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    (tmp_path / "dist" / "doc.epub").mkdir(parents=True)  # a folder where the EPUB goes
    run = run_cli("--format", "pdf,epub", cwd=tmp_path)
    assert run.code == 1
    assert "content/doc.md: error: cannot write dist/doc.epub: a folder is in the way" in run.err, run.err
    assert not (tmp_path / "dist" / "doc.pdf").exists()  # all or none
    (tmp_path / "dist" / "doc.epub").rmdir()
    again = run_cli("--format", "pdf,epub", cwd=tmp_path)
    assert again.code == 0 and "wrote dist/doc.pdf" in again.out  # built, not answered from the cache
    assert source.exists()


def test_a_read_only_output_folder(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with small_disk(disk, "2m"):
        assert run_cli(SEED_ARTICLE, "--out", disk, "--format", "pdf", env=EPOCH).code == 0
        before = files(disk)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        run = run_cli(SEED_ARTICLE, "--out", disk, "--format", "pdf", "--force", env=EPOCH)
        after = files(disk)
    assert run.code == 1
    assert f"cannot write {disk}/professional-organizations.pdf: Read-only file system" in run.err, run.err
    assert after == before


def test_an_output_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    run = run_cli(SEED_ARTICLE, "--out", tmp_path / "out" / "dist", "--format", "pdf")
    assert run.code == 1
    assert f"cannot write {tmp_path}/out/dist/professional-organizations.pdf: Not a directory" in run.err, run.err
    assert "Traceback" not in run.err


def test_ctrl_c_waits_for_the_renames_that_put_outputs_in_place(tmp_path: Path) -> None:
    """A Ctrl-C that arrives while an article's outputs are renamed into place is delivered
    after the renames: no previous version is left kept aside, nothing is half swapped. Another
    thread runs meanwhile (as a watcher's or a cluster client's do): the signal may reach it."""
    import signal
    import threading
    import time

    from pressroom.store import files as store

    first, second = tmp_path / "a.pdf", tmp_path / "a.epub"
    replace_outputs({first: b"old pdf", second: b"old epub"})
    real_swap = store._swap_in

    def swap_and_interrupt(staged: Path, target: Path) -> Path | None:
        os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of the swaps
        time.sleep(0.05)
        return real_swap(staged, target)

    done = threading.Event()
    threading.Thread(target=done.wait, daemon=True).start()

    store._swap_in = swap_and_interrupt  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            replace_outputs({first: b"new pdf", second: b"new epub"})
    finally:
        store._swap_in = real_swap  # type: ignore[assignment]
        done.set()
    assert files(tmp_path) == {"a.pdf": b"new pdf", "a.epub": b"new epub"}


def test_stale_temporaries_beside_an_output_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "a.pdf"
    stale = [tmp_path / ".a.pdf.x1.part", tmp_path / ".a.pdf.x2.old"]
    fresh = tmp_path / ".a.pdf.x3.part"  # another build may be writing it right now
    other = tmp_path / ".b.pdf.x4.part"  # beside another output: its own write removes it
    for path in [*stale, fresh, other]:
        path.write_bytes(b"left over")
    hour_ago = os.stat(fresh).st_mtime - writing.STALE_TEMPORARY_SECONDS - 60
    for path in [*stale, other]:
        os.utime(path, (hour_ago, hour_ago))
    writing._stale.clear()  # the folder is looked through once per process

    replace_outputs({target: b"new"})

    assert not any(path.exists() for path in stale)
    assert fresh.exists() and other.exists()
    assert target.read_bytes() == b"new"
    replace_outputs({tmp_path / "b.pdf": b"b"})  # the folder's listing is reused
    assert not other.exists()


def test_a_write_that_need_not_survive_a_crash_is_still_whole(tmp_path: Path) -> None:
    write_atomic(tmp_path / "entry.json", b"{}", durable=False)
    write_atomic(tmp_path / "entry.json", b'{"a": 1}', durable=False)
    assert (tmp_path / "entry.json").read_bytes() == b'{"a": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["entry.json"]
