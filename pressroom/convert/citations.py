"""Citations in Pandoc's syntax, formatted by citeproc-py in a CSL style.

An article whose front matter names ``bibliography:`` (BibTeX ``.bib`` or CSL JSON ``.json``,
relative to the article; one file or a list) may cite its entries as Pandoc authors do:
``[@doe99]``, ``[@doe99, p. 33; @smith04]``, ``[see @doe99, chap. 2]``. ``csl:`` names a CSL
style file (relative to the article) or a style citeproc-py bundles; the default is
``harvard-cite-them-right``. Each citation becomes a link (``role="doc-biblioref"``) to its
entry in a references section (``role="doc-bibliography"``), put where the article has
``<div id="refs"></div>`` or else at its end. A key the bibliography lacks is a warning naming
its line; the citation is then printed as written.

The parser (:mod:`.commonmark`) only marks bracketed citations as ``<cite class="citation">``
holding their text; they are formatted here, after every one has been registered, in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import lxml.etree as etree
import lxml.html

from pressroom.load.assets import resolve_project_file
from pressroom.model import Article, BuildError, Warnings, warn

if TYPE_CHECKING:
    from markdown_it.rules_inline import StateInline

DEFAULT_STYLE = "harvard-cite-them-right"
KEY = r"[\w][\w:.#$%&+?<>~/-]*(?<![.:])"
ITEM = re.compile(rf"^\s*(?P<prefix>[^@;]*?)\s*-?@(?P<key>{KEY})(?P<suffix>[^;]*)$")
GROUP = re.compile(rf"\[(?P<body>[^\[\]\n]*?-?@{KEY}[^\[\]\n]*)\]")
LOCATOR = re.compile(r"^,?\s*(?P<label>pp?|pages?|chap|chapter|sec|section|vol|volume)\.?\s*(?P<value>\S.*?)\s*$", re.I)
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
        import html

        state.push("html_inline", "", 0).content = f'<cite class="{MARK}">{html.escape(match.group(), quote=False)}</cite>'
    state.pos = match.end()
    return True


def load_sources(article: Article, reads: list[str], warnings: Warnings) -> Any:
    """The article's bibliography, or None when it names none."""
    from citeproc.source.bibtex import BibTeX
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
                with path.open(encoding="utf-8") as file:
                    source = BibTeX(file)
            else:
                raise BuildError(f"bibliography '{name}' must be BibTeX (.bib) or CSL JSON (.json)", article.display_path, line)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise BuildError(f"bibliography '{name}' cannot be read: {exc}", article.display_path, line) from None
        if merged is None:
            merged = source
        else:
            merged.update(source)  # a citeproc-py source is a dict of its entries
    return merged


def load_style(article: Article, reads: list[str]) -> Any:
    from citeproc import CitationStylesStyle

    name = article.meta.csl or DEFAULT_STYLE
    line = article.key_lines.get("csl")
    if name.lower().endswith(".csl"):
        path = resolve_project_file(article, name, "CSL style", line)
        reads.append(str(path))
        try:
            return CitationStylesStyle(str(path), validate=False)
        except Exception as exc:  # lxml or citeproc-py: not a CSL style
            raise BuildError(f"CSL style '{name}' cannot be read: {exc}", article.display_path, line) from None
    try:
        return CitationStylesStyle(name, validate=False)
    except Exception:
        raise BuildError(f"unknown CSL style '{name}': name a .csl file beside the article", article.display_path, line) from None


def cite(root: lxml.html.HtmlElement, article: Article, reads: list[str], warnings: Warnings, locate: Callable[[str], int | None]) -> int:
    """Format every citation the parser marked and add the references; returns how many
    citations were linked."""
    marks = root.xpath(f".//cite[@class='{MARK}']")
    if not marks and not article.meta.bibliography:
        return 0
    source = load_sources(article, reads, warnings)
    if source is None:
        for mark in marks:
            mark.drop_tag()
        return 0
    from citeproc import Citation, CitationItem, CitationStylesBibliography, Locator, formatter

    bibliography = CitationStylesBibliography(load_style(article, reads), source, formatter.html)
    known = {str(key).lower() for key in source}
    pending = []
    for mark in marks:
        text = mark.text_content()
        items, missing, prefixes = [], [], []
        for part in text[1:-1].split(";"):
            match = ITEM.match(part)
            if not match:
                continue
            if match.group("prefix").strip():
                prefixes.append(match.group("prefix").strip())
            key = match.group("key").lower()
            if key not in known:
                missing.append(match.group("key"))
                continue
            locator = LOCATOR.match(match.group("suffix"))
            where = {"locator": Locator(LABELS[locator.group("label").lower()], locator.group("value"))} if locator else {}
            items.append(CitationItem(key, **where))
        for key in missing:
            warn(warnings, f"citation @{key} is not in the bibliography; printed as written", article.display_path, locate(f"@{key}"))
        if missing or not items:
            mark.drop_tag()
            continue
        citation = Citation(items)
        bibliography.register(citation)
        pending.append((mark, citation, items, prefixes))
    for mark, citation, items, prefixes in pending:
        text = bibliography.cite(citation, lambda item: None)
        link = lxml.html.Element("a", {"class": "citation", "href": f"#ref-{items[0].key}", "role": "doc-biblioref"})
        _fill(link, str(text))
        link.tail = mark.tail
        if prefixes:  # "[see @doe99]": citeproc-py has no prefixes; the words stay, before the citation
            _append_text(mark, " ".join(prefixes) + " ")
        mark.getparent().replace(mark, link)
    if pending:
        add_references(root, bibliography)
    return len(pending)


def _append_text(mark: lxml.html.HtmlElement, text: str) -> None:
    """Put ``text`` just before ``mark`` in its parent."""
    previous = mark.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent = mark.getparent()
        parent.text = (parent.text or "") + text


def _fill(element: lxml.html.HtmlElement, markup: str) -> None:
    fragment = lxml.html.fragment_fromstring(f"<span>{markup}</span>")
    element.text = fragment.text
    for child in fragment:
        element.append(child)


def add_references(root: lxml.html.HtmlElement, bibliography: Any) -> None:
    """The cited entries, in the style's order, where ``<div id="refs">`` is or at the end."""
    section = lxml.html.Element("section", {"class": "references", "role": "doc-bibliography", "aria-label": "References"})
    heading = etree.SubElement(section, "h2")
    heading.text = "References"
    entries = etree.SubElement(section, "ul", {"class": "references"})
    for key, entry in zip(bibliography.keys, bibliography.bibliography(), strict=False):
        item = etree.SubElement(entries, "li", {"id": f"ref-{key}"})
        _fill(item, str(entry))
    place = root.xpath(".//div[@id='refs']")
    if place:
        section.tail = place[0].tail
        place[0].getparent().replace(place[0], section)
    else:
        root.append(section)
