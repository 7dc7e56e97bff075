"""Markdown → a clean HTML fragment, ready for either medium.

Steps, in order (each a small function below):

1. the Markdown parsed as CommonMark with GitHub's extensions and the ones authors of
   Python-Markdown and MkDocs documents expect (markdown-it-py; see :mod:`.commonmark`);
2. raw HTML checked and sanitised against an allow-list (nh3), with a warning per removal;
3. the fragment repaired into a tree that is valid XHTML (content model, ids, links);
4. images resolved inside the project and wrapped as figures when alone in a paragraph;
5. footnotes lifted out, so each medium can place them where it needs them;
6. serialised twice: XHTML for the EPUB (pop-up notes), HTML for print (``float: footnote``).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

import lxml.etree as etree
import lxml.html
import nh3

from pressroom.convert import commonmark
from pressroom.convert.citations import cite
from pressroom.convert.commonmark import CONTROL_REFERENCE
from pressroom.convert.dialects import remove_site_tags
from pressroom.convert.image_sizes import keep_image_widths
from pressroom.convert.math import convert_formulas, use_math_for
from pressroom.convert.pagemap import INDEX, PageStart, insert_markers, number_elements
from pressroom.load.assets import PRINT_SRC, Image, ImageResolver
from pressroom.load.sandbox import Sandbox
from pressroom.model import Article, BuildError, Warnings, warn

ALLOWED_TAGS = {
    "a", "abbr", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code",
    "col", "colgroup", "data", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr",
    "u", "ul", "var", "wbr",
}  # fmt: skip
GENERIC_ATTRIBUTES = {"id", "class", "title", "lang", "dir", "style", "role", "aria-label", "aria-hidden"}
ALLOWED_ATTRIBUTES = {
    "*": GENERIC_ATTRIBUTES,
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"},
    "data": {"value"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
}
ALIGNED = ("div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "img")  # align="center", as READMEs write
for _tag in ALIGNED:
    ALLOWED_ATTRIBUTES[_tag] = ALLOWED_ATTRIBUTES.get(_tag, set()) | {"align"}
URL_SCHEMES = {"http", "https", "ftp", "mailto", "tel", "data", "file"}  # file: is kept so that it is refused by name
# Nothing that sizes or positions boxes: an inline width or margin could push text off the page.
# ``width`` passes only to be checked at once: kept on images as a safe size (image_sizes.py),
# removed from everything else.
STYLE_PROPERTIES = {"text-align", "vertical-align", "color", "background-color", "font-style", "font-weight", "width"}
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "form", "template", "noscript"}

PHRASING_ONLY = {
    "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s", "samp",
    "small", "span", "strong", "sub", "sup", "time", "u", "var", "p", "pre", "caption", "summary",
    "h1", "h2", "h3", "h4", "h5", "h6", "dt", "rt", "rp",
}  # fmt: skip
FLOW_ONLY = {
    "address", "article", "aside", "blockquote", "details", "div", "dl", "figure", "footer", "header",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre", "section", "table", "ul", "figcaption",
}  # fmt: skip
REQUIRED_PARENT = {"li": {"ul", "ol"}, "dt": {"dl"}, "dd": {"dl"}, "figcaption": {"figure"}, "summary": {"details"}}
CONTROL_WARNING = "control characters removed (they are not allowed in XHTML)"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
MAX_NESTING = 100


@dataclass(frozen=True)
class Heading:
    """A section heading, for the table of contents and the PDF outline."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Note:
    """A footnote, numbered in order of first reference."""

    id: str
    number: int
    ref_id: str
    epub_html: str  # XHTML
    html: str = ""  # the same as HTML5 (for the web edition)


@dataclass(frozen=True)
class Document:
    """An article's body, converted; the layouts place it."""

    print_html: str  # HTML fragment; each note sits where it is referenced
    headings: tuple[Heading, ...]
    notes: tuple[Note, ...]
    images: tuple[Image, ...]
    text: str  # all the words, for checks such as font coverage
    tree: lxml.html.HtmlElement = field(repr=False, compare=False)  # numbered for the page map

    def epub_html(self, page_starts: Sequence[PageStart] = ()) -> str:
        """XHTML fragment for the EPUB, with a page-break marker where each printed page begins."""
        return serialise(self.epub_tree(page_starts), "xml")

    def epub_tree(self, page_starts: Sequence[PageStart] = ()) -> lxml.html.HtmlElement:
        """The body as a tree ready for the EPUB (see :meth:`epub_html`)."""
        tree = copy.deepcopy(self.tree)
        insert_markers(tree, page_starts)
        for ref in tree.xpath(".//a[contains(@class, 'footnote-ref')]"):
            ref.set("epub:type", "noteref")
            ref.set("role", "doc-noteref")
        for element in tree.iter():
            if isinstance(element.tag, str):
                element.attrib.pop(INDEX, None)
        use_image_sources(tree, "epub")
        use_math_for(tree, "epub")
        return tree


#: The text a printed handout shows, notes included, less the notes' links back to their calls and
#: the formulas (printed as drawings, in their own font).
PRINTED_TEXT = (
    ".//text()[not(ancestor::a[contains(concat(' ', normalize-space(@class), ' '), ' footnote-backref ')])"
    " and not(ancestor::*[local-name() = 'math'])]"
)


def source_line(article: Article, *needles: str) -> int | None:
    """The first line of ``article`` where all ``needles`` appear (for messages)."""
    for index, line in enumerate(article.body.split("\n")):
        if all(needle in line for needle in needles):
            return article.body_line + index
    return None


def locate_reference(article: Article, reference: str) -> int | None:
    """The line where a link or image target is written: as a Markdown target, an HTML attribute,
    an autolink or a reference definition, before falling back to the bare text."""
    reference = reference.strip()
    patterns = [f"]({reference}", f'="{reference}"', f"='{reference}'", f"<{reference}>", f"]: {reference}"]
    for pattern in patterns:
        line = source_line(article, pattern)
        if line is not None:
            return line
    return source_line(article, reference[:60]) if reference else None


def remove_control_characters(root: lxml.html.HtmlElement) -> bool:
    """Take out of the tree the characters XML forbids, which character references in raw HTML or
    Markdown can still put there (the HTML parser accepts them; XHTML, and lxml's own setters, do
    not). True when there were any."""
    found = False
    for element in root.iter():
        for name in ("text", "tail"):
            value = getattr(element, name)
            if value and CONTROL_CHARACTERS.search(value):
                setattr(element, name, CONTROL_CHARACTERS.sub("", value))
                found = True
        if isinstance(element.tag, str):
            for key, value in element.attrib.items():
                if CONTROL_CHARACTERS.search(value):
                    element.set(key, CONTROL_CHARACTERS.sub("", value))
                    found = True
    return found


def markdown_to_html(article: Article, warnings: Warnings) -> str:
    """Parse the Markdown (CommonMark and GitHub's extensions, see :mod:`.commonmark`); refuse
    absurd nesting rather than crash; warn about unused footnotes and table-like paragraphs."""
    body = article.body
    match = CONTROL_CHARACTERS.search(body)
    if match:
        line = article.body_line + body[: match.start()].count("\n")
        warn(warnings, CONTROL_WARNING, article.display_path, line)
        body = CONTROL_CHARACTERS.sub("", body)
    body, removed = remove_site_tags(body)
    for index, what in removed:
        warn(
            warnings, f"{what} removed (site-generator syntax has no meaning in a handout)", article.display_path, article.body_line + index
        )
    depth_line = deepest_nesting(body)
    if depth_line is not None:
        line = article.body_line + depth_line
        raise BuildError(f"blocks nested more than {MAX_NESTING} levels deep; flatten the structure", article.display_path, line)
    try:
        parsed = commonmark.render(body, table_like_rows, article.meta.lang, citations=bool(article.meta.bibliography))
    except RecursionError:
        raise BuildError("the Markdown is nested too deeply to convert", article.display_path, article.body_line) from None
    report_broken_tables(article, parsed.table_like, warnings)
    for label in parsed.unused_notes:
        warn(warnings, f"footnote [^{label}] is never referenced; left out", article.display_path, source_line(article, f"[^{label}]:"))
    return parsed.html


# A pipe-table delimiter row (`|---|:--:|`, `--|--`): dashes and colons in at least one pipe-separated cell.
DELIMITER_ROW = re.compile(r"^\|?(?:\s*:?-+:?\s*\|)+(?:\s*:?-+:?\s*)?$|^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?$")


def table_like_rows(block: str) -> list[str]:
    """The lines of a paragraph that look like pipe-table rows, when the paragraph has a delimiter
    row or at least two lines framed by pipes (empty: an ordinary paragraph)."""
    lines = [line.strip() for line in block.split("\n")]
    delimiters = [line for line in lines if DELIMITER_ROW.match(line)]
    framed = [line for line in lines if len(line) > 1 and line.startswith("|") and line.endswith("|")]
    if not delimiters and len(framed) < 2:
        return []
    return [line for line in lines if "|" in line]


def table_problem(rows: list[str]) -> str:
    """Why rows that look like a table did not become one (Python-Markdown's table rules)."""
    delimiter = next((index for index, row in enumerate(rows) if DELIMITER_ROW.match(row)), None)
    if delimiter is None:
        return "it has no delimiter row such as |---|---| under its header row"
    if delimiter == 0:
        return "its delimiter row has no header row above it"

    def cells(row: str) -> int:
        return len(row.strip().removeprefix("|").removesuffix("|").split("|"))

    if cells(rows[delimiter]) != cells(rows[delimiter - 1]):
        return f"its delimiter row has {cells(rows[delimiter])} column(s) and its header row {cells(rows[delimiter - 1])}"
    return "a table must start a block: leave a blank line before its header row"


def report_broken_tables(article: Article, found: list[tuple[str, int]], warnings: Warnings) -> None:
    """Warn about each paragraph that looks like a table but is printed as lines of text, at the
    line of its first table-like row."""
    for block, first_line in found:
        rows = table_like_rows(block)
        index = [line.strip() for line in block.split("\n")].index(rows[0])
        line = article.body_line + first_line + index if first_line >= 0 else None
        message = f"these lines look like a table but are printed as text: {table_problem(rows)}"
        warn(warnings, message, article.display_path, line)


def deepest_nesting(body: str) -> int | None:
    """Index of the first line whose quote/list nesting exceeds ``MAX_NESTING``, if any."""
    for index, line in enumerate(body.split("\n")):
        stripped = line.replace(" ", "").replace("\t", "")
        quotes = len(stripped) - len(stripped.lstrip(">"))
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))
        if quotes > MAX_NESTING or indent // 2 > MAX_NESTING:
            return index
    tags = re.finditer(r"<(/?)(div|span|blockquote|ul|ol|li|section|b|i|em|strong|table)\b[^>]*?(/?)>", body, re.I)
    depth = 0
    for tag in tags:
        if tag.group(1):
            depth = max(depth - 1, 0)
        elif not tag.group(3):
            depth += 1
            if depth > MAX_NESTING:
                return body[: tag.start()].count("\n")
    return None


TASK_CHECKBOX = re.compile(r"<input class=\"task-list-item-checkbox\"(?: disabled=\"\")? type=\"checkbox\"( checked=\"\")?>")


def task_boxes(html: str) -> str:
    """Task-list checkboxes (not allowed in a document without forms) become drawn boxes."""
    return TASK_CHECKBOX.sub(
        lambda m: '<span class="checkbox{}" role="img" aria-label="{}"></span>'.format(
            " checked" if m.group(1) else "", "done" if m.group(1) else "not done"
        ),
        html,
    )


def report_removed_html(html: str, article: Article, warnings: Warnings) -> None:
    """Warn about every element and attribute the sanitiser is about to remove."""
    if "<" not in html:
        return
    try:
        tree = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return
    seen: set[str] = set()
    for element in tree.iter():
        if not isinstance(element.tag, str) or element is tree:
            continue
        tag = element.tag.lower()
        if tag not in ALLOWED_TAGS:
            what = f"<{tag}>" + (" and its content" if tag in DROPPED_WITH_CONTENT else "")
            key = f"tag:{tag}"
            if key not in seen:
                seen.add(key)
                line = source_line(article, f"<{tag}") or source_line(article, f"<{tag.upper()}")
                warn(warnings, f"raw HTML {what} removed (not allowed in a handout)", article.display_path, line)
            continue
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in element.attrib.items():
            name = name.lower()
            key = f"attr:{tag}:{name}"
            if key in seen:
                continue
            if name not in allowed:
                seen.add(key)
                line = source_line(article, f"<{tag}", f"{name}=") or source_line(article, f"{name}=") or source_line(article, name)
                warn(warnings, f"attribute '{name}' removed from <{tag}>", article.display_path, line)
            elif name in {"href", "src"} and re.match(r"^\s*[a-z][a-z0-9+.-]*:", value, re.I):
                scheme = value.strip().split(":", 1)[0].lower()
                if scheme not in URL_SCHEMES:
                    seen.add(key)
                    line = locate_reference(article, value)
                    warn(warnings, f"{scheme}: URL removed from <{tag}>", article.display_path, line)


def sanitise(html: str) -> str:
    """Keep only allow-listed elements, attributes, URL schemes and style properties."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        filter_style_properties=STYLE_PROPERTIES,
    )


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """Parse sanitised HTML into a tree rooted at a ``<div>``."""
    return lxml.html.fragment_fromstring(html or "", create_parent="div")


#: Void elements of HTML5 that lxml's HTML parser (libxml2) reads as containers: "a <wbr> b"
#: came out as <wbr> b</wbr>, invalid XHTML.
VOID_UNKNOWN_TO_LXML = {"wbr", "source", "track", "embed"}


def empty_void_element(element: lxml.html.HtmlElement) -> None:
    """Move what lxml put inside a void element out after it."""
    parent = element.getparent()
    children = list(element)
    tail = element.tail
    element.tail, element.text = element.text, None
    index = parent.index(element)
    for offset, child in enumerate(children, start=1):
        parent.insert(index + offset, child)
    last = children[-1] if children else element
    last.tail = (last.tail or "") + (tail or "") or None


def repair_content_model(root: lxml.html.HtmlElement) -> None:
    """Make the tree valid XHTML: no blocks inside phrasing elements, no orphaned list items,
    void elements empty."""
    for element in list(root.iter(*VOID_UNKNOWN_TO_LXML)):
        if element.text or len(element):
            empty_void_element(element)
    for element in reversed(list(root.iter())):
        if element is root or not isinstance(element.tag, str):
            continue
        if element.tag in PHRASING_ONLY or element.tag == "a":
            if any(child.tag in FLOW_ONLY for child in element.iterdescendants() if isinstance(child.tag, str)):
                if element.tag in {"p", "pre", "caption", "summary", "dt"} or element.tag.startswith("h"):
                    element.tag = "div"
                else:
                    element.drop_tag()
                continue
        parents = REQUIRED_PARENT.get(element.tag)
        if parents and (element.getparent() is None or element.getparent().tag not in parents):
            element.tag = "div"


LIST_ITEMS = {"ul": ("li", {"li"}), "ol": ("li", {"li"}), "dl": ("dd", {"dt", "dd", "div"})}


def repair_lists(root: lxml.html.HtmlElement) -> None:
    """Lists hold only their items: stray elements and text go into an item of their own."""
    for parent in list(root.iter("ul", "ol", "dl")):
        item_tag, allowed = LIST_ITEMS[parent.tag]
        if (parent.text or "").strip():
            item = etree.Element(item_tag)
            item.text, parent.text = parent.text, None
            parent.insert(0, item)
        for child in list(parent):
            if not isinstance(child.tag, str):
                continue
            if child.tag not in allowed:
                if child.xpath(".//li|.//dt|.//dd"):
                    child.drop_tag()
                    continue
                if not child.text_content().strip() and not child.xpath(".//img"):
                    child.drop_tree()  # keeps the tail
                    continue
                wrapper = etree.Element(item_tag)
                child.addprevious(wrapper)
                wrapper.append(child)
                wrapper.tail, child.tail = child.tail, None
                child = wrapper
            if (child.tail or "").strip():
                item = etree.Element(item_tag)
                item.text, child.tail = child.tail, None
                child.addnext(item)


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading (github-slugger): lower case, every character that is
    not a letter, mark, digit, ``_``, ``-`` or space removed, spaces made hyphens. Letters of
    every script are kept; ``Install & Update`` → ``install--update``."""
    kept = (c for c in text.strip().lower() if c in " -" or unicodedata.category(c)[0] in "LMN" or unicodedata.category(c) == "Pc")
    return "".join(kept).replace(" ", "-")


EMOJI_PUNCTUATION = frozenset("\u203c\u2049\u20e3")


def shortcode_slug(text: str) -> list[str]:
    """The slug GitHub gives a heading written with emoji shortcodes (``Sponsors :heart:`` →
    ``sponsors-heart``): the emoji here are back in their shortcodes."""
    if not any(unicodedata.category(c) == "So" or c in EMOJI_PUNCTUATION for c in text):
        return []  # no emoji (they are symbols, but for ‼ ⁉ and keycaps): demojize's tables cost ~30 ms to build
    import emoji

    return [github_slug(emoji.demojize(text, language="alias").replace(":", ""))]


def fix_ids(root: lxml.html.HtmlElement) -> dict[str, str]:
    """Give every heading an id as GitHub makes it (duplicates numbered ``-1``, ``-2``…) and make
    all ids unique, free of white space and valid XML names (an id that cannot start one gets
    ``s-`` before it). Returns the anchors links may be written with — each heading's GitHub
    slug and the older Python-Markdown-like slug — mapped to the id it got."""
    seen: set[str] = set()
    occurrences: dict[str, int] = {}
    aliases: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        ident = element.get("id")
        names: list[str] = []
        if ident is None and element.tag in HEADINGS:
            text = element.text_content()
            base = github_slug(text) or "section"
            ident = base
            while ident in occurrences:
                occurrences[base] += 1
                ident = f"{base}-{occurrences[base]}"
            occurrences[ident] = 0
            names = [ident, re.sub(r"[^\w-]+", "-", text.strip().lower()).strip("-"), *shortcode_slug(text)]
        if ident is None:
            continue
        ident = re.sub(r"\s+", "-", ident.strip()) or "id"
        if ident[0].isdigit() or ident[0] in "-._" or unicodedata.category(ident[0])[0] in "MN":
            ident = "s-" + ident
        base, n = ident, 2
        while ident in seen:
            ident = f"{base}-{n}"
            n += 1
        seen.add(ident)
        element.set("id", ident)
        for name in names:
            aliases.setdefault(name, ident)
    return {name: ident for name, ident in aliases.items() if name not in seen}


def fix_links(root: lxml.html.HtmlElement, article: Article, warnings: Warnings, aliases: dict[str, str]) -> None:
    """Keep working links (a link to a heading written as on GitHub is pointed at its id); turn
    links to missing anchors or unpackaged files into plain text."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for link in list(root.iter("a")):
        href = (link.get("href") or "").strip()
        if not href:
            continue
        parts = urlsplit(href)
        if parts.scheme in {"http", "https", "mailto", "tel"}:
            link.set("href", quote(href, safe=":/?#[]@!$&'()*+,;=%~"))
            continue
        if href.startswith("#"):
            target = unquote(href[1:])
            found = (
                next((name for name in (target, target.lower()) if name in ids), None) or aliases.get(target) or aliases.get(target.lower())
            )
            if found:
                link.set("href", f"#{found}")
                continue
            reason = f"link to '#{target}' has no matching heading or anchor"
        else:
            reason = f"link to '{href}' points outside this article and cannot be followed in the handout"
        if href.startswith("#fn") and "footnote" in (link.get("class") or ""):
            continue
        warn(warnings, f"{reason}; kept as text", article.display_path, locate_reference(article, href))
        link.attrib.pop("href", None)
        link.tag = "span"


def move_alignment(root: lxml.html.HtmlElement) -> None:
    """``align="center"`` (obsolete, but in every other README) becomes ``text-align`` in the
    element's style; on an image it is dropped."""
    for element in root.iter(*ALIGNED):
        align = (element.attrib.pop("align", None) or "").strip().lower()
        if align in {"left", "right", "center", "justify"} and element.tag != "img":
            element.set("style", "; ".join(filter(None, [f"text-align: {align}", element.get("style")])))


def insert_toc(root: lxml.html.HtmlElement) -> None:
    """A paragraph that is only ``[TOC]`` becomes the list of the article's headings, nested by
    level (Python-Markdown's and MkDocs' table-of-contents marker)."""
    markers = [p for p in root.iter("p") if (p.text or "").strip() == "[TOC]" and not len(p)]
    if not markers:
        return
    headings = [h for h in root.iter(*HEADINGS) if h.get("id")]
    for marker in markers:
        toc = etree.Element("div", {"class": "toc"})
        stack: list[tuple[int, etree._Element]] = [(0, etree.SubElement(toc, "ul"))]
        for heading in headings:
            level = int(heading.tag[1])
            while len(stack) > 1 and stack[-1][0] >= level:
                stack.pop()
            item = etree.SubElement(stack[-1][1], "li")
            link = etree.SubElement(item, "a", {"href": f"#{heading.get('id')}"})
            link.text = " ".join(heading.text_content().split())
            stack.append((level, etree.SubElement(item, "ul")))
        for empty in [ul for ul in toc.iter("ul") if not len(ul)]:
            empty.getparent().remove(empty)  # type: ignore[union-attr]
        toc.tail = marker.tail
        marker.getparent().replace(marker, toc)


SUMMARY = {"en": "Details", "fr": "Détails", "de": "Details", "es": "Detalles", "it": "Dettagli", "pt": "Detalhes",
           "nl": "Details", "sv": "Detaljer", "da": "Detaljer", "nb": "Detaljer", "fi": "Tiedot", "pl": "Szczegóły",
           "cs": "Podrobnosti", "ru": "Подробности", "uk": "Подробиці", "ja": "詳細", "zh": "详情", "ko": "세부 정보"}  # fmt: skip


def add_summaries(root: lxml.html.HtmlElement, lang: str) -> None:
    """A ``<details>`` without a ``<summary>`` (valid HTML, invalid in an EPUB) gets one, in the
    article's language; a second ``<summary>`` becomes a plain block."""
    for details in root.iter("details"):
        for extra in details.findall("summary")[1:]:
            extra.tag = "div"
        if len(details) and details[0].tag == "summary" and not (details.text or "").strip():
            continue
        summary = details.find("summary")
        if summary is None:
            summary = etree.Element("summary")
            summary.text = SUMMARY.get(lang.split("-")[0].lower(), SUMMARY["en"])
        summary.tail = details.text
        details.text = None
        details.insert(0, summary)


def translate_labels(root: lxml.html.HtmlElement, lang: str) -> None:
    """The label of a callout that has no title of its own, in the article's language
    ("Remarque", "Hinweis", "ملاحظة"); the mark the parser left on it is removed."""
    from pressroom.convert.dialects import LABEL_MARK, label
    from pressroom.convert.language import callout_label

    for title in root.xpath(f"//*[contains(@class, '{LABEL_MARK}')]"):
        classes = title.get("class", "").split()
        marks = [c for c in classes if c.startswith(LABEL_MARK)]
        title.set("class", " ".join(c for c in classes if not c.startswith(LABEL_MARK)))
        if marks and len(title) == 0:
            kind = marks[0][len(LABEL_MARK) :]
            title.text = callout_label(kind, lang, label(kind))


def wrap_figures(root: lxml.html.HtmlElement) -> None:
    """An image alone in its paragraph becomes a ``<figure>`` captioned by its title or alt text."""
    for paragraph in list(root.iter("p")):
        children = list(paragraph)
        if len(children) != 1 or children[0].tag != "img":
            continue
        image = children[0]
        if (paragraph.text or "").strip() or (image.tail or "").strip():
            continue
        caption = (image.get("title") or image.get("alt") or "").strip()
        paragraph.tag = "figure"
        paragraph.attrib.clear()
        paragraph.set("class", "figure")
        image.tail = None
        if caption:
            figcaption = etree.SubElement(paragraph, "figcaption")
            figcaption.text = caption


#: Elements that show something without text.
SHOWN_WITHOUT_TEXT = {
    "img",
    "svg",
    "math",
    "video",
    "audio",
    "picture",
    "object",
    "embed",
    "input",
    "canvas",
    "iframe",
    "hr",
    "meter",
    "progress",
}


def remove_empty_paragraphs(root: lxml.html.HtmlElement) -> None:
    """A paragraph with nothing to show (an author's ``<p></p>`` or ``<p><br></p>``, one whose
    only content the sanitiser removed, a ``<p><a id="top"></a></p>``) is taken out: e-readers
    and the handout would print an empty line. Ids in it stay, on empty anchors where it was."""
    for paragraph in list(root.iter("p")):
        if "".join(paragraph.itertext()).strip():
            continue
        inside = [element for element in paragraph.iterdescendants() if isinstance(element.tag, str)]
        if any(etree.QName(element).localname in SHOWN_WITHOUT_TEXT for element in inside):
            continue
        anchors = []
        for element in [paragraph, *inside]:
            if element.get("id"):
                anchor = lxml.html.Element("a", {"id": element.get("id")})
                anchors.append(anchor)
        parent = paragraph.getparent()
        if parent is None:
            continue
        index = parent.index(paragraph)
        tail = paragraph.tail
        parent.remove(paragraph)
        for offset, anchor in enumerate(anchors):
            parent.insert(index + offset, anchor)
        if tail:
            before = parent[index + len(anchors) - 1] if index + len(anchors) > 0 else None
            if before is not None:
                before.tail = (before.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail


def mark_tables(root: lxml.html.HtmlElement) -> None:
    """Header cells say what they head (column in a head row, row when first in a body row)."""
    for cell in root.iter("th"):
        if cell.get("scope"):
            continue
        row = cell.getparent()
        section = row.getparent() if row is not None else None
        if section is not None and section.tag == "thead":
            cell.set("scope", "col")
        elif row is not None and row.index(cell) == 0:
            cell.set("scope", "row")


@dataclass
class _RawNote:
    id: str
    ref_id: str
    number: int
    body: lxml.html.HtmlElement


def lift_notes(root: lxml.html.HtmlElement) -> list[_RawNote]:
    """Remove Python-Markdown's footnote list from the tree and return its items in order."""
    notes: list[_RawNote] = []
    for container in root.xpath(".//div[contains(concat(' ', normalize-space(@class), ' '), ' footnote ')]"):
        for number, item in enumerate(container.xpath("./ol/li[@id]"), start=1):
            note_id = item.get("id")
            ref_id = note_id.replace("fn-", "fnref-", 1)
            for backref in item.xpath(".//a[contains(@class, 'footnote-backref')]"):
                previous = backref.getprevious()
                parent = backref.getparent()
                text = (previous.tail if previous is not None else parent.text) or ""
                if previous is not None:
                    previous.tail = text.rstrip("\u00a0 ")
                else:
                    parent.text = text.rstrip("\u00a0 ")
                backref.drop_tree()
                if parent.tag == "p" and not parent.text_content().strip() and not len(parent):
                    parent.drop_tree()  # the paragraph only held the back-link
            notes.append(_RawNote(note_id, ref_id, number, item))
        container.drop_tree()
    return notes


def referenced_notes(notes: list[_RawNote], root: lxml.html.HtmlElement, article: Article, warnings: Warnings) -> list[_RawNote]:
    """Drop footnotes nothing refers to (with a warning) and number the rest in reading order."""
    referenced = {(ref.get("href") or "").lstrip("#") for ref in root.xpath(".//a[contains(@class, 'footnote-ref')]")}
    kept = []
    for note in notes:
        if note.id in referenced:
            kept.append(note)
            continue
        label = note.id.removeprefix("fn-")
        warn(warnings, f"footnote [^{label}] is never referenced; left out", article.display_path, source_line(article, f"[^{label}]:"))
    for number, note in enumerate(kept, start=1):
        note.number = number
    return kept


FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\s]+)\]")
LITERAL_ELEMENTS = {"code", "pre", "kbd", "samp"}


def report_undefined_notes(root: lxml.html.HtmlElement, article: Article, warnings: Warnings) -> None:
    """Warn about each footnote reference left as text because no ``[^label]:`` defines it."""
    seen: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str) or any(e.tag in LITERAL_ELEMENTS for e in element.iterancestors()):
            continue
        texts = [] if element.tag in LITERAL_ELEMENTS else [element.text]
        for text in [*texts, element.tail]:
            for label in FOOTNOTE_REFERENCE.findall(text or ""):
                if label in seen:
                    continue
                seen.add(label)
                line = next(
                    (article.body_line + index for index, source in enumerate(article.body.split("\n"))
                     if re.search(rf"(?<!\\)\[\^{re.escape(label)}\](?!:)", source)),
                    None,
                )  # fmt: skip
                if line is not None:  # written \[^label] on purpose, or not from the Markdown: no warning
                    warn(warnings, f"footnote [^{label}] is not defined; printed as text", article.display_path, line)


def serialise(element: lxml.html.HtmlElement, method: str) -> str:
    """The children of ``element`` as markup (``xml`` for XHTML, ``html`` for print)."""
    parts = [element.text and _escape(element.text) or ""]
    for child in element:
        parts.append(etree.tostring(child, encoding="unicode", method=method, with_tail=True))
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def epub_notes(notes: list[_RawNote]) -> tuple[Note, ...]:
    """Each footnote as an XHTML fragment that starts with its number, linking back to the text."""
    built = []
    for note in notes:
        body = copy.deepcopy(note.body)
        first = body.find("p")
        backlink = etree.Element("a", {"href": f"#{note.ref_id}", "role": "doc-backlink", "class": "note-number"})
        backlink.text = f"{note.number}."
        backlink.tail = " " + ((first.text or "") if first is not None else (body.text or ""))
        if first is not None:
            first.text = None
            first.insert(0, backlink)
        else:
            body.text = None
            body.insert(0, backlink)
        use_image_sources(body, "epub")
        built.append(Note(note.id, note.number, note.ref_id, serialise(body, "xml"), serialise(body, "html")))
    return tuple(built)


NOTE_BLOCKS = FLOW_ONLY | {"li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "caption"}
COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")  # CSS's white space (not U+00A0)


def inline_note(note: _RawNote) -> lxml.html.HtmlElement:
    """A footnote as one inline ``<span class="footnote">`` that can float to the foot of the page.

    Block elements inside it (paragraphs, code, lists, tables) become spans that the print
    stylesheet displays as blocks: a block element would end the paragraph the note sits in.
    """
    span = lxml.html.Element("span", {"class": "footnote", "id": note.id})
    body = copy.deepcopy(note.body)
    span.text = body.text
    for child in list(body):
        span.append(child)
    first = span[0] if len(span) else None
    if first is not None and first.tag == "p" and not (span.text or "").strip():
        first.drop_tag()  # the first paragraph runs on from the note's number
    # The note's number is part of its text (the stylesheet turns ::footnote-marker off): with
    # WeasyPrint 70 a generated marker either sits on a line of its own or, without the leading
    # line break, the note is pushed to the next page.
    number = lxml.html.Element("span", {"class": "footnote-number"})
    number.text = f"{note.number}. "
    number.tail = span.text
    span.text = None
    span.insert(0, number)
    collapse_note_whitespace(span)
    span.text = "\n"
    for pre in span.iter("pre"):
        last = pre[-1] if len(pre) else pre
        if len(last) and (last[-1].tail or "").strip() == "":
            last[-1].tail = (last[-1].tail or "").rstrip("\n")
        elif not len(last):
            last.text = (last.text or "").rstrip("\n")
    for element in list(span.iterdescendants()):
        if isinstance(element.tag, str) and element.tag in NOTE_BLOCKS:
            element.set("class", " ".join(filter(None, ["fn-block", f"fn-{element.tag}", element.get("class")])))
            element.attrib.pop("id", None) if element.tag in {"h1", "h2", "h3", "h4", "h5", "h6"} else None
            element.tag = "span"
    return span


def collapse_note_whitespace(span: lxml.html.HtmlElement) -> None:
    """Collapse white space in a note the way CSS ``white-space: normal`` does, in the markup.

    WeasyPrint 70 takes a ``float: footnote`` box out of the tree before it processes white
    space, so a note's text reaches the line breaker as written: each newline forces a line
    break, and spaces before one (a Markdown hard line break at the end of a paragraph,
    trailing spaces in a list item or a table cell) fail an assertion in WeasyPrint's line
    splitting. Here every run of white space becomes one space, and none is left where a line
    starts or ends: at the edges of a block, around a ``<br>``. Inside ``<pre>`` the text is
    kept, less the spaces that end its lines.
    """
    last: list = [None]  # the text slot (element, attribute) that ends with a space, if any
    line_start = [True]

    def text(element: lxml.html.HtmlElement, name: str) -> None:
        value = getattr(element, name)
        if not value:
            return
        value = COLLAPSIBLE.sub(" ", value)
        if line_start[0] or last[0] is not None:
            value = value.lstrip(" ")
        setattr(element, name, value or None)
        if value:
            line_start[0] = False
            last[0] = (element, name) if value.endswith(" ") else None

    def line_break() -> None:
        if last[0] is not None:
            element, name = last[0]
            setattr(element, name, getattr(element, name).rstrip(" ") or None)
        last[0] = None
        line_start[0] = True

    def visit(element: lxml.html.HtmlElement) -> None:
        if not isinstance(element.tag, str):  # a comment: only its tail is text
            pass
        elif element.tag == "pre":
            line_break()
            for node in element.iter():
                for name in ("text", "tail") if node is not element else ("text",):
                    value = getattr(node, name)
                    if value:
                        setattr(node, name, re.sub(r"[ \t]+(?=\n)", "", value))
            line_break()
        elif element.tag == "br":
            line_break()
        elif element.tag in NOTE_BLOCKS:
            line_break()
            text(element, "text")
            for child in element:
                visit(child)
            line_break()
        else:
            text(element, "text")
            for child in element:
                visit(child)
            if element.tag == "img" or (element.tag == "span" and "checkbox" in (element.get("class") or "")):
                line_start[0], last[0] = False, None
        text(element, "tail")

    for child in span:
        visit(child)
    line_break()


def print_fragment(root: lxml.html.HtmlElement, notes: list[_RawNote]) -> str:
    """HTML body where each footnote's text sits at its first reference (for ``float: footnote``)."""
    tree = copy.deepcopy(root)
    by_id = {note.id: note for note in notes}
    placed: set[str] = set()
    for ref in tree.xpath(".//a[contains(@class, 'footnote-ref')]"):
        note_id = (ref.get("href") or "#").lstrip("#")
        note = by_id.get(note_id)
        holder = ref.getparent() if ref.getparent() is not None and ref.getparent().tag == "sup" else ref
        if note is None or note_id in placed:
            continue
        placed.add(note_id)
        span = inline_note(note)
        span.tail = holder.tail
        holder.getparent().replace(holder, span)
    use_image_sources(tree, "print")
    use_math_for(tree, "print")
    return serialise(tree, "html")


def use_image_sources(tree: lxml.html.HtmlElement, medium: str) -> None:
    """Point images at the packaged copy (EPUB) or the file itself (print)."""
    for image in tree.iter("img"):
        print_src = image.attrib.pop(PRINT_SRC, None)
        if medium == "print" and print_src:
            image.set("src", print_src)


def close_heading_gaps(root: lxml.html.HtmlElement) -> None:
    """Move a heading that skips levels (``###`` straight under the title, ``####`` under a
    ``##``) up to one level below the heading it belongs under, keeping the nesting the author
    wrote. Readers that move by heading, the EPUB's contents and the PDF's structure tree need an
    outline without gaps (Ace's heading-order rule, PDF/UA's Matterhorn check 14-003); READMEs
    often start at ``###`` for a smaller look. The title block's ``h1`` comes before them all."""
    stack = [(1, 1)]  # (level written, level given) of the headings the next one may nest under
    for heading in root.iter(*HEADINGS):
        written = int(heading.tag[1])
        while stack and stack[-1][0] >= written:
            stack.pop()
        level = min(written, stack[-1][1] + 1) if stack else written
        heading.tag = f"h{level}"
        stack.append((written, level))


def collect_headings(root: lxml.html.HtmlElement) -> tuple[Heading, ...]:
    return tuple(
        Heading(int(el.tag[1]), el.get("id"), " ".join(el.text_content().split()))
        for el in root.iter(*HEADINGS)
        if el.get("id") and el.text_content().strip()
    )


def prefix_ids(root: lxml.html.HtmlElement, prefix: str) -> None:
    """Prefix every id and every link to one (articles gathered in a pack keep their ids apart)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.get("id"):
            element.set("id", prefix + element.get("id"))
        href = element.get("href") if element.tag == "a" else None
        if href and href.startswith("#") and len(href) > 1:
            element.set("href", f"#{prefix}{href[1:]}")


def convert(article: Article, sandbox: Sandbox, warnings: Warnings, prefix: str = "") -> Document:
    """Convert an article's Markdown body into a :class:`Document` (ids prefixed with ``prefix``)."""
    html = task_boxes(markdown_to_html(article, warnings))
    report_removed_html(html, article, warnings)
    root = parse_fragment(sanitise(html))
    keep_image_widths(root, article, warnings, lambda needle: source_line(article, needle))
    if remove_control_characters(root):
        line = next((article.body_line + i for i, text in enumerate(article.body.split("\n")) if CONTROL_REFERENCE.search(text)), None)
        warn(warnings, CONTROL_WARNING, article.display_path, line)
    move_alignment(root)
    convert_math(root, article, warnings)
    cite(root, article, sandbox.reads, warnings, lambda needle: source_line(article, needle))
    repair_content_model(root)
    repair_lists(root)
    close_heading_gaps(root)
    aliases = fix_ids(root)
    insert_toc(root)
    add_summaries(root, article.meta.lang)
    translate_labels(root, article.meta.lang)
    fix_links(root, article, warnings, aliases)
    images = ImageResolver(article, sandbox, warnings, prefix).resolve_all(root, lambda src: locate_reference(article, src))
    wrap_figures(root)
    remove_empty_paragraphs(root)
    mark_tables(root)
    if prefix:
        prefix_ids(root, prefix)
    words = "".join(root.xpath(PRINTED_TEXT))  # the notes' too: they are printed in the same fonts
    notes = referenced_notes(lift_notes(root), root, article, warnings)
    report_undefined_notes(root, article, warnings)
    number_elements(root, prefix)
    return Document(
        print_html=print_fragment(root, notes),
        headings=collect_headings(root),
        notes=epub_notes(notes),
        images=images,
        text=" ".join([article.meta.title, *filter(None, [article.meta.subtitle, *article.meta.author_names]), words]),
        tree=root,
    )


def convert_math(root: lxml.html.HtmlElement, article: Article, warnings: Warnings) -> tuple[int, int]:
    """Each formula becomes MathML (and an SVG for print); one that cannot be converted is shown
    as code, with a warning at its line. Returns the numbers converted and found."""

    def report(latex: str, reason: str) -> None:
        first = next((line.strip() for line in latex.split("\n") if line.strip()), latex)
        line = source_line(article, first[:60])
        warn(warnings, f"formula {shorten(latex)} cannot be converted ({reason}); shown as code", article.display_path, line)

    return convert_formulas(root, report)


def shorten(latex: str, limit: int = 40) -> str:
    text = " ".join(latex.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def load_parser() -> None:
    """Import and configure the Markdown parser now (a worker does it once, when it starts)."""
    commonmark.parser()
