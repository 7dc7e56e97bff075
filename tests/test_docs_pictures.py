"""docs/pictures.py: the README's pictures of real pages are drawn by `make pictures`, small, and
every one the README shows is in the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO
from PIL import Image

PICTURES = REPO / "docs" / "pictures"
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_shows_every_picture_and_each_is_there() -> None:
    shown = set(re.findall(r"\]\((docs/pictures/[^)]+\.png)\)", README))
    assert shown == {f"docs/pictures/{p.name}" for p in PICTURES.glob("*.png")}
    assert len(shown) == 5
    assert sum((REPO / name).stat().st_size for name in shown) < 400 * 1024


def test_make_pictures_draws_them_again(tmp_path: Path) -> None:
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        if os.environ.get("PRESSROOM_REQUIRE_TOOLS"):
            pytest.fail("chromium is needed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    run = subprocess.run(
        [sys.executable, str(REPO / "docs" / "pictures.py"), "--out", str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    drawn = sorted(p.name for p in tmp_path.glob("*.png"))
    assert drawn == sorted(p.name for p in PICTURES.glob("*.png"))
    for name in drawn:
        with Image.open(tmp_path / name) as picture:
            assert picture.mode == "P" and 390 <= picture.width <= 900, name  # a small palette, a reduced size
            assert len(picture.getcolors(256) or []) > 8, name  # not blank
    assert sum(p.stat().st_size for p in tmp_path.glob("*.png")) < 400 * 1024
