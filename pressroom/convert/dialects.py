"""What other Markdown dialects write, read as their authors meant it.

* **Callouts** from every dialect become one element: ``<aside class="admonition KIND" role="note">``
  whose first child is the visible label ``<p class="admonition-title">``. GitHub's alerts
  (``> [!NOTE]``), MkDocs' and Python-Markdown's ``!!! note "Title"``, MkDocs Material's
  collapsible ``??? note`` / ``???+ note`` (class ``collapsible``, plus ``open`` for ``???+``:
  printed open, a ``<details>`` on the web), Docusaurus' ``:::tip Title`` / ``:::tip[Title]`` and
  MyST's ``:::{note}`` containers.
* **Site-generator template tags** (Jekyll/Liquid ``{% … %}``, Hugo ``{{< … >}}`` and
  ``{{% … %}}``) and **MDX** ``import``/``export`` lines mean nothing outside their site: they are
  taken out of the text (never the content between a pair of tags) and each line where that
  happened is reported.
* **Emoji shortcodes** (``:wink:``) become the emoji (the ``emoji`` package's GitHub aliases).
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

#: The kinds a ``:::`` container may name (Docusaurus, MyST, MkDocs Material, reStructuredText).
KINDS = {
    "note", "tip", "info", "important", "warning", "caution", "danger", "success", "question", "failure", "bug",
    "example", "quote", "abstract", "summary", "seealso", "hint", "attention", "error", "todo", "admonition",
}  # fmt: skip
LABEL_MARK = "pr-label-"  # the class marking a callout's generated label (followed by its kind)
GITHUB_ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(?:\n|$)", re.I)
CONTAINER = re.compile(r"^\s*(?:\{([A-Za-z][\w-]*)\}|([A-Za-z][\w-]*))\s*(?:\[(.*)\]|(.*))$")


def label(kind: str) -> str:
    """The visible label of a callout that has no title of its own: its kind."""
    return {"seealso": "See also", "todo": "To do"}.get(kind, kind.capitalize())


def install(md: MarkdownIt) -> None:
    """Teach the parser every dialect's callouts and emoji shortcodes."""
    from mdit_py_plugins.container import container_plugin

    def render(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
        return render_container(md, tokens, index)

    container_plugin(md, "callout", validate=lambda params, *_: _container(params) is not None, render=render)
    md.core.ruler.after("block", "github_alerts", github_alerts)
    md.core.ruler.after("inline", "emoji_shortcodes", emoji_shortcodes)
    md.add_render_rule("admonition_open", render_admonition_open)
    md.add_render_rule("admonition_close", lambda *_: "</aside>\n")
    md.add_render_rule("admonition_title_open", render_admonition_title_open)
    md.add_render_rule("admonition_title_close", lambda *_: "</p>\n")


def _container(params: str) -> tuple[str, str] | None:
    match = CONTAINER.match(params)
    if not match:
        return None
    kind = (match.group(1) or match.group(2)).lower()
    if kind not in KINDS:
        return None
    title = (match.group(3) if match.group(3) is not None else match.group(4) or "").strip().strip('"')
    return kind, title


def aside(kind: str, title: str, extra: Sequence[str] = (), generated: bool = False) -> str:
    """A callout's opening; a ``generated`` title (its kind's label) is marked with the class
    ``pr-label-<kind>`` for the article's language to translate
    (:func:`pressroom.convert.markdown.translate_labels`, which removes the mark)."""
    classes = " ".join(["admonition", kind, *extra])
    marked = f" {LABEL_MARK}{htmllib.escape(kind)}" if generated else ""
    return f'<aside class="{htmllib.escape(classes)}" role="note">\n<p class="admonition-title{marked}">{title}</p>\n'


def render_container(md: MarkdownIt, tokens: Sequence[Token], index: int) -> str:
    """``:::tip Title`` … ``:::`` (Docusaurus) and ``:::{note}`` … ``:::`` (MyST)."""
    token = tokens[index]
    if token.nesting != 1:
        return "</aside>\n"
    kind, title = _container(token.info.strip()) or ("note", "")
    return aside(kind, md.renderInline(title).strip() if title else label(kind), generated=not title)


def render_admonition_open(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    """``!!! kind "Title"`` and ``??? kind`` / ``???+ kind`` (collapsible: closed, or open)."""
    token = tokens[index]
    kind = str(token.meta.get("tag") or "note").lower()
    extra = []
    if token.markup.startswith("???"):
        extra = ["collapsible", "open"] if token.markup == "???+" else ["collapsible"]
    has_title = index + 1 < len(tokens) and tokens[index + 1].type == "admonition_title_open"
    classes = " ".join(["admonition", kind, *extra])
    if has_title:
        if len(token.info.split()) == 1:  # '!!! tip': the plugin titled it with its kind, a label to translate
            tokens[index + 1].meta = {"label": kind}
        return f'<aside class="{htmllib.escape(classes)}" role="note">\n'
    return aside(kind, label(kind), extra, generated=True)  # '!!! note ""': the kind is still the label


def render_admonition_title_open(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    kind = tokens[index].meta.get("label") if tokens[index].meta else None
    return f'<p class="admonition-title {LABEL_MARK}{htmllib.escape(kind)}">' if kind else '<p class="admonition-title">'


def github_alerts(state: StateCore) -> None:
    """``> [!NOTE]`` as the first line of a block quote makes it a callout (GitHub's alerts)."""
    from markdown_it.token import Token

    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "blockquote_open" or index + 2 >= len(tokens):
            continue
        paragraph, inline = tokens[index + 1], tokens[index + 2]
        if paragraph.type != "paragraph_open" or inline.type != "inline":
            continue
        match = GITHUB_ALERT.match(inline.content)
        if not match:
            continue
        kind = match.group(1).lower()
        inline.content = inline.content[match.end() :]
        if not inline.content.strip():
            paragraph.hidden = tokens[index + 3].hidden = True
            inline.content = ""
        closer = _matching_close(tokens, index)
        token.type, token.tag, token.markup = "admonition_open", "aside", ">"
        token.meta = {"tag": kind}
        closer.type, closer.tag = "admonition_close", "aside"
        title_open = Token("admonition_title_open", "p", 1)
        title_open.meta = {"label": kind}
        title = Token("inline", "", 0)
        title.content, title.children, title.map = label(kind), [], token.map
        tokens[index + 1 : index + 1] = [title_open, title, Token("admonition_title_close", "p", -1)]


def _matching_close(tokens: list[Token], index: int) -> Token:
    depth = 0
    for token in tokens[index:]:
        if token.type == "blockquote_open":
            depth += 1
        elif token.type == "blockquote_close":
            depth -= 1
            if depth == 0:
                return token
    raise AssertionError("unbalanced block quote")


def collapsible_for_web(tree: Any) -> None:
    """A collapsible callout (``???``) opens and closes on the web: its content goes into a
    ``<details>`` (open for ``???+``) whose summary is the label. Print and e-readers show it open."""
    import lxml.etree as etree

    for callout in tree.xpath(".//aside[contains(concat(' ', normalize-space(@class), ' '), ' collapsible ')]"):
        details = etree.Element("details", {"open": "open"} if "open" in callout.get("class", "").split() else {})
        details.text, callout.text = callout.text, None
        for child in list(callout):
            details.append(child)
        title = details[0] if len(details) and details[0].get("class") == "admonition-title" else None
        if title is not None:
            title.tag = "summary"
        callout.append(details)


# --- emoji ---------------------------------------------------------------------------------

SHORTCODE = re.compile(r":[a-z0-9_+-]+:")


def emoji_shortcodes(state: StateCore) -> None:
    """``:wink:`` → 😉 in text (never in code or URLs); an unknown ``:name:`` stays as written."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        for token in block.children:
            if token.type == "text" and SHORTCODE.search(token.content):
                import emoji  # here: its tables cost ~20 ms to load, and most articles have no shortcode

                token.content = emoji.emojize(token.content, language="alias")


# --- template tags and MDX -----------------------------------------------------------------

TEMPLATE_TAG = re.compile(r"\{%-?.*?-?%\}|\{\{<.*?>\}\}|\{\{%.*?%\}\}")
MDX_LINE = re.compile(r"^(?:import\s+(?:[\w*{][^;]*?\s+from\s+)?['\"][^'\"]+['\"]|export\s+(?:const|let|var|default|function|\{))")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")


def remove_site_tags(body: str) -> tuple[str, list[tuple[int, str]]]:
    """Take site-generator template tags and MDX import/export lines out of ``body`` (outside code
    blocks and code spans), keeping every line so that line numbers stay true. Returns the new
    body and, for each line changed, its 0-based index and what was removed there."""
    lines = body.split("\n")
    removed: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(lines):
        opening = FENCE.match(line)
        if fence is not None:
            if (
                opening
                and opening.group(1)[0] == fence[0]
                and len(opening.group(1)) >= len(fence)
                and not line.strip()[len(opening.group(1)) :]
            ):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        if line.startswith(("    ", "\t")):
            continue
        if MDX_LINE.match(line):
            lines[number] = ""
            removed.append((number, f"MDX line '{_short(line)}'"))
            continue
        if "{%" not in line and "{{" not in line:
            continue
        kept, found, position = [], [], 0
        for span in [*CODE_SPAN.finditer(line), None]:
            end = span.start() if span else len(line)
            segment = line[position:end]
            found += TEMPLATE_TAG.findall(segment)
            kept.append(TEMPLATE_TAG.sub("", segment))
            if span:
                kept.append(span.group())
                position = span.end()
        if found:
            new = "".join(kept)
            lines[number] = new if new.strip() else ""
            what = ", ".join(f"'{_short(tag)}'" for tag in found)
            removed.append((number, f"template tag{'s' if len(found) > 1 else ''} {what}"))
    return "\n".join(lines), removed


def _short(text: str, limit: int = 50) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
