"""Golden copies of the seed article's package document and navigation document.

A change to what the EPUB declares shows up here as a readable diff. To accept a deliberate
change: ``PRESSROOM_UPDATE_GOLDEN=1 make test`` rewrites the copies that differ (those tests fail,
naming the file), then review ``git diff tests/golden`` and run again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import epub_file

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize("name", ["content.opf", "nav.xhtml"])
def test_seed_package_and_navigation_match_the_golden_copies(seed, name: str) -> None:
    actual = epub_file(seed.epub, f"EPUB/{name}").decode("utf-8")
    golden = GOLDEN / name
    expected = golden.read_text(encoding="utf-8")
    if os.environ.get("PRESSROOM_UPDATE_GOLDEN") and actual != expected:
        golden.write_text(actual, encoding="utf-8")
        # Never a pass: the comparison below would be with the file just written.
        pytest.fail(f"{golden} rewritten: review `git diff tests/golden`, then run again without PRESSROOM_UPDATE_GOLDEN")
    assert actual == expected
