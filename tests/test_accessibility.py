"""DAISY Ace 1.4.6 reports no accessibility violations on the EPUBs; the package says what it offers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import NS, ace_environment, ace_violations, epub_xml, node_tool


def ace(epub: Path, folder: Path) -> dict:
    """Run Ace (with Debian's Chromium) and return its JSON report."""
    cli = node_tool(".bin/ace-cli")
    result = subprocess.run(
        [str(cli), "-E", "-f", "-o", str(folder / "report"), str(epub)],
        capture_output=True,
        text=True,
        env=ace_environment(folder),
        timeout=600,
    )
    report = json.loads((folder / "report" / "report.json").read_text(encoding="utf-8"))
    report["exit"] = result.returncode
    return report


@pytest.mark.parametrize("fixture", ["seed", "manual"])
def test_ace_reports_no_violations(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    built = request.getfixturevalue(fixture)
    report = ace(built.epub, tmp_path)
    assert ace_violations(report) == []
    assert report["earl:result"]["earl:outcome"] == "pass" and report["exit"] == 0


def test_accessibility_metadata_claims_only_what_holds(seed, manual) -> None:
    def metas(epub: Path) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for meta in epub_xml(epub, "EPUB/content.opf").iterfind("opf:metadata/opf:meta[@property]", NS):
            found.setdefault(meta.get("property"), []).append(meta.text)
        return found

    seed_meta, manual_meta = metas(seed.epub), metas(manual.epub)
    assert seed_meta["schema:accessMode"] == ["textual", "visual"]
    assert seed_meta["schema:accessibilityHazard"] == ["none"]
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "printPageNumbers", "displayTransformability"} <= set(
        seed_meta["schema:accessibilityFeature"]
    )
    assert seed_meta["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    # The documentation fixture has an image without alternative text: no conformance claim.
    assert "dcterms:conformsTo" not in manual_meta and "alternativeText" not in manual_meta["schema:accessibilityFeature"]
    assert manual_meta["schema:accessModeSufficient"] == ["textual,visual"]
