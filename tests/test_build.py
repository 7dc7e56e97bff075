"""Ordering and writing: nothing half-written, the last good output survives a failure."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from helpers import run_cli, start_build, terminate, write_article

from pressroom.render.article import build_time


def test_a_failed_build_keeps_the_last_good_outputs(tmp_path: Path) -> None:
    source = write_article(tmp_path, "# Good\n\nText.\n", "doc.md")
    assert run_cli("doc.md", "--out", "out", cwd=tmp_path).code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    source.write_text("# Broken\n\n![gone](missing.png)\n")
    run = run_cli("doc.md", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    after = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert after == before


def test_build_time_prefers_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pressroom.load.articles import load_article

    source = write_article(tmp_path, "# T\n\nx\n")
    os.utime(source, (1_500_000_000, 1_500_000_000))
    article = load_article(source, tmp_path, {}, {}, [])
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_time(article) == dt.datetime(2017, 7, 14, 2, 40, tzinfo=dt.UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert build_time(article) == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def test_pdf_and_epub_are_byte_identical_across_builds(tmp_path: Path) -> None:
    write_article(tmp_path, "# Same\n\nText with a note.[^1]\n\n[^1]: Note.\n", "doc.md")
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    assert run_cli("doc.md", "--out", "a", cwd=tmp_path, env=env).code == 0
    assert run_cli("doc.md", "--out", "b", cwd=tmp_path, env=env).code == 0
    for name in ("doc.pdf", "doc.epub"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def _article(words: int, marker: str) -> str:
    body = "\n\n".join(f"{marker} paragraph {i} " + "lorem ipsum dolor sit amet " * 20 for i in range(words // 100))
    return f"# {marker}\n\n{body}\n"


def _start_build(folder: Path, out: str = "out") -> subprocess.Popen[str]:
    (folder / "tmp").mkdir(exist_ok=True)  # a killed build's font copies stay here, not in /tmp
    return start_build(folder, "-q", "doc.md", "--out", out, temporary=folder / "tmp")


def test_a_build_killed_mid_way_leaves_the_previous_outputs_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed at any moment, every output is the previous build's or the new build's, whole."""
    import signal
    import time

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the new outputs' bytes are known in advance
    source = write_article(tmp_path, _article(15000, "Second"), "doc.md")
    assert run_cli("doc.md", "--out", "new", cwd=tmp_path).code == 0
    new = {p.name: p.read_bytes() for p in (tmp_path / "new").iterdir()}
    source.write_text(_article(3000, "First"))
    assert run_cli("doc.md", "--out", "out", cwd=tmp_path).code == 0
    good = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    source.write_text(_article(15000, "Second"))
    killed = 0
    for delay in (0.3, 1.5, 3.0, None):  # None: the moment a temporary output file appears
        process = _start_build(tmp_path)
        started = time.monotonic()
        while process.poll() is None:
            parts = list((tmp_path / "out").glob(".*.part"))
            if (delay is None and parts) or (delay is not None and time.monotonic() - started >= delay):
                break
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait()
        names = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir() if not p.name.endswith(".part")}
        if process.returncode == -signal.SIGKILL:
            killed += 1
            assert sorted(names) == sorted(good), f"outputs appeared or vanished after a kill at {delay}"
            for name, data in names.items():
                assert data in (good[name], new[name]), f"{name} is neither the old nor the new output after a kill at {delay}"
        for name in names:  # the next round starts from the previous build's outputs again
            (tmp_path / "out" / name).write_bytes(good[name])
    assert killed >= 2, "the builds finished before they could be killed: the test proved nothing"


def test_two_builds_into_the_same_folder_do_not_corrupt_each_other(tmp_path: Path) -> None:
    versions = {}
    for marker in ("Alpha", "Beta"):
        folder = tmp_path / marker
        write_article(folder, _article(6000, marker), "doc.md")
        assert run_cli("doc.md", "--out", "reference", cwd=folder, env={"SOURCE_DATE_EPOCH": "1"}).code == 0
        versions[marker] = {p.name: p.read_bytes() for p in (folder / "reference").iterdir()}
    shared = tmp_path / "shared"
    os.environ["SOURCE_DATE_EPOCH"] = "1"
    try:
        processes = [_start_build(tmp_path / marker, str(shared)) for marker in ("Alpha", "Beta")]
        assert [p.wait(timeout=600) for p in processes] == [0, 0]
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH")
    for name in ("doc.pdf", "doc.epub"):
        data = (shared / name).read_bytes()
        assert data in (versions["Alpha"][name], versions["Beta"][name])
    assert sorted(p.name for p in shared.iterdir()) == ["doc.epub", "doc.pdf"]


@pytest.mark.parametrize("epoch", [None, "1700000000"], ids=["article-mtime", "SOURCE_DATE_EPOCH"])
def test_separate_processes_give_byte_identical_outputs_and_a_change_changes_them(tmp_path: Path, epoch: str | None) -> None:
    import hashlib
    import subprocess
    import sys

    from helpers import REPO, SEED_ARTICLE

    source = tmp_path / "seed.md"
    source.write_bytes(SEED_ARTICLE.read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"} | ({"SOURCE_DATE_EPOCH": epoch} if epoch else {})

    def digests(out: str) -> dict[str, str]:
        subprocess.run(
            [sys.executable, str(REPO / "build.py"), "seed.md", "--out", out, "--force"],
            cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((tmp_path / out).iterdir())}

    first, second = digests("one"), digests("two")
    assert first == second and len(first) == 2
    mtime = source.stat().st_mtime
    source.write_text(source.read_text().replace("Conclusion: Embrace", "Conclusion: Seize"))
    os.utime(source, (mtime, mtime))
    changed = digests("three")
    assert changed["seed.pdf"] != first["seed.pdf"] and changed["seed.epub"] != first["seed.epub"]


def test_the_garbage_collector_is_paused_for_one_build_and_restored_after_it() -> None:
    import gc

    from pressroom.render.renderer import Renderer

    collector_paused = Renderer().collector_paused
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_one_off_process_keeps_the_collector_off_but_collects_between_articles(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import weakref

    from pressroom.render.renderer import Renderer

    class Node:
        pass

    pipeline = Renderer()
    frozen_before = gc.get_freeze_count()
    try:
        with pipeline.collector_off_until_exit():
            with pipeline.collector_paused():  # the first article
                first, second = Node(), Node()
                first.other, second.other = second, first  # a cycle only the collector frees
                left_behind = weakref.ref(first)
                del first, second
            assert not gc.isenabled() and left_behind() is not None  # not collected after the article
            with pipeline.collector_paused():  # the next article starts by collecting it
                assert left_behind() is None
                assert not gc.isenabled()
        assert not gc.isenabled()
        assert gc.get_freeze_count() > frozen_before  # what is left is not walked again at exit
    finally:
        gc.unfreeze()
        gc.enable()


def test_worker_processes_turn_the_collector_back_on() -> None:
    import gc

    from pressroom.build import _warm_up

    gc.disable()
    try:
        _warm_up()
        assert gc.isenabled()
    finally:
        gc.enable()


def test_sigterm_stops_a_parallel_build_without_building_the_articles_not_started(tmp_path: Path) -> None:
    import time

    for number in range(12):
        write_article(tmp_path / "content", f"# Article {number}\n\n" + "Some text. " * 200 + "\n", f"a{number:02}.md")
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf"]\n')
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    build = start_build(tmp_path, "-q", "-j", "2", temporary=temporary)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "dist").glob("*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.02)
    err = terminate(build)
    assert build.returncode == 143, err
    assert len(list((tmp_path / "dist").glob("*.pdf"))) < 12  # queued articles were dropped
    assert list((tmp_path / "dist").glob(".*.part")) == []  # nothing half-written
    assert sorted(temporary.iterdir()) == []  # each worker removed its font copies
