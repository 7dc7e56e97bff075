"""Where each printed page begins, carried into the EPUB as page-break markers.

Every element of an article's body carries a ``data-pr`` index into the shared tree. After
WeasyPrint lays out the handout, the first piece of body text on each page names its element and
how many characters of that element's own text came before it on earlier pages. The EPUB then gets
``<span epub:type="pagebreak">`` at exactly that point — mid-paragraph, even mid-word, where the
printed page turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree

INDEX = "data-pr"
#: Characters that layout adds or removes (whitespace, hyphenation hyphen, soft hyphen): not counted.
UNCOUNTED = {" ", "\t", "\n", "\r", "\f", "\u2010", "\u00ad", "\u200b"}


@dataclass(frozen=True)
class PageStart:
    """Printed page ``page`` begins in element ``element`` after ``offset`` counted characters of
    that element's own text (``offset`` is None when the page begins with an image)."""

    page: int
    element: str
    offset: int | None


def counted(text: str) -> int:
    return sum(1 for ch in text if ch not in UNCOUNTED)


def own_text_length(element: Any) -> int:
    """Counted characters of an element's own text (its text and its children's tails)."""
    return counted((element.text or "") + "".join(child.tail or "" for child in element))


def number_elements(root: etree._Element, prefix: str = "") -> None:
    """Give every element below ``root`` its index (the same in both media; ``prefix`` keeps the
    indices of articles gathered in one reader pack apart)."""
    for index, element in enumerate(root.iter()):
        if isinstance(element.tag, str) and element is not root:
            element.set(INDEX, f"{prefix}{index}")


def marker(page: int) -> etree._Element:
    span = lxml.html.Element("span", {"id": f"page-{page}", "role": "doc-pagebreak", "aria-label": str(page)})
    span.set("epub:type", "pagebreak")
    return span


def insert_markers(root: etree._Element, starts: Sequence[PageStart]) -> None:
    """Put a page-break marker where each page begins (``root`` carries ``data-pr`` indices)."""
    elements = {el.get(INDEX): el for el in root.iter() if isinstance(el.tag, str) and el.get(INDEX)}
    # Later offsets first, so that splitting a text does not move the earlier positions.
    for start in sorted(starts, key=lambda s: (s.element, -(s.offset or 0))):
        element = elements.get(start.element)
        if element is None:
            continue
        if start.offset is None:
            span = marker(start.page)
            element.addprevious(span)
            continue
        _insert_in_text(element, start.offset, marker(start.page))


def _insert_in_text(element: etree._Element, offset: int, span: etree._Element) -> None:
    """Insert ``span`` into ``element``'s own text after ``offset`` counted characters."""
    segments: list[tuple[etree._Element | None, str]] = [(None, element.text or "")]
    segments += [(child, child.tail or "") for child in element]
    remaining = offset
    for holder, text in segments:
        available = counted(text)
        if remaining > available or (remaining == available and holder is not segments[-1][0] and available):
            remaining -= available
            continue
        position = 0
        while remaining > 0 and position < len(text):
            if text[position] not in UNCOUNTED:
                remaining -= 1
            position += 1
        while position < len(text) and text[position] in UNCOUNTED:
            position += 1
        span.tail = text[position:]
        if holder is None:
            element.text = text[:position]
            element.insert(0, span)
        else:
            holder.tail = text[:position]
            holder.addnext(span)
        return
    element.append(span)  # the text changed in layout beyond recognition: end of the element
