"""Citations in Pandoc's syntax with a BibTeX or CSL JSON bibliography, formatted by citeproc-py:
linked to a references section, unknown keys reported, nothing changed without a bibliography."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import assert_epubcheck_clean, pdf_text, run_cli, write_article
from test_convert_markdown import convert_text

BIBTEX = b"""@book{doe99,
  author = {Doe, Jane},
  title = {A Book about Things},
  publisher = {Pub House},
  year = {1999}
}
"""
CSL_JSON = json.dumps(
    [{"id": "smith04", "type": "article-journal", "title": "An Article", "container-title": "Journal of Stuff",
      "author": [{"family": "Smith", "given": "John"}, {"family": "Roe", "given": "Richard"}],
      "issued": {"date-parts": [[2004]]}, "volume": "12", "page": "1-10"}]
).encode()  # fmt: skip
TEXT = "---\ntitle: Cited\nbibliography: [refs.bib, more.json]\n---\nShown [@doe99, p. 33; @smith04] and [see @doe99].\n\nMissing [@nobody]; mail a@b.com or @someone.\n"


def test_citations_link_to_the_references_in_the_style(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, TEXT, {"refs.bib": BIBTEX, "more.json": CSL_JSON})
    assert warnings == ["doc.md:7: warning: citation @nobody is not in the bibliography; printed as written"]
    html = doc.epub_html()
    assert '<a class="citation" href="#ref-doe99" role="doc-biblioref">(Doe, 1999, p. 33; Smith and Roe, 2004)</a>' in html
    assert 'and <a class="citation" href="#ref-doe99" role="doc-biblioref">(see Doe, 1999)</a>.' in html
    assert "Missing [@nobody]; mail" in html and "@someone" in html
    assert '<section class="references" role="doc-bibliography" aria-label="References">' in html
    # BibTeX titles become sentence case, as CSL (and Pandoc) expect; en-US puts the comma inside the quotes
    assert '<li id="ref-doe99">Doe, J. (1999) <i>A book about things</i>. Pub House.</li>' in html
    assert '<li id="ref-smith04">Smith, J. and Roe, R. (2004) “An Article,” <i>Journal of Stuff</i>, 12, pp. 1–10.</li>' in html
    assert [h.text for h in doc.headings][-1] == "References"


def test_in_text_citations_and_the_year_alone(tmp_path: Path) -> None:
    text = "---\ntitle: T\nbibliography: refs.bib\n---\n@doe99 [p. 3] said so, as @doe99 did [-@doe99].\n\nNot @someone, a@doe99.com, `@doe99` or [@doe99 site](https://x.org).\n"
    doc, warnings = convert_text(tmp_path, text, {"refs.bib": BIBTEX})
    html = doc.epub_html()
    assert warnings == []
    assert html.count('class="citation"') == 3
    assert (
        'role="doc-biblioref">Doe (1999, p. 3)</a> said so, as <a' in html
        and ">Doe (1999)</a> did <a" in html
        and ">(1999)</a>.</p>" in html
    )
    assert (
        'Not @someone, <a href="mailto:a@doe99.com">a@doe99.com</a>, <code>@doe99</code> or <a href="https://x.org">@doe99 site</a>.'
        in html
    )


def test_references_go_where_the_article_puts_them(tmp_path: Path) -> None:
    text = TEXT.replace("\nMissing", '\n<div id="refs"></div>\n\n## After\n\nMissing')
    doc, _ = convert_text(tmp_path, text, {"refs.bib": BIBTEX, "more.json": CSL_JSON})
    html = doc.epub_html()
    assert html.index('class="references"') < html.index(">After</h2>")


def test_without_a_bibliography_brackets_stay_text(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, "Shown [@doe99].\n")
    assert warnings == [] and "Shown [@doe99]." in doc.epub_html() and "references" not in doc.epub_html()


@pytest.mark.parametrize(
    ("front", "files", "message"),
    [
        ("bibliography: ../out.bib", {}, "doc.md:3: error: bibliography '../out.bib' is outside the project folder"),
        (
            "bibliography: refs.txt",
            {"refs.txt": b"x"},
            "doc.md:3: error: bibliography 'refs.txt' must be BibTeX (.bib) or CSL JSON (.json)",
        ),
        (
            "bibliography: refs.bib",
            {"refs.bib": b"@book{ok, title = {T}}\n@book{x,\n title = {open\n"},
            "doc.md:3: error: bibliography 'refs.bib' cannot be read: line 2: in @book{x, …}: '{' is never closed",
        ),
        (
            "bibliography: refs.bib\ncsl: nosuch",
            {"refs.bib": BIBTEX},
            "doc.md:4: error: unknown CSL style 'nosuch': name a .csl file beside the article",
        ),
    ],
)
def test_a_bibliography_or_style_that_cannot_be_used_is_an_error_at_its_key(tmp_path: Path, front: str, files: dict, message: str) -> None:
    from pressroom.model import BuildError

    (tmp_path / "p").mkdir()
    with pytest.raises(BuildError) as raised:
        convert_text(tmp_path / "p", f"---\ntitle: T\n{front}\n---\nShown [@doe99].\n", files)
    assert raised.value.diagnostic.format() == message


def test_a_missing_bibliography_is_a_warning_and_the_text_prints(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, "---\ntitle: T\nbibliography: paper.bib\n---\nShown [@doe99].\n")
    assert warnings == ["doc.md:3: warning: bibliography not found: paper.bib; its citations are printed as written"]
    assert "Shown [@doe99]." in doc.epub_html()


def test_the_epub_and_the_handout_carry_the_references(tmp_path: Path) -> None:
    write_article(tmp_path, TEXT)
    (tmp_path / "refs.bib").write_bytes(BIBTEX)
    (tmp_path / "more.json").write_bytes(CSL_JSON)
    run = run_cli("article.md", "--out", "out", "--force", cwd=tmp_path)
    assert run.code == 0, run.err
    assert_epubcheck_clean(tmp_path / "out" / "article.epub")
    printed = " ".join(" ".join(pdf_text(tmp_path / "out" / "article.pdf")).split())
    assert "(Doe, 1999, p. 33; Smith and Roe, 2004)" in printed and "Doe, J. (1999) A book about things. Pub House." in printed


def test_a_changed_bibliography_rebuilds_the_article(tmp_path: Path) -> None:
    write_article(tmp_path, TEXT)
    (tmp_path / "refs.bib").write_bytes(BIBTEX)
    (tmp_path / "more.json").write_bytes(CSL_JSON)
    assert run_cli("article.md", "--out", "out", "--format", "epub", cwd=tmp_path).code == 0
    assert "unchanged out/article.epub" in run_cli("article.md", "--out", "out", "--format", "epub", cwd=tmp_path).out
    (tmp_path / "refs.bib").write_bytes(BIBTEX.replace(b"Pub House", b"Other House"))
    again = run_cli("article.md", "--out", "out", "--format", "epub", cwd=tmp_path)
    assert "wrote out/article.epub" in again.out
