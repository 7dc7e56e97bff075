"""Property: any Markdown document builds to an EPUBCheck-clean EPUB and a readable PDF, or fails
with a clear ``path:line: error:`` message — never a traceback, never a broken file."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pypdf
from helpers import assert_epubcheck_clean, empty_paragraphs, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TEXT = st.text(
    alphabet=st.sampled_from(list("abcdefgh ijklmnop qrstuvwxyz ABC 0123 .,;:!?'\"()-–—…&<>*_`[]#|\\/~=+ éüßçñ αβγ жз ½ ™ \t")),
    min_size=1,
    max_size=60,
).map(lambda s: s.strip() or "text")
WORD = st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True)

# Emphasis, code, links out and in, footnote references.
MARKDOWN_SPANS = (
    WORD.map(lambda w: f"*{w}*"),
    WORD.map(lambda w: f"**{w}**"),
    WORD.map(lambda w: f"`{w}`"),
    WORD.map(lambda w: f"[{w}](https://example.com/{w})"),
    WORD.map(lambda w: f"[{w}](#{w.lower()})"),
    st.integers(1, 3).map(lambda n: f"[^n{n}]"),
)
INLINE = st.one_of(
    TEXT,
    *MARKDOWN_SPANS,
    st.sampled_from(["<b>bold", "</i>", "<span class='x'>s</span>", "&nbsp;", "&bogus;", "&#x1F600;", "<br>", "<kbd>K</kbd>"]),
)
PARAGRAPH = st.lists(INLINE, min_size=1, max_size=8).map(" ".join)
RAW_BLOCK = st.sampled_from(
    [
        "<div onclick='x()'><p>raw <b>unclosed</div>",
        "<script>alert(1)</script>",
        "<table><tr><td>1<td>2</table>",
        "<details><summary>More</summary><p>Hidden</p></details>",
        "<center><font color=red>old</font></center>",
        "<p id='dup'>a</p><p id='dup'>b</p>",
        "<iframe src='http://127.0.0.1:9/'></iframe>",
        "<svg><circle r='5'/></svg>",
        "<!-- comment --><hr>",
        "<ul><li>one<li>two</ul>",
    ]
)
BLOCK = st.one_of(
    PARAGRAPH,
    st.tuples(st.integers(1, 6), TEXT).map(lambda t: "#" * t[0] + " " + t[1].replace("#", "")),
    st.lists(PARAGRAPH, min_size=1, max_size=4).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(PARAGRAPH, min_size=1, max_size=4).map(lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))),
    TEXT.map(lambda t: f"```python\n{t}\n```"),
    PARAGRAPH.map(lambda p: f"> {p}"),
    st.tuples(WORD, WORD, TEXT).map(lambda t: f"| {t[0]} | {t[1]} |\n|---|---|\n| {t[2].replace('|', '')} | x |"),
    WORD.map(lambda w: f"{w}\n:   definition of {w}"),
    WORD.map(lambda w: f'!!! note "{w}"\n    Admonition body.'),
    RAW_BLOCK,
)
FRONT_MATTER = st.one_of(
    st.just(""),
    TEXT.map(lambda t: f"---\ntitle: {t!r}\n---\n\n".replace("'", '"') if '"' not in t and "\\" not in t else "---\ntitle: T\n---\n\n"),
    st.just("---\ntitle: [broken\n---\n\n"),
    st.just("---\ndate: someday\n---\n\n"),
)
DOCUMENT = st.tuples(FRONT_MATTER, st.lists(BLOCK, min_size=0, max_size=10)).map(
    lambda t: t[0] + "\n\n".join(t[1]) + "\n\n[^n1]: Note one.\n[^n2]: Note *two*.\n"
)
ERROR_LINE = re.compile(r"^doc\.md(:\d+)?: error: \S")


EXAMPLES = int(os.environ.get("PRESSROOM_PROPERTY_EXAMPLES", "25"))  # bounded so CI stays fast


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(DOCUMENT)
def test_any_markdown_builds_cleanly_or_fails_clearly(markdown: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "doc.md").write_text(markdown, encoding="utf-8")
        run = run_cli("doc.md", "--out", "out", cwd=project)
        assert "Traceback" not in run.err
        if run.code == 0:
            assert run.out == "wrote out/doc.pdf\nwrote out/doc.epub\n"
            assert len(pypdf.PdfReader(project / "out" / "doc.pdf").pages) >= 1
            assert_epubcheck_clean(project / "out" / "doc.epub")
        else:
            assert run.code == 1
            errors = [line for line in run.err.splitlines() if ": error: " in line]
            assert errors and all(ERROR_LINE.match(line) for line in errors), run.err
            assert not (project / "out").exists()


# Raw HTML mixed with Markdown: blocks nest (a <div> or <details> may hold Markdown after a blank
# line, or raw HTML on its own lines), inline HTML sits inside Markdown paragraphs, table cells and
# list items, and comments come anywhere (also with "--" inside, which XML forbids).
PLAIN = st.text(alphabet=st.sampled_from(list("abcdefghijklmnop qrstuvwxyz ABC 0123 .,;:!?'\"()-–&<>é½")), min_size=1, max_size=30).map(
    lambda s: s.strip() or "text"
)
COMMENT = st.sampled_from(["<!-- note -->", "<!---->", "<!-- a -- b -->", "<!-- <p>hidden</p> -->", "<!--\nline\n-->", "<!-- x --->"])
INLINE_HTML = st.one_of(
    WORD.map(lambda w: f"<span>{w}</span>"),
    WORD.map(lambda w: f'<span class="k" title="{w}">{w}</span>'),
    st.sampled_from(
        ["<br>", "<br/>", "<br />", "<wbr>", "<span>", "</span>", "<em>open", "</div>", "<span></span>", "<summary>stray</summary>"]
    ),
    WORD.map(lambda w: f"<em>{w}</em>"),
    WORD.map(lambda w: f"<code>{w} &lt; 1</code>"),
    WORD.map(lambda w: f'<a href="https://example.com/{w}">{w}</a>'),
    WORD.map(lambda w: f'<a href="#{w.lower()}">{w}</a>'),
    WORD.map(lambda w: f"<sup>{w}</sup><sub>{w}</sub>"),
    WORD.map(lambda w: f'<abbr title="{w}">{w[:2]}</abbr>'),
    WORD.map(lambda w: f"<kbd>{w}</kbd>"),
    WORD.map(lambda w: f'<img src="missing-{w}.png" alt="{w}">'),
    COMMENT,
)
MD_INLINE = st.one_of(
    PLAIN,
    *MARKDOWN_SPANS,
    INLINE_HTML,
)
LINE = st.lists(MD_INLINE, min_size=1, max_size=6).map(" ".join).map(lambda s: s.replace("\n", " "))


def _table(rows: list[list[str]]) -> str:
    width = max(len(row) for row in rows)
    cells = [[c.replace("|", "\\|") for c in row] + ["x"] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * width] + ["| " + " | ".join(r) + " |" for r in cells[1:]]
    return "\n".join(lines)


def _html_table(rows: list[list[str]], caption: bool, head: bool) -> str:
    parts = ["<table>"] + (["<caption>Numbers</caption>"] if caption else [])
    for index, row in enumerate(rows):
        tag = "th" if head and index == 0 else "td"
        parts.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in row) + "</tr>")
    return "\n".join(parts + ["</table>"])


CELL = st.lists(MD_INLINE, min_size=1, max_size=3).map(" ".join).map(lambda s: s.replace("\n", " "))
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=3), min_size=1, max_size=4)
MD_BLOCK = st.one_of(
    LINE,
    st.tuples(st.integers(1, 6), LINE).map(lambda t: "#" * t[0] + " " + t[1].replace("#", "")),
    st.lists(LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))),
    st.tuples(LINE, LINE).map(lambda t: f"- {t[0]}\n  - {t[1]}"),
    PLAIN.map(lambda t: f"```\n{t}\n<div>not html</div>\n```"),
    LINE.map(lambda p: f"> {p}"),
    ROWS.map(_table),
    COMMENT,
)


def _html_blocks(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    body = st.lists(inner, min_size=1, max_size=3).map("\n\n".join)
    return st.one_of(
        body.map(lambda b: f"<div>\n\n{b}\n\n</div>"),
        body.map(lambda b: f'<div class="note" markdown="1">\n\n{b}\n\n</div>'),
        st.tuples(LINE, body).map(lambda t: f"<details>\n<summary>{t[0]}</summary>\n\n{t[1]}\n\n</details>"),
        body.map(lambda b: f"<details>\n\n{b}\n\n</details>"),
        st.tuples(WORD, WORD).map(lambda t: f"<details>\n<summary>{t[0]}</summary>\n<summary>{t[1]}</summary>\n{t[1]}\n</details>"),
        st.tuples(WORD, body).map(lambda t: f"<details open>\n<summary>{t[0]}</summary>\n<p>{t[0]}</p>\n</details>\n\n{t[1]}"),
        st.tuples(ROWS, st.booleans(), st.booleans()).map(lambda t: _html_table(*t)),
        LINE.map(lambda s: f"<div><span>{s}</span><br></div>"),
        LINE.map(lambda s: f"<p>{s}</p>"),
        st.just("<div>\n<div>\nunclosed"),
    )


BLOCK_MIX = st.recursive(MD_BLOCK, _html_blocks, max_leaves=8)
MIXED_DOCUMENT = st.lists(BLOCK_MIX, min_size=1, max_size=6).map(
    lambda blocks: "\n\n".join(blocks) + "\n\n[^n1]: Note one.\n[^n2]: Note with <span>HTML</span> and *emphasis*.\n"
)
MIXED_EXAMPLES = int(os.environ.get("PRESSROOM_PROPERTY_EXAMPLES", "12"))


@settings(
    max_examples=MIXED_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(st.lists(MIXED_DOCUMENT, min_size=1, max_size=4))
def test_raw_html_mixed_with_markdown_gives_a_clean_epub_or_a_clear_error(documents: list[str]) -> None:
    """Documents mixing raw HTML blocks (div, details with and without summary, tables, spans,
    line breaks, comments) with Markdown (lists, headings, emphasis, links, code, footnotes,
    tables): each EPUB passes EPUBCheck with no message and has no empty paragraph, or the article fails with a
    ``path:line: error:`` — never an internal error. Several documents go through one build to
    keep the run short; derandomised so every run checks the same documents."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for number, markdown in enumerate(documents, start=1):
            (project / f"doc{number}.md").write_text(markdown, encoding="utf-8")
        names = [f"doc{n}.md" for n in range(1, len(documents) + 1)]
        run = run_cli(*names, "--out", "out", "--format", "epub", "-j", "1", cwd=project)
        assert "Traceback" not in run.err and "internal error" not in run.err, run.err
        errors = [line for line in run.err.splitlines() if ": error: " in line]
        assert all(re.match(r"^doc\d+\.md:\d+: error: \S", line) for line in errors), run.err
        assert run.code == (1 if errors else 0), run.err
        for number in range(1, len(documents) + 1):
            epub = project / "out" / f"doc{number}.epub"
            failed = any(line.startswith(f"doc{number}.md:") for line in errors)
            assert epub.exists() != failed, run.err
            if epub.exists():
                assert_epubcheck_clean(epub)
                assert empty_paragraphs(epub) == []
