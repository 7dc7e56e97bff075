"""Loading WeasyPrint (pressroom.libraries): its C declarations precompiled for cffi and taken only
when made from the same text; without them, the type strings it names parsed in one pass; either
way the very types cffi's own parse gives, and a build parses no type string on its own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import cffi
import pytest
from helpers import REPO, SEED_ARTICLE

from pressroom.libraries import (
    DEFERRED_MODULES,
    PRECOMPILED_PATH,
    SIZED_ARRAY_ITEMS,
    WEASYPRINT_C_TYPES,
    DeclaredFFI,
    DeferredModule,
    ParsedTypes,
    parse_types_at_once,
    precompiled_ffi,
    weasyprint_declarations,
)


@pytest.fixture(scope="module")
def parsed_ffi() -> cffi.FFI:
    """WeasyPrint's declarations parsed by cffi, as WeasyPrint does without Pressroom."""
    ffi = cffi.FFI()
    ffi.cdef(weasyprint_declarations())
    return ffi


def cffi_own_parse(ffi: cffi.FFI, cdecl: str):
    """The ctype cffi builds for ``cdecl`` when it parses the string itself."""
    with ffi._lock:
        return ffi._get_cached_btype(ffi._parser.parse_type(cdecl))


def test_the_memo_gives_the_types_cffi_would_parse(parsed_ffi: cffi.FFI) -> None:
    parse_types_at_once(parsed_ffi)
    assert isinstance(parsed_ffi._parsed_types, ParsedTypes)
    for cdecl in WEASYPRINT_C_TYPES:
        assert dict.__contains__(parsed_ffi._parsed_types, cdecl), cdecl
        assert parsed_ffi.typeof(cdecl) is cffi_own_parse(parsed_ffi, cdecl), cdecl
    for length in (1, 45, 2650):
        cdecl = f"hb_codepoint_t[{length}]"
        assert parsed_ffi.typeof(cdecl) is cffi_own_parse(parsed_ffi, cdecl)
        assert parsed_ffi.sizeof(cdecl) == 4 * length
    assert list(parsed_ffi.new("hb_codepoint_t[3]", [7, 8, 9])) == [7, 8, 9]
    assert parsed_ffi.typeof("int *") is cffi_own_parse(parsed_ffi, "int *")  # anything else: parsed as before


def test_the_precompiled_declarations_are_made_and_give_the_parsed_types(parsed_ffi: cffi.FFI) -> None:
    assert PRECOMPILED_PATH.is_file(), "run `make` (python -m pressroom.libraries) first"
    precompiled = precompiled_ffi(weasyprint_declarations())
    assert precompiled is not None and type(precompiled).__module__ == "_cffi_backend"
    names = [*WEASYPRINT_C_TYPES, "hb_codepoint_t[7]", "PangoRectangle", "PangoLogAttr", "FcResult", "PangoStyle", "hb_subset_flags_t", "guint"]
    for name in names:
        assert precompiled.typeof(name).cname == parsed_ffi.typeof(name).cname, name
        if not name.endswith("[]"):  # an open array has no size
            assert precompiled.sizeof(name) == parsed_ffi.sizeof(name), name
    assert precompiled_ffi(weasyprint_declarations() + "\nint other(void);") is None  # made from other text: not taken


def test_other_declarations_are_parsed_as_usual() -> None:
    ffi = DeclaredFFI(cffi.FFI)
    ffi.cdef("int abs(int);")
    assert isinstance(ffi.declared, cffi.FFI)
    assert ffi.dlopen(None).abs(-3) == 3
    assert ffi.sizeof("int") == 4


def test_the_type_list_names_every_type_string_in_weasyprints_source() -> None:
    import weasyprint

    source = "\n".join(path.read_text(encoding="utf-8") for path in Path(weasyprint.__file__).parent.rglob("*.py"))
    literals = set(re.findall(r"ffi\.(?:new|cast)\(\s*'([^'{}]+)'", source))
    sized = set(re.findall(r"ffi\.new\(\s*f'(\w+)\[\{", source))
    assert literals and sized
    assert literals <= set(WEASYPRINT_C_TYPES)
    assert sized <= set(SIZED_ARRAY_ITEMS)
    assert len(re.findall(r"\bcdef\(", source)) == 1  # the one set of declarations precompiled


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


@pytest.mark.parametrize("precompiled", [True, False])
def test_a_cold_build_parses_no_type_string_on_its_own(tmp_path: Path, precompiled: bool) -> None:
    script = BUILD_COUNTING_PARSES
    if not precompiled:  # as if `make` had not made the module
        script = "import pressroom.libraries as L\nL.PRECOMPILED_MODULE = 'pressroom.no_such_module'\n" + script
    run = subprocess.run(
        [sys.executable, "-c", script, str(SEED_ARTICLE), str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    backend = "_cffi_backend" if precompiled else "cffi.api"
    assert run.stdout.strip() == f"0 {backend} []", run.stdout  # laid out, subset, written: no slow parse
    assert (tmp_path / "professional-organizations.pdf").stat().st_size > 10_000


LOAD_WITH_A_LIBRARY_NOT_FOUND = """
from pressroom import libraries
from pressroom.libraries import DeclaredFFI

def dlopen(self, name, *args):  # as on a system where only find_library knows Pango's file
    if "pango-1.0" in name:
        raise OSError(f"cannot load library '{name}'")
    return self.declared.dlopen(name, *args)

DeclaredFFI.dlopen = dlopen
weasyprint = libraries.load_weasyprint()
from weasyprint.text.ffi import ffi, pango
print(type(ffi).__module__, pango.pango_units_from_double(1))
"""


def test_weasyprint_loads_the_usual_way_when_the_precompiled_ffi_cannot_open_a_library() -> None:
    run = subprocess.run([sys.executable, "-c", LOAD_WITH_A_LIBRARY_NOT_FOUND], cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "cffi.api 1024\n"  # parsed declarations; WeasyPrint's advice not printed


def test_the_deferred_modules_are_the_ones_weasyprint_imports_for_rare_fonts() -> None:
    import ast

    import weasyprint

    source = (Path(weasyprint.__file__).parent / "pdf" / "fonts.py").read_text(encoding="utf-8")
    imported: dict[str, tuple[str, ...]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if name in DEFERRED_MODULES:  # ``from fontTools import subset``: the module itself
                    imported[name] = ()
                elif node.module in DEFERRED_MODULES:  # ``from m import f``: f must be forwarded
                    imported[node.module] = (*imported.get(node.module, ()), alias.name)
    assert imported == DEFERRED_MODULES


def test_a_deferred_module_imports_the_real_one_on_first_use() -> None:
    from fontTools.ttLib import TTFont

    deferred = DeferredModule("fontTools.varLib.instancer", ("instantiateVariableFont",))
    static_font = TTFont(REPO / "layouts" / "fonts" / "NotoSans-Regular.ttf")
    with pytest.raises(Exception) as ours:  # noqa: PT011 - whatever the real function raises
        deferred.instantiateVariableFont(static_font, {"wght": 400})
    from fontTools.varLib import instancer

    with pytest.raises(type(ours.value)) as theirs:
        instancer.instantiateVariableFont(static_font, {"wght": 400})
    assert str(ours.value) == str(theirs.value)  # the real function ran: a static font has no axes
    assert deferred.real() is instancer and deferred.OverlapMode is instancer.OverlapMode
    with pytest.raises(AttributeError):
        deferred.__wrapped__  # noqa: B018 - probing for special names is not a use


COLD_BUILD_WITH_DEFERRED_MODULES = """
import sys
from pressroom.cli import main
code = main([sys.argv[1], "--out", sys.argv[2], "-j", "1", "--force", "-q"])
loaded = [name for name in ("fontTools.subset", "fontTools.varLib", "fontTools.varLib.instancer") if name in sys.modules]
from weasyprint.pdf import fonts
import fontTools.subset
print(code, loaded, type(fonts.subset).__name__, fonts.subset.Options is fontTools.subset.Options)
"""


def test_a_cold_build_does_not_import_what_only_rare_fonts_need(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", COLD_BUILD_WITH_DEFERRED_MODULES, str(SEED_ARTICLE), str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    # Laid out, subset by HarfBuzz and written without them; an import afterwards gets the real
    # module, and WeasyPrint's stand-in answers from it.
    assert run.stdout == "0 [] DeferredModule True\n", run.stdout
    assert (tmp_path / "professional-organizations.pdf").stat().st_size > 10_000
