"""Loading WeasyPrint fast: its native libraries found from one read of the linker cache.

WeasyPrint looks for each of Pango, HarfBuzz, fontconfig and GObject under several names
(Linux, macOS and Windows spellings). Every miss makes ``ctypes.util.find_library`` run the C
compiler and the linker to search again, about 35 ms each: 0.6 s of the 1.3 s WeasyPrint
takes to import here. While WeasyPrint loads, names are answered from ``ldconfig -p`` alone;
when that cache cannot be read, the standard search runs as usual.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import subprocess
from functools import lru_cache
from types import ModuleType


@lru_cache(maxsize=1)
def linker_cache() -> str:
    """The output of ``ldconfig -p`` (empty when it cannot be run)."""
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            return subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            continue
    return ""


def cached_find_library(name: str, original=ctypes.util.find_library) -> str | None:
    """``find_library`` answered from the linker cache (the same pattern CPython uses)."""
    cache = linker_cache()
    if not cache or os.name != "posix":
        return original(name)
    match = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\(", cache)
    return match.group(1) if match else None


def load_weasyprint() -> ModuleType:
    """Import WeasyPrint (once per process) with the fast library search."""
    import sys

    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    original = ctypes.util.find_library
    ctypes.util.find_library = cached_find_library
    try:
        import weasyprint
    finally:
        ctypes.util.find_library = original
    return weasyprint
