"""Precompiled C declarations for WeasyPrint's cffi FFI (patch ``precompiled-ffi``).

What it changes: WeasyPrint 70 hands cffi ~16 KB of C declarations (``weasyprint/text/ffi.py``,
one ``ffi.cdef``) to parse with pycparser at every start. ``make`` compiles them once into an
out-of-line cffi module (cffi's own "ABI out-of-line" mode: ``python -m pressroom.accel.ffi``
writes ``pressroom/accel/_weasyprint_ffi.py`` with the SHA-256 of the declarations), and while
WeasyPrint loads, the ``cffi.FFI()`` its ``text/ffi.py`` calls returns a :class:`DeclaredFFI`
whose ``cdef`` takes that module's FFI when it was made from the very same declarations (it also
parses type strings such as ``ffi.new("PangoRectangle *")`` in C). Otherwise cffi parses as usual.

What it saves: 0.17 s of a cold build (measured with the patch turned off, 2026-11-30).

Written for: WeasyPrint 70, cffi 2. Shape checked: WeasyPrint's ``text/ffi.py`` makes its FFI
with a plain ``cffi.FFI()`` and calls ``cdef`` exactly once with one string constant, and the
precompiled module was made (by ``make``) from those declarations.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import Patch, patched

PRECOMPILED_MODULE = "pressroom.accel._weasyprint_ffi"
PRECOMPILED_PATH = Path(__file__).with_name("_weasyprint_ffi.py")


def _ffi_source() -> str:
    import importlib.util

    spec = importlib.util.find_spec("weasyprint")
    if spec is None or spec.origin is None:
        raise RuntimeError("WeasyPrint is not installed")
    return (Path(spec.origin).parent / "text" / "ffi.py").read_text(encoding="utf-8")


def _shape() -> str | None:
    if not re.search(r"^import cffi$", source := _ffi_source(), re.MULTILINE) or not re.search(
        r"^ffi = cffi\.FFI\(\)$", source, re.MULTILINE
    ):
        return "weasyprint/text/ffi.py no longer makes its FFI with `ffi = cffi.FFI()`"
    declarations = weasyprint_declarations()
    if precompiled_ffi(declarations) is None:
        return f"{PRECOMPILED_PATH.name} is not made from the installed WeasyPrint's declarations (run `make`)"
    return None


PATCH = Patch("precompiled-ffi", {"weasyprint": ("70",), "cffi": ("2",)}, _shape)


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


@contextlib.contextmanager
def precompiled_declarations() -> Iterator[bool]:
    """While this block imports WeasyPrint, its ``cffi.FFI()`` is a :class:`DeclaredFFI` (if the
    patch applies). WeasyPrint prints installation advice before failing to find a library; a
    first attempt, which :func:`pressroom.accel.load_weasyprint` tries again, keeps it quiet."""
    import cffi

    def install() -> Any:
        real_ffi = cffi.FFI

        def ffi_for(*args: Any, **kwargs: Any) -> Any:
            if args or kwargs or sys._getframe(1).f_globals.get("__name__") != "weasyprint.text.ffi":
                return real_ffi(*args, **kwargs)
            return DeclaredFFI(real_ffi)

        cffi.FFI = ffi_for

        def undo() -> None:
            cffi.FFI = real_ffi

        return undo

    with patched(PATCH, install) as active, contextlib.redirect_stdout(io.StringIO()) if active else contextlib.nullcontext():
        yield active


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

    calls = [
        node for node in ast.walk(ast.parse(_ffi_source()))
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
        stream.write(
            f'\n# The SHA-256 of the declarations this was made from (pressroom.accel.ffi).\nDECLARATIONS_SHA256 = "{declarations_digest(source)}"\n'
        )
    os.replace(partial, path)
    return path


if __name__ == "__main__":  # ``make``: python -m pressroom.accel.ffi
    written = precompile_declarations()
    print(f"wrote {written.relative_to(Path.cwd()) if Path.cwd() in written.parents else written}")
