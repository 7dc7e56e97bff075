"""Loading WeasyPrint fast: its native libraries found from one read of the linker cache.

WeasyPrint looks for each of Pango, HarfBuzz, fontconfig and GObject under several names
(Linux, macOS and Windows spellings). Every miss makes ``ctypes.util.find_library`` run the C
compiler and the linker to search again, about 35 ms each: 0.6 s of the 1.3 s WeasyPrint
takes to import here. While WeasyPrint loads, names are answered from ``ldconfig -p`` alone;
when that cache cannot be read, the standard search runs as usual.

WeasyPrint also hands cffi ~16 KB of C declarations to parse with pycparser at every start
(~0.1 s). ``make`` compiles them once into an out-of-line cffi module (cffi's own "ABI
out-of-line" mode: ``python -m pressroom.libraries`` writes ``pressroom/_weasyprint_ffi.py``),
and while WeasyPrint loads, its ``cffi.FFI()`` gets that module's FFI when it was made from the
very same declarations (checked by SHA-256), which also parses type strings in C. Without it, or
for other declarations, cffi parses as usual; the C types WeasyPrint names as strings
(``ffi.new("PangoRectangle *")``) are then parsed in one pass (:func:`parse_types_at_once`):
cffi parses each new type string with pycparser, declaring all of WeasyPrint's ~700 type names
again every time, ~6 ms per string, and a process that lays out one handout meets about 17.

Two fontTools modules WeasyPrint imports at start-up serve only rare fonts: ``fontTools.subset``
(subsetting when HarfBuzz cannot) and ``fontTools.varLib.instancer`` (variable fonts). Together
with what they pull in they are ~0.15 s of a cold start; while WeasyPrint loads they are
:class:`DeferredModule` stand-ins that import the real module on first use.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import importlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
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
    """Import WeasyPrint (once per process) with the fast library search and, when made, the
    precompiled C declarations."""
    if "weasyprint" not in sys.modules:
        try:
            import_weasyprint(precompiled=True)
        except OSError:
            # A library the precompiled FFI's dlopen could not find by WeasyPrint's names (it does
            # not ask find_library, as cffi's own dlopen does): load again, the usual way.
            for name in [name for name in sys.modules if name == "weasyprint" or name.startswith("weasyprint.")]:
                del sys.modules[name]
            import_weasyprint(precompiled=False)
    from weasyprint.text.ffi import ffi

    parse_types_at_once(ffi)  # once per process, also when something else imported WeasyPrint
    return sys.modules["weasyprint"]


def import_weasyprint(precompiled: bool) -> None:
    """``import weasyprint`` with the library search from the linker cache and, if
    ``precompiled``, :class:`DeclaredFFI` standing in for its ``cffi.FFI()``."""
    import contextlib
    import io

    import cffi

    original, real_ffi = ctypes.util.find_library, cffi.FFI

    def ffi_for(*args: Any, **kwargs: Any) -> Any:
        if args or kwargs or sys._getframe(1).f_globals.get("__name__") != "weasyprint.text.ffi":
            return real_ffi(*args, **kwargs)
        return DeclaredFFI(real_ffi)

    ctypes.util.find_library = cached_find_library
    if precompiled:
        cffi.FFI = ffi_for
    try:
        # WeasyPrint prints installation advice before failing to find a library; a first attempt
        # that is tried again keeps it to itself.
        with contextlib.redirect_stdout(io.StringIO()) if precompiled else contextlib.nullcontext(), deferred_modules():
            import weasyprint  # noqa: F401
    finally:
        ctypes.util.find_library, cffi.FFI = original, real_ffi


# Modules WeasyPrint imports at start-up and uses only for rare fonts, with the names it imports
# from them (weasyprint/pdf/fonts.py; tests/test_libraries.py checks this against its source).
DEFERRED_MODULES: dict[str, tuple[str, ...]] = {
    "fontTools.subset": (),  # ``from fontTools import subset``: used as ``subset.Options`` etc.
    "fontTools.varLib.instancer": ("instantiateVariableFont",),
}


_deferred_lock = threading.RLock()


class DeferredModule(ModuleType):
    """Stands in for a module until something reads from it; then imports the real one and
    answers from it. ``functions`` are the names imported from it by name (``from m import f``):
    each is a function that imports the real module when called."""

    def __init__(self, name: str, functions: tuple[str, ...] = ()):
        super().__init__(name, f"{name}, imported on first use")
        for function in functions:
            setattr(self, function, self._forwarder(function))

    def real(self) -> ModuleType:
        """The real module, imported the first time it is asked for."""
        real = self.__dict__.get("_pressroom_real")
        if real is None:
            with _deferred_lock:  # two threads must not both take the stand-in out
                real = self.__dict__.get("_pressroom_real")
                if real is None:
                    if sys.modules.get(self.__name__) is self:
                        del sys.modules[self.__name__]
                    real = self.__dict__["_pressroom_real"] = importlib.import_module(self.__name__)
        return real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # copy, pickle and import machinery probing: not a use
        return getattr(self.real(), name)

    def _forwarder(self, name: str) -> Any:
        def forward(*args: Any, **kwargs: Any) -> Any:
            return getattr(self.real(), name)(*args, **kwargs)

        forward.__name__ = forward.__qualname__ = name
        forward.__doc__ = f"{self.__name__}.{name}, imported on first call."
        return forward


@contextmanager
def deferred_modules() -> Iterator[None]:
    """:data:`DEFERRED_MODULES` not yet imported are stand-ins while this block runs; afterwards
    an import of them finds the real modules (the stand-ins handed out keep working)."""
    placed = {name: DeferredModule(name, functions) for name, functions in DEFERRED_MODULES.items() if name not in sys.modules}
    sys.modules.update(placed)
    try:
        yield
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


PRECOMPILED_MODULE = "pressroom._weasyprint_ffi"
PRECOMPILED_PATH = Path(__file__).with_name("_weasyprint_ffi.py")


class DeclaredFFI:
    """What WeasyPrint's ``cffi.FFI()`` returns while it loads: its ``cdef`` takes the precompiled
    FFI when that was made from the same declarations, else makes a real FFI and parses them.
    Everything else is the chosen FFI's own (methods are looked up once)."""

    def __init__(self, make_ffi: Any):
        self.make_ffi = make_ffi
        self.declared: Any = None

    def cdef(self, source: str, *args: Any, **kwargs: Any) -> None:
        if self.declared is None:
            self.declared = precompiled_ffi(source)
            if self.declared is not None and not args and not kwargs:
                return
            self.declared = self.make_ffi()
        self.declared.cdef(source, *args, **kwargs)  # on a precompiled FFI: AttributeError, loudly

    def __getattr__(self, name: str) -> Any:
        if self.declared is None:
            self.declared = self.make_ffi()
        value = getattr(self.declared, name)
        if callable(value) and not name.startswith("__"):
            self.__dict__[name] = value  # a bound method: the next call skips __getattr__
        return value


def declarations_digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def precompiled_ffi(source: str) -> Any | None:
    """The FFI of the module :func:`precompile_declarations` wrote, if it was made from ``source``."""
    try:
        module = importlib.import_module(PRECOMPILED_MODULE)
    except Exception:  # noqa: BLE001 - not made, or made by another cffi: parse instead
        return None
    if getattr(module, "DECLARATIONS_SHA256", None) != declarations_digest(source):
        return None
    return module.ffi


def weasyprint_declarations() -> str:
    """The C declarations WeasyPrint hands to cffi (the one ``ffi.cdef`` of its text/ffi.py),
    read from its source without importing it."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("weasyprint")
    if spec is None or spec.origin is None:
        raise RuntimeError("WeasyPrint is not installed")
    source = (Path(spec.origin).parent / "text" / "ffi.py").read_text(encoding="utf-8")
    calls = [
        node for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cdef"
    ]  # fmt: skip
    if len(calls) != 1 or not calls[0].args or not isinstance(calls[0].args[0], ast.Constant):
        raise RuntimeError("WeasyPrint's text/ffi.py no longer has exactly one ffi.cdef('...') call")
    return str(calls[0].args[0].value)


def precompile_declarations(path: Path = PRECOMPILED_PATH) -> Path:
    """Write the out-of-line cffi module for WeasyPrint's declarations, and their digest."""
    import cffi
    from cffi.recompiler import make_py_source

    source = weasyprint_declarations()
    builder = cffi.FFI()
    builder.cdef(source)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    make_py_source(builder, PRECOMPILED_MODULE.rsplit(".", 1)[1], str(partial))
    with partial.open("a", encoding="utf-8") as stream:
        stream.write(f'\n# The SHA-256 of the declarations this was made from (pressroom.libraries).\nDECLARATIONS_SHA256 = "{declarations_digest(source)}"\n')
    os.replace(partial, path)
    return path


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
    if isinstance(ffi, DeclaredFFI):
        ffi = ffi.declared
    if not hasattr(ffi, "_parsed_types") or isinstance(ffi._parsed_types, ParsedTypes):
        return  # precompiled (its types parse in C), or done already
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


if __name__ == "__main__":  # ``make``: python -m pressroom.libraries
    print(f"wrote {precompile_declarations().relative_to(Path.cwd()) if Path.cwd() in PRECOMPILED_PATH.parents else PRECOMPILED_PATH}")
