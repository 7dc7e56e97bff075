"""Hyphenation patterns parsed in one process and handed to another.

WeasyPrint hyphenates with Pyphen, which reads and parses a language's pattern file the first
time a process hyphenates in that language: ~0.17 s for English, a tenth of a cold build of the
seed article. A cold single-article build parses them in the process that converts the Markdown
(``pipeline.prepared_handout``), which has time to spare while the main process loads WeasyPrint,
and the main process takes them over (~15 ms to unpickle) into Pyphen's own cache of parsed files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def patterns_for(lang: str | None) -> dict[Path, Any]:
    """Pyphen's parsed patterns for ``lang`` (the file Pyphen would pick), by file; empty when
    Pyphen has no dictionary for it."""
    import pyphen

    name = pyphen.language_fallback(lang) if lang else None
    if not name:
        return {}
    path = pyphen.LANGUAGES[name]
    if path not in pyphen.hdcache:
        pyphen.hdcache[path] = pyphen.HyphDict(path)
    return {path: pyphen.hdcache[path]}


def adopt(patterns: dict[Path, Any]) -> None:
    """Put patterns parsed elsewhere into Pyphen's cache, where WeasyPrint's ``Pyphen(lang=…)``
    finds them instead of parsing the file again."""
    import pyphen

    for path, dictionary in patterns.items():
        pyphen.hdcache.setdefault(path, dictionary)
