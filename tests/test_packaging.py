"""The installed Pressroom: a wheel that carries its layouts and fonts, a ``pressroom`` command
that builds an article anywhere, and ``python -m pressroom``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from helpers import REPO, write_article

from pressroom.load.settings import BUILTIN_LAYOUTS


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout on the path."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    return {**env, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the package (a build writes into the folder it builds)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "pressroom", source / "pressroom", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True, text=True, timeout=300, env=clean_env(),
    )  # fmt: skip
    if build.returncode and "Could not find a version that satisfies" in build.stderr:
        pytest.skip("no package index to fetch setuptools from for the build")
    assert build.returncode == 0, build.stderr
    (path,) = out.glob("pressroom-*.whl")
    return path


def test_the_wheel_carries_the_layouts_fonts_licence_and_command(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"pressroom/layouts/{p.relative_to(BUILTIN_LAYOUTS).as_posix()}" for p in BUILTIN_LAYOUTS.rglob("*") if p.is_file()}
    assert shipped and shipped <= names
    assert {"pressroom/layouts/fonts/OFL.txt", "pressroom/layouts/fonts/NotoSerif-Regular.ttf", "pressroom/__main__.py"} <= names
    assert "pressroom/load/settings.py" in names and "pressroom/render/handout.py" in names  # every subpackage
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "pressroom = pressroom.cli:run" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_an_installed_pressroom_builds_an_article_in_any_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300, env=clean_env(),
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    # The dependencies come from the test environment's site-packages, after the venv's own (a
    # plain path in a .pth file: that folder's own .pth files, such as an editable install of this
    # checkout, are not run).
    (purelib / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "anywhere"
    write_article(work, "---\ntitle: Installed\n---\n\nBuilt by the installed command.\n", "note.md")
    env = clean_env(SOURCE_DATE_EPOCH="1700000000", PRESSROOM_HYPHENATION_CACHE="off")
    run = subprocess.run(
        [str(venv / "bin" / "pressroom"), "build", "note.md"], cwd=work, capture_output=True, text=True, timeout=300, env=env
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "wrote dist/note.pdf\nwrote dist/note.epub\n"
    assert (work / "dist" / "note.pdf").read_bytes().startswith(b"%PDF-")
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pressroom.load.settings as s; print(s.BUILTIN_LAYOUTS)"],
        cwd=work, capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the installed copy, not this checkout
    module = subprocess.run([str(venv / "bin" / "python"), "-m", "pressroom", "--help"], cwd=work, capture_output=True, text=True, env=env)
    assert module.returncode == 0 and "usage: pressroom" in module.stdout


def test_make_test_installs_the_node_checkers_when_npm_is_there(tmp_path: Path) -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "package.json", "package-lock.json"):
        shutil.copy2(REPO / name, tmp_path / name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "npm").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "npm").chmod(0o755)
    # -n: print what would run, run nothing; PATH holds only the fake npm (or nothing at all)
    with_npm = subprocess.run([make, "-n", "node-tools"], cwd=tmp_path, env={"PATH": str(bin_dir)}, capture_output=True, text=True)
    assert "PUPPETEER_SKIP_DOWNLOAD=1 npm ci" in with_npm.stdout, with_npm.stdout + with_npm.stderr
    without = subprocess.run(
        [make, "-n", "node-tools"], cwd=tmp_path, env={"PATH": str(tmp_path / "nowhere")}, capture_output=True, text=True
    )
    assert without.returncode == 0 and "npm not found" in without.stdout and "npm ci" not in without.stdout
