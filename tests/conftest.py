"""Shared fixtures: the seed article and the documentation fixture, each built once per session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import FIXTURES, SEED_ARTICLE, Run, run_cli  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def hyphenation_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Builds in the tests keep parsed hyphenation patterns in a folder of the session's, not in
    the home folder of whoever runs them (pressroom/accel/hyphenation.py)."""
    folder = tmp_path_factory.mktemp("hyphenation-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRESSROOM_HYPHENATION_CACHE", str(folder))
        yield folder


@dataclass
class Built:
    run: Run
    pdf: Path
    epub: Path


def _build(source: Path, out: Path, *extra: str) -> Built:
    run = run_cli(source, "--out", out, *extra, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert run.code == 0, run.err
    stem = {"professional-organizations.md": "professional-organizations"}.get(source.name, source.stem)
    return Built(run, out / f"{stem}.pdf", out / f"{stem}.epub")


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The repository's article, built as `make` builds it."""
    return _build(SEED_ARTICLE, tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="session")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A documentation page with no front matter: tables, code, raw HTML, images in subfolders."""
    return _build(FIXTURES / "manual" / "guide.md", tmp_path_factory.mktemp("manual"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With PRESSROOM_ACCEL=off (the suite's second CI run, on the plain paths), the tests of what
    one patch does skip: that patch is off. tests/test_accel.py, which checks the guards and that
    outputs are the same either way, still runs, as does everything else."""
    import os

    if os.environ.get("PRESSROOM_ACCEL", "").lower() != "off":
        return
    skip = pytest.mark.skip(reason="PRESSROOM_ACCEL=off: this tests a patch of another library's internals")
    for item in items:
        if item.path.name.startswith("test_accel_") or item.get_closest_marker("needs_accel"):
            item.add_marker(skip)
