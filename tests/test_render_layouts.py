"""The shared Jinja layouts: strict, autoescaped, sandboxed, overridable by a project."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import epub_text, pdf_text, run_cli, write_article

from pressroom.load.settings import BUILTIN_LAYOUTS
from pressroom.model import BuildError
from pressroom.render.layouts import css_string, render


def test_content_is_data_never_template_code(tmp_path: Path) -> None:
    source = write_article(tmp_path, '---\ntitle: "{{ 7*7 }} <b>bold</b> {% raw %}"\n---\n\nBody {{ 6*6 }} text.\n')
    run = run_cli(source, "--out", tmp_path / "out")
    assert run.code == 0, run.err
    epub = tmp_path / "out" / "article.epub"
    assert "{{ 7*7 }} <b>bold</b> {% raw %}" in epub_text(epub)
    assert "Body {{ 6*6 }} text." in epub_text(epub)
    assert "{{ 7*7 }} <b>bold</b>" in pdf_text(tmp_path / "out" / "article.pdf")[0]


def test_undefined_variables_are_errors() -> None:
    with pytest.raises(BuildError, match="undefined value"):
        render((BUILTIN_LAYOUTS,), "article.html")


def test_a_project_layout_overrides_and_extends_the_default(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    write_article(
        tmp_path / "layouts",
        '{% extends "default/handout.html" %}\n{% block title_block %}<p class="event">PyCon Handout</p>{{ super() }}{% endblock %}\n',
        "handout.html",
    )
    write_article(tmp_path / "content", "# Talk\n\nText.\n", "talk.md")
    run = run_cli(cwd=tmp_path)
    assert run.code == 0, run.err
    first_page = pdf_text(tmp_path / "dist" / "talk.pdf")[0]
    assert first_page.startswith("PyCon Handout") and "Talk" in first_page
    assert "PyCon Handout" not in epub_text(tmp_path / "dist" / "talk.epub")  # only the handout changed


def test_template_syntax_errors_name_the_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    write_article(tmp_path / "layouts", "{% extends 'default/handout.html' %}\n{% block head %}{% if %}{% endblock %}\n", "handout.html")
    write_article(tmp_path / "content", "# T\n\nx\n", "t.md")
    run = run_cli("--format", "pdf", cwd=tmp_path)
    assert run.code == 1
    assert "layouts/handout.html:2: error: template syntax error" in run.err


def test_css_string_escapes_quotes_and_markup() -> None:
    assert css_string('Say "hi" </style>\\') == "Say \\22 hi\\22  \\3c /style\\3e \\5c "
