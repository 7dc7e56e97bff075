"""Loading WeasyPrint (pressroom.libraries): the C type strings it names are parsed in one pass,
give the very types cffi's own parse gives, and a build parses no type string on its own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpers import REPO, SEED_ARTICLE

from pressroom.libraries import SIZED_ARRAY_ITEMS, WEASYPRINT_C_TYPES, ParsedTypes, load_weasyprint


def cffi_own_parse(ffi, cdecl: str):
    """The ctype cffi builds for ``cdecl`` when it parses the string itself."""
    with ffi._lock:
        return ffi._get_cached_btype(ffi._parser.parse_type(cdecl))


def test_the_memo_gives_the_types_cffi_would_parse() -> None:
    load_weasyprint()
    from weasyprint.text.ffi import ffi

    assert isinstance(ffi._parsed_types, ParsedTypes)
    for cdecl in WEASYPRINT_C_TYPES:
        assert dict.__contains__(ffi._parsed_types, cdecl), cdecl
        assert ffi.typeof(cdecl) is cffi_own_parse(ffi, cdecl), cdecl
    for length in (1, 45, 2650):
        cdecl = f"hb_codepoint_t[{length}]"
        assert ffi.typeof(cdecl) is cffi_own_parse(ffi, cdecl)
        assert ffi.sizeof(cdecl) == 4 * length
    assert list(ffi.new("hb_codepoint_t[3]", [7, 8, 9])) == [7, 8, 9]
    assert ffi.typeof("int *") is cffi_own_parse(ffi, "int *")  # anything else: parsed as before


def test_the_type_list_names_every_type_string_in_weasyprints_source() -> None:
    load_weasyprint()
    import weasyprint

    source = "\n".join(path.read_text(encoding="utf-8") for path in Path(weasyprint.__file__).parent.rglob("*.py"))
    literals = set(re.findall(r"ffi\.(?:new|cast)\(\s*'([^'{}]+)'", source))
    sized = set(re.findall(r"ffi\.new\(\s*f'(\w+)\[\{", source))
    assert literals and sized
    assert literals <= set(WEASYPRINT_C_TYPES)
    assert sized <= set(SIZED_ARRAY_ITEMS)


BUILD_COUNTING_PARSES = """
import sys
from cffi import cparser
parses = []
original = cparser.Parser.parse_type
cparser.Parser.parse_type = lambda self, cdecl: parses.append(cdecl) or original(self, cdecl)
from pressroom.cli import main
code = main([sys.argv[1], "--out", sys.argv[2], "-j", "1", "--force", "-q"])
print(code, parses)
"""


def test_a_cold_build_parses_no_type_string_on_its_own(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", BUILD_COUNTING_PARSES, str(SEED_ARTICLE), str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[:1] == ["0"]
    assert run.stdout.strip() == "0 []", run.stdout  # laid out, subset, written: no slow parse
    assert (tmp_path / "professional-organizations.pdf").stat().st_size > 10_000
