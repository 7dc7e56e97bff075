"""Speed-ups (and one correctness fix) that reach into other libraries' internals, each guarded.

Every module here changes one thing inside WeasyPrint, pydyf, cffi, fontTools or Pyphen, and
says in its docstring what it changes, what it saves (measured) and the versions it was written
for. Each declares a :class:`Patch`: the distributions and versions it was written for, and a
``shape`` check of the private names, attributes and signatures it relies on. Before a patch is
used, :func:`applies` checks both (once per process); a patch that does not apply is skipped
and the plain public path runs instead, and so does one whose installation raises. Skipped
patches are listed by :func:`skipped` (``python build.py -v`` prints them): nothing here can
turn a library upgrade into a failed build, only into a slower one.

``PRESSROOM_ACCEL=off`` turns every patch off (for measuring them, or to rule them out); the
outputs are the same either way (PDF streams are deflated at pydyf's own level 9 instead of 6,
their decoded content identical; see :mod:`pressroom.accel.deflate`), but where WeasyPrint would
print a footnote a page late: the page then breaks elsewhere (:mod:`pressroom.accel.notes_stay`).
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType

ENVIRONMENT = "PRESSROOM_ACCEL"

#: The modules of this package that declare a ``PATCH`` (in the order they act in a build).
MODULES = (
    "ffi",
    "fonttools",
    "hyphenation",
    "stylesheets",
    "lxml_parse",
    "notes_stay",
    "pdf_serialise",
    "deflate",
    "document_id",
    "font_folders",
)


@dataclass(frozen=True)
class Patch:
    """One change inside another library: its name (as printed), the versions of each
    distribution it was written for (a version matches ``70`` when it is ``70`` or ``70.…``),
    and a check of the shape of what it changes (``None`` when as expected, else why not;
    raising counts as "not as expected")."""

    name: str
    versions: dict[str, tuple[str, ...]]
    shape: Callable[[], str | None] = field(compare=False)


_verdicts: dict[str, str | None] = {}  # patch name -> None (applies) or why it is skipped


def enabled() -> bool:
    """Whether patches are wanted at all (``PRESSROOM_ACCEL=off`` says no)."""
    return os.environ.get(ENVIRONMENT, "").strip().lower() not in {"off", "0", "no", "false"}


def applies(patch: Patch) -> bool:
    """Whether ``patch`` is wanted and fits the installed libraries (checked once per process)."""
    if not enabled():
        return False
    if patch.name not in _verdicts:
        _verdicts[patch.name] = why_not(patch)
    return _verdicts[patch.name] is None


def why_not(patch: Patch) -> str | None:
    """Why ``patch`` does not fit what is installed (a version outside those it was written for,
    or a changed shape), or None when it fits."""
    for distribution, accepted in patch.versions.items():
        installed = installed_version(distribution)
        if installed is None:
            return f"{distribution} is not installed"
        if not any(installed == v or installed.startswith(v + ".") for v in accepted):
            return f"{distribution} {installed} not in the versions it was written for ({', '.join(accepted)})"
    try:
        return patch.shape()
    except Exception as exc:  # noqa: BLE001 - a missing name, a changed signature: not as expected
        return f"unexpected shape ({type(exc).__name__}: {exc})"


@functools.cache
def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` (None: not installed), read once per process.
    Several patches check the same libraries: the versions come from one listing of the
    ``<name>-<version>.dist-info`` folders on ``sys.path`` (the installed-package layout of the
    packaging specifications), which costs a millisecond where parsing each package's METADATA
    through ``importlib.metadata`` costs several; a package not found that way is asked of
    ``importlib.metadata`` itself."""
    found = dist_info_versions().get(normalised(distribution))
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def normalised(name: str) -> str:
    """A distribution name as the packaging specifications compare them (``Foo_Bar`` → ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def dist_info_versions() -> dict[str, str]:
    """Version by normalised name of every ``<name>-<version>.dist-info`` folder on ``sys.path``
    (the first one found for a name wins, as imports do)."""
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = [item.name for item in os.scandir(entry or ".") if item.name.endswith(".dist-info")]
        except OSError:
            continue
        for name in sorted(names):
            project, _, version = name[: -len(".dist-info")].partition("-")
            if project and version:
                versions.setdefault(normalised(project), version)
    return versions


def failed(patch: Patch, exc: BaseException) -> None:
    """Record that installing (or using) ``patch`` raised: it is skipped from now on."""
    _verdicts[patch.name] = f"installing it raised {type(exc).__name__}: {exc}"


def skip(patch: Patch, reason: str) -> None:
    """Record that ``patch`` is skipped from now on, for ``reason``."""
    _verdicts[patch.name] = reason


@contextmanager
def patched(patch: Patch, install: Callable[[], Callable[[], None]]) -> Iterator[bool]:
    """Within this block, ``patch`` is installed if it applies: ``install()`` makes the change and
    returns what undoes it (run on leaving). If it does not apply or ``install`` raises, the block
    runs on the plain path. Yields whether the patch is in place."""
    undo = None
    if applies(patch):
        try:
            undo = install()
        except Exception as exc:  # noqa: BLE001 - a patch that cannot be installed is skipped
            failed(patch, exc)
    try:
        yield undo is not None
    finally:
        if undo is not None:
            undo()


def install_once(patch: Patch, install: Callable[[], None], installed: Callable[[], bool]) -> bool:
    """Install a lasting ``patch`` (one that stays for the process) unless ``installed()`` says it
    is in place already; a failed installation is a skip. Whether it is in place."""
    if not applies(patch):
        return False
    if installed():
        return True
    try:
        install()
    except Exception as exc:  # noqa: BLE001
        failed(patch, exc)
        return False
    return True


def patches() -> list[Patch]:
    """Every patch of this package."""
    return [importlib.import_module(f"{__name__}.{name}").PATCH for name in MODULES]


def skipped() -> list[str]:
    """One note per patch that is skipped in this process (``accel: skipped NAME: why``),
    checking those not yet checked; with ``PRESSROOM_ACCEL=off``, one note saying so."""
    if not enabled():
        return [f"accel: off ({ENVIRONMENT}={os.environ[ENVIRONMENT]}): every patch skipped"]
    for patch in patches():
        applies(patch)
    return [f"accel: skipped {name}: {reason}" for name, reason in _verdicts.items() if reason]


def load_weasyprint() -> ModuleType:
    """Import WeasyPrint (once per process) with its C declarations precompiled
    (:mod:`.ffi`) and its rare-font modules deferred (:mod:`.fonttools`), where those apply."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    from . import ffi, fonttools

    try:
        with ffi.precompiled_declarations(), fonttools.deferred_modules():
            import weasyprint  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - whatever the patches did, import the plain way
        for name in [name for name in sys.modules if name == "weasyprint" or name.startswith("weasyprint.")]:
            del sys.modules[name]
        if isinstance(exc, OSError):  # a library the precompiled FFI's dlopen did not find
            skip(ffi.PATCH, f"it could not open a library by WeasyPrint's names ({exc})")
            with fonttools.deferred_modules():
                import weasyprint  # noqa: F401,F811
        else:  # either patch may have caused it: neither is used again
            failed(ffi.PATCH, exc)
            failed(fonttools.PATCH, exc)
            import weasyprint  # noqa: F401,F811
    return sys.modules["weasyprint"]
