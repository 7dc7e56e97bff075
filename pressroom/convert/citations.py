"""Citations in Pandoc's syntax, formatted by citeproc-py in a CSL style.

An article whose front matter names ``bibliography:`` (BibTeX ``.bib`` or CSL JSON ``.json``,
relative to the article; one file or a list) may cite its entries as Pandoc authors do:
``[@doe99]``, ``[@doe99, p. 33; @smith04]``, ``[see @doe99, chap. 2]``, ``[-@doe99]`` (the year
alone: "(1999)"), ``@doe99`` in the text ("Doe (1999)") and ``@doe99 [p. 33]`` ("Doe (1999, 33)").
``csl:`` names a CSL style file (relative to the article) or a style citeproc-py bundles; the
default is ``harvard-cite-them-right``. Each citation becomes a link (``role="doc-biblioref"``)
to its entry in a references section (``role="doc-bibliography"``), sorted as the style says and
put where the article has ``<div id="refs"></div>`` or else at its end. A bracketed key the
bibliography lacks is a warning naming its line, and the citation is printed as written; an
``@name`` in the text that is no key (a handle, a decorator) stays text.

BibTeX is read by :mod:`.bibtex` into CSL JSON. citeproc-py renders citations and entries; what
it lacks is done here: the prefix ("see") inside the citation, the author left out or printed in
the text (the style is rendered once more with its ``names`` marked, and the marked part taken
out or used alone, as Pandoc's citeproc does), entries without the first citation's locator,
and the locale's punctuation inside quotation marks (en-US: “Title.”).

The parser (:mod:`.commonmark`) only marks citations as ``<cite class="citation">`` holding
their text; they are formatted here, after every one has been registered, in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lxml.etree as etree
import lxml.html

from pressroom.convert import bibtex
from pressroom.load.assets import resolve_project_file
from pressroom.model import Article, BuildError, Warnings, warn

if TYPE_CHECKING:
    from markdown_it.rules_inline import StateInline

DEFAULT_STYLE = "harvard-cite-them-right"
KEY = r"[\w][\w:.#$%&+?<>~/-]*(?<![.:])"
ITEM = re.compile(rf"^\s*(?P<prefix>[^@;]*?)\s*(?P<minus>-?)@(?P<key>{KEY})(?P<suffix>[^;]*)$")
GROUP = re.compile(rf"\[(?P<body>[^\[\]\n]*?-?@{KEY}[^\[\]\n]*)\](?!\()")  # [@key](url) is a link
#: ``@key`` in the running text, with an optional ``[locator]`` after it (not a link's text).
NARRATIVE = re.compile(rf"@(?P<key>{KEY})(?:\s?\[(?P<suffix>[^\[\]@\n]*)\](?![(\[:]))?")
LOCATOR = re.compile(
    r"^,?\s*(?:(?P<label>pp?|pages?|chap|chapter|sec|section|vol|volume)\.?\s*)?"
    r"(?P<value>(?:[\dA-Za-z]*\d[\dA-Za-z]*|[ivxlcdm]+)(?:\s*[-–,&]\s*(?:[\dA-Za-z]*\d[\dA-Za-z]*|[ivxlcdm]+))*)(?P<rest>.*?)\s*$",
    re.I,
)
NAMES = ("\ue000", "\ue001")  # around each rendered name list, in the copy of the style that finds the author
LABELS = {"p": "page", "pp": "page", "page": "page", "pages": "page", "chap": "chapter", "chapter": "chapter",
          "sec": "section", "section": "section", "vol": "volume", "volume": "volume"}  # fmt: skip
MARK = "citation"


def citation_rule(state: StateInline, silent: bool) -> bool:
    """``[@key, p. 3; @other]`` (when the article has a bibliography) is kept for :func:`cite`."""
    if state.src[state.pos] != "[" or not state.env.get("citations"):
        return False
    match = GROUP.match(state.src, state.pos)
    if not match or not all(ITEM.match(part) for part in match.group("body").split(";")):
        return False
    if not silent:
        _push_mark(state, match.group())
    state.pos = match.end()
    return True


def narrative_rule(state: StateInline, silent: bool) -> bool:
    """``@key`` or ``@key [p. 3]`` in the text (when the article has a bibliography), not inside
    a word (``a@b.com``) and not in a link's text, is kept for :func:`cite`."""
    pos = state.pos
    if state.src[pos] != "@" or not state.env.get("citations") or state.linkLevel > 0:
        return False
    if pos > 0 and (state.src[pos - 1].isalnum() or state.src[pos - 1] in "_-.+@/\\`"):
        return False
    match = NARRATIVE.match(state.src, pos)
    if not match:
        return False
    if not silent:
        _push_mark(state, match.group(), narrative=True)
    state.pos = match.end()
    return True


def _push_mark(state: StateInline, text: str, narrative: bool = False) -> None:
    import html

    kind = f"{MARK} narrative" if narrative else MARK
    state.push("html_inline", "", 0).content = f'<cite class="{kind}">{html.escape(text, quote=False)}</cite>'


def load_sources(article: Article, reads: list[str], warnings: Warnings) -> Any:
    """The article's bibliography, or None when it names none."""
    from citeproc.source.json import CiteProcJSON

    names = article.meta.bibliography
    if not names:
        return None
    line = article.key_lines.get("bibliography")
    merged: Any = None
    for name in names:
        if not (article.source.parent / name).exists() and not name.startswith(("/", "file:", "..")):
            # A paper sent without its .bib (JOSS papers name paper.bib): the text still prints.
            warn(warnings, f"bibliography not found: {name}; its citations are printed as written", article.display_path, line)
            continue
        path = resolve_project_file(article, name, "bibliography", line)
        reads.append(str(path))  # the cache rebuilds the article when the file changes
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(path.read_text(encoding="utf-8"))
                source: Any = CiteProcJSON(data if isinstance(data, list) else [data])
            elif path.suffix.lower() == ".bib":
                source = CiteProcJSON(bibtex.read(path.read_text(encoding="utf-8")))
            else:
                raise BuildError(f"bibliography '{name}' must be BibTeX (.bib) or CSL JSON (.json)", article.display_path, line)
        except bibtex.BibTeXError as exc:
            raise BuildError(f"bibliography '{name}' cannot be read: line {exc.line}: {exc}", article.display_path, line) from None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise BuildError(f"bibliography '{name}' cannot be read: {exc}", article.display_path, line) from None
        if merged is None:
            merged = source
        else:
            merged.update(source)  # a citeproc-py source is a dict of its entries
    return merged


def load_style(article: Article, reads: list[str]) -> Any:
    """The article's CSL style (``csl:``, else the default), adapted by :func:`adapted`."""
    from citeproc import CitationStylesStyle

    name = article.meta.csl or DEFAULT_STYLE
    line = article.key_lines.get("csl")
    if name.lower().endswith(".csl"):
        path = resolve_project_file(article, name, "CSL style", line)
        reads.append(str(path))
        try:
            return adapted(CitationStylesStyle(str(path), validate=False))
        except Exception as exc:  # lxml or citeproc-py: not a CSL style
            raise BuildError(f"CSL style '{name}' cannot be read: {exc}", article.display_path, line) from None
    try:
        style = CitationStylesStyle(name, validate=False)
    except Exception:
        raise BuildError(f"unknown CSL style '{name}': name a .csl file beside the article", article.display_path, line) from None
    return adapted(style)


def adapted(style: Any, mark_names: bool = False) -> Any:
    """A copy of ``style`` saying in terms citeproc-py follows what it would otherwise miss:
    ``initialize="false"`` on a name (CSL 1.0.1: given names printed in full; citeproc-py
    initialises wherever ``initialize-with`` is inherited, so the style-wide ``initialize-with``
    moves onto the names that do initialise), and ``text-case="sentence"`` as CSL 1.0.2 means it
    for a title already in sentence case (capitalise the first word). ``mark_names``: each name list rendered between
    :data:`NAMES` (for :func:`_author_form`)."""
    from io import BytesIO

    from citeproc import CitationStylesStyle

    root = etree.fromstring(etree.tostring(style.root))
    csl = "{http://purl.org/net/xbiblio/csl}"
    inherited = root.get("initialize-with")
    sections = [root.find(f"{csl}citation"), root.find(f"{csl}bibliography")]
    if inherited is not None and not any(section is not None and section.get("initialize-with") is not None for section in sections):
        del root.attrib["initialize-with"]
        for name in root.iter(f"{csl}name"):
            if name.get("initialize") != "false" and name.get("initialize-with") is None:
                name.set("initialize-with", inherited)
    _sort_by_family_names(root)
    for element in root.iter():
        if element.get("text-case") == "sentence":
            # CSL 1.0.2: a title is stored in sentence case, and "sentence" then only capitalises its
            # first word; citeproc-py lowers every other word (“ParaView: an end-user tool”)
            element.set("text-case", "capitalize-first")
    if mark_names:
        for names in root.iter(f"{csl}names"):
            names.set("prefix", NAMES[0] + names.get("prefix", ""))
            names.set("suffix", names.get("suffix", "") + NAMES[1])
    return CitationStylesStyle(BytesIO(etree.tostring(root)), validate=False)


@dataclass
class Pending:
    """A citation found in the text, registered with citeproc-py, waiting to be rendered."""

    mark: lxml.html.HtmlElement
    citation: Any
    items: list[Any]
    mode: str  # "normal", "suppress-author" ([-@key]) or "in-text" (@key)


def cite(root: lxml.html.HtmlElement, article: Article, reads: list[str], warnings: Warnings, locate: Callable[[str], int | None]) -> int:
    """Format every citation the parser marked and add the references; returns how many
    citations were linked."""
    marks = root.xpath(f".//cite[starts-with(@class, '{MARK}')]")
    if not marks and not article.meta.bibliography:
        return 0
    source = load_sources(article, reads, warnings)
    if source is None:
        for mark in marks:
            mark.drop_tag()
        return 0
    from citeproc import Citation, CitationStylesBibliography, formatter

    style = load_style(article, reads)
    bibliography = CitationStylesBibliography(style, source, formatter.html)
    known = {str(key).lower() for key in source}
    pending = []
    for mark in marks:
        narrative = "narrative" in mark.get("class", "")
        found = _narrative_items(mark.text_content(), known) if narrative else _items(mark, known, warnings, article, locate)
        if found is None:
            mark.drop_tag()
            continue
        items, mode = found
        citation = Citation(items)
        bibliography.register(citation)
        pending.append(Pending(mark, citation, items, mode))
    if not pending:
        return 0
    bibliography.sort()
    marked = _marked_bibliography(style, source, pending) if any(p.mode != "normal" for p in pending) else None
    quotes = _punctuation_in_quote(style)
    written_order = "citation-number" not in etree.tostring(style.root, encoding="unicode")
    for entry in pending:
        text = _render(bibliography, entry, written_order)
        if marked is not None and entry.mode != "normal":
            text = _author_form(str(marked.cite(entry.citation.marked, lambda item: None)), entry.mode) or text
        link = lxml.html.Element("a", {"class": "citation", "href": f"#ref-{entry.items[0].key}", "role": "doc-biblioref"})
        _fill(link, quotes(text))
        link.tail = entry.mark.tail
        entry.mark.getparent().replace(entry.mark, link)
    add_references(root, bibliography, quotes)
    return len(pending)


def _render(bibliography: Any, entry: Pending, written_order: bool) -> str:
    """A citation as the style formats it. A group keeps the order it was written in where the
    style does not sort citations, or sorts two of them alike (CSL); citeproc-py orders a group
    as its bibliography before the style's sort, so the group's keys go first for the moment
    (never in a numbered style, where that order is the numbers)."""
    if not written_order or len(entry.items) < 2:
        return str(bibliography.cite(entry.citation, lambda item: None))
    keys = bibliography.keys
    cited = [item.key for item in entry.items]
    bibliography.keys = cited + [key for key in keys if key not in cited]
    try:
        return str(bibliography.cite(entry.citation, lambda item: None))
    finally:
        bibliography.keys = keys


def _items(
    mark: lxml.html.HtmlElement, known: set[str], warnings: Warnings, article: Article, locate: Callable[[str], int | None]
) -> tuple[list[Any], str] | None:
    """The citeproc-py items of ``[…; …]`` and its mode; None (with a warning) when a key is
    not in the bibliography."""
    text = mark.text_content()
    items, missing, suppressed = [], [], []
    for part in text[1:-1].split(";"):
        match = ITEM.match(part)
        if not match:
            continue
        key = match.group("key").lower()
        if key not in known:
            missing.append(match.group("key"))
            continue
        suppressed.append(bool(match.group("minus")))
        items.append(_item(key, match.group("prefix").strip(), match.group("suffix")))
    for key in missing:
        warn(warnings, f"citation @{key} is not in the bibliography; printed as written", article.display_path, locate(f"@{key}"))
    if missing or not items:
        return None
    # [-@doe99]: the year alone (for a group, each item's author stays: citeproc-py renders a group at once)
    return items, "suppress-author" if suppressed == [True] else "normal"


def _narrative_items(text: str, known: set[str]) -> tuple[list[Any], str] | None:
    match = NARRATIVE.fullmatch(text)
    if not match or match.group("key").lower() not in known:
        return None  # a handle or a decorator, not a citation: stays as written
    suffix = match.group("suffix")
    return [_item(match.group("key").lower(), "", ", " + suffix if suffix else "")], "in-text"


def _item(key: str, prefix: str, suffix: str) -> Any:
    """A citeproc-py item: its locator (``p. 33``) and the words around it (``see``)."""
    from citeproc import CitationItem, Locator

    where: dict[str, Any] = {}
    locator = LOCATOR.match(suffix)
    if locator and suffix.strip():
        label = LABELS[locator.group("label").lower()] if locator.group("label") else "page"
        where["locator"] = Locator(label, locator.group("value"))
        suffix = locator.group("rest")
    if prefix:
        where["prefix"] = prefix + " "
    if suffix.strip():
        where["suffix"] = suffix.rstrip() if suffix.startswith((",", ";")) else " " + suffix.strip()
    return CitationItem(key, **where)


def _marked_bibliography(style: Any, source: Any, pending: list[Pending]) -> Any:
    """A second bibliography, in a copy of the style whose name lists are marked, holding a
    copy of each citation (``citation.marked``): where its author is, for :func:`_author_form`."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter

    marked = CitationStylesBibliography(adapted(style, mark_names=True), source, formatter.html)
    for entry in pending:
        items = [
            CitationItem(item.key, **{name: item[name] for name in ("locator", "prefix", "suffix") if name in item}) for item in entry.items
        ]
        entry.citation.marked = Citation(items)
        marked.register(entry.citation.marked)
    marked.sort()
    return marked


def _author_form(marked: str, mode: str) -> str | None:
    """From a citation rendered with its author marked: the citation without the author
    ("(1999)") or, in the text, the author followed by that ("Doe (1999)"); None when the style
    printed no author there (a numbered style)."""
    start = marked.find(NAMES[0])
    if start < 0:
        return None
    depth, end = 0, start
    for end in range(start, len(marked)):  # the name list's own end (a substitute may hold another)
        depth += {NAMES[0]: 1, NAMES[1]: -1}.get(marked[end], 0)
        if depth == 0:
            break
    author = marked[start + 1 : end]
    before, after = marked[:start], marked[end + 1 :]
    stripped = after.lstrip(" ,;:")
    if stripped.startswith(")") or not stripped:  # the author came last: drop the delimiter before it
        rest = before.rstrip(" ,;:") + after
    else:
        rest = before + stripped
    rest = rest.replace(NAMES[0], "").replace(NAMES[1], "")
    if mode == "suppress-author":
        return rest
    return author.replace(NAMES[0], "").replace(NAMES[1], "") + " " + rest


#: Attributes that format text, left out of sort keys.
FORMATTING = ("font-style", "font-variant", "font-weight", "text-decoration", "vertical-align", "quotes")


def _sort_by_family_names(root: etree._Element) -> None:
    """Sort keys rendered by macros read every name family name first (CSL: sorting uses
    ``name-as-sort-order="all"``) and are plain text; citeproc-py keeps a name's own
    ``name-as-sort-order="first"`` (so "Berger, M., and J. Oliger" sorted before "Berger, M.,
    and P. Colella") and compares the formatted output (an entry without author, its title in
    italics or quotation marks standing in, sorted before or after all others). Each such macro
    (and the macros it calls) gets a copy for sorting, its names in sort order, unformatted."""
    from copy import deepcopy

    csl = "{http://purl.org/net/xbiblio/csl}"
    macros = {macro.get("name"): macro for macro in root.findall(f"{csl}macro")}
    copies: dict[str, str] = {}

    def copy_of(name: str) -> str:
        if name not in copies:
            copies[name] = f"{name}--sort-order"
            macro = deepcopy(macros[name])
            macro.set("name", copies[name])
            for element in macro.iter(f"{csl}name"):
                element.set("name-as-sort-order", "all")
            for element in macro.iter():  # a key is text: citeproc-py would compare "<i>Title" and "“Title"
                for formatting in FORMATTING:
                    if formatting in element.attrib:
                        del element.attrib[formatting]
            for element in macro.iter():
                if (called := element.get("macro")) in macros:
                    element.set("macro", copy_of(str(called)))
            macros[name].addnext(macro)
        return copies[name]

    for key in root.iter(f"{csl}key"):
        if (called := key.get("macro")) in macros:
            key.set("macro", copy_of(str(called)))


def _punctuation_in_quote(style: Any) -> Callable[[str], str]:
    """A function moving a full stop or comma after a closing quotation mark inside it, where the
    style's locale says so (en-US: “Title.”); citeproc-py leaves it outside."""
    try:
        inside = str(style.root.get_locale_option("punctuation-in-quote")).lower() == "true"
        close = str(style.root.get_single_term("close-quote"))
    except Exception:  # a locale without the option or the term
        return lambda text: text
    if not inside or not close:
        return lambda text: text
    pattern = re.compile(re.escape(close) + r"([.,])")
    return lambda text: pattern.sub(lambda match: match.group(1) + close, text)


def _fill(element: lxml.html.HtmlElement, markup: str) -> None:
    fragment = lxml.html.fragment_fromstring(f"<span>{markup}</span>")
    element.text = fragment.text
    for child in fragment:
        element.append(child)


def add_references(root: lxml.html.HtmlElement, bibliography: Any, quotes: Callable[[str], str]) -> None:
    """The cited entries, in the style's order, where ``<div id="refs">`` is or at the end.
    Each is rendered without the locator of the citation that registered it."""
    from citeproc import Citation, CitationItem

    plain = [CitationItem(key) for key in bibliography.keys]
    Citation(plain).bibliography = bibliography
    bibliography.items = plain
    section = lxml.html.Element("section", {"class": "references", "role": "doc-bibliography", "aria-label": "References"})
    heading = etree.SubElement(section, "h2")
    heading.text = "References"
    entries = etree.SubElement(section, "ul", {"class": "references"})
    for key, entry in zip(bibliography.keys, bibliography.bibliography(), strict=False):
        item = etree.SubElement(entries, "li", {"id": f"ref-{key}"})
        _fill(item, quotes(str(entry)))
    place = root.xpath(".//div[@id='refs']")
    if place:
        section.tail = place[0].tail
        place[0].getparent().replace(place[0], section)
    else:
        root.append(section)
