"""Real Markdown documents (tests/corpus/, sources and licences in SOURCES.md) build cleanly:
no Markdown syntax left in the printed text, no dead internal link, no empty paragraph,
EPUBCheck silent, DAISY Ace silent.

All thirteen are built by one command (``-j 2``), once for the module: ~20 s. Ace then checks all
thirteen EPUBs in one Node process sharing one Chromium (``ace_many.js``; ace-cli takes one EPUB a
run, ~10 s each here): about 20 s of CPU for the thirteen, run in the background while the other
checks read the outputs.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import lxml.etree as etree
import pytest
from helpers import ace_reports, ace_violations, assert_epubcheck_clean, empty_paragraphs, node_tool, pdf_text, run_cli, start_ace

CORPUS = Path(__file__).parent / "corpus"
DOCUMENTS = sorted(path.name for path in CORPUS.glob("*.md") if path.name != "SOURCES.md")

# What Markdown or raw HTML looks like when a converter leaves it as text. Checked outside code
# (pre, code, kbd), where documents about Markdown show it on purpose.
LEFT_OVER = re.compile(
    r"\]\(|!\[|```|\*\*|(?<!\w)__\w|~~|\[\^|\]\[|\[TOC\]|\{:|(?m:^\s*!!! )|(?m:^#{1,6} )"
    r"|</?(?:div|details|summary|img|p|br|a|span|picture|source|kbd|table|td)\b[^>]*>"
)
XHTML = "{http://www.w3.org/1999/xhtml}"
MATHML = "{http://www.w3.org/1998/Math/MathML}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("licences", "SOURCES.md"))
    run = run_cli(*DOCUMENTS, "--out", "out", "-j", "2", "--force", cwd=folder, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert run.code == 0, run.err
    return folder / "out", (run.out + run.err).splitlines()


@pytest.fixture(scope="module")
def ace_checked(built: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], dict[str, dict]]]:
    """Waits for Ace's report on each EPUB (by document name): Ace starts as soon as the EPUBs
    exist (when it is installed), the other checks run meanwhile."""
    out, _ = built
    folder = tmp_path_factory.mktemp("ace")
    epubs = [out / f"{name.removesuffix('.md')}.epub" for name in DOCUMENTS]
    process = start_ace(epubs, folder)
    reports: dict[str, dict] = {}

    def wait() -> dict[str, dict]:
        assert process is not None
        if not reports:
            reports.update(zip(DOCUMENTS, ace_reports(process, len(epubs), folder), strict=True))
        return reports

    yield wait
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()


def test_a_dozen_documents_each_with_its_source_and_licence() -> None:
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert len(DOCUMENTS) >= 12
    for name in DOCUMENTS:
        row = next((line for line in sources.splitlines() if line.startswith(f"| `{name}`")), None)
        assert row is not None, f"{name} is not in SOURCES.md"
        licence = re.search(r"`(licences/[^`]+)`", row) or re.search(r"same commit \| (\S+)", row)
        assert licence, f"{name}: no licence named"
        if licence.group(1).startswith("licences/"):
            assert (CORPUS / licence.group(1)).is_file()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_document_builds_cleanly(built: tuple[Path, list[str]], ace_checked: Callable[[], dict[str, dict]], name: str) -> None:
    out, lines = built
    stem = name.removesuffix(".md")
    dead = [line for line in lines if line.startswith(f"{name}:") and "has no matching heading or anchor" in line]
    assert dead == []
    chapter = etree.fromstring(zipfile.ZipFile(out / f"{stem}.epub").read("EPUB/chapter.xhtml"))
    for literal in list(chapter.iter(f"{XHTML}pre", f"{XHTML}code", f"{XHTML}kbd", f"{MATHML}math")):  # formulas: ][ is a matrix
        literal.text = None
        for child in list(literal):
            literal.remove(child)
    text = "".join(chapter.itertext())
    assert [text[max(0, m.start() - 30) : m.end() + 30] for m in LEFT_OVER.finditer(text)] == []
    printed = "\n".join(pdf_text(out / f"{stem}.pdf"))
    assert "<details" not in printed and "](#" not in printed
    assert_epubcheck_clean(out / f"{stem}.epub")
    assert empty_paragraphs(out / f"{stem}.epub") == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_ace_reports_no_violations(ace_checked: Callable[[], dict[str, dict]], name: str) -> None:
    node_tool("@daisy/ace-core")  # skipped without Ace, failing in CI
    report = ace_checked()[name]
    assert ace_violations(report) == []
    assert report["earl:result"]["earl:outcome"] == "pass"
