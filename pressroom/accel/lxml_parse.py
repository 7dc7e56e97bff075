"""Parsing the handout HTML with lxml (C) instead of WeasyPrint's pure-Python HTML5 parser
(patch ``lxml-parse``).

What it changes: WeasyPrint 70 parses every document with tinyhtml5. :func:`parse_html` parses
with lxml instead and copies the result into the very ``xml.etree.ElementTree`` tree
``tinyhtml5.parse(html, namespace_html_elements=False)`` builds (the call WeasyPrint makes): plain
tag names, attributes in source order, text and tails, comments as ElementTree comments,
whitespace after ``</body>`` moved to the end of the body; :func:`weasyprint_html` then sets up
the ``HTML`` object as ``HTML.__init__`` would, without calling it.

It only does so for documents where the two parsers cannot disagree. A quick scan of the source
accepts a strict, well-formed subset of HTML (the shape Pressroom's layouts produce) and works
out, by HTML5's tree-construction rules, the tree it must give; lxml's tree (which must also come
with no parse error) is used only when it is exactly that tree. Anything else (inline SVG or
MathML, ``<base>``, scripts, templates, forms, processing instructions, character references
that are not spelled out in full, omitted or misnested end tags, content HTML5 would move or
close implicitly) makes :func:`parse_html` return ``None``, and :func:`weasyprint_html` lets
WeasyPrint parse the document itself; so does any exception while setting the object up.

What it saves: 0.74 s on the long benchmark document (a 540 KB handout; measured with the patch
turned off, 2026-11-30), ~0.03 s on the seed article.

Written for: WeasyPrint 70, tinyhtml5 2, cssselect2 0.10, lxml 6. Shape checked:
``HTML.__init__`` sets exactly the attributes set here, and the private and public names used
(``weasyprint._find_base_url``, ``urls.ensure_url``, ``urls.URLFetcher``,
``logger.PROGRESS_LOGGER``, ``cssselect2.ElementWrapper.from_html_root``) exist.
"""

from __future__ import annotations

import re
from html.entities import html5 as HTML5_ENTITIES
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from . import Patch, applies, failed, load_weasyprint

if TYPE_CHECKING:
    import weasyprint

#: The attributes WeasyPrint 70's ``HTML.__init__`` sets (and :func:`_prepared_html` sets).
HTML_ATTRIBUTES = frozenset({"base_url", "url_fetcher", "media_type", "wrapper_element", "etree_element"})


def _shape() -> str | None:
    import ast
    import inspect
    import textwrap

    import cssselect2

    weasyprint = load_weasyprint()
    from weasyprint import logger, urls

    for owner, name in [
        (weasyprint, "_find_base_url"),
        (urls, "ensure_url"),
        (urls, "URLFetcher"),
        (cssselect2.ElementWrapper, "from_html_root"),
    ]:
        if not callable(getattr(owner, name, None)):
            return f"{owner.__name__}.{name} is missing"
    if not hasattr(logger, "PROGRESS_LOGGER"):
        return "weasyprint.logger.PROGRESS_LOGGER is missing"
    tree = ast.parse(textwrap.dedent(inspect.getsource(weasyprint.HTML.__init__)))
    stored = {
        node.attr for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) and node.value.id == "self"
    }  # fmt: skip
    if stored != HTML_ATTRIBUTES:
        return f"HTML.__init__ sets {sorted(stored)}, not {sorted(HTML_ATTRIBUTES)}"
    return None


PATCH = Patch("lxml-parse", {"weasyprint": ("70",), "tinyhtml5": ("2",), "cssselect2": ("0.10",), "lxml": ("6",)}, _shape)

MAX_DEPTH = 256  # deeper documents are left to WeasyPrint (the copy below recurses)

#: Elements allowed inside a paragraph (HTML5 closes an open <p> before any other start tag).
PHRASING = frozenset(
    "a abbr b bdi bdo br cite code data del dfn em i img ins kbd mark q rp rt ruby s samp small span strong sub sup time u var".split()
)  # not <wbr>: libxml2 does not know it is void, and puts what follows inside it
#: Start tags allowed in the body (besides PHRASING): none of them is moved, merged or renamed by
#: HTML5 parsing when the markup is well nested and obeys the checks in _Scanner.start_in_body.
FLOW = frozenset(
    "address article aside blockquote caption col colgroup dd details div dl dt figcaption figure "
    "footer h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary table tbody "
    "td tfoot th thead tr ul".split()
)
BODY_ELEMENTS = PHRASING | FLOW
HEAD_ELEMENTS = frozenset({"meta", "link", "title", "style"})
VOID = frozenset({"br", "col", "hr", "img", "link", "meta"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: HTML5's "formatting elements" among the allowed ones (kept in the list of active formatting
#: elements; Noah's Ark clause at three identical ones).
FORMATTING = frozenset({"a", "b", "code", "em", "i", "s", "small", "strong", "u"})
#: Table structure: the parent each part must have (else HTML5 inserts or foster-parents).
TABLE_PARENT = {
    "caption": ("table",),
    "colgroup": ("table",),
    "thead": ("table",),
    "tbody": ("table",),
    "tfoot": ("table",),
    "tr": ("thead", "tbody", "tfoot"),
    "td": ("tr",),
    "th": ("tr",),
    "col": ("colgroup",),
    "rt": ("ruby",),
    "rp": ("ruby",),
}
#: Elements whose only children may be these (and only whitespace text).
TABLE_CHILDREN = {
    "table": frozenset({"caption", "colgroup", "thead", "tbody", "tfoot"}),
    "thead": frozenset({"tr"}),
    "tbody": frozenset({"tr"}),
    "tfoot": frozenset({"tr"}),
    "tr": frozenset({"td", "th"}),
    "colgroup": frozenset({"col"}),
}
WHITESPACE = " \t\n"  # HTML5's ASCII whitespace, less form feed (refused) and CR (normalised)

#: Tokens of the accepted subset: lower-case names, double-quoted attribute values, comments,
#: the HTML5 doctype. Any other "<…" matches nothing, and the document falls back.
_TOKEN = re.compile(
    r"(?P<text>[^<]+)"
    r"|<!--(?P<comment>.*?)-->"
    r'|<(?P<start>[a-z][a-z0-9]*)(?P<attributes>(?:[ \t\n]+[a-z_][a-z0-9_.-]*="[^"]*")*)[ \t\n]*(?P<slash>/?)>'
    r"|</(?P<end>[a-z][a-z0-9]*)[ \t\n]*>"
    r"|(?P<doctype>(?i:<!DOCTYPE[ \t\n]+html[ \t\n]*>))",
    re.DOTALL,
)
START = "slash"  # the last group of a start tag: match.lastgroup of one
_ATTRIBUTE = re.compile(r'([a-z_][a-z0-9_.-]*)="([^"]*)"')
_REFERENCE = re.compile(r"&(?:#([0-9]{1,7});|#[xX]([0-9A-Fa-f]{1,6});|([A-Za-z][A-Za-z0-9]{0,31});)?")
_RAW_TEXT_END = {name: re.compile(rf"</{name}[ \t\n/>]", re.IGNORECASE) for name in ("title", "style")}
#: Characters HTML5 reports or replaces (controls, C1 controls, surrogates, BMP noncharacters),
#: and form feed (whitespace to HTML5, not to libxml2).
_UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

END = (">",)  # the end of an element, in the flat event lists compared below


class _Fallback(Exception):
    """The document is outside what parse_html handles: WeasyPrint parses it."""


def parse_html(html: str) -> ET.Element | None:
    """The tree tinyhtml5 would build for ``html`` (as WeasyPrint parses it), built with lxml;
    ``None`` when the document has anything on which the two parsers could differ."""
    try:
        html = html.replace("\r\n", "\n").replace("\r", "\n")  # HTML5 input-stream preprocessing
        if _has_unsafe_characters(html):
            raise _Fallback
        scanner = _Scanner(html)
        expected = scanner.scan()
        tree = _from_lxml(_lxml_root(html), scanner.after_html_text)
        if _tree_events(tree) != expected:
            raise _Fallback
    except (_Fallback, RecursionError):
        return None
    return tree


def weasyprint_html(html: str, base_url: str | Path | None, url_fetcher: Any) -> weasyprint.HTML:
    """``weasyprint.HTML(string=html, base_url=base_url, url_fetcher=url_fetcher)``, with the
    document parsed by :func:`parse_html` when it can be (and the patch applies)."""
    weasyprint = load_weasyprint()
    if applies(PATCH):
        root = parse_html(html)
        if root is not None:
            try:
                return _prepared_html(weasyprint, root, base_url, url_fetcher)
            except Exception as exc:  # noqa: BLE001 - set up otherwise than expected: the plain way
                failed(PATCH, exc)
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=url_fetcher)


def _prepared_html(weasyprint: Any, root: ET.Element, base_url: Any, url_fetcher: Any) -> weasyprint.HTML:
    """An ``HTML`` object set up as WeasyPrint 70's ``HTML.__init__`` sets it up, from ``root``."""
    import cssselect2
    from weasyprint.logger import PROGRESS_LOGGER
    from weasyprint.urls import URLFetcher, ensure_url

    PROGRESS_LOGGER.info("Step 1 - Fetching and parsing HTML - %s", "HTML string")
    if isinstance(base_url, Path):
        base_url = str(base_url)
    if base_url is not None:
        base_url = ensure_url(base_url)  # what select_source yields
    document = weasyprint.HTML.__new__(weasyprint.HTML)
    document.base_url = weasyprint._find_base_url(root, base_url)
    document.url_fetcher = URLFetcher() if url_fetcher is None else url_fetcher
    document.media_type = "print"
    document.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    document.etree_element = document.wrapper_element.etree_element
    return document


# --- what HTML5 parsing must give: a scan of the source --------------------------------------


def _is_blank(text: str | None) -> bool:
    return not text or not text.strip(WHITESPACE)


def _character(match: re.Match[str]) -> str:
    """One character reference, when it is spelled out in full and HTML5 leaves it as it is."""
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        if name + ";" not in HTML5_ENTITIES:
            raise _Fallback  # HTML5 would match a prefix (&notit; → ¬it;)
        return HTML5_ENTITIES[name + ";"]
    if decimal is None and hexadecimal is None:
        if match.end() < len(match.string) and (match.string[match.end()].isalnum() or match.string[match.end()] == "#"):
            raise _Fallback  # &copy without ';', &#x without digits: legacy rules
        return "&"
    code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
    if not (code in (0x09, 0x0A) or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0x10FFFF):
        raise _Fallback  # NUL, controls, CR, C1 (windows-1252 remapping), surrogates, out of range
    if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
        raise _Fallback  # noncharacters
    return chr(code)


def _unescape(text: str) -> str:
    return _REFERENCE.sub(_character, text) if "&" in text else text


def _has_unsafe_characters(html: str) -> bool:
    """Characters HTML5 reports or replaces, and a byte order mark."""
    if html.startswith("\ufeff") or _UNSAFE_CHARACTERS.search(html):
        return True
    return not html.isascii() and any(ord(c[0]) & 0xFFFE == 0xFFFE for c in _ASTRAL.findall(html))


def _attributes(source: str) -> tuple[tuple[str, str], ...]:
    """``name="value"`` pairs in source order (values unescaped); no duplicates."""
    items = _ATTRIBUTE.findall(source)
    if len(items) > 1 and len({name for name, _ in items}) != len(items):
        raise _Fallback  # HTML5 keeps the first, libxml2 reports an error
    if "&" in source:
        items = [(name, _unescape(value)) for name, value in items]
    return tuple(items)


def _comment_data(data: str) -> str:
    if data.startswith((">", "->")) or data.endswith("-") or "--" in data or "<!" in data:
        raise _Fallback  # abrupt, nested or oddly closed comments
    return data


class _Scanner:
    """Tokenises the source (the strict subset of _TOKEN only) and lays out, as a flat list of
    events, the tree HTML5 tree construction builds from it: start tags ``("<", tag,
    attributes)``, ``END``, text and comments ``("!", data)``. Raises _Fallback on anything else.

    Within the body, a well-nested document of the elements in BODY_ELEMENTS is built by HTML5
    as written (every element opened in the current one) unless a start tag makes it close,
    reopen or move elements: start_in_body refuses those.
    """

    def __init__(self, html: str) -> None:
        self.html = html
        self.position = 0
        self.events: list[Any] = []
        self.stack: list[str] = []
        self.open: dict[str, int] = {}
        self.after_body_text = ""  # whitespace after </body>: HTML5 puts it at the end of the body
        self.after_html_text = ""  # the part of it after </html>, which lxml drops
        self.after_body_comments: list[tuple[str, str]] = []

    # tokens and events

    def token(self) -> re.Match[str] | None:
        if self.position >= len(self.html):
            return None
        match = _TOKEN.match(self.html, self.position)
        if match is None:
            raise _Fallback  # a "<" that starts no accepted token (<svg:…, <?pi, <![CDATA[, a < b)
        self.position = match.end()
        return match

    def expect(self, name: str, comments: bool = True) -> re.Match[str]:
        """The start tag (or doctype) ``name`` after blank text (HTML5 drops it here) and, if
        ``comments``, comments (HTML5 puts them outside <html>)."""
        while (match := self.token()) is not None:
            kind = match.lastgroup
            if kind == "text" and _is_blank(match["text"]):
                continue
            if kind == "comment" and comments:
                _comment_data(match["comment"])
                continue
            if (kind == "doctype" and name == "!doctype") or (kind == START and match["start"] == name):
                return match
            break
        raise _Fallback

    def raw_text(self, name: str) -> str:
        """The content of <title> (RCDATA) or <style> (RAWTEXT), up to its end tag."""
        end = _RAW_TEXT_END[name].search(self.html, self.position)
        if end is None:
            raise _Fallback
        text = self.html[self.position : end.start()]
        if "<" in text:
            raise _Fallback
        self.position = end.start()
        match = self.token()
        if match is None or match["end"] != name:
            raise _Fallback
        return _unescape(text) if name == "title" else text

    def add_text(self, text: str) -> None:
        if not text:
            return
        if self.events and self.events[-1].__class__ is str:
            self.events[-1] += text
        else:
            self.events.append(text)

    def push(self, match: re.Match[str]) -> str:
        name = match["start"]
        if match["slash"] and name not in VOID:
            raise _Fallback  # <div/> opens a div in HTML5
        if len(self.stack) >= MAX_DEPTH:
            raise _Fallback
        self.events.append(("<", name, _attributes(match["attributes"])))
        self.stack.append(name)
        self.open[name] = self.open.get(name, 0) + 1
        return name

    def pop(self) -> None:
        name = self.stack.pop()
        self.open[name] -= 1
        self.events.append(END)

    # the document

    def scan(self) -> list[Any]:
        self.expect("!doctype")  # <!DOCTYPE html>: no quirks mode
        self.push(self.expect("html"))
        self.push(self.expect("head", comments=False))
        self.in_head()
        self.push(self.after_head())
        self.in_body()
        self.after_body()
        self.add_text(self.after_body_text)  # at the end of the body, still open in HTML5
        self.pop()
        self.events.extend(self.after_body_comments)
        self.pop()
        return self.events

    def in_head(self) -> None:
        while (match := self.token()) is not None:
            kind = match.lastgroup
            if kind == "text" and _is_blank(match["text"]):
                self.add_text(match["text"])
            elif kind == "comment":
                self.events.append(("!", _comment_data(match["comment"])))
            elif kind == START and match["start"] in HEAD_ELEMENTS:
                name = self.push(match)
                if name in ("title", "style"):
                    self.add_text(self.raw_text(name))
                self.pop()
            elif kind == "end" and match["end"] == "head":
                self.pop()
                return
            else:
                raise _Fallback  # text, <base>, <script>, <noscript>, <template>, body content…
        raise _Fallback

    def after_head(self) -> re.Match[str]:
        """Whitespace (into <html>, after </head>) up to the <body> start tag."""
        while (match := self.token()) is not None:
            kind = match.lastgroup
            if kind == "text" and _is_blank(match["text"]):
                self.add_text(match["text"])
            elif kind == START and match["start"] == "body":
                return match
            else:
                raise _Fallback
        raise _Fallback

    def in_body(self) -> None:
        after_pre = False
        stack, events, position = self.stack, self.events, self.position
        for match in _TOKEN.finditer(self.html, position):
            if match.start() != position:
                raise _Fallback  # a "<" that starts no accepted token
            position = match.end()
            kind = match.lastgroup
            if kind == "text":
                text = match["text"]
                if after_pre:
                    if text[0] == "&":
                        raise _Fallback  # maybe a reference to the newline HTML5 drops after <pre>
                    if text[0] == "\n" and not self.in_cell():
                        text = text[1:]  # tinyhtml5 drops it only in the body, not in a cell
                if "&" in text:
                    text = _REFERENCE.sub(_character, text)
                if stack[-1] in TABLE_CHILDREN and not _is_blank(text):
                    raise _Fallback  # foster-parented text
                self.add_text(text)
            elif kind == START:
                self.start_in_body(match["start"])
                name = self.push(match)
                if name in VOID:
                    self.pop()
            elif kind == "end":
                name = match["end"]
                if name == "body" and len(stack) == 2:
                    self.position = position
                    return
                if name != stack[-1]:
                    raise _Fallback  # misnested, stray or void end tag (</br> is a <br>)
                self.pop()
            elif kind == "comment":
                events.append(("!", _comment_data(match["comment"])))
            else:
                raise _Fallback
            after_pre = kind == START and match["start"] == "pre"
        raise _Fallback  # no </body>, or a "<" that starts no accepted token at the very end

    def in_cell(self) -> bool:
        """Whether tinyhtml5 is in its "in cell" or "in caption" mode (our tables hold nothing else)."""
        return bool(self.open.get("td") or self.open.get("th") or self.open.get("caption"))

    def start_in_body(self, name: str) -> None:
        """Refuse a start tag on which HTML5 would not just open an element in the current one."""
        parent = self.stack[-1]
        opened = self.open
        if name not in BODY_ELEMENTS:
            raise _Fallback  # svg, math, script, template, form, select, textarea, iframe, …
        if opened.get("p") and name not in PHRASING:
            raise _Fallback  # closes the paragraph
        if name in HEADINGS and any(opened.get(h) for h in HEADINGS):
            raise _Fallback
        if name in FORMATTING and opened.get(name, 0) >= (1 if name == "a" else 2):
            raise _Fallback  # adoption agency, Noah's Ark
        if name in TABLE_PARENT and parent not in TABLE_PARENT[name]:
            raise _Fallback  # implied tbody/tr/colgroup, ignored or misplaced table parts
        if parent in TABLE_CHILDREN and name not in TABLE_CHILDREN[parent]:
            raise _Fallback  # foster parenting
        if name == "li":
            self.refuse_open_item(("li",), ("ul", "ol"))
        elif name in ("dd", "dt"):
            self.refuse_open_item(("dd", "dt"), ("dl",))

    def refuse_open_item(self, items: tuple[str, ...], lists: tuple[str, ...]) -> None:
        """A list item HTML5 would close (one open above the nearest list)."""
        for name in reversed(self.stack):
            if name in lists:
                return
            if name in items:
                raise _Fallback

    def after_body(self) -> None:
        """Whitespace and comments after </body>; </html>; whitespace and comments after it."""
        after_html = False
        while (match := self.token()) is not None:
            kind = match.lastgroup
            if kind == "text" and _is_blank(match["text"]):
                self.after_body_text += match["text"]
                if after_html:
                    self.after_html_text += match["text"]
            elif kind == "comment":
                data = _comment_data(match["comment"])
                if not after_html:
                    self.after_body_comments.append(("!", data))  # last children of <html>
            elif kind == "end" and match["end"] == "html" and not after_html:
                after_html = True
            else:
                raise _Fallback
        if not after_html:
            raise _Fallback


# --- lxml's tree, copied into ElementTree ------------------------------------------------------


def _lxml_root(html: str) -> Any:
    import lxml.html
    from lxml import etree

    parser = etree.HTMLParser(
        remove_blank_text=False, remove_comments=False, remove_pis=False, no_network=True, collect_ids=False
    )  # no ID table: a repeated id is no parse error (HTML5 does not mind either)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        raise _Fallback from None
    if len(parser.error_log):
        raise _Fallback
    return root


def _copy(nodes: Any, target: ET.Element, comment: Any, in_cell: bool = False) -> None:
    """Copy lxml ``nodes`` (with their text, tails and descendants) under ``target``."""
    for node in nodes:
        tag = node.tag
        if tag.__class__ is str:
            element = ET.SubElement(target, tag, dict(node.attrib))
            text = node.text
            if tag == "pre" and text and text[0] == "\n" and not in_cell:
                text = text[1:] or None  # libxml2 keeps the newline tinyhtml5 drops (not in cells)
            element.text = text
            if len(node):
                _copy(node, element, comment, in_cell or tag in ("td", "th", "caption"))
        elif tag is comment:
            element = ET.Comment(node.text)  # type: ignore[assignment]  # a comment is an element here
            target.append(element)
        else:
            raise _Fallback  # processing instruction, entity
        element.tail = node.tail


def _from_lxml(root: Any, after_html_text: str) -> ET.Element:
    """lxml's document as HTML5 lays it out: <html> holds <head>, <body> and the comments that
    followed </body>; whitespace after </body> (and ``after_html_text``, the whitespace after
    </html> that lxml does not keep) goes to the end of the body; comments outside <html> and
    whitespace before <head> are dropped."""
    from lxml import etree

    children = list(root)
    if root.tag != "html" or not _is_blank(root.text) or len(children) < 2:
        raise _Fallback
    head, body, *after = children
    if head.tag != "head" or body.tag != "body" or not _is_blank(head.tail):
        raise _Fallback
    if any(node.tag is not etree.Comment for node in after):
        raise _Fallback
    tree = ET.Element("html", dict(root.attrib))
    _copy([head, body], tree, etree.Comment)
    trailing = "".join(node.tail or "" for node in [body, *after]) + after_html_text
    if not _is_blank(trailing):
        raise _Fallback
    for node in after:
        tree.append(ET.Comment(node.text))
    new_body = tree[1]
    new_body.tail = None
    _append_text(new_body, trailing)
    return tree


def _append_text(element: ET.Element, text: str) -> None:
    """Add ``text`` at the end of ``element``'s content."""
    if not text:
        return
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


# --- comparing ---------------------------------------------------------------------------------


def _tree_events(root: ET.Element) -> list[Any]:
    events: list[Any] = []
    _walk(root, events, ET.Comment)
    return events


def _walk(element: ET.Element, events: list[Any], comment: Any) -> None:
    if element.tag is comment:
        events.append(("!", element.text))
    else:
        events.append(("<", element.tag, tuple(element.attrib.items())))
        if element.text:
            events.append(element.text)
        for child in element:
            _walk(child, events, comment)
        events.append(END)
    if element.tail:
        events.append(element.tail)
