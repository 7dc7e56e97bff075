"""WeasyPrint's C declarations precompiled for cffi (pressroom.accel.ffi): taken only when made from
the same text, giving the types cffi's own parse gives; WeasyPrint loads the usual way otherwise."""

from __future__ import annotations

import re
from pathlib import Path

import cffi
import pytest
from helpers import SEED_ARTICLE, run_script

from pressroom.accel import why_not
from pressroom.accel.ffi import (
    PATCH,
    PRECOMPILED_PATH,
    DeclaredFFI,
    precompiled_ffi,
    weasyprint_declarations,
)

# Type strings WeasyPrint 70 names in ffi.new / ffi.cast, and structs and enums it reads.
TYPE_NAMES = (
    "PangoRectangle *", "unsigned int *", "PangoFcFontMap *", "hb_tag_t[100]", "char[]", "char[4]", "PangoLogAttr[]",
    "FcResult *", "FcChar8 **", "hb_codepoint_t[7]", "PangoRectangle", "PangoLogAttr", "FcResult", "PangoStyle",
    "hb_subset_flags_t", "guint",
)  # fmt: skip


@pytest.fixture(scope="module")
def parsed_ffi() -> cffi.FFI:
    """WeasyPrint's declarations parsed by cffi, as WeasyPrint does without Pressroom."""
    ffi = cffi.FFI()
    ffi.cdef(weasyprint_declarations())
    return ffi


def test_the_precompiled_declarations_are_made_and_give_the_parsed_types(parsed_ffi: cffi.FFI) -> None:
    assert PRECOMPILED_PATH.is_file(), "run `make` (python -m pressroom.accel.ffi) first"
    assert why_not(PATCH) is None
    precompiled = precompiled_ffi(weasyprint_declarations())
    assert precompiled is not None and type(precompiled).__module__ == "_cffi_backend"
    for name in TYPE_NAMES:
        assert precompiled.typeof(name).cname == parsed_ffi.typeof(name).cname, name
        if not name.endswith("[]"):  # an open array has no size
            assert precompiled.sizeof(name) == parsed_ffi.sizeof(name), name
    assert precompiled_ffi(weasyprint_declarations() + "\nint other(void);") is None  # made from other text: not taken


def test_the_type_strings_weasyprint_names_are_all_checked() -> None:
    import weasyprint

    source = "\n".join(path.read_text(encoding="utf-8") for path in Path(weasyprint.__file__).parent.rglob("*.py"))
    literals = set(re.findall(r"ffi\.(?:new|cast)\(\s*'([^'{}]+)'", source))
    assert literals and literals <= set(TYPE_NAMES)
    assert len(re.findall(r"\bcdef\(", source)) == 1  # the one set of declarations precompiled


def test_other_declarations_are_parsed_as_usual() -> None:
    ffi = DeclaredFFI(cffi.FFI)
    ffi.cdef("int abs(int);")
    assert isinstance(ffi.declared, cffi.FFI)
    assert ffi.dlopen(None).abs(-3) == 3
    assert ffi.sizeof("int") == 4


BUILD_COUNTING_PARSES = """
import sys
from cffi import cparser
parses = []
original = cparser.Parser.parse_type
cparser.Parser.parse_type = lambda self, cdecl: parses.append(cdecl) or original(self, cdecl)
from pressroom.cli import main
code = main([sys.argv[1], "--out", sys.argv[2], "-j", "1", "--force", "-q"])
from weasyprint.text.ffi import ffi
print(code, type(ffi.declared).__module__, parses)
"""


def test_a_cold_build_parses_no_type_string(tmp_path: Path) -> None:
    run = run_script(BUILD_COUNTING_PARSES, SEED_ARTICLE, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0 _cffi_backend []", run.stdout  # laid out, subset, written: no slow parse
    assert (tmp_path / "professional-organizations.pdf").stat().st_size > 10_000


LOAD_WITH_A_LIBRARY_NOT_FOUND = """
from pressroom import accel
from pressroom.accel.ffi import DeclaredFFI

def dlopen(self, name, *args):  # as on a system where only find_library knows Pango's file
    if "pango-1.0" in name:
        raise OSError(f"cannot load library '{name}'")
    return self.declared.dlopen(name, *args)

DeclaredFFI.dlopen = dlopen
weasyprint = accel.load_weasyprint()
from weasyprint.text.ffi import ffi, pango
print(type(ffi).__module__, pango.pango_units_from_double(1))
print(accel.skipped())
"""


def test_weasyprint_loads_the_usual_way_when_the_precompiled_ffi_cannot_open_a_library() -> None:
    run = run_script(LOAD_WITH_A_LIBRARY_NOT_FOUND)
    assert run.returncode == 0, run.stderr
    first, notes = run.stdout.splitlines()
    assert first == "cffi.api 1024"  # parsed declarations; WeasyPrint's advice not printed
    assert "accel: skipped precompiled-ffi: it could not open a library" in notes
