"""A stage run in a forked child (pressroom.background): results, errors, a killed child, cancelling;
and a build that writes its PDF in the background gives the very bytes of one that does not."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import PIL.Image
import pypdf
import pytest

from helpers import REPO, SEED_ARTICLE, epub_file, epubcheck_messages, run_cli, write_article
from pressroom import background
from pressroom.background import ChildFailed, run_in_background
from pressroom.errors import BuildError


def child_pid_and_data(size: int) -> tuple[int, bytes]:
    return os.getpid(), bytes(range(256)) * (size // 256)


def fail_with(exc: BaseException) -> None:
    raise exc


class Unpicklable(Exception):
    def __reduce__(self):  # type: ignore[no-untyped-def]
        raise TypeError("cannot pickle this")


def test_the_result_comes_back_from_another_process_even_when_larger_than_a_pipe() -> None:
    with run_in_background(child_pid_and_data, 4 << 20) as job:
        pid, data = job.result()
    assert pid != os.getpid()
    assert data == bytes(range(256)) * (4 << 12)


def test_an_error_in_the_child_is_raised_here_with_its_location() -> None:
    with pytest.raises(BuildError) as raised, run_in_background(fail_with, BuildError("bad table", "a.md", 12)) as job:
        job.result()
    assert raised.value.diagnostic.format() == "a.md:12: error: bad table"


def test_an_error_that_cannot_be_pickled_still_comes_back_as_a_message() -> None:
    with pytest.raises(RuntimeError, match="Unpicklable: broken"), run_in_background(fail_with, Unpicklable("broken")) as job:
        job.result()


def test_a_child_killed_before_answering_is_reported() -> None:
    with run_in_background(time.sleep, 30) as job:
        os.kill(job.pid, signal.SIGKILL)
        with pytest.raises(ChildFailed):
            job.result()


def test_a_result_not_collected_is_cancelled_and_the_child_reaped() -> None:
    with run_in_background(time.sleep, 30) as job:
        pid = job.pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # no such child any more: not left as a zombie


def hold_a_folder(folder: Path) -> None:
    """Make ``folder``, wait, and remove it on the way out (as a stage removes its temporary files)."""
    folder.mkdir()
    try:
        time.sleep(30)
    finally:
        folder.rmdir()


def test_a_cancelled_child_cleans_up_after_itself(tmp_path: Path) -> None:
    folder = tmp_path / "held"
    with run_in_background(hold_a_folder, folder) as job:
        deadline = time.monotonic() + 10
        while not folder.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert folder.exists()
    assert not folder.exists()  # SIGTERM unwound the stage before the child ended
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, os.WNOHANG)


def test_a_child_that_ignores_terminate_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "CANCEL_GRACE_SECONDS", 0.3)
    with run_in_background(ignore_terminate_and_sleep) as job:
        time.sleep(0.2)  # the child has installed its handler
        start = time.monotonic()
    assert time.monotonic() - start < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, os.WNOHANG)


class Interrupted(Exception):
    pass


def test_waiting_interrupted_stops_and_reaps_the_child(tmp_path: Path) -> None:
    """Ctrl-C or SIGTERM while this process waits for a result: the child is not left running."""
    folder = tmp_path / "held"

    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        job = run_in_background(hold_a_folder, folder)
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(Interrupted):
            job.result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not folder.exists()  # the child cleaned up on SIGTERM
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, os.WNOHANG)
    job.cancel()  # nothing left to do: no error


def test_a_result_is_collected_once() -> None:
    job = run_in_background(child_pid_and_data, 256)
    job.result()
    with pytest.raises(RuntimeError, match="already collected"):
        job.result()
    job.cancel()


def ignore_terminate_and_sleep() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(30)


@pytest.mark.parametrize("options", ["", "marks: crop\nbleed: 3mm\n"])
def test_a_pdf_written_in_the_background_is_the_pdf_written_in_the_foreground(tmp_path: Path, options: str) -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8").replace("---\n", f"---\n{options}", 1)
    write_article(tmp_path / "content", text, "seed.md")
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    outputs = {}
    for jobs in ("1", "2"):  # -j 2 with one article: the PDF is written in a background process
        run = run_cli("content/seed.md", "--out", f"out{jobs}", "-j", jobs, "--force", cwd=tmp_path, env=env)
        assert run.code == 0, run.err
        outputs[jobs] = {suffix: (tmp_path / f"out{jobs}" / f"seed.{suffix}").read_bytes() for suffix in ("pdf", "epub")}
        assert run.out.splitlines() == [f"wrote out{jobs}/seed.pdf", f"wrote out{jobs}/seed.epub"]
    assert outputs["1"] == outputs["2"]
    first_page = pypdf.PdfReader(io.BytesIO(outputs["2"]["pdf"])).pages[0]
    grown = [float(v) for v in first_page["/BleedBox"]] != [float(v) for v in first_page["/TrimBox"]]
    assert grown == bool(options)  # the bleed box is set in the background process too
    assert epubcheck_messages(tmp_path / "out2" / "seed.epub") == []


COLD_ARTICLE = """\
---
title: Interoperability of institutional repositories
author: Ana Ruiz
lang: en
---

Characteristically, interdisciplinary internationalisation notwithstanding, the
institutionalisation of interoperability requirements was incomprehensibly uncharacteristic.[^1]
A form&#12;feed written as a character reference is dropped.

![A red square](images/square.png)

<marquee>Removed, with a warning.</marquee>

| Term | Meaning |
| --- | --- |
| incomprehensibilities | counterrevolutionaries |

[^1]: A note.
"""


def cold_build(folder: Path, jobs: str) -> subprocess.CompletedProcess[str]:
    """``build.py`` in a process of its own: WeasyPrint not loaded yet, as on the command line."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "TMPDIR": str(folder / "tmp")}
    command = [sys.executable, str(REPO / "build.py"), "content/cold.md", "--out", f"out{jobs}", "-j", jobs, "-v"]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)


def test_a_cold_build_with_a_spare_core_gives_what_a_build_on_one_core_gives(tmp_path: Path) -> None:
    """With -j 2, a cold build converts the Markdown, draws the cover and writes the PDF in child
    processes: the same bytes, the same warnings in the same order, the same files recorded as
    read in the cache, and no font copies left behind."""
    write_article(tmp_path / "content", COLD_ARTICLE, "cold.md")
    (tmp_path / "content" / "images").mkdir()
    PIL.Image.new("RGB", (40, 40), "red").save(tmp_path / "content" / "images" / "square.png")
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    (tmp_path / "tmp").mkdir()
    runs = {}
    for jobs in ("1", "2"):
        for kept in (tmp_path / ".cache" / "pressroom").glob("cover-*.jpg"):
            kept.unlink()  # each build draws its own cover
        runs[jobs] = cold_build(tmp_path, jobs)
    for run in runs.values():
        assert run.returncode == 0, run.stderr
    assert "cover" in runs["2"].stdout and "load" in runs["2"].stdout  # the stages ran apart
    assert "load" not in runs["1"].stdout
    warnings = {jobs: [line for line in run.stderr.splitlines() if "warning" in line] for jobs, run in runs.items()}
    assert any("marquee" in line for line in warnings["1"])
    assert "content/cold.md:9: warning: control characters removed (they are not allowed in XHTML)" in warnings["1"]
    assert warnings["1"] == warnings["2"]
    for suffix in ("pdf", "epub"):
        assert (tmp_path / "out1" / f"cold.{suffix}").read_bytes() == (tmp_path / "out2" / f"cold.{suffix}").read_bytes()
    entries = {}
    for path in (tmp_path / ".cache" / "pressroom").glob("*.json"):
        entry = json.loads(path.read_text())
        entries[Path(next(iter(entry["writes"]))).parent.name] = entry
    assert entries["out1"]["reads"] == entries["out2"]["reads"]
    assert any(read.endswith("square.png") for read in entries["out2"]["reads"])
    assert list((tmp_path / "tmp").iterdir()) == []
    assert epubcheck_messages(tmp_path / "out2" / "cold.epub") == []


def test_a_cold_build_draws_no_cover_apart_when_the_cache_keeps_it(tmp_path: Path) -> None:
    write_article(tmp_path / "content", "---\ntitle: Kept cover\n---\n\nFirst text.\n", "cold.md")
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    (tmp_path / "tmp").mkdir()
    first = cold_build(tmp_path, "2")
    assert first.returncode == 0, first.stderr
    assert "cover" in first.stdout  # drawn in a child, and kept
    (kept,) = (tmp_path / ".cache" / "pressroom").glob("cover-*.jpg")
    write_article(tmp_path / "content", "---\ntitle: Kept cover\n---\n\nSecond text.\n", "cold.md")
    second = cold_build(tmp_path, "2")
    assert second.returncode == 0, second.stderr
    assert "convert" in second.stdout and "cover" not in second.stdout  # rebuilt, no child for the cover
    assert epub_file(tmp_path / "out2" / "cold.epub", "EPUB/images/cover.jpg") == kept.read_bytes()


def test_a_cold_build_reports_an_error_found_while_converting_apart(tmp_path: Path) -> None:
    write_article(tmp_path / "content", COLD_ARTICLE.replace("images/square.png", "images/missing.png"), "cold.md")
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    (tmp_path / "tmp").mkdir()
    runs = {jobs: cold_build(tmp_path, jobs) for jobs in ("1", "2")}
    for jobs, run in runs.items():
        assert run.returncode == 1
        errors = [line for line in run.stderr.splitlines() if "error" in line]
        assert errors == [f"content/cold.md:11: error: {errors[0].split('error: ', 1)[1]}"]
        assert "missing.png" in errors[0]
        assert not (tmp_path / f"out{jobs}").exists()
    assert runs["1"].stderr == runs["2"].stderr


def test_children_of_a_failed_task_are_all_asked_to_end_before_any_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "CANCEL_GRACE_SECONDS", 0.5)
    signals: list[tuple[int, int]] = []
    real_kill = os.kill
    monkeypatch.setattr(os, "kill", lambda pid, number: signals.append((pid, number)) or real_kill(pid, number))
    with pytest.raises(Interrupted), background.Children() as children:
        first = children.start(run_in_background(ignore_terminate_and_sleep))
        second = children.start(run_in_background(ignore_terminate_and_sleep))
        time.sleep(0.2)  # both have installed their handlers
        raise Interrupted
    terms = [pid for pid, number in signals if number == signal.SIGTERM]
    kills = [pid for pid, number in signals if number == signal.SIGKILL]
    assert sorted(terms) == sorted([first.pid, second.pid]) and sorted(kills) == sorted(terms)
    assert signals.index((kills[0], signal.SIGKILL)) > max(signals.index((pid, signal.SIGTERM)) for pid in terms)
    for job in (first, second):
        with pytest.raises(ChildProcessError):
            os.waitpid(job.pid, os.WNOHANG)


def test_children_collected_are_left_alone() -> None:
    with background.Children() as children:
        job = children.start(run_in_background(sum, [1, 2]))
        assert job.result() == 3
    assert job.stopped_at is None
