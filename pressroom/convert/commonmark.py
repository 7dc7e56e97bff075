"""The Markdown parser: CommonMark and GitHub's extensions (markdown-it-py), plus what authors of
Python-Markdown, MkDocs and Pandoc documents expect.

markdown-it-py follows the CommonMark spec (lists nested by two spaces, a list right after a
paragraph line, Markdown between HTML blocks as on GitHub); mdit-py-plugins adds footnotes,
definition lists, admonitions (``!!! note``) and GitHub's bare-URL autolinks. This module adds:

* smart punctuation: the article language's quotation marks (“ ” « » „ “) and French spacing, ``...`` → …, ``---`` → —, ``--`` → – except before a letter
  at the start of a word (``--flag`` stays as typed);
* attribute lists, Python-Markdown's ``{: .class #id }`` after a block or at the end of a
  heading, and Pandoc's ``{#id .class}`` at the end of a heading;
* abbreviations (``*[HTML]: Hypertext Markup Language``);
* ``markdown="1"`` on an HTML block: its content is Markdown (Python-Markdown's md_in_html);
* fenced and indented code highlighted with Pygments (``div.codehilite``, no JavaScript);
* footnotes marked up as the rest of the converter expects (``fn-label``/``fnref-label``);
* paragraphs that look like a broken pipe table remembered, their dashes kept as typed.

:func:`render` returns the HTML and what the warnings need; it keeps no state between articles.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pressroom.convert import dialects
from pressroom.convert.citations import citation_rule, narrative_rule
from pressroom.convert.language import french_spacing, language

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_core import StateCore
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict


@dataclass
class Parsed:
    """What :func:`render` hands back: the HTML and the facts the warnings are made from."""

    html: str
    table_like: list[tuple[str, int]] = field(default_factory=list)  # (paragraph text, 0-based line)
    unused_notes: list[str] = field(default_factory=list)  # labels of footnotes nothing refers to


def render(text: str, table_like_rows: Any, lang: str = "en", citations: bool = False) -> Parsed:
    """Parse ``text`` and render it as an HTML fragment, with the quotation marks of ``lang``.
    ``table_like_rows(paragraph)`` says which lines of a paragraph look like the rows of a pipe
    table (empty: none); ``citations``: the article has a bibliography, so ``[@key]`` is a
    citation."""
    setting = language(lang)
    env: dict[str, Any] = {
        "table_like_rows": table_like_rows,
        "table_like": [],
        "french_spacing": setting.french_spacing,
        "citations": citations,
    }
    md = parser()
    md.options["quotes"] = setting.quotes  # read by the smartquotes rule while rendering (one render at a time)
    html = md.render(text, env)
    refs = env.get("footnotes", {}).get("refs", {})
    unused = [label[1:] for label, number in refs.items() if number < 0]
    return Parsed(html, env["table_like"], unused)


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The configured parser (made once per process; parsing keeps its state in ``env``)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.admon import admon_plugin
    from mdit_py_plugins.amsmath import amsmath_plugin
    from mdit_py_plugins.deflist import deflist_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
    from mdit_py_plugins.texmath import texmath_plugin

    md = MarkdownIt("commonmark", {"html": True, "typographer": True, "tasklists": True})
    md.enable(["table", "strikethrough", "smartquotes"])
    # Every link and image is kept here: the sanitiser and the image resolver refuse dangerous or
    # forbidden ones (javascript:, file:) later, each with a warning or error naming its line.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    footnote_plugin(md)
    deflist_plugin(md)
    admon_plugin(md)
    dialects.install(md)  # callouts of every dialect, emoji shortcodes
    gfm_autolink_plugin(md)
    md.inline.ruler.before("emphasis", "email_underscore", email_underscore)
    md.inline.ruler.before("gfm_autolink_protocol", "ftp_autolink", ftp_autolink)
    # Formulas: $…$ and $$…$$ (not "$5 or $6": no digit after the closing dollar, no space inside
    # the delimiters), \(…\) and \[…\], \begin{align}… environments. Found by the parser, so
    # \{, \\, _ and * inside them are LaTeX, not Markdown.
    dollarmath_plugin(md, allow_space=False, allow_digits=False, double_inline=True, allow_labels=True)
    texmath_plugin(md, delimiters="brackets")
    md.inline.ruler.before("escape", "math_display_in_text", display_math_in_text)
    amsmath_plugin(md)
    # An environment starts a block of its own; a line starting with \begin{bmatrix} inside a
    # paragraph (a matrix in a multi-line $…$) must not end the paragraph.
    from mdit_py_plugins.amsmath import amsmath_block

    md.block.ruler.at("amsmath", amsmath_block, {"alt": ["blockquote", "list", "footnote_def"]})
    for name in ("math_inline", "math_inline_double", "math_display_in_text"):
        md.add_render_rule(name, render_math)
    for name in ("math_block", "math_block_label", "math_block_eqno", "amsmath"):
        md.add_render_rule(name, render_math)
    md.inline.ruler.before("entity", "control_reference", control_reference)
    md.inline.ruler.before("link", "citation", citation_rule)
    md.inline.ruler.before("link", "citation_in_text", narrative_rule)
    md.block.ruler.before("table", "abbreviation", abbreviation_definition, {"alt": ["paragraph"]})
    md.block.ruler.before("html_block", "markdown_in_html", markdown_in_html, {"alt": ["paragraph", "reference", "blockquote"]})
    md.core.ruler.after("block", "table_like", remember_table_like)
    md.core.ruler.after("inline", "block_attributes", block_attributes)
    md.core.ruler.after("smartquotes", "dashes", dashes)
    md.core.ruler.after("dashes", "french_spacing", french_text)
    md.core.ruler.after("french_spacing", "abbreviations", abbreviations)
    md.add_render_rule("fence", render_code)
    md.add_render_rule("code_block", render_code)
    md.add_render_rule("image", render_image)
    md.add_render_rule("s_open", lambda *_: "<del>")  # GitHub's markup for ~~struck~~ text
    md.add_render_rule("s_close", lambda *_: "</del>")
    md.add_render_rule("footnote_ref", render_note_ref)
    md.add_render_rule("footnote_block_open", lambda *_: '<div class="footnote">\n<ol>\n')
    md.add_render_rule("footnote_block_close", lambda *_: "</ol>\n</div>\n")
    md.add_render_rule("footnote_open", render_note_open)
    md.add_render_rule("footnote_close", lambda *_: "</li>\n")
    md.add_render_rule("footnote_anchor", render_note_backref)
    return md


# --- smart punctuation ---------------------------------------------------------------------

DASHES = re.compile(r"---|--")
DASH_FOR = {"---": "\u2014", "--": "\u2013"}
FLAG = re.compile(r"(?<![\w-])--(?=[^\W\d_])")  # "--" before a letter, starting a word: --flag


def dashes(state: StateCore) -> None:
    """``...`` → …, ``---`` → —, ``--`` → – (a command-line flag, ``--flag``, stays as typed),
    in text only: never in code, URLs or a paragraph that looks like a table."""
    for block in state.tokens:
        if block.type != "inline" or not block.children or (block.meta or {}).get("keep_dashes"):
            continue
        for token in block.children:
            if token.type == "text" and ("--" in token.content or "..." in token.content):
                token.content = DASHES.sub(_dash, token.content).replace("...", "\u2026")


def french_text(state: StateCore) -> None:
    """French spacing (no-break spaces before ; : ! ? and inside « ») in text, never in code."""
    if not state.env.get("french_spacing"):
        return
    for block in state.tokens:
        if block.type == "inline" and block.children:
            for token in block.children:
                if token.type == "text":
                    token.content = french_spacing(token.content)


def _dash(match: re.Match[str]) -> str:
    if match.group() == "--" and FLAG.match(match.string, match.start()):
        return "--"
    return DASH_FOR[match.group()]


# A character reference to a character XML forbids (&#12;, &#x1b;, &#xFFFE;).
CONTROL_REFERENCE = re.compile(r"&#(?:0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|127)|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[fF]{3}[eEfF]));")


def control_reference(state: StateInline, silent: bool) -> bool:
    """Keep a reference to a forbidden character as written (CommonMark would print U+FFFD for
    some): the converter removes the character with a warning that names the line."""
    match = CONTROL_REFERENCE.match(state.src, state.pos) if state.src[state.pos] == "&" else None
    if not match:
        return False
    if not silent:
        state.push("html_inline", "", 0).content = match.group()
    state.pos = match.end()
    return True


# --- tables that are not tables ------------------------------------------------------------


def remember_table_like(state: StateCore) -> None:
    """Remember each paragraph whose lines look like a pipe table, and keep its dashes."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline" or index == 0 or tokens[index - 1].type != "paragraph_open":
            continue
        if state.env["table_like_rows"](token.content):
            token.meta = {**(token.meta or {}), "keep_dashes": True}
            line = token.map[0] if token.map else -1
            state.env["table_like"].append((token.content, line))


# --- attribute lists -----------------------------------------------------------------------

ATTRIBUTE_LIST = re.compile(
    r"\{:?\s*((?:[#.][\w-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))(?:\s+(?:[#.][\w-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+)))*)\s*\}$"
)
ATTRIBUTE = re.compile(r"([#.])([\w-]+)|([\w-]+)=(?:\"([^\"]*)\"|'([^']*)'|([^\s}]+))")
PYTHON_MARKDOWN_LIST = re.compile(r"(?:^|\n)\{:\s*[^}\n]*\}\s*$")


def parse_attributes(text: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for match in ATTRIBUTE.finditer(text):
        if match.group(1) == "#":
            attributes["id"] = match.group(2)
        elif match.group(1) == ".":
            attributes["class"] = " ".join(filter(None, [attributes.get("class"), match.group(2)]))
        else:
            attributes[match.group(3)] = next(v for v in match.group(4, 5, 6) if v is not None)
    return attributes


def block_attributes(state: StateCore) -> None:
    """``{: .class #id }`` on the last line of a paragraph, and ``{#id .class}`` (or ``{: …}``)
    at the end of a heading, become the attributes of that block."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline" or index == 0 or not token.children:
            continue
        opener = tokens[index - 1]
        last = token.children[-1]
        if last.type != "text":
            continue
        if opener.type == "heading_open":
            match = ATTRIBUTE_LIST.search(last.content.rstrip())
        elif opener.type == "paragraph_open" and PYTHON_MARKDOWN_LIST.search(last.content):
            match = ATTRIBUTE_LIST.search(last.content.rstrip())
            if match and match.start() > 0 and last.content[match.start() - 1] != "\n" and len(token.children) == 1:
                match = None
        else:
            continue
        if not match:
            continue
        for name, value in parse_attributes(match.group(1)).items():
            if name == "class" and opener.attrGet("class"):
                value = f"{opener.attrGet('class')} {value}"
            opener.attrSet(name, value)
        last.content = last.content[: match.start()].rstrip()
        children = token.children
        while (
            children
            and children[-1].type in {"softbreak", "hardbreak"}
            or (children and children[-1].type == "text" and not children[-1].content)
        ):
            children.pop()
        if not children:  # the attribute list was the paragraph's only text
            opener.hidden = tokens[index + 1].hidden = True


# --- abbreviations -------------------------------------------------------------------------

ABBREVIATION = re.compile(r"\*\[([^\]\n]+)\]:[ \t]*(.*)$")


def abbreviation_definition(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """``*[HTML]: Hypertext Markup Language`` on a line of its own defines an abbreviation."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    match = ABBREVIATION.match(line)
    if not match:
        return False
    if not silent:
        state.env.setdefault("abbreviations", {})[match.group(1).strip()] = match.group(2).strip()
        state.line = start + 1
    return True


def abbreviations(state: StateCore) -> None:
    """Each defined abbreviation in the text becomes ``<abbr title="…">``."""
    defined: dict[str, str] = state.env.get("abbreviations") or {}
    if not defined:
        return
    from markdown_it.token import Token

    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in sorted(defined, key=len, reverse=True)) + r")(?!\w)")
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for token in block.children:
            if token.type != "text" or not pattern.search(token.content):
                children.append(token)
                continue
            position = 0
            for match in pattern.finditer(token.content):
                if match.start() > position:
                    children.append(_text(token.content[position : match.start()]))
                opener = Token("abbr_open", "abbr", 1)
                opener.attrSet("title", defined[match.group(1)])
                children += [opener, _text(match.group(1)), Token("abbr_close", "abbr", -1)]
                position = match.end()
            if position < len(token.content):
                children.append(_text(token.content[position:]))
        block.children = children


def _text(content: str) -> Token:
    from markdown_it.token import Token

    token = Token("text", "", 0)
    token.content = content
    return token


# --- Markdown inside HTML blocks -----------------------------------------------------------

MARKDOWN_ATTRIBUTE = re.compile(r"""\s+markdown(?:=(?:"(?:1|block)"|'(?:1|block)'|1|block))?(?=[\s/>])""")
OPENING_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>\s*$")


def markdown_in_html(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """An HTML block whose opening tag has ``markdown="1"`` (alone on its line, its closing tag
    alone on a later line) holds Markdown, as Python-Markdown's md_in_html reads it."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    match = OPENING_TAG.match(line)
    if not match or not MARKDOWN_ATTRIBUTE.search(line):
        return False
    name = match.group(1).lower()
    depth, close = 0, None
    for number in range(start, end):
        text = state.src[state.bMarks[number] + state.tShift[number] : state.eMarks[number]]
        depth += len(re.findall(rf"<{name}\b[^>]*(?<!/)>", text, re.I)) - len(re.findall(rf"</{name}\s*>", text, re.I))
        if depth <= 0:
            close = number
            break
    if close is None or close == start:
        return False
    closing = state.src[state.bMarks[close] + state.tShift[close] : state.eMarks[close]].strip()
    if not re.fullmatch(rf"</{name}\s*>", closing, re.I):
        return False
    if silent:
        return True
    token = state.push("html_block", "", 0)
    token.content = MARKDOWN_ATTRIBUTE.sub("", line) + "\n"
    token.map = [start, start + 1]
    old_max, state.lineMax = state.lineMax, close
    state.md.block.tokenize(state, start + 1, close)
    state.lineMax = old_max
    token = state.push("html_block", "", 0)
    token.content = closing + "\n"
    token.map = [close, close + 1]
    state.line = close + 1
    return True


# --- GitHub's autolinks: what mdit-py-plugins' misses ------------------------------------------

#: From a "_" inside an e-mail address's local part to the domain: "c_d@a.b" in "a.b-c_d@a.b".
EMAIL_REST = re.compile(r"_[A-Za-z0-9.+_-]*@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")
LOCAL_PART = re.compile(r"(?:^|[\s*_~(])[A-Za-z0-9.+-][A-Za-z0-9.+_-]*$")
#: An ftp:// URL from its "://" (GitHub links ftp:// as it links http://), less trailing punctuation.
FTP_REST = re.compile(r"://[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+[^\s<]*")


def email_underscore(state: StateInline, silent: bool) -> bool:
    """A "_" inside an e-mail address's local part is a letter of it, not emphasis, so the
    address is linked whole (mdit-py-plugins finds the local part in the text before the "@",
    which a "_" taken for emphasis would have cut)."""
    if state.src[state.pos] != "_" or state.linkLevel > 0 or not LOCAL_PART.search(state.pending):
        return False
    if not EMAIL_REST.match(state.src, state.pos, state.posMax):
        return False
    if not silent:
        state.pending += "_"
    state.pos += 1
    return True


def ftp_autolink(state: StateInline, silent: bool) -> bool:
    """A bare ``ftp://host/path`` is a link, as on GitHub."""
    if state.src[state.pos] != ":" or state.linkLevel > 0 or not re.search(r"(?:^|[\s*_~(])ftp$", state.pending):
        return False
    match = FTP_REST.match(state.src, state.pos, state.posMax)
    if not match:
        return False
    rest = re.sub(r"[?!.,:*_~'\"]+$", "", match.group())
    if rest.endswith(")") and rest.count(")") > rest.count("("):
        rest = rest[:-1]
    if silent:
        return False  # as mdit-py-plugins' autolinks: no link inside a link's text
    url = "ftp" + rest
    state.pending = state.pending[:-3]
    state.push("link_open", "a", 1).attrs = {"href": state.md.normalizeLink(url)}
    state.push("text", "", 0).content = url
    state.push("link_close", "a", -1)
    state.pos += len(rest)
    return True


# --- formulas ----------------------------------------------------------------------------

MATH_BLOCKS = {"math_block", "math_block_label", "math_block_eqno", "amsmath"}  # $$…$$ inside a paragraph stays inline


#: ``\[…\]`` inside a paragraph; what is inside must look like a formula (a command, a script, an
#: operator), so escaped brackets (``\[1\]``, ``\[citation needed\]``) stay brackets.
DISPLAY_IN_TEXT = re.compile(r"\\\[(?P<latex>(?:[^\\]|\\(?!\]))+?)\\\]", re.S)
LOOKS_LIKE_MATH = re.compile(r"\\[A-Za-z]|[\^_=+<>{}|]|\d\s*[-*/]\s*\d")


def display_math_in_text(state: StateInline, silent: bool) -> bool:
    r"""``\[…\]`` written inside a paragraph: a displayed formula there (the block rule of
    texmath only finds one on lines of its own)."""
    if not state.src.startswith("\\[", state.pos):
        return False
    match = DISPLAY_IN_TEXT.match(state.src, state.pos)
    if not match or not LOOKS_LIKE_MATH.search(match.group("latex")):
        return False
    if not silent:
        token = state.push("math_display_in_text", "math", 0)
        token.content = match.group("latex")
        token.markup = "\\["
    state.pos = match.end()
    return True


def render_math(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    """A formula's LaTeX, kept for :mod:`.math` (which makes MathML and SVG of it)."""
    token = tokens[index]
    latex = token.content
    if token.type in {"math_block_label", "math_block_eqno"} and token.info:
        latex = f"{latex.rstrip()} \\tag{{{token.info}}}"
    if token.type == "math_display_in_text":  # displayed, but inside the paragraph's <p>
        return f'<span class="math-tex math-display">{htmllib.escape(latex, quote=False)}</span>'
    return math_placeholder(latex, token.type in MATH_BLOCKS)


def math_placeholder(latex: str, display: bool) -> str:
    text = htmllib.escape(latex, quote=False)
    if display:
        return f'<div class="math-tex math-display">{text}</div>\n'
    return f'<span class="math-tex">{text}</span>'


# --- code ----------------------------------------------------------------------------------


def render_code(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    """Code highlighted by Pygments when its language is known, in Python-Markdown's markup."""
    token = tokens[index]
    from markdown_it.common.utils import unescapeAll

    info = unescapeAll(token.info).strip()
    language = info.split(maxsplit=1)[0] if info else ""
    if language == "math" and token.type == "fence":  # GitHub's and GitLab's fenced formulas
        return math_placeholder(token.content, True)
    code = highlight(token.content, language)
    css = f' class="language-{htmllib.escape(language)}"' if language else ""
    return f'<div class="codehilite"><pre><span></span><code{css}>{code}</code></pre></div>\n'


def highlight(code: str, language: str) -> str:
    if language:
        from pygments import highlight as pygmentize
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        try:
            lexer = get_lexer_by_name(language)
        except ClassNotFound:
            pass
        else:
            return str(pygmentize(code, lexer, HtmlFormatter(nowrap=True)))
    return htmllib.escape(code, quote=False)


def render_image(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    """An image with its alternative text first (the attribute order every other source of
    ``<img>`` in a document uses)."""
    token = tokens[index]
    alt = self.renderInlineAsText(token.children or [], options, env)
    token.attrs = {"alt": alt, **{k: v for k, v in token.attrs.items() if k != "alt"}}
    return str(self.renderToken(tokens, index, options, env))


# --- footnotes -----------------------------------------------------------------------------


def _note_label(meta: dict[str, Any]) -> str:
    label = meta.get("label")
    return htmllib.escape(str(label) if label is not None else f"inline-{meta['id'] + 1}")


def _ref_id(meta: dict[str, Any]) -> str:
    """The id of a reference to a note, as Python-Markdown made it: fnref-x, then fnref2-x…"""
    sub = meta.get("subId", 0)
    return f"fnref-{_note_label(meta)}" if sub == 0 else f"fnref{sub + 1}-{_note_label(meta)}"


def render_note_ref(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    meta = tokens[index].meta
    return f'<sup id="{_ref_id(meta)}"><a class="footnote-ref" href="#fn-{_note_label(meta)}">{meta["id"] + 1}</a></sup>'


def render_note_open(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    return f'<li id="fn-{_note_label(tokens[index].meta)}">'


def render_note_backref(self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    return f' <a class="footnote-backref" href="#{_ref_id(tokens[index].meta)}">\u21a9</a>'
