"""The guards around every patch of another library (pressroom.accel): a patch that does not fit
the installed libraries is skipped and named by ``-v``, never a failed build; with the patches off
the outputs are the same."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from helpers import SEED_ARTICLE, run_script

from pressroom import accel
from pressroom.accel import Patch


@pytest.fixture()
def verdicts(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """This process's verdicts, emptied for the test and restored afterwards."""
    fresh: dict[str, str | None] = {}
    monkeypatch.setattr(accel, "_verdicts", fresh)
    monkeypatch.delenv(accel.ENVIRONMENT, raising=False)
    return fresh


def test_every_patch_fits_the_installed_libraries(verdicts: dict[str, str | None]) -> None:
    assert [patch.name for patch in accel.patches()] == [
        "precompiled-ffi", "deferred-fonttools", "kept-hyphenation", "stylesheet-reuse", "lxml-parse", "notes-stay",
        "pdf-serialise", "deflate-level", "stable-document-id", "font-folder-cleanup",
    ]  # fmt: skip
    assert accel.skipped() == []
    for name in accel.MODULES:  # each module says what it changes, saves, and was written for
        doc = __import__(f"pressroom.accel.{name}", fromlist=["PATCH"]).__doc__
        assert "What it changes" in doc and "Written for" in doc and ("What it saves" in doc or "correctness" in doc), name


def test_a_version_it_was_not_written_for_is_a_skip(verdicts: dict[str, str | None]) -> None:
    patch = Patch("example", {"weasyprint": ("71",)}, lambda: None)
    assert not accel.applies(patch)
    assert accel.skipped()[-1] == "accel: skipped example: weasyprint 70.0 not in the versions it was written for (71)"


def test_a_changed_shape_or_a_failed_installation_is_a_skip(verdicts: dict[str, str | None]) -> None:
    import pydyf

    shape = Patch("shape", {"pydyf": ("0.13",)}, lambda: pydyf.no_such_name)
    assert not accel.applies(shape)
    assert "unexpected shape (AttributeError" in verdicts["shape"]

    def install():  # noqa: ANN202
        raise KeyError("page_references")

    broken = Patch("broken", {"pydyf": ("0.13",)}, lambda: None)
    with accel.patched(broken, install) as active:
        assert active is False  # the block runs on the plain path
    assert verdicts["broken"] == "installing it raised KeyError: 'page_references'"


def test_accel_off_turns_every_patch_off(verdicts: dict[str, str | None], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(accel.ENVIRONMENT, "off")
    assert not any(accel.applies(patch) for patch in accel.patches())
    assert accel.skipped() == ["accel: off (PRESSROOM_ACCEL=off): every patch skipped"]


def build(out: Path, *args: str, accel_setting: str = "on", prelude: str = "") -> subprocess.CompletedProcess[str]:
    """A cold build of the seed article in a process of its own (``build.py``'s main), after
    running ``prelude`` there."""
    script = prelude + "\nimport sys\nfrom pressroom.cli import main\nraise SystemExit(main(sys.argv[1:], exiting=True))\n"
    env = {accel.ENVIRONMENT: accel_setting, "SOURCE_DATE_EPOCH": "1700000000"}
    return run_script(script, SEED_ARTICLE, "--out", out, "--force", *args, env=env)


def streams(pdf: bytes) -> list[tuple[str, bytes]]:
    """Each object of ``pdf`` that is a stream, decoded, with its dictionary (less /Length),
    except the cross-reference stream, which lists where the other objects start."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [
            (repr({k: v for k, v in obj.items() if k != "/Length"}), obj.read_bytes()) for obj in document.objects
            if isinstance(obj, pikepdf.Stream) and obj.get("/Type") != "/XRef"
        ]  # fmt: skip


def objects(pdf: bytes) -> list[str]:
    """Every object of ``pdf`` that is not a stream, as pikepdf shows it (the streams it names
    shown without their /Length, which depends on the deflate level)."""
    import re

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [
            re.sub(r'"/Length": \d+', "", repr(obj)) for obj in document.objects
            if not isinstance(obj, pikepdf.Stream) and obj.get("/Type") != "/XRef"
        ]  # fmt: skip


def test_the_outputs_are_the_same_with_the_patches_off_and_on(tmp_path: Path) -> None:
    runs = {setting: build(tmp_path / setting, "-j", "1", accel_setting=setting) for setting in ("off", "on")}
    for run in runs.values():
        assert run.returncode == 0, run.stdout + run.stderr
    name = "professional-organizations"
    off, on = (tmp_path / "off" / f"{name}.pdf").read_bytes(), (tmp_path / "on" / f"{name}.pdf").read_bytes()
    assert off != on  # deflated at pydyf's level 9 against level 6
    assert streams(on) == streams(off) and len(streams(on)) > 10  # the same content, stream by stream
    assert objects(on) == objects(off)  # and everything else (the /ID is a hash of the bytes: left out)
    assert (tmp_path / "on" / f"{name}.epub").read_bytes() == (tmp_path / "off" / f"{name}.epub").read_bytes()


WITHOUT_A_PRIVATE_NAME = """
import pytest
from pressroom.accel import load_weasyprint
weasyprint = load_weasyprint()
from weasyprint.text.fonts import FontConfiguration
pytest.MonkeyPatch().delattr(FontConfiguration, "_folder")  # as a WeasyPrint upgrade might
"""


def test_a_build_without_a_private_name_a_patch_relies_on_still_works(tmp_path: Path) -> None:
    plain = build(tmp_path / "plain", "-v")
    run = build(tmp_path / "out", "-v", prelude=WITHOUT_A_PRIVATE_NAME)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    for name in ("professional-organizations.pdf", "professional-organizations.epub"):
        assert (tmp_path / "out" / name).stat().st_size > 10_000
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()  # the same tree
    assert "accel: skipped font-folder-cleanup: weasyprint.text.fonts.FontConfiguration._folder is missing" in run.stdout.splitlines()
    assert "accel:" not in plain.stdout


def test_a_patch_that_raises_while_in_use_falls_back_to_the_plain_path(tmp_path: Path) -> None:
    breaking = "import pressroom.accel.lxml_parse as L\ndef broken(*args): raise TypeError('HTML has changed')\nL._prepared_html = broken\n"
    run = build(tmp_path, "-v", "-j", "1", prelude=breaking)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "accel: skipped lxml-parse: installing it raised TypeError: HTML has changed" in run.stdout
    assert (tmp_path / "professional-organizations.pdf").stat().st_size > 10_000


def test_pdf_x4_stays_reproducible_without_the_document_id_patch(tmp_path: Path) -> None:
    import re

    ids = []
    for n in range(2):
        run = build(tmp_path / str(n), "-j", "1", "--format", "pdf", "-M", "pdf_variant=pdf/x-4", accel_setting="off")
        assert run.returncode == 0, run.stdout + run.stderr
        ids.append((tmp_path / str(n) / "professional-organizations.pdf").read_bytes())
    assert ids[0] == ids[1]
    on = build(tmp_path / "on", "-j", "1", "--format", "pdf", "-M", "pdf_variant=pdf/x-4")
    assert on.returncode == 0, on.stdout + on.stderr
    document_id = re.compile(rb"xmp\.did:[0-9a-f-]{36}")
    derived = document_id.findall((tmp_path / "on" / "professional-organizations.pdf").read_bytes())
    assert derived and document_id.findall(ids[0]) == derived  # the same id as the patched write


def test_installed_versions_match_the_package_metadata() -> None:
    from importlib.metadata import version

    for distribution in ("weasyprint", "pydyf", "Pyphen", "fonttools", "lxml", "tinycss2", "cssselect2", "cffi"):
        assert accel.installed_version(distribution) == version(distribution)
    assert accel.installed_version("no-such-distribution-here") is None
