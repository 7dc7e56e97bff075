"""Ordering and writing: nothing half-written, the last good output survives a failure."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from helpers import run_cli, write_article
from pressroom.pipeline import build_time, write_atomic


def test_write_atomic_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.pdf"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["a.pdf"]


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
    from pressroom.content import load_article

    source = write_article(tmp_path, "# T\n\nx\n")
    os.utime(source, (1_500_000_000, 1_500_000_000))
    article = load_article(source, tmp_path, {}, {}, [])
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_time(article) == dt.datetime(2017, 7, 14, 2, 40, tzinfo=dt.timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert build_time(article) == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def test_pdf_and_epub_are_byte_identical_across_builds(tmp_path: Path) -> None:
    write_article(tmp_path, "# Same\n\nText with a note.[^1]\n\n[^1]: Note.\n", "doc.md")
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    assert run_cli("doc.md", "--out", "a", cwd=tmp_path, env=env).code == 0
    assert run_cli("doc.md", "--out", "b", cwd=tmp_path, env=env).code == 0
    for name in ("doc.pdf", "doc.epub"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
