"""Project settings in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressroom.load.settings import find_project_root, load_project
from pressroom.model import ConfigError


def test_defaults_without_settings(tmp_path: Path) -> None:
    project = load_project(tmp_path, [])
    assert (project.content_dir, project.output_dir, project.formats) == (tmp_path / "content", tmp_path / "dist", ("pdf", "epub"))


def test_settings_and_metadata_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pressroom]\ncontent = "articles"\noutput = "out"\nformats = ["epub"]\npublisher = "P"\npaper = "letter"\n'
    )
    project = load_project(tmp_path, [])
    assert project.content_dir == tmp_path / "articles" and project.output_dir == tmp_path / "out"
    assert project.formats == ("epub",)
    assert project.defaults == {"publisher": "P", "paper": "letter"}


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["docx"]\npaper = "a0"\noutput = 3\npublishr = "x"\n')
    warnings: list = []
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path, warnings)
    messages = [d.message for d in info.value.diagnostics]
    assert len(messages) == 3
    assert any("docx" in m for m in messages) and any("paper" in m for m in messages) and any("output" in m for m in messages)
    assert "did you mean 'publisher'?" in warnings[0].message


def test_project_root_is_the_nearest_pressroom_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.other]\n")
    assert find_project_root(tmp_path / "sub" / "deep") == tmp_path
