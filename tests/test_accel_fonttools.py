"""fontTools' rare-font modules imported on first use (pressroom.accel.fonttools)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import REPO, SEED_ARTICLE, run_script

from pressroom.accel.fonttools import (
    DEFERRED_MODULES,
    DeferredModule,
    imported_by_weasyprint,
)


def test_the_deferred_modules_are_the_ones_weasyprint_imports_for_rare_fonts() -> None:
    assert imported_by_weasyprint() == DEFERRED_MODULES


def test_a_deferred_module_imports_the_real_one_on_first_use() -> None:
    from fontTools.ttLib import TTFont

    deferred = DeferredModule("fontTools.varLib.instancer", ("instantiateVariableFont",))
    static_font = TTFont(REPO / "pressroom" / "layouts" / "fonts" / "NotoSans-Regular.ttf")
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
    run = run_script(COLD_BUILD_WITH_DEFERRED_MODULES, SEED_ARTICLE, tmp_path)
    assert run.returncode == 0, run.stderr
    # Laid out, subset by HarfBuzz and written without them; an import afterwards gets the real
    # module, and WeasyPrint's stand-in answers from it.
    assert run.stdout == "0 [] DeferredModule True\n", run.stdout
    assert (tmp_path / "professional-organizations.pdf").stat().st_size > 10_000
