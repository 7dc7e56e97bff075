"""Markdown → HTML fragments: extensions, figures, footnotes, raw HTML sanitised into valid XHTML."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.etree as etree
import pytest
from helpers import run_cli, write_article

from pressroom.convert.markdown import convert
from pressroom.load.articles import load_article
from pressroom.load.sandbox import Sandbox
from pressroom.model import BuildError


def convert_text(tmp_path: Path, markdown: str, files: dict[str, bytes] | None = None):
    """Convert ``markdown`` written to tmp_path/doc.md; messages show paths relative to tmp_path."""
    import os

    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        return _convert(tmp_path, markdown, files)
    finally:
        os.chdir(previous)


def _convert(tmp_path: Path, markdown: str, files: dict[str, bytes] | None):
    for name, data in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    source = tmp_path / "doc.md"
    source.write_text(markdown, encoding="utf-8")
    warnings: list = []
    article = load_article(source, tmp_path, {}, {}, warnings)
    document = convert(article, Sandbox((tmp_path,)), warnings)
    etree.fromstring(f"<div xmlns:epub='http://www.idpf.org/2007/ops'>{document.epub_html()}</div>")  # well-formed
    return document, [w.format() for w in warnings]


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f1a7b50000000049454e44ae426082"
)


def test_footnotes_for_each_medium(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "Claim.[^n]\n\n[^n]: The *note*.\n")
    assert '<a class="footnote-ref" href="#fn-n" epub:type="noteref" role="doc-noteref">1</a>' in doc.epub_html()
    assert [n.id for n in doc.notes] == ["fn-n"]
    assert 'role="doc-backlink"' in doc.notes[0].epub_html and "<em>note</em>" in doc.notes[0].epub_html
    assert '<span class="footnote" id="fn-n">' in doc.print_html
    assert "footnote-backref" not in doc.print_html + doc.epub_html()


def test_image_alone_becomes_a_figure(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, '![Alt text](pics/a.png "Title text")\n\nInline ![x](pics/a.png) image.\n', {"pics/a.png": PNG})
    assert (
        '<figure class="figure"><img alt="Alt text" src="images/01-a.png" title="Title text"/><figcaption>Title text</figcaption></figure>'
        in doc.epub_html()
    )
    assert doc.epub_html().count("<figure") == 1
    assert len(doc.images) == 1 and doc.images[0].media_type == "image/png"
    assert 'src="pressroom-project:pics/a.png"' in doc.print_html  # a path inside the project, not a machine path


def test_code_is_highlighted_without_javascript(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "```python\ndef f():\n    return 1\n```\n")
    assert '<div class="codehilite">' in doc.epub_html() and '<span class="k">def</span>' in doc.epub_html()
    assert "<script" not in doc.epub_html()


def test_extensions(tmp_path: Path) -> None:
    doc, _ = convert_text(
        tmp_path,
        '"Quoted" -- text...\n\n## Same\n\n## Same\n\nTerm\n:   Definition\n\n*[HTML]: Hypertext\n\nHTML here.\n\n'
        '!!! warning "Careful"\n    Body.\n\nStyled\n{: .lead }\n\n| a | b |\n|---|---|\n| 1 | 2 |\n',
    )
    html = doc.epub_html()
    assert "“Quoted” – text…" in html
    assert '<h2 id="same">' in html and '<h2 id="same-1">' in html  # GitHub's numbering of repeated headings
    assert "<dt>Term</dt>" in html and '<abbr title="Hypertext">HTML</abbr>' in html
    assert '<aside class="admonition warning" role="note">' in html and '<p class="lead">Styled</p>' in html
    assert '<th scope="col">a</th>' in html


def test_raw_html_is_sanitised_with_warnings_and_stays_valid_xhtml(tmp_path: Path) -> None:
    doc, warnings = convert_text(
        tmp_path,
        'Intro.\n\n<div onclick="steal()"><b>bold <i>unclosed</div>\n\n<script>alert(1)</script>\n\n'
        '<a href="javascript:alert(1)">x</a> &copy; &nbsp; <iframe src="https://evil.example"></iframe>\n\n'
        '<p id="dup">one</p><p id="dup">two</p>\n',
    )
    html = doc.epub_html()
    for bad in ("onclick", "<script", "alert", "javascript:", "<iframe", "&nbsp;", "&copy;"):
        assert bad not in html
    assert "©" in html and 'id="dup"' in html and 'id="dup-2"' in html
    assert warnings == [
        "doc.md:3: warning: attribute 'onclick' removed from <div>",
        "doc.md:5: warning: raw HTML <script> and its content removed (not allowed in a handout)",
        "doc.md:7: warning: javascript: URL removed from <a>",
        "doc.md:7: warning: raw HTML <iframe> and its content removed (not allowed in a handout)",
    ]


def test_broken_anchor_and_relative_file_links_become_text(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, "## Here\n\n[ok](#here) [gone](#nowhere) [file](other.md)\n")
    assert '<a href="#here">ok</a>' in doc.epub_html()
    assert "<span>gone</span>" in doc.epub_html() and "<span>file</span>" in doc.epub_html()
    assert warnings == [
        "doc.md:3: warning: link to '#nowhere' has no matching heading or anchor; kept as text",
        "doc.md:3: warning: link to 'other.md' points outside this article and cannot be followed in the handout; kept as text",
    ]


def test_missing_image_and_image_outside_the_project_are_errors(tmp_path: Path) -> None:
    with pytest.raises(BuildError) as info:
        convert_text(tmp_path, "Text.\n\n![x](nope.png)\n")
    assert (info.value.line, info.value.message) == (3, "image not found: nope.png")
    (tmp_path.parent / "outside.png").write_bytes(PNG)
    with pytest.raises(BuildError, match="is outside the project folder"):
        convert_text(tmp_path, "![x](../outside.png)\n")


def test_control_characters_are_removed(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, "Bell\x07 and \x1b escape.\n")
    assert "\x07" not in doc.epub_html() and "Bell and  escape." in doc.epub_html()
    assert warnings == ["doc.md:1: warning: control characters removed (they are not allowed in XHTML)"]


def test_deep_nesting_is_refused_not_crashed(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="nested more than 100 levels"):
        convert_text(tmp_path, ">" * 500 + " deep\n")


def test_headings_for_the_table_of_contents(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "## One\n\n### One.a\n\n## Two\n")
    assert [(h.level, h.id, h.text) for h in doc.headings] == [(2, "one", "One"), (3, "onea", "One.a"), (2, "two", "Two")]


def test_control_characters_from_character_references_are_removed_with_a_warning(tmp_path: Path) -> None:
    """The HTML parser turns &#12; into a form feed, which XHTML forbids: taken out, with the line."""
    text = 'First line.\n\nForm&#12;feed, escape &#x1b;, &#xFFFE; and a return &#13; kept.\n\n<span title="a&#7;b">x</span>\n'
    document, warnings = convert_text(tmp_path, text)
    assert warnings == ["doc.md:3: warning: control characters removed (they are not allowed in XHTML)"]
    assert "Formfeed, escape , " in document.epub_html()
    assert 'title="ab"' in document.epub_html()


def build_warnings(tmp_path: Path, text: str) -> list[str]:
    """Build ``text`` as article.md (EPUB only) through the CLI; the warnings it prints."""
    write_article(tmp_path, text)
    run = run_cli("article.md", "--out", "out", "--format", "epub", "--force", cwd=tmp_path)
    assert run.code == 0, run.err
    return [line for line in (run.out + run.err).splitlines() if ": warning: " in line]


TABLES = """\
    ---
    title: Tables
    ---
    A sound table:

    | a | b |
    |---|---|
    | 1 | 2 |

    | a | b |
    |---|---|---|
    | 1 | 2 |

    Text right above (a table may follow a paragraph line, as on GitHub)
    | a | b |
    |---|:-:|

    | no | delimiter |
    | 1  | 2         |

    > |---|---|
"""


def test_rows_that_do_not_become_a_table_are_reported_and_keep_their_dashes(tmp_path: Path) -> None:
    warnings = build_warnings(tmp_path, TABLES)
    assert warnings == [
        "article.md:10: warning: these lines look like a table but are printed as text: its delimiter row has 3 column(s) and its header row 2",
        "article.md:18: warning: these lines look like a table but are printed as text: it has no delimiter row such as |---|---| under its header row",
        "article.md:21: warning: these lines look like a table but are printed as text: its delimiter row has no header row above it",
    ]
    document, _ = convert_text(tmp_path, "| a | b |\n|---|:--:|---|\n\nWords -- and --- dashes.")
    assert "|---|:--:|---|" in document.print_html  # typed, not smartened into — and –
    assert "Words – and — dashes." in document.print_html.replace("&ndash;", "–").replace("&mdash;", "—")


def test_code_that_shows_a_broken_table_is_not_reported(tmp_path: Path) -> None:
    text = """\
        Markdown source:

            | a | b |
            |---|---|---|

        ```
        | a |
        |---|---|
        ```
    """
    assert build_warnings(tmp_path, text) == []


def test_footnotes_without_a_definition_or_a_reference_are_reported(tmp_path: Path) -> None:
    text = """\
        ---
        title: Notes
        ---
        A defined note[^ok], a missing one[^missing],
        `[^code]` in code and \\[^escaped] on purpose.

        [^ok]: Fine.
        [^orphan]: Nobody points here.
    """
    warnings = build_warnings(tmp_path, text)
    assert sorted(warnings) == [
        "article.md:4: warning: footnote [^missing] is not defined; printed as text",
        "article.md:8: warning: footnote [^orphan] is never referenced; left out",
    ]


def test_white_space_in_a_printed_note_is_collapsed_as_css_would(tmp_path: Path) -> None:
    """WeasyPrint lays out a footnote's text with its white space as written (see
    convert.collapse_note_whitespace): the print HTML has none left at a line's start or end."""
    doc, _ = convert_text(
        tmp_path,
        "Text.[^a]\n\n[^a]: Here is the note.  This one\ncontains  \n\n    - item  \n      more<br>  \n\n"
        "    | a<br> | b  |\n    |---|---|\n    | c | d |\n\n        code  \n        more\n",
    )
    note = doc.print_html[doc.print_html.index('<span class="footnote"') :]
    assert "1. </span>Here is the note. This one contains<span" in note
    assert "item<br>more<br></span>" in note and "a<br></span>" in note
    assert "code\nmore" in note
    assert re.search(r"\s<br>|<br>\s|\s</span>|>\s+<", note.split("1. </span>", 1)[1]) is None
    assert "Here is the note.  This one\ncontains" in doc.notes[0].epub_html  # the EPUB's note is left as it was


def test_heading_ids_and_links_as_github_makes_them(tmp_path: Path) -> None:
    """GitHub's slugs (punctuation dropped, not squeezed; letters of every script kept; repeats
    numbered -1, -2), so links written for GitHub resolve; ids stay valid and unique."""
    doc, warnings = convert_text(
        tmp_path,
        "## Install & Update\n\n## Überblick\n\n## 日本語の見出し\n\n## FAQ\n\n## FAQ\n\n## 1. Intro\n\n"
        "[a](#install--update) [b](#%C3%BCberblick) [c](#日本語の見出し) [d](#faq-1) [e](#1-intro) [f](#Install--Update)\n",
    )
    assert [h.id for h in doc.headings] == ["install--update", "überblick", "日本語の見出し", "faq", "faq-1", "s-1-intro"]
    html = doc.epub_html()
    for target in ("install--update", "überblick", "日本語の見出し", "faq-1", "s-1-intro"):
        assert f'href="#{target}"' in html
    assert warnings == []


def test_a_line_break_opportunity_stays_empty(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "0 0 <wbr> 0 and long<wbr>word <em>x</em>\n")
    assert "<p>0 0 <wbr/> 0 and long<wbr/>word <em>x</em></p>" in doc.epub_html()


def test_paragraphs_with_nothing_to_show_are_taken_out_keeping_their_ids(tmp_path: Path) -> None:
    text = (
        "Intro.\n\n<p></p>\n\n<p>  </p>\n\n<p><br></p>\n\n<p><script>x</script></p>\n\n<span><script>x</script></span>\n\n"
        '<object data="x.swf"></object>\n\n<a id="top"></a>\n\n<p id="here"></p>\n\n'
        "$x^2$\n\nLast [up](#top) and [here](#here).\n"
    )
    doc, _ = convert_text(tmp_path, text)
    tree = etree.fromstring(f"<div>{doc.epub_html()}</div>")
    paragraphs = ["".join(p.itertext()).strip() or etree.tostring(p[0]).decode()[:20] for p in tree.iter("p")]
    assert paragraphs[0] == "Intro." and paragraphs[-1] == "Last up and here."
    assert paragraphs[1:-1] == ["x2"]  # a formula alone stays
    assert [a.get("id") for a in tree.findall("a")] == ["top", "here"]  # the anchors stay where the paragraphs were
    assert 'href="#top"' in doc.epub_html() and 'href="#here"' in doc.epub_html()


def test_markdown_inside_html_blocks_and_details_without_a_summary(tmp_path: Path) -> None:
    doc, _ = convert_text(
        tmp_path,
        "---\nlang: fr\n---\n"
        '<div align="center">\n\n**Bold** and [link](#more)\n\n</div>\n\n<details>\n\n- one\n- two\n\n</details>\n\n'
        "<details>\n<summary>Open</summary>\n\n```sh\nmake\n```\n\n</details>\n\n## More\n",
    )
    html = doc.epub_html()
    assert '<div style="text-align: center"><p><strong>Bold</strong> and <a href="#more">link</a></p>' in html.replace("\n", "")
    assert "<details><summary>Détails</summary><ul>" in html.replace("\n", "")
    assert "<details><summary>Open</summary>" in html.replace("\n", "") and "**" not in html


def test_command_line_flags_keep_their_dashes(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "Run with --verbose or -- in a pinch; pages 10--12 -- see `--help`.\n")
    assert "Run with --verbose or – in a pinch; pages 10–12 – see <code>--help</code>." in doc.epub_html()


def test_toc_marker_lists_the_headings_nested(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "[TOC]\n\n## A\n\n### B\n\n## C\n\n`[TOC]` in code stays.\n")
    html = doc.epub_html().replace("\n", "")
    assert (
        '<div class="toc"><ul><li><a href="#a">A</a><ul><li><a href="#b">B</a></li></ul></li><li><a href="#c">C</a></li></ul></div>' in html
    )
    assert "<code>[TOC]</code>" in html


def test_github_ids_in_other_scripts_are_valid_in_the_epub(tmp_path: Path) -> None:
    from helpers import assert_epubcheck_clean

    text = "# Заголовок\n\n## Ελληνική ενότητα\n\n## 1. Шаг\n\n## 1. Шаг\n\n[a](#ελληνική-ενότητα) [b](#1-шаг-1)\n\n<details>\n\nMore.\n\n</details>\n"
    assert build_warnings(tmp_path, text) == []
    assert_epubcheck_clean(tmp_path / "out" / "article.epub")


def test_headings_that_skip_a_level_close_up_and_keep_their_nesting(tmp_path: Path) -> None:
    """READMEs start at ``###`` for a smaller look, papers jump from ``#`` to ``###``: the outline
    (EPUB, the PDF's structure tree, the contents) must not skip a level, so each heading is at most
    one below the heading it belongs under (the title's h1 comes first)."""
    markdown = "### Feature\n\n#### Detail\n\n### Other\n\n## Use\n\n#### Deep\n\n# Part\n\n### Section\n"
    document, _ = convert_text(tmp_path, "---\ntitle: T\n---\n\n" + markdown)
    assert [(h.level, h.text) for h in document.headings] == [
        (2, "Feature"),
        (3, "Detail"),
        (2, "Other"),
        (2, "Use"),
        (3, "Deep"),
        (1, "Part"),
        (2, "Section"),
    ]
    assert re.findall(r"<h(\d)", document.epub_html()) == ["2", "3", "2", "2", "3", "1", "2"]


def test_a_summary_outside_details_or_a_second_one_becomes_a_plain_block(tmp_path: Path) -> None:
    """``<summary>`` is only valid as the first child of ``<details>`` (EPUBCheck refuses it
    elsewhere): a stray one in a paragraph or list item, or a second one, keeps its text as a div."""
    markdown = (
        "Para <summary>stray</summary> end.\n\n- item <summary>in item</summary>\n\n"
        "<details>\n<summary>First</summary>\n<summary>Second</summary>\nBody.\n</details>\n"
    )
    html = convert_text(tmp_path, markdown)[0].epub_html().replace("\n", "")
    assert re.findall(r"<summary>(\w+)</summary>", html) == ["First"]
    assert "<div>stray</div>" in html and "<li>item <div>in item</div></li>" in html and "<div>Second</div>" in html


def test_a_heading_without_emoji_needs_no_emoji_tables() -> None:
    from pressroom.convert.markdown import shortcode_slug

    assert shortcode_slug("Don\u2019t panic \u2014 a \u201cguide\u201d") == []
    assert shortcode_slug("Sponsors \u2764\ufe0f") == ["sponsors-heart"]
