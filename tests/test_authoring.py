"""pressroom new (an article from a template) and pressroom check (validation without rendering)."""

from __future__ import annotations

from pathlib import Path

from helpers import run_cli, write_article


def test_new_writes_a_commented_article_that_checks_clean_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    run = run_cli("new", "Reading: a Guide", cwd=tmp_path)
    assert (run.code, run.out, run.err) == (0, "created content/reading-a-guide.md\n", "")
    text = (tmp_path / "content" / "reading-a-guide.md").read_text()
    assert text.startswith('---\ntitle: "Reading: a Guide"\n# subtitle:')
    assert "# author:" in text and "# paper: a4" in text
    (tmp_path / "content" / "reading-a-guide.md").write_text(text + "\nMine.\n")
    again = run_cli("new", "Reading: a Guide", cwd=tmp_path)
    assert again.code == 2
    assert again.err == "pressroom: error: content/reading-a-guide.md already exists: choose another title, or edit that file\n"
    assert (tmp_path / "content" / "reading-a-guide.md").read_text().endswith("Mine.\n")
    check = run_cli("check", cwd=tmp_path)
    assert (check.code, check.out, check.err) == (0, "checked 1 article: no errors\n", "")


def test_check_reports_every_problem_with_path_and_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    write_article(tmp_path / "content", "# Fine\n\nText.\n", "fine.md")
    write_article(tmp_path / "content", "---\ntitel: Typo\ndate: 12\n---\n\nx\n", "types.md")
    write_article(tmp_path / "content", "# Chart\n\n![A chart](chart.png)\n", "chart.md")
    write_article(tmp_path / "content", "---\ntheme: modrn\n---\n\nText.\n", "themed.md")
    write_article(tmp_path / "content", "title: Pack\narticles:\n  - fine.md\n  - gone.md\n", "reader.pack.yaml")
    run = run_cli("check", cwd=tmp_path)
    assert run.code == 1
    assert run.err.splitlines() == [
        "content/chart.md:3: error: image not found: chart.png",
        "content/themed.md:2: error: unknown theme 'modrn' (did you mean 'modern'?); known: classic, large-print, modern",
        "content/types.md:2: warning: unknown key 'titel' ignored (did you mean 'title'?)",
        "content/types.md:3: error: 'date' must be a date such as 2024-05-31 or 31 May 2024, not 12",
        "content/reader.pack.yaml:4: error: article not found: gone.md",
        "3 of 4 articles and 1 of 1 reader pack failed the check",
    ]
    assert run.out == ""
    assert not (tmp_path / "dist").exists() and not (tmp_path / ".cache").exists()


def test_check_reports_the_project_settings(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["docx"]\n')
    write_article(tmp_path / "content", "# Fine\n\nText.\n", "fine.md")
    run = run_cli("check", cwd=tmp_path)
    assert run.code == 1
    assert "pyproject.toml: error: [tool.pressroom] unknown format 'docx'" in run.err
