"""Citations and references compared with what Pandoc's citeproc prints for the same real
BibTeX file (AMReX's JOSS paper) in real CSL styles (tests/fixtures/citations/, made once by
make-pandoc-references.sh with pandoc 2.17; Pandoc is not needed here).

Text is compared after collapsing whitespace: the markup differs on purpose (Pressroom links
each citation and entry, writes ``<i>`` where Pandoc writes ``<em>``, and prints URLs as text).
Each entry or citation that still differs is listed below with the reason; an entry listed that
comes to match fails the test, so the list stays true.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from test_convert_markdown import convert_text

FIXTURES = Path(__file__).parent / "fixtures" / "citations"
STYLES = ("chicago-author-date", "harvard-cite-them-right")

# Where Pressroom prints differently, and why. Keyed by style, then entry key.
TITLE_CASE = "citeproc-py title-cases only the first part of a hyphenated or slashed compound (Three-dimensional, End-user, Differential/algebraic); Pandoc each part"
PAGE_RANGE = "the style's page-range-format chicago-16 (CSL 1.0.2) gives 127–38 as the Chicago Manual says; Pandoc 2.17 does not know it and prints 127–138"
SUBSTITUTE = "no author: citeproc-py prints the title again after the title that stands in for the author (it does not suppress variables substituted through a macro)"
PROTECTED = "a braced capital ({M}ach) protects its whole word here (low-Mach stays lower case in title case): citeproc-py would split the word at the brace"
PUBLISHER = "Pandoc 2.17 splits a BibTeX publisher at 'and' as if it were a biblatex list (Society for Industrial; Applied Mathematics); Pressroom keeps it as written"
DIFFERENT = {
    "chicago-author-date": {
        "BBSW": f"{TITLE_CASE}; {PAGE_RANGE}",
        "Paraview": TITLE_CASE,
        "sundials": f"{TITLE_CASE}; {PAGE_RANGE}",
        "DayBell": PAGE_RANGE,
        "Pember": f"{PROTECTED}; {PAGE_RANGE}",
        "Briggs": PUBLISHER,
        **dict.fromkeys(("hypre", "xsdk", "SENSEI", "Conduit", "CalhounWebPage"), SUBSTITUTE),
    },
    "harvard-cite-them-right": {
        "Briggs": PUBLISHER,
        **dict.fromkeys(("hypre", "xsdk", "SENSEI", "Conduit", "CalhounWebPage"), SUBSTITUTE),
    },
}


def text(element: lxml.html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def pandoc(style: str) -> tuple[list[str], dict[str, str]]:
    """The citations, in order, and the entries (by key, in order) Pandoc printed."""
    root = lxml.html.fragment_fromstring((FIXTURES / f"pandoc-{style}.html").read_text(encoding="utf-8"), create_parent="div")
    citations = [text(span) for span in root.xpath(".//span[@class='citation']")]
    entries = {div.get("id").removeprefix("ref-"): text(div) for div in root.xpath(".//div[contains(@class, 'csl-entry')]")}
    return citations, entries


def pressroom(tmp_path: Path, style: str) -> tuple[list[str], dict[str, str]]:
    """The same, from the article Pressroom builds with the same bibliography and style."""
    article = (FIXTURES / "article.md").read_text(encoding="utf-8")
    files = {name: (FIXTURES / name).read_bytes() for name in ("paper.bib", f"{style}.csl")}
    doc, warnings = convert_text(tmp_path, f"---\ntitle: Cited\nbibliography: paper.bib\ncsl: {style}.csl\n---\n{article}", files)
    assert warnings == []
    root = lxml.html.fragment_fromstring(doc.epub_html(), create_parent="div")
    citations = [text(link) for link in root.xpath(".//a[@class='citation']")]
    keys = {key.lower(): key for key in pandoc(style)[1]}
    entries = {keys[li.get("id").removeprefix("ref-")]: text(li) for li in root.xpath(".//ul[@class='references']/li")}
    return citations, entries


@pytest.mark.parametrize("style", STYLES)
def test_citations_print_as_pandoc_prints_them(tmp_path: Path, style: str) -> None:
    expected, _ = pandoc(style)
    found, _ = pressroom(tmp_path, style)
    # [@a], [@a, p. 4], [-@a], @a, [@a; @b], [see @a, pp. 33-35], @a [p. 12], a group of 11, [@a, 33],
    # [@a, chap. 2], [@a, p. 4, emphasis added], [see @a; also @b], and @a and [-@a] without an author
    assert len(expected) == 14
    assert found == expected


@pytest.mark.parametrize("style", STYLES)
def test_references_print_as_pandoc_prints_them_but_where_listed(tmp_path: Path, style: str) -> None:
    expected, listed = pandoc(style)[1], DIFFERENT[style]
    found = pressroom(tmp_path, style)[1]
    assert set(found) == set(expected) and len(found) == 19
    same = {key for key in expected if found[key] == expected[key]}
    assert {key: found[key] for key in expected if key not in same and key not in listed} == {}
    assert sorted(same & set(listed)) == [], "listed as different but now the same: take them off the list"
    assert len(same) == 19 - len(listed)
    assert list(found) == list(expected)  # the style's order
