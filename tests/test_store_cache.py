"""The build cache: what invalidates what, and that a no-op build stays cheap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, run_cli, write_article

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f1a7b50000000049454e44ae426082"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["epub"]\n')
    write_article(tmp_path / "content", "# Cached\n\n![dot](dot.png)\n\nText.\n", "a.md")
    write_article(tmp_path / "content", "# Other\n\nText.\n", "b.md")
    (tmp_path / "content" / "dot.png").write_bytes(PNG)
    assert build(tmp_path) == {"a": "wrote", "b": "wrote"}
    return tmp_path


def build(folder: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    run = run_cli(*args, cwd=folder, env=env)
    assert run.code == 0, run.err
    return {line.split("/")[-1].split(".")[0]: line.split()[0] for line in run.out.splitlines()}


def test_nothing_changed_nothing_rebuilt(project: Path) -> None:
    before = (project / "dist" / "a.epub").stat().st_mtime_ns
    assert build(project) == {"a": "unchanged", "b": "unchanged"}
    assert (project / "dist" / "a.epub").stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("change", "rebuilt"),
    [
        (lambda p: (p / "content" / "a.md").write_text("# Cached\n\n![dot](dot.png)\n\nEdited.\n"), {"a"}),
        (lambda p: (p / "content" / "dot.png").write_bytes(PNG + b"\0"), {"a"}),
        (lambda p: write_article(p / "layouts", "/* mine */ body { margin: 0 }\n", "epub.css"), {"a", "b"}),
        (lambda p: (p / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["epub"]\npublisher = "P"\n'), {"a", "b"}),
        (lambda p: (p / "dist" / "b.epub").write_bytes(b"tampered"), {"b"}),
        (lambda p: (p / "dist" / "a.epub").unlink(), {"a"}),
        (lambda p: [f.write_text("{not json") for f in (p / ".cache" / "pressroom").glob("*.json")], {"a", "b"}),
        (lambda p: __import__("shutil").rmtree(p / ".cache"), {"a", "b"}),
    ],
    ids=["article", "image", "layout", "settings", "output-tampered", "output-deleted", "corrupt-cache", "cache-deleted"],
)
def test_what_invalidates_what(project: Path, change, rebuilt: set[str]) -> None:
    change(project)
    result = build(project)
    assert {name for name, verb in result.items() if verb == "wrote"} == rebuilt
    assert (project / "dist" / "b.epub").read_bytes()[:2] == b"PK"


def test_options_and_source_date_epoch_are_part_of_the_key(project: Path) -> None:
    assert build(project, "-M", "publisher=X") == {"a": "wrote", "b": "wrote"}
    assert build(project, "-M", "publisher=X") == {"a": "unchanged", "b": "unchanged"}
    assert build(project, env={"SOURCE_DATE_EPOCH": "1"}) == {"a": "wrote", "b": "wrote"}
    assert build(project, "--force", env={"SOURCE_DATE_EPOCH": "1"}) == {"a": "wrote", "b": "wrote"}


def test_warnings_are_repeated_for_unchanged_articles(project: Path) -> None:
    write_article(project / "content", "---\ntitel: x\n---\n\nText.\n", "c.md")
    first, second = run_cli(cwd=project), run_cli(cwd=project)
    assert "content/c.md:2: warning: unknown key 'titel' ignored (did you mean 'title'?)" in first.err
    assert first.err == second.err and "unchanged dist/c.epub" in second.out


def exit_code_and_loaded(project: Path, args: list[str], modules: tuple[str, ...]) -> str:
    """``main(args)`` in a fresh process in ``project``: "<exit code> <whether any of modules was loaded>"."""
    code = f"import sys; from pressroom.cli import main; code = main({args!r}); print(code, any(m in sys.modules for m in {modules!r}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.stdout, result.stderr
    return result.stdout.splitlines()[-1]


def test_a_no_op_build_does_not_load_weasyprint(project: Path) -> None:
    """Nor the YAML parser: without a slug in the front matter, the output name is the file name."""
    assert exit_code_and_loaded(project, [], ("weasyprint", "yaml")) == "0 False"


def test_a_web_edition_alone_does_not_load_weasyprint(project: Path) -> None:
    """Nothing to lay out in pages: no WeasyPrint, and the page is written."""
    assert exit_code_and_loaded(project, ["--format", "html", "--out", "web", "-j", "1"], ("weasyprint",)) == "0 False"
    assert sorted(p.parent.name for p in (project / "web").glob("*/index.html"))


def test_cache_entries_record_reads_and_writes(project: Path) -> None:
    entries = [json.loads(p.read_text()) for p in (project / ".cache" / "pressroom").glob("*.json")]
    entry = next(e for e in entries if any(k.endswith("a.md") for k in e["reads"]))
    assert any(k.endswith("dot.png") for k in entry["reads"])
    assert [Path(k).name for k in entry["writes"]] == ["a.epub"]


def test_layout_files_are_covered_by_the_key_not_hashed_again_on_every_run(tmp_path: Path) -> None:
    import shutil

    from pressroom.load.settings import BUILTIN_LAYOUTS

    shutil.copytree(BUILTIN_LAYOUTS, tmp_path / "layouts")
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf"]\n')
    write_article(tmp_path / "content", "# Fonts\n\nText in *italics*.\n", "a.md")
    assert build(tmp_path) == {"a": "wrote"}
    (entry,) = [json.loads(p.read_text()) for p in (tmp_path / ".cache" / "pressroom").glob("*.json")]
    assert [Path(k).name for k in entry["reads"]] == ["a.md"]  # no fonts, no stylesheets
    assert build(tmp_path) == {"a": "unchanged"}
    font = tmp_path / "layouts" / "fonts" / "NotoSerif-Italic.ttf"
    status = font.stat()
    os.utime(font, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))  # a font replaced
    assert build(tmp_path) == {"a": "wrote"}


def test_outputs_of_a_deleted_article_are_removed_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf", "epub", "html"]\n')
    old = write_article(tmp_path / "content", "# Old\n\nGoing.\n", "old.md")
    write_article(tmp_path / "content", "# Kept\n\nStaying.\n", "kept.md")
    assert run_cli(cwd=tmp_path).code == 0
    dist = tmp_path / "dist"
    (dist / "notes.txt").write_text("mine")  # not Pressroom's
    (dist / "old" / "extra.txt").write_text("mine too")  # inside a web edition Pressroom writes whole
    old.unlink()
    run = run_cli(cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "unchanged dist/kept.pdf", "unchanged dist/kept.epub", "unchanged dist/kept/index.html",
        "removed dist/old.pdf", "removed dist/old.epub", "removed dist/old/",
    ]  # fmt: skip
    assert sorted(p.name for p in dist.iterdir()) == ["kept", "kept.epub", "kept.pdf", "notes.txt"]
    assert run_cli(cwd=tmp_path).out.count("removed") == 0  # forgotten once removed


def test_an_output_replaced_since_or_another_folder_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf"]\n')
    gone = write_article(tmp_path / "content", "# Gone\n\nText.\n", "gone.md")
    other = write_article(tmp_path / "content", "# Other\n\nText.\n", "other.md")
    assert run_cli(cwd=tmp_path).code == 0
    assert run_cli(other, "--out", "elsewhere", cwd=tmp_path).code == 0
    (tmp_path / "dist" / "gone.pdf").write_bytes(b"a file the user put there since")
    gone.unlink()
    other.unlink()
    write_article(tmp_path / "content", "# New\n\nText.\n", "new.md")
    run = run_cli(cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["wrote dist/new.pdf", "removed dist/other.pdf"]
    assert (tmp_path / "dist" / "gone.pdf").read_bytes() == b"a file the user put there since"
    assert (tmp_path / "elsewhere" / "other.pdf").exists()  # another output folder: not this build's


def test_outputs_under_an_articles_old_slug_are_removed_when_it_is_renamed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf", "html"]\n')
    article = write_article(tmp_path / "content", "---\nslug: first-name\n---\n\n# Renamed\n\nText.\n", "a.md")
    assert run_cli(cwd=tmp_path).code == 0
    article.write_text(article.read_text().replace("first-name", "second-name"))
    run = run_cli(cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "wrote dist/second-name.pdf", "wrote dist/second-name/index.html", "removed dist/first-name.pdf", "removed dist/first-name/",
    ]  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["second-name", "second-name.pdf"]


def test_an_entry_is_found_however_its_paths_are_spelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pressroom.store.cache import BuildCache, Entry

    (tmp_path / "real" / "content").mkdir(parents=True)
    source = tmp_path / "real" / "content" / "a.md"
    source.write_text("# A\n")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    BuildCache(tmp_path / "cache").store(source, tmp_path / "real" / "dist", ("pdf",), Entry("k", {str(source): "d"}))
    monkeypatch.chdir(tmp_path / "link")
    cache = BuildCache(tmp_path / "cache")  # fresh memos: each spelling resolved on its own
    for spelling in [Path("content/a.md"), tmp_path / "link" / "content" / "a.md", Path("content/../content/a.md")]:
        entry = cache.lookup(spelling, Path("dist"), ("pdf",), "k", {str(source): "d"})
        assert entry is not None and entry.source == str(source), spelling


def test_a_cache_sent_to_a_worker_leaves_its_memos_behind(tmp_path: Path) -> None:
    import pickle

    from pressroom.store.cache import BuildCache

    cache = BuildCache(tmp_path / "cache")
    for index in range(500):
        cache.once(("folder", index), lambda: tmp_path)
        cache._resolve(tmp_path / f"article-{index}.md")
    copy = pickle.loads(pickle.dumps(cache))
    assert copy.folder == cache.folder and len(pickle.dumps(cache)) < 300
    assert copy.once(("folder", 1), lambda: "computed again") == "computed again"
