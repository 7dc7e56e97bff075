"""One failure stays one article's failure: a fault injected into each stage in turn, in each way
of building (one process, worker processes, a reader pack, watch mode), is reported as that
article's internal error, while the other articles come out byte-identical to a clean build."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run_cli, wait_for, write_article

from pressroom.model import STAGE_ACTIVITIES

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}

#: Each stage, and the function a test double replaces to make it fail.
STAGES = {
    "load": ("pressroom.build", "load_article"),
    "convert": ("pressroom.convert.markdown", "convert"),
    "layout": ("pressroom.render.handout", "layout_handout"),
    "pdf": ("pressroom.render.handout", "write_pdf"),
    "booklet": ("pressroom.render.handout", "booklet_pdf"),
    "cover": ("pressroom.render.cover", "make_cover"),
    "epub": ("pressroom.render.epub", "build_epub"),
    "html": ("pressroom.render.web", "web_files"),
    "pack": ("pressroom.render.pack", "gather"),
    "write": ("pressroom.build", "replace_outputs"),
}
PACK_LOAD = ("pressroom.render.pack", "load_pack")  # a pack is read by its own loader
FAULTS: list[type[BaseException]] = [AssertionError, MemoryError, RecursionError, OSError]
ARGS = ("--format", "pdf,epub,html", "--force")


def make_project(root: Path) -> Path:
    """Two good articles around the one that fails, and a pack that fails for the pack stage."""
    (root / "pyproject.toml").write_text("[tool.pressroom]\n")
    content = root / "content"
    for name in ("alpha", "bad", "omega"):
        text = f"---\ntitle: {name.title()}\nbooklet: true\n---\n\nSome text.[^n]\n\n[^n]: A note.\n\n## Part\n\nMore text.\n"
        write_article(content, text, f"{name}.md")
    (content / "reader.pack.yaml").write_text("title: Bad Pack\narticles: [alpha.md, omega.md]\n")
    return root


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The outputs of a clean build: what the good articles must still come out as."""
    root = make_project(tmp_path_factory.mktemp("clean"))
    run = run_cli(*ARGS, "-j", "1", cwd=root, env=EPOCH)
    assert run.code == 0, run.err
    return outputs(root / "dist")


def outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def of(files: dict[str, bytes], stem: str) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name.split("/")[0].split(".")[0].removesuffix("-booklet") == stem}


@contextlib.contextmanager
def fault(stage: str, kind: type[BaseException], victim: str) -> Iterator[None]:
    """Replace the stage's function with a double that raises ``kind`` while ``victim`` (a file
    name) is being built, and calls the real function otherwise. Worker processes are forked, so
    they inherit the double."""
    from pressroom import build as pipeline

    building: dict[str, Path] = {}
    real_build = pipeline._build_article

    def tracking(source: Path, *args: object, **kwargs: object) -> object:
        building["source"] = source
        return real_build(source, *args, **kwargs)

    where = PACK_LOAD if (stage, victim.endswith(".pack.yaml")) == ("load", True) else STAGES[stage]
    module = importlib.import_module(where[0])
    name = where[1]
    real = getattr(module, name)

    def double(*args: object, **kwargs: object) -> object:
        if building["source"].name == victim:
            raise kind("injected fault")
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "_build_article", tracking)
        patch.setattr(module, name, double)
        yield


def check(stage: str, kind: type[BaseException], code: int, err: str, dist: Path, clean: dict[str, bytes], victim: str) -> None:
    assert code == 1, err
    expected = f"content/{victim}: error: internal error while {STAGE_ACTIVITIES[stage]}: {kind.__name__}: injected fault"
    assert expected in err.splitlines(), err
    assert "Traceback" not in err
    built = outputs(dist)
    for stem in ("alpha", "omega"):
        assert of(built, stem) == of(clean, stem), f"{stem} differs after a fault in {stage}"
    assert of(built, victim.split(".")[0]) == {}, "the failed article's outputs were written"
    assert not [p for p in dist.rglob("*") if p.name.startswith(".")], "temporary files left behind"


def cases(stages: list[str]) -> list[tuple[str, type[BaseException]]]:
    """Each stage with one of the four faults, rotating, so that every fault is met in every mode."""
    return [(stage, FAULTS[i % len(FAULTS)]) for i, stage in enumerate(stages)]


ARTICLE_STAGES = [s for s in STAGES if s != "pack"]


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(("stage", "kind"), cases(ARTICLE_STAGES))
def test_a_fault_in_any_stage_fails_only_its_article(
    tmp_path: Path, clean: dict[str, bytes], jobs: str, stage: str, kind: type[BaseException]
) -> None:
    root = make_project(tmp_path)
    (root / "content" / "reader.pack.yaml").unlink()
    with fault(stage, kind, "bad.md"):
        run = run_cli(*ARGS, "-j", jobs, cwd=root, env=EPOCH)
    check(stage, kind, run.code, run.err, root / "dist", clean, "bad.md")


@pytest.mark.parametrize(("stage", "kind"), cases(["load", "convert", "pack", "layout", "epub", "write"]))
def test_a_fault_while_building_a_reader_pack_fails_only_the_pack(
    tmp_path: Path, clean: dict[str, bytes], stage: str, kind: type[BaseException]
) -> None:
    root = make_project(tmp_path)
    with fault(stage, kind, "reader.pack.yaml"):
        run = run_cli(*ARGS, "-j", "1", cwd=root, env=EPOCH)
    check(stage, kind, run.code, run.err, root / "dist", clean, "reader.pack.yaml")
    assert of(outputs(root / "dist"), "bad") == of(clean, "bad")


def test_with_v_the_traceback_follows_the_message(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    with fault("layout", RecursionError, "bad.md"):
        run = run_cli("content/bad.md", "-v", cwd=root)
    assert run.code == 1
    assert "content/bad.md: error: internal error while laying out the handout: RecursionError: injected fault" in run.err
    assert "Traceback (most recent call last)" in run.err


def test_a_failed_rebuild_keeps_the_previous_outputs(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert run_cli("content/bad.md", *ARGS, cwd=root).code == 0
    before = outputs(root / "dist")
    with fault("epub", MemoryError, "bad.md"):
        run = run_cli("content/bad.md", *ARGS, cwd=root)
    assert run.code == 1
    assert outputs(root / "dist") == before  # the PDF made before the fault did not replace the last good one


def test_watch_mode_reports_an_internal_error_and_keeps_watching(tmp_path: Path) -> None:
    from pressroom.build import BuildRequest
    from pressroom.load.settings import load_project
    from pressroom.store.cache import CACHE_FOLDER, BuildCache
    from pressroom.watch import watch

    root = make_project(tmp_path)
    (root / "content" / "reader.pack.yaml").unlink()
    project = load_project(root, [])
    request = BuildRequest([project.content_dir], project, project.output_dir, ("pdf",), {}, 1, BuildCache(root / CACHE_FOLDER), 1)
    stop, log = threading.Event(), io.StringIO()
    previous = os.getcwd()
    os.chdir(root)

    def run() -> None:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            watch(request, stop)

    with fault("convert", RecursionError, "bad.md"):
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            assert wait_for(lambda: "internal error while converting the Markdown: RecursionError" in log.getvalue()), log.getvalue()
            assert wait_for(lambda: (root / "dist" / "alpha.pdf").exists() and (root / "dist" / "omega.pdf").exists())
            (root / "content" / "alpha.md").write_text("# Alpha again\n\nChanged.\n")
            first = (root / "dist" / "alpha.pdf").stat().st_mtime_ns
            assert wait_for(lambda: (root / "dist" / "alpha.pdf").stat().st_mtime_ns != first), log.getvalue()
        finally:
            stop.set()
            thread.join(timeout=30)
            os.chdir(previous)
    assert not thread.is_alive()
    assert "Traceback" not in log.getvalue()


def test_a_worker_that_dies_costs_only_its_article(tmp_path: Path, clean: dict[str, bytes]) -> None:
    """A worker killed mid-article (SIGKILL: out of memory, a crash in native code)."""
    root = make_project(tmp_path)
    (root / "content" / "reader.pack.yaml").unlink()

    def die(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), 9)

    with fault("layout", AssertionError, "nobody"), pytest.MonkeyPatch.context() as patch:
        from pressroom.render import handout as pdf

        real = pdf.layout_handout

        def layout(article, *args, **kwargs):  # type: ignore[no-untyped-def]
            if article.source.name == "bad.md":
                die()
            return real(article, *args, **kwargs)

        patch.setattr(pdf, "layout_handout", layout)
        run = run_cli(*ARGS, "-j", "2", cwd=root, env=EPOCH)
    assert run.code == 1, run.err
    assert "content/bad.md: error: internal error: the worker process building it stopped unexpectedly" in run.err
    built = outputs(root / "dist")
    for stem in ("alpha", "omega"):
        assert of(built, stem) == of(clean, stem)
