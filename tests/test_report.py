"""Reporting a build: what happens to the results still to come when the build stops early."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import write_article

import pressroom.report as report
from pressroom.build import ArticleResult, BuildRequest
from pressroom.load.settings import load_project


def test_ctrl_c_between_two_articles_closes_the_results_before_the_build_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The results of a build (local workers, or a cluster's writers) are a generator whose
    clean-up waits for what is being written; a Ctrl-C that lands while the build prints an
    article's lines must run that clean-up before the process ends itself, not leave it to the
    collector (a cluster build once left a temporary beside an output that way)."""
    first = write_article(tmp_path / "content", "# One\n", "one.md")
    second = write_article(tmp_path / "content", "# Two\n", "two.md")
    events: list[str] = []

    def results(sources: list[Path], *args: Any) -> Iterator[ArticleResult]:
        try:
            for source in sources:
                yield ArticleResult(source, cached=True)
        finally:
            events.append("results closed")

    def interrupt(result: ArticleResult) -> None:
        events.append(f"observed {result.source.name}")
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "build_many", results)
    project = load_project(tmp_path, [])
    request = BuildRequest([first, second], project, tmp_path / "dist", ("pdf",), {}, verbosity=0)
    try:
        report.run_build(request, observe=interrupt)
    except KeyboardInterrupt:
        assert events == ["observed one.md", "results closed"]  # closed already, while the interrupt is on its way
    else:
        pytest.fail("the interrupt did not reach the caller")
