"""Hyphenation patterns ready before layout: parsed once per machine (patch ``kept-hyphenation``).

WeasyPrint hyphenates with Pyphen, which reads and parses a language's pattern file the first
time a process hyphenates in that language: ~0.2 s for English, a sixth of a cold build of the
seed article. For the language of the article, the parsed patterns are kept as JSON in the user's cache folder
  (``$XDG_CACHE_HOME/pressroom/hyphenation``, else ``~/.cache/pressroom/hyphenation``), like
  fontconfig keeps its font scans: loading them takes ~0.04 s. A file is named after Pyphen's
  version and the SHA-256 of the pattern file, so an upgraded or edited dictionary is parsed
  afresh; a file that does not hold well-formed patterns is parsed again and replaced; an
  unwritable folder only costs the parse. Dictionaries with Pyphen's non-standard hyphenation
  (Catalan, Hungarian) are parsed every time. Loaded patterns go into Pyphen's own cache of
  parsed files, where WeasyPrint's ``Pyphen(lang=…)`` finds them.

Other languages named by ``lang`` attributes inside an article are parsed by WeasyPrint's
Pyphen as usual.

What it changes: the parsed patterns go straight into Pyphen's module-level cache of parsed files
(``pyphen.hdcache``, keyed by the dictionary's path), bypassing ``HyphDict.__init__``.

What it saves: 0.13 s of a cold build (measured with the patch turned off, 2026-11-30).

Written for: Pyphen 0.18. Shape checked: ``pyphen.hdcache`` is a dict that
``Pyphen.__init__`` reads, ``pyphen.LANGUAGES`` and ``pyphen.language_fallback`` exist, and
``HyphDict.__init__`` sets ``patterns``, ``cache`` and ``maxlen`` (what
:func:`dictionary_from_json` rebuilds).
"""

from __future__ import annotations

import hashlib
import json
import os
from itertools import chain
from pathlib import Path
from typing import Any

from pressroom.store.usercache import user_cache_folder

from . import Patch, applies

STORE_FORMAT = 1


def _shape() -> str | None:
    import pyphen

    if not isinstance(getattr(pyphen, "hdcache", None), dict) or "hdcache" not in pyphen.Pyphen.__init__.__code__.co_names:
        return "pyphen.Pyphen no longer takes parsed dictionaries from pyphen.hdcache"
    if not isinstance(getattr(pyphen, "LANGUAGES", None), dict) or not callable(getattr(pyphen, "language_fallback", None)):
        return "pyphen.LANGUAGES or pyphen.language_fallback is missing"
    if not {"patterns", "cache", "maxlen"} <= set(pyphen.HyphDict.__init__.__code__.co_names):
        return "pyphen.HyphDict no longer keeps patterns, cache and maxlen"
    return None


PATCH = Patch("kept-hyphenation", {"pyphen": ("0.18",)}, _shape)


def default_store() -> Path | None:
    """The folder parsed patterns are kept in: ``PRESSROOM_HYPHENATION_CACHE`` when it names
    one (``off``: none), else the user's cache folder (an absolute ``XDG_CACHE_HOME``, else
    ``~/.cache``); None when there is no such folder."""
    chosen = os.environ.get("PRESSROOM_HYPHENATION_CACHE")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    return user_cache_folder("hyphenation")


def patterns_for(lang: str | None) -> dict[Path, Any]:
    """Pyphen's parsed patterns for ``lang`` (the file Pyphen would pick), by file; empty when
    Pyphen has no dictionary for it, or when the patch does not apply (WeasyPrint's Pyphen then
    parses them itself)."""
    import pyphen

    if not applies(PATCH):
        return {}

    name = pyphen.language_fallback(lang) if lang else None
    if not name:
        return {}
    path = pyphen.LANGUAGES[name]
    if path not in pyphen.hdcache:
        folder = default_store()
        pyphen.hdcache[path] = stored_patterns(path, folder) if folder else pyphen.HyphDict(path)
    return {path: pyphen.hdcache[path]}


def stored_patterns(path: Path, folder: Path) -> Any:
    """The ``HyphDict`` for ``path``: from ``folder`` when kept there, else parsed and kept."""
    import pyphen

    source = path.read_bytes()
    stored = folder / stored_name(path, source)
    try:
        dictionary = dictionary_from_json(json.loads(stored.read_bytes()))
    except Exception:  # noqa: BLE001 - not kept yet, or not well-formed in any way: parse again
        dictionary = None
    if dictionary is not None:
        return dictionary
    dictionary = pyphen.HyphDict(path)
    data = dictionary_to_json(dictionary)
    if data is not None:
        from pressroom.store.files import write_atomic

        try:
            write_atomic(stored, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
        except OSError:
            pass  # an unwritable cache folder only costs the next build this parse
    return dictionary


def stored_name(path: Path, source: bytes) -> str:
    """The name patterns parsed from ``path`` (whose bytes are ``source``) are kept under: the
    file's name, this format, Pyphen's version and the SHA-256 of the file."""
    import pyphen

    digest = hashlib.sha256(f"{STORE_FORMAT}\0{pyphen.__version__}\0".encode() + source).hexdigest()
    return f"{path.stem}-{digest[:24]}.json"


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
    """A ``HyphDict`` rebuilt from :func:`dictionary_to_json`'s data, or None if it is not that:
    three columns of the same length, non-empty texts, offsets and values that are whole numbers
    from 0 (the checks run over whole columns at once: a loop per pattern would double the time)."""
    import pyphen

    if not isinstance(data, dict) or type(data.get("format")) is not int or data["format"] != STORE_FORMAT:
        return None
    keys, starts, values = data["keys"], data["starts"], data["values"]
    if not isinstance(keys, list) or not keys or not len(keys) == len(starts) == len(values):
        return None
    if set(map(type, keys)) != {str} or set(map(type, starts)) != {int} or set(map(type, values)) != {list}:
        return None
    numbers = list(chain.from_iterable(values))
    if set(map(type, numbers)) != {int} or not all(keys) or not all(values) or min(starts) < 0 or min(numbers) < 0:
        return None
    dictionary = pyphen.HyphDict.__new__(pyphen.HyphDict)
    dictionary.patterns = dict(zip(keys, zip(starts, map(tuple, values), strict=True), strict=True))
    dictionary.cache = {}
    dictionary.maxlen = max(map(len, keys))
    return dictionary
