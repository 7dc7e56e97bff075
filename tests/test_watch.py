"""Watch mode: a saved change rebuilds what it affects, in the running process."""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from pathlib import Path

from helpers import start_build, terminate, wait_for, write_article


def test_saving_an_article_or_a_layout_rebuilds_and_errors_do_not_stop_watching(tmp_path: Path) -> None:
    from pressroom.build import BuildRequest
    from pressroom.load.settings import load_project
    from pressroom.store.cache import CACHE_FOLDER, BuildCache
    from pressroom.watch import watch

    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf"]\n')
    article = write_article(tmp_path / "content", "# Watched\n\nFirst text.\n", "w.md")
    write_article(tmp_path / "content", "# Other\n\nUntouched.\n", "o.md")
    project = load_project(tmp_path, [])
    request = BuildRequest([project.content_dir], project, project.output_dir, ("pdf",), {}, 1, BuildCache(tmp_path / CACHE_FOLDER), 1)
    stop = threading.Event()
    log = io.StringIO()
    previous = os.getcwd()
    os.chdir(tmp_path)

    def run() -> None:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            watch(request, stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        pdf, other_pdf = tmp_path / "dist" / "w.pdf", tmp_path / "dist" / "o.pdf"
        assert wait_for(lambda: pdf.exists() and other_pdf.exists())
        time.sleep(0.5)
        first, other_first = pdf.stat().st_mtime_ns, other_pdf.stat().st_mtime_ns

        article.write_text("# Watched\n\nSecond text.\n")
        assert wait_for(lambda: pdf.stat().st_mtime_ns != first), log.getvalue()
        assert other_pdf.stat().st_mtime_ns == other_first  # only what the change affects
        assert wait_for(lambda: log.getvalue().count("wrote dist/w.pdf") == 2)
        assert "unchanged" not in log.getvalue() and log.getvalue().count("dist/o.pdf") == 1  # only what changed is printed

        article.write_text("---\ntitle: [broken\n---\n")
        assert wait_for(lambda: "error: invalid YAML" in log.getvalue()), log.getvalue()

        article.write_text("# Watched\n\nThird text.\n")
        second = pdf.stat().st_mtime_ns
        assert wait_for(lambda: pdf.stat().st_mtime_ns != second), log.getvalue()

        write_article(tmp_path / "layouts", '{% extends "default/handout.html" %}\n', "handout.html")
        third, other_third = pdf.stat().st_mtime_ns, other_pdf.stat().st_mtime_ns
        assert wait_for(lambda: pdf.stat().st_mtime_ns != third and other_pdf.stat().st_mtime_ns != other_third), log.getvalue()
    finally:
        stop.set()
        thread.join(timeout=30)
        os.chdir(previous)
    assert not thread.is_alive()


def test_a_watcher_ended_with_sigterm_cleans_up_after_itself(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf"]\n')
    write_article(tmp_path / "content", "# Watched\n\nText.\n", "w.md")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    watcher = start_build(tmp_path, "--watch", temporary=temporary)
    assert wait_for(lambda: (tmp_path / "dist" / "w.pdf").exists())
    assert wait_for(lambda: any(temporary.iterdir()))  # WeasyPrint's copies of the layout fonts
    time.sleep(0.5)
    output = terminate(watcher)
    assert watcher.returncode == 143, output
    assert sorted(temporary.iterdir()) == [], output
