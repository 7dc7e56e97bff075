"""Hyphenation patterns ready before layout: parsed once per machine, handed between processes.

WeasyPrint hyphenates with Pyphen, which reads and parses a language's pattern file the first
time a process hyphenates in that language: ~0.2 s for English, a sixth of a cold build of the
seed article. Two things take that off a cold build:

* The parsed patterns are kept as JSON in the user's cache folder (``$XDG_CACHE_HOME/pressroom``,
  else ``~/.cache/pressroom``), like fontconfig keeps its font scans: loading them takes ~45 ms.
  The file is named after Pyphen's version and the pattern file's path, size and time, so an
  upgrade or an edited dictionary is parsed afresh; a file that does not hold well-formed
  patterns is ignored and written again; an unwritable folder only costs the parse.
* A cold single-article build loads them in the process that converts the Markdown
  (``pipeline.prepared_handout``), which has time to spare while the main process loads
  WeasyPrint, and the main process takes them over (~15 ms to unpickle) into Pyphen's own cache
  of parsed files, where WeasyPrint's ``Pyphen(lang=…)`` finds them.
"""

from __future__ import annotations

import hashlib
import json
import os
from itertools import chain
from pathlib import Path
from typing import Any

STORE_FORMAT = 1


def default_store() -> Path | None:
    """The folder parsed patterns are kept in (``PRESSROOM_HYPHENATION_CACHE=off``: none)."""
    if os.environ.get("PRESSROOM_HYPHENATION_CACHE") == "off":
        return None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to be found: nothing is kept
            return None
    return Path(base) / "pressroom" / "hyphenation"


def patterns_for(lang: str | None) -> dict[Path, Any]:
    """Pyphen's parsed patterns for ``lang`` (the file Pyphen would pick), by file; empty when
    Pyphen has no dictionary for it."""
    import pyphen

    name = pyphen.language_fallback(lang) if lang else None
    if not name:
        return {}
    path = pyphen.LANGUAGES[name]
    if path not in pyphen.hdcache:
        folder = default_store()
        pyphen.hdcache[path] = stored_patterns(path, folder) if folder else pyphen.HyphDict(path)
    return {path: pyphen.hdcache[path]}


def adopt(patterns: dict[Path, Any]) -> None:
    """Put patterns parsed elsewhere into Pyphen's cache, where WeasyPrint's ``Pyphen(lang=…)``
    finds them instead of parsing the file again."""
    import pyphen

    for path, dictionary in patterns.items():
        pyphen.hdcache.setdefault(path, dictionary)


def stored_patterns(path: Path, folder: Path) -> Any:
    """The ``HyphDict`` for ``path``: from ``folder`` when kept there, else parsed and kept."""
    import pyphen

    stored = folder / stored_name(path)
    try:
        dictionary = dictionary_from_json(json.loads(stored.read_bytes()))
    except (OSError, ValueError, TypeError, KeyError):  # not kept yet, or not well-formed
        dictionary = None
    if dictionary is not None:
        return dictionary
    dictionary = pyphen.HyphDict(path)
    data = dictionary_to_json(dictionary)
    if data is not None:
        from .pipeline import write_atomic

        try:
            write_atomic(stored, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
        except OSError:
            pass  # an unwritable cache folder only costs the next build this parse
    return dictionary


def stored_name(path: Path) -> str:
    """The name patterns parsed from ``path`` are kept under: Pyphen's version and the file's
    path, size and modification time."""
    import pyphen

    status = path.stat()
    identity = f"{STORE_FORMAT}\0{pyphen.__version__}\0{path}\0{status.st_size}\0{status.st_mtime_ns}"
    return f"{path.stem}-{hashlib.sha256(identity.encode()).hexdigest()[:24]}.json"


def dictionary_to_json(dictionary: Any) -> dict[str, Any] | None:
    """A parsed ``HyphDict`` as JSON data (its patterns in three columns: text, offset, values);
    None when it holds more than plain patterns (Pyphen's non-standard hyphenation, or attributes
    this format does not know), which are not kept."""
    if set(vars(dictionary)) != {"patterns", "cache", "maxlen"} or not dictionary.patterns:
        return None
    starts = [start for start, _ in dictionary.patterns.values()]
    values = [list(values) for _, values in dictionary.patterns.values()]
    if set(map(type, starts)) != {int} or set(map(type, chain.from_iterable(values))) != {int}:
        return None
    return {"format": STORE_FORMAT, "keys": list(dictionary.patterns), "starts": starts, "values": values}


def dictionary_from_json(data: Any) -> Any:
    """A ``HyphDict`` rebuilt from :func:`dictionary_to_json`'s data, or None if it is not that
    (the checks run over whole columns at once: a per-pattern loop would double the load time)."""
    import pyphen

    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        return None
    keys, starts, values = data["keys"], data["starts"], data["values"]
    if not isinstance(keys, list) or not keys or not len(keys) == len(starts) == len(values):
        return None
    if set(map(type, keys)) != {str} or set(map(type, starts)) != {int} or set(map(type, values)) != {list}:
        return None
    if set(map(type, chain.from_iterable(values))) != {int}:
        return None
    dictionary = pyphen.HyphDict.__new__(pyphen.HyphDict)
    dictionary.patterns = dict(zip(keys, zip(starts, map(tuple, values))))
    dictionary.cache = {}
    dictionary.maxlen = max(map(len, keys))
    return dictionary
