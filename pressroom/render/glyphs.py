"""Which characters of an article the bundled fonts can draw, and what happens to the rest.

Characters outside the bundled fonts are drawn by WeasyPrint with whatever system font has them
(through fontconfig); characters no installed font has print as empty boxes. The build says so,
naming the characters, instead of leaving it to be found on paper.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pressroom.model import Warnings, warn

IGNORED = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Co", "Cs", "Cn"}
SHOWN = 12


@lru_cache(maxsize=8)
def bundled_coverage(font_folders: tuple[Path, ...]) -> frozenset[int]:
    """Code points that the fonts bundled in the layouts can draw (fontconfig's fc-scan reads
    them six times faster than parsing the fonts' cmaps in Python, which is the fallback)."""
    points: set[int] = set()
    folders = [folder for folder in font_folders if folder.is_dir()]
    if shutil.which("fc-scan"):
        for folder in folders:
            output = subprocess.run(["fc-scan", "--format", "%{charset}\n", str(folder)], capture_output=True, text=True, timeout=60).stdout
            for line in output.splitlines():
                points |= parse_charset(line)
        return frozenset(points)
    from fontTools.ttLib import TTFont

    for folder in folders:
        for path in sorted(folder.glob("*.[to]tf")):
            with TTFont(path, lazy=True) as font:
                points.update(font.getBestCmap() or {})
    return frozenset(points)


def parse_charset(text: str) -> set[int]:
    """fontconfig's ``%{charset}``, e.g. ``20-7e a0-1a9 1ab``, as a set of code points."""
    points: set[int] = set()
    for part in text.split():
        start, _, end = part.partition("-")
        try:
            points.update(range(int(start, 16), int(end or start, 16) + 1))
        except ValueError:
            continue
    return points


@lru_cache(maxsize=1)
def system_coverage() -> frozenset[int]:
    """Code points some installed font can draw (empty when fontconfig's fc-list is missing)."""
    if shutil.which("fc-list") is None:
        return frozenset()
    try:
        output = subprocess.run(
            ["fc-list", "--format", "%{charset}\n"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    points: set[int] = set()
    for line in output.splitlines():
        points |= parse_charset(line)
    return frozenset(points)


def describe(characters: list[str]) -> str:
    shown = " ".join(f"{ch} (U+{ord(ch):04X})" for ch in characters[:SHOWN])
    more = f" and {len(characters) - SHOWN} more" if len(characters) > SHOWN else ""
    return shown + more


def first_line(characters: list[str], locate: Callable[[str], int | None]) -> int | None:
    """The earliest line where any of ``characters`` is written (as itself or as a character reference)."""
    lines = []
    for ch in characters:
        for spelling in (ch, f"&#x{ord(ch):x};", f"&#x{ord(ch):X};", f"&#{ord(ch)};"):
            line = locate(spelling)
            if line is not None:
                lines.append(line)
                break
    return min(lines, default=None)


def check_glyphs(
    text: str,
    font_folders: tuple[Path, ...],
    where: str,
    locate: Callable[[str], int | None],
    warnings: Warnings,
) -> None:
    """Warn about characters the bundled fonts lack: drawn by a system font, or by none."""
    wanted = sorted({ch for ch in text if ord(ch) > 0x7E and unicodedata.category(ch) not in IGNORED})
    if not wanted:
        return
    bundled = bundled_coverage(font_folders)
    outside = [ch for ch in wanted if ord(ch) not in bundled]
    if not outside:
        return
    system = system_coverage()
    fallback = [ch for ch in outside if ord(ch) in system]
    missing = [ch for ch in outside if ord(ch) not in system]
    if fallback:
        message = f"{len(fallback)} character(s) not in the bundled fonts are drawn with system fonts: {describe(fallback)}"
        warn(warnings, message, where, first_line(fallback, locate))
    if missing:
        message = f"{len(missing)} character(s) are in no installed font and will print as boxes: {describe(missing)}"
        warn(warnings, message, where, first_line(missing, locate))
