"""The command line: outputs, exact messages with path:line, exit codes, options."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from helpers import REPO, run_cli, write_article


def test_bad_yaml_block_is_reported_with_path_and_line(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: Bad\nauthor: [unclosed\ndate: 2024-01-01\n---\n\nText\n", "bad.md")
    run = run_cli("bad.md", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    assert run.err == (
        "bad.md:4: error: invalid YAML in front matter: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts on line 3)\n"
        "1 of 1 article failed\n"
    )
    assert run.out == ""
    assert not (tmp_path / "out").exists()


def test_missing_image_is_reported_with_path_and_line(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: Chart\n---\n\nIntro.\n\n![A chart](img/chart.png)\n", "chart.md")
    run = run_cli("chart.md", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    assert run.err == "chart.md:7: error: image not found: img/chart.png\n1 of 1 article failed\n"


def test_wrong_type_is_an_error_and_unknown_key_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitel: Typo\ndate: 12\n---\n\nx\n", "types.md")
    run = run_cli("types.md", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    assert run.err.splitlines()[:2] == [
        "types.md:2: warning: unknown key 'titel' ignored (did you mean 'title'?)",
        "types.md:3: error: 'date' must be a date such as 2024-05-31 or 31 May 2024, not 12",
    ]


def test_one_line_per_output_and_other_articles_still_built(tmp_path: Path) -> None:
    write_article(tmp_path / "content", "# Good\n\nFine.\n", "good.md")
    write_article(tmp_path / "content", "---\ntitle: [\n---\n", "broken.md")
    run = run_cli("content", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    assert run.out == "wrote out/good.pdf\nwrote out/good.epub\n"
    assert run.err.startswith("content/broken.md:2: error: invalid YAML in front matter")
    assert run.err.endswith("1 of 2 articles failed\n")


def test_default_build_reads_content_and_writes_dist(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\npublisher = "The Press"\n')
    write_article(tmp_path / "content" / "talks", "# Talk\n\nHello.\n", "talk.md")
    run = run_cli(cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.out == "wrote dist/talk.pdf\nwrote dist/talk.epub\n"
    assert pypdf.PdfReader(tmp_path / "dist" / "talk.pdf").metadata.title == "Talk"


def test_format_option_limits_outputs(tmp_path: Path) -> None:
    write_article(tmp_path, "# Only\n\nText.\n", "only.md")
    run = run_cli("only.md", "--out", "out", "--format", "epub", cwd=tmp_path)
    assert run.code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["only.epub"]


def test_metadata_override(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: Original\n---\n\nText.\n", "doc.md")
    run = run_cli("doc.md", "--out", "out", "-M", "title=Overridden", "-M", "author=[Ann, Bob]", "--format", "pdf", cwd=tmp_path)
    assert run.code == 0, run.err
    meta = pypdf.PdfReader(tmp_path / "out" / "doc.pdf").metadata
    assert meta.title == "Overridden"
    assert meta.author == "Ann, Bob"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "docx"], "pressroom: error: unknown format 'docx'; known: pdf, epub, html"),
        (["-M", "novalue"], "pressroom: error: -M expects KEY=VALUE, got 'novalue'"),
        (["-M", "date=soon"], "pressroom: error: 'date' must be a date such as 2024-05-31 or 31 May 2024, not 'soon'"),
        (["-M", "titel=x"], "pressroom: error: unknown key 'titel' (did you mean 'title'?)"),
        (["missing.md"], "pressroom: error: missing.md: no such file or folder"),
        (["-M", "date=2024-02-30"], "pressroom: error: 'date' is not a real date: 2024-02-30 (that month has no day 30)"),
        (
            ["-M", "event={name: X, date: 2024-13-01}"],
            "pressroom: error: 'event.date' is not a real date: 2024-13-01 (there is no month 13)",
        ),
        (["pyproject.toml"], "pressroom: error: pyproject.toml: not a Markdown file (.md) or a reader pack (.pack.yaml)"),
        (
            [],
            "pressroom: error: no content/ folder in {root}: name the Markdown files or folders to build, or create it and put articles in it",
        ),
        (["empty"], "pressroom: error: nothing to build: no Markdown files (.md) or reader packs (.pack.yaml) in empty"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    (tmp_path / "empty").mkdir()
    run = run_cli(*args, cwd=tmp_path)
    assert run.code == 2
    assert run.err.strip() == message.format(root=tmp_path)
    assert not (tmp_path / "dist").exists()


def test_help(tmp_path: Path) -> None:
    run = run_cli("--help", cwd=tmp_path)
    assert run.code == 0
    assert "--format" in run.out and "--metadata" in run.out and "--out" in run.out


def test_build_py_entry_point_runs_as_a_script(tmp_path: Path) -> None:
    import subprocess
    import sys

    write_article(tmp_path, "# Script\n\nText.\n", "s.md")
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "s.md", "--out", "out", "--format", "epub"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote out/s.epub\n"


def test_parallel_builds_report_in_a_stable_order_and_keep_going(tmp_path: Path) -> None:
    for name in ("a", "b", "c", "d"):
        text = "---\ntitle: [broken\n---\n" if name == "b" else f"# {name.upper()}\n\nText {name}.\n"
        write_article(tmp_path / "content", text, f"{name}.md")
    run = run_cli("content", "--out", "out", "--format", "epub", "-j", "2", "--force", cwd=tmp_path)
    assert run.code == 1
    assert run.out == "wrote out/a.epub\nwrote out/c.epub\nwrote out/d.epub\n"
    assert run.err.splitlines() == [
        "content/b.md:2: error: invalid YAML in front matter: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)",
        "1 of 4 articles failed",
    ]


def test_verbose_prints_stage_timings_and_quiet_prints_nothing(tmp_path: Path) -> None:
    write_article(tmp_path, "# T\n\nText.\n", "t.md")
    verbose = run_cli("t.md", "--out", "out", "-v", "--force", cwd=tmp_path)
    assert "  t.md: load " in verbose.out and "convert" in verbose.out and "layout" in verbose.out and "epub" in verbose.out
    quiet = run_cli("t.md", "--out", "out", "-q", "--force", cwd=tmp_path)
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")


def test_two_articles_with_the_same_slug_is_an_error(tmp_path: Path) -> None:
    write_article(tmp_path / "content", "---\nslug: same\n---\n\nOne.\n", "one.md")
    write_article(tmp_path / "content", "---\nslug: same\n---\n\nTwo.\n", "two.md")
    run = run_cli("content", "--out", "out", "--format", "epub", "-j", "1", cwd=tmp_path)
    assert run.code == 1
    assert run.out == "wrote out/same.epub\n"
    assert run.err.splitlines() == [
        "content/two.md: error: its outputs would be named 'same', like those of content/one.md: give one a different slug",
        "1 of 2 articles failed",
    ]
    assert b"One." in __import__("zipfile").ZipFile(tmp_path / "out" / "same.epub").read("EPUB/chapter.xhtml")


def test_build_is_the_default_command_and_can_be_named(tmp_path: Path) -> None:
    write_article(tmp_path, "# Named\n\nText.\n", "named.md")
    assert run_cli("build", "named.md", "--out", "a", "--format", "epub", cwd=tmp_path).out == "wrote a/named.epub\n"
    assert run_cli("named.md", "--out", "b", "--format", "epub", cwd=tmp_path).out == "wrote b/named.epub\n"


def test_python_dash_m_pressroom_runs_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    write_article(tmp_path, "# Module\n\nText.\n", "m.md")
    run = subprocess.run([sys.executable, "-m", "pressroom", "check", "m.md"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout) == (0, "checked 1 article: no errors\n"), run.stderr


def test_ctrl_c_ends_the_build_with_one_line_and_by_sigint(tmp_path: Path) -> None:
    """No traceback for Ctrl-C, nothing half-written, and the exit a calling script can see."""
    import signal

    from helpers import start_build, wait_for

    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    for number in range(30):
        write_article(tmp_path / "content", f"# Article {number}\n\nText.\n", f"a{number:02}.md")
    build = start_build(tmp_path, "-j", "1")
    assert wait_for(lambda: (tmp_path / "dist").is_dir() and any((tmp_path / "dist").glob("*.epub")))
    build.send_signal(signal.SIGINT)
    output, _ = build.communicate(timeout=60)
    assert build.returncode == -signal.SIGINT
    assert output.rstrip().endswith("pressroom: interrupted"), output
    assert "Traceback" not in output
    assert not [p for p in (tmp_path / "dist").iterdir() if p.name.startswith(".")]
