"""Callouts from every dialect become one accessible aside; template tags and MDX lines are taken
out with a warning naming their line, never the content between them; emoji shortcodes become
emoji."""

from __future__ import annotations

import zipfile
from pathlib import Path

import lxml.etree as etree
import lxml.html
import pytest
from helpers import assert_epubcheck_clean, pdf_text, run_cli, write_article
from test_convert_markdown import convert_text

CALLOUTS = """\
> [!NOTE]
> GitHub *note*.

> [!caution]
> GitHub caution.

!!! tip "MkDocs title"
    MkDocs tip.

??? danger
    Closed fold.

???+ example "Open fold"
    Open body.

:::warning Docusaurus **title**
Docusaurus warning.
:::

:::{important}
MyST important.
:::

:::info[Bracketed]
Docusaurus info.
:::

> [!FOO]
> An ordinary quote.
"""
EXPECTED = [
    ("note", "Note", "GitHub note."),
    ("caution", "Caution", "GitHub caution."),
    ("tip", "MkDocs title", "MkDocs tip."),
    ("danger", "Danger", "Closed fold."),
    ("example", "Open fold", "Open body."),
    ("warning", "Docusaurus title", "Docusaurus warning."),
    ("important", "Important", "MyST important."),
    ("info", "Bracketed", "Docusaurus info."),
]


def callouts(html: str) -> list[tuple[str, str, str]]:
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    found = []
    for aside in tree.iter("aside"):
        assert aside.get("role") == "note"
        kind = aside.get("class").split()[1]
        title = aside.xpath("./p[@class='admonition-title']|./details/summary[@class='admonition-title']")[0]
        body = aside.xpath("./p[not(@class)]|./details/p[not(@class)]")
        found.append((kind, title.text_content(), " ".join(p.text_content() for p in body)))
    return found


def test_callouts_of_every_dialect_are_one_aside_labelled_with_their_kind(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, CALLOUTS)
    assert warnings == []
    assert callouts(doc.epub_html()) == EXPECTED
    assert callouts(doc.print_html) == EXPECTED
    assert "<blockquote>\n<p>[!FOO]" in doc.epub_html()  # not an alert GitHub knows: a quote
    assert '<aside class="admonition danger collapsible" role="note"' in doc.print_html  # printed open
    assert '<aside class="admonition example collapsible open" role="note"' in doc.print_html


def test_site_generator_tags_and_mdx_lines_are_removed_with_a_warning_each(tmp_path: Path) -> None:
    text = (
        "import Tabs from '@theme/Tabs';\n"
        "export const meta = {a: 1};\n"
        "\n"
        "{% include note.html %}\n"
        "Before {{< highlight go >}}kept inside{{< /highlight >}} after, `{% raw %}` in code.\n"
        "\n"
        "```\n{% in a code block %}\nimport x from 'y';\n```\n"
        "\n"
        "Liquid {{ page.title }} stays.\n"
    )
    doc, warnings = convert_text(tmp_path, text)
    assert warnings == [
        "doc.md:1: warning: MDX line 'import Tabs from '@theme/Tabs';' removed (site-generator syntax has no meaning in a handout)",
        "doc.md:2: warning: MDX line 'export const meta = {a: 1};' removed (site-generator syntax has no meaning in a handout)",
        "doc.md:4: warning: template tag '{% include note.html %}' removed (site-generator syntax has no meaning in a handout)",
        "doc.md:5: warning: template tags '{{< highlight go >}}', '{{< /highlight >}}' removed (site-generator syntax has no meaning in a handout)",
    ]
    html = doc.epub_html()
    assert "<p>Before kept inside after, <code>{% raw %}</code> in code.</p>" in html
    assert "{% in a code block %}\nimport x from 'y';" in html
    assert "Liquid {{ page.title }} stays." in html
    assert "Tabs" not in html and "include" not in html


def test_emoji_shortcodes_become_emoji_outside_code(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "Done :wink: :+1: at 10:30:00, `:wink:` and :not_an_emoji:.\n")
    assert "<p>Done \U0001f609 \U0001f44d at 10:30:00, <code>:wink:</code> and :not_an_emoji:.</p>" in doc.epub_html()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dialects")
    write_article(folder, "---\ntitle: Callouts\n---\n" + CALLOUTS)
    run = run_cli("article.md", "--out", "out", "--format", "pdf,epub,html", "--force", cwd=folder)
    assert run.code == 0 and ": warning: " not in run.out + run.err, run.out + run.err
    return folder / "out"


def test_the_epub_passes_epubcheck_and_the_web_page_folds(built: Path) -> None:
    assert_epubcheck_clean(built / "article.epub")
    chapter = etree.fromstring(zipfile.ZipFile(built / "article.epub").read("EPUB/chapter.xhtml"))
    assert len(chapter.findall(".//{http://www.w3.org/1999/xhtml}aside[@role='note']")) == len(EXPECTED)
    page = lxml.html.fromstring((built / "article" / "index.html").read_bytes())
    assert callouts(lxml.html.tostring(page.body, encoding="unicode")) == EXPECTED
    folds = page.xpath("//aside[contains(@class, 'collapsible')]/details")
    assert [fold.get("open") for fold in folds] == [None, "open"]


def test_the_handout_prints_every_label_and_body(built: Path) -> None:
    text = " ".join(" ".join(pdf_text(built / "article.pdf")).split())
    for _, title, body in EXPECTED:
        assert title in text and body in text


def test_a_heading_with_a_shortcode_keeps_the_anchor_github_gives_it(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, "## Sponsors :heart:\n\n[thanks](#sponsors-heart)\n")
    assert warnings == []
    heading = doc.headings[0]
    assert heading.text == "Sponsors \u2764\ufe0f" and f'<a href="#{heading.id}">thanks</a>' in doc.epub_html()


def test_an_untitled_callout_is_labelled_in_the_article_s_language(tmp_path: Path) -> None:
    text = '---\nlang: fr\n---\n\n> [!NOTE]\n> Une alerte.\n\n!!! tip\n    Un conseil.\n\n:::warning\nUn avertissement.\n:::\n\n!!! note "Mon titre"\n    Titré.\n'
    doc, warnings = convert_text(tmp_path, text)
    assert warnings == []
    labels = [label for _, label, _ in callouts(doc.epub_html())]
    assert labels == ["Remarque", "Astuce", "Attention", "Mon titre"]
    assert "pr-label-" not in doc.epub_html() and "pr-label-" not in doc.print_html
    english, _ = convert_text(tmp_path, text.replace("lang: fr", "lang: en"))
    assert [label for _, label, _ in callouts(english.epub_html())] == ["Note", "Tip", "Warning", "Mon titre"]
    korean, _ = convert_text(tmp_path, text.replace("lang: fr", "lang: ko"))
    assert [label for _, label, _ in callouts(korean.epub_html())] == ["참고", "팁", "경고", "Mon titre"]
