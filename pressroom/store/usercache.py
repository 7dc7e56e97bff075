"""The user's cache folder: what Pressroom parses once and any project can reuse (hyphenation
patterns, compiled layout templates), kept between runs the way fontconfig keeps its font scans.
Nothing an article reads or a build writes to ``dist/`` lives here; deleting it only costs time."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_folder(name: str) -> Path | None:
    """``$XDG_CACHE_HOME/pressroom/<name>`` (an absolute ``XDG_CACHE_HOME``), else
    ``~/.cache/pressroom/<name>``; None when there is no home folder to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, or relative: the XDG specification says to ignore it
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to be found: nothing is kept
            return None
        if not os.path.isabs(base):
            return None
    return Path(base) / "pressroom" / name
