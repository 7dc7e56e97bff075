"""Loading WeasyPrint fast: its native libraries found from one read of the linker cache.

WeasyPrint looks for each of Pango, HarfBuzz, fontconfig and GObject under several names
(Linux, macOS and Windows spellings). Every miss makes ``ctypes.util.find_library`` run the C
compiler and the linker to search again, about 35 ms each: 0.6 s of the 1.3 s WeasyPrint
takes to import here. While WeasyPrint loads, names are answered from ``ldconfig -p`` alone;
when that cache cannot be read, the standard search runs as usual.

Once loaded, the C types WeasyPrint names as strings (``ffi.new("PangoRectangle *")``) are parsed
in one pass (:func:`parse_types_at_once`): cffi parses each new type string with pycparser,
declaring all of WeasyPrint's ~700 type names again every time, ~6 ms per string, and a
process that lays out one handout meets about 17 of them (0.13 s of a cold build).
"""

from __future__ import annotations

import ctypes.util
import os
import re
import subprocess
from functools import lru_cache
from types import ModuleType
from typing import Any


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

    if "weasyprint" not in sys.modules:
        original = ctypes.util.find_library
        ctypes.util.find_library = cached_find_library
        try:
            import weasyprint  # noqa: F401
        finally:
            ctypes.util.find_library = original
    from weasyprint.text.ffi import ffi

    parse_types_at_once(ffi)  # once per process, also when something else imported WeasyPrint
    return sys.modules["weasyprint"]


# The type strings WeasyPrint 70 passes to ffi.new / ffi.cast (tests/test_libraries.py checks
# this list against WeasyPrint's source), and the item types of the arrays it sizes per call
# ("hb_codepoint_t[519]": a new string, and a new parse, for every font subset).
WEASYPRINT_C_TYPES = (
    "PangoRectangle *",
    "unsigned int *",
    "PangoFcFontMap *",
    "hb_tag_t[100]",
    "char[]",
    "char[4]",
    "PangoLogAttr[]",
    "FcResult *",
    "FcChar8 **",
)
SIZED_ARRAY_ITEMS = ("hb_codepoint_t",)
SIZED_ARRAY = re.compile(r"(\w+)\[(\d+)\]")


class ParsedTypes(dict):  # type: ignore[type-arg]
    """cffi's memo of parsed type strings, which also answers ``item[N]`` for a known item type
    by building the array type cffi itself would build, without parsing."""

    def __init__(self, ffi: Any, items: dict[str, Any], parsed: dict[str, Any]):
        super().__init__(parsed)
        self.ffi = ffi
        self.items = items

    def __missing__(self, cdecl: str) -> Any:
        match = SIZED_ARRAY.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if match is None or match.group(1) not in self.items:
            raise KeyError(cdecl)  # cffi parses it as usual
        from cffi import model

        array = model.ArrayType(self.items[match.group(1)], int(match.group(2)))
        with self.ffi._lock:  # cffi builds types under its lock (FFI._typeof takes it to parse)
            result = self[cdecl] = (self.ffi._get_cached_btype(array), False)
        return result


def parse_types_at_once(ffi: Any) -> None:
    """Fill ``ffi``'s memo of parsed types with :data:`WEASYPRINT_C_TYPES` from one pycparser
    pass, the way ``FFI.typeof`` fills it one string at a time (cffi's own ``parse_type`` wraps
    the string as the parameter of a dummy function; this names them all as its parameters)."""
    if isinstance(ffi._parsed_types, ParsedTypes):
        return
    names = WEASYPRINT_C_TYPES + SIZED_ARRAY_ITEMS
    parser = ffi._parser
    parsed: dict[str, Any] = {}
    items: dict[str, Any] = {}
    with ffi._lock:
        ast = parser._parse("void __dummy(\n%s\n);" % ",\n".join(names))[0]
        for name, parameter in zip(names, ast.ext[-1].type.args.params, strict=True):
            model_type = parser._get_type_and_quals(parameter.type)[0]
            if name in SIZED_ARRAY_ITEMS:
                items[name] = model_type
            elif not model_type.is_raw_function:
                parsed[name] = (ffi._get_cached_btype(model_type), False)
    ffi._parsed_types = ParsedTypes(ffi, items, {**parsed, **ffi._parsed_types})
