"""Property: any Markdown document builds to an EPUBCheck-clean EPUB and a readable PDF, or fails
with a clear ``path:line: error:`` message — never a traceback, never a broken file."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pypdf
from helpers import assert_epubcheck_clean, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TEXT = st.text(
    alphabet=st.sampled_from(list("abcdefgh ijklmnop qrstuvwxyz ABC 0123 .,;:!?'\"()-–—…&<>*_`[]#|\\/~=+ éüßçñ αβγ жз ½ ™ \t")),
    min_size=1,
    max_size=60,
).map(lambda s: s.strip() or "text")
WORD = st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True)

INLINE = st.one_of(
    TEXT,
    WORD.map(lambda w: f"*{w}*"),
    WORD.map(lambda w: f"**{w}**"),
    WORD.map(lambda w: f"`{w}`"),
    WORD.map(lambda w: f"[{w}](https://example.com/{w})"),
    WORD.map(lambda w: f"[{w}](#{w.lower()})"),
    st.integers(1, 3).map(lambda n: f"[^n{n}]"),
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
