"""fontTools' subsetter and variable-font instancer imported on first use (patch ``deferred-fonttools``).

What it changes: WeasyPrint 70 imports ``fontTools.subset`` (subsetting fonts HarfBuzz cannot
subset) and ``fontTools.varLib.instancer`` (variable fonts) at start-up, in
``weasyprint/pdf/fonts.py``. While WeasyPrint loads, they are :class:`DeferredModule` stand-ins
that import the real module the first time something reads from them; an import after loading
finds the real modules, and the stand-ins handed out keep answering from them.

What it saves: 0.07-0.11 s of a cold build (measured with the patch turned off, 2026-11-30).

Written for: WeasyPrint 70, fontTools 4. Shape checked: the names ``weasyprint/pdf/fonts.py``
imports from these modules are exactly :data:`DEFERRED_MODULES` (a module used as a whole, or
functions imported by name, which the stand-in forwards).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from . import Patch, patched

# Modules WeasyPrint imports at start-up and uses only for rare fonts, with the names it imports
# from them (weasyprint/pdf/fonts.py; the shape check compares this with its source).
DEFERRED_MODULES: dict[str, tuple[str, ...]] = {
    "fontTools.subset": (),  # ``from fontTools import subset``: used as ``subset.Options`` etc.
    "fontTools.varLib.instancer": ("instantiateVariableFont",),
}


def imported_by_weasyprint() -> dict[str, tuple[str, ...]]:
    """What ``weasyprint/pdf/fonts.py`` imports from the modules of :data:`DEFERRED_MODULES`."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("weasyprint")
    if spec is None or spec.origin is None:
        raise RuntimeError("WeasyPrint is not installed")
    source = (Path(spec.origin).parent / "pdf" / "fonts.py").read_text(encoding="utf-8")
    imported: dict[str, tuple[str, ...]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if name in DEFERRED_MODULES:  # ``from fontTools import subset``: the module itself
                    imported[name] = ()
                elif node.module in DEFERRED_MODULES:  # ``from m import f``: f must be forwarded
                    imported[node.module] = (*imported.get(node.module, ()), alias.name)
    return imported


def _shape() -> str | None:
    imported = imported_by_weasyprint()
    if imported != DEFERRED_MODULES:
        return f"weasyprint/pdf/fonts.py imports {imported} from fontTools, not {DEFERRED_MODULES}"
    return None


PATCH = Patch("deferred-fonttools", {"weasyprint": ("70",), "fonttools": ("4",)}, _shape)

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
def deferred_modules() -> Iterator[bool]:
    """:data:`DEFERRED_MODULES` not yet imported are stand-ins while this block runs (if the patch
    applies); afterwards an import of them finds the real modules."""

    def install() -> Any:
        placed = {name: DeferredModule(name, functions) for name, functions in DEFERRED_MODULES.items() if name not in sys.modules}
        sys.modules.update(placed)

        def undo() -> None:
            for name, module in placed.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]

        return undo

    with patched(PATCH, install) as active:
        yield active
