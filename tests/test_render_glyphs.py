"""Font coverage: characters of the article and of what the stylesheets generate for it (list
markers, ``content`` strings) that the bundled fonts cannot draw are reported with their line."""

from __future__ import annotations

from pathlib import Path

import pypdf
from helpers import SEED_ARTICLE, run_cli, write_article

from pressroom.render.glyphs import generated_characters

NESTED_LISTS = """

## Checklist

- Join a state association
    - attend its conference
        - present a poster
1. Renew the membership
    - before June
"""


def embedded_fonts(path: Path) -> set[str]:
    reader = pypdf.PdfReader(path)
    return {str(font.get_object()["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}


def warnings_of(run) -> list[str]:
    return [line for line in (run.out + run.err).splitlines() if ": warning: " in line]


def test_nested_list_bullets_come_from_the_bundled_fonts(tmp_path: Path) -> None:
    source = tmp_path / "seed.md"
    source.write_text(SEED_ARTICLE.read_text(encoding="utf-8") + NESTED_LISTS, encoding="utf-8")
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf")
    assert run.code == 0, run.err
    assert warnings_of(run) == []
    fonts = embedded_fonts(tmp_path / "out" / "seed.pdf")
    assert fonts and all("Pressroom-" in name for name in fonts), fonts  # no DejaVu for – or ‣


def test_markers_and_content_a_layout_generates_are_checked(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    style = '<style>ul ul { list-style-type: circle; } .pointer::before { content: "\\261E  "; }</style>'
    write_article(
        tmp_path / "layouts",
        f'{{% extends "default/handout.html" %}}\n{{% block head %}}{{{{ super() }}}}{style}{{% endblock %}}\n',
        "handout.html",
    )
    write_article(
        tmp_path / "content",
        """\
        ---
        title: Lists
        ---
        Intro.

        - Top
            - nested item

        See <span class="pointer">the note</span>.
        """,
        "talk.md",
    )
    run = run_cli("--format", "pdf", cwd=tmp_path)
    assert run.code == 0, run.err
    assert warnings_of(run) == [
        "content/talk.md:7: warning: 2 character(s) not in the bundled fonts are drawn with system fonts:"
        " ◦ (U+25E6, from the stylesheets) ☞ (U+261E, from the stylesheets)"
    ]


def test_a_character_only_the_monospaced_font_has_is_reported_in_text_not_in_code(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: Shapes\n---\nIntro.\n\nIn text ▪ is not.\n\nIn code `▪` is fine.\n")
    run = run_cli("article.md", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert warnings_of(run) == ["article.md:6: warning: 1 character(s) not in the bundled fonts are drawn with system fonts: ▪ (U+25AA)"]
    write_article(tmp_path, "---\ntitle: Shapes\n---\nIn code `▪` is fine.\n")
    assert warnings_of(run_cli("article.md", "--out", "out", "--format", "pdf", cwd=tmp_path)) == []


def test_default_bullets_by_list_depth_unless_a_stylesheet_sets_them() -> None:
    html = "<html><body><ul><li>one<ul><li>two<ol><li>x<ul><li>three</li></ul></li></ol></li></ul></li></ul></body></html>"
    assert generated_characters(html, lambda href: None) == {"•": "one", "◦": "two", "▪": "three"}
    styled = html.replace("<body>", "<head><style>ul { list-style: none }</style></head><body>")
    assert generated_characters(styled, lambda href: None) == {}
    page = "<html><head><style>@page { @bottom-left { content: 'Seite ⅰ' } }</style></head><body></body></html>"
    assert generated_characters(page, lambda href: None) == {"ⅰ": ""}


def test_a_character_in_a_footnote_is_checked_like_the_body(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: Notes\n---\nText.[^a]\n\n[^a]: A note with ▪ in it.\n")
    run = run_cli("article.md", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert warnings_of(run) == ["article.md:6: warning: 1 character(s) not in the bundled fonts are drawn with system fonts: ▪ (U+25AA)"]
