"""Where each printed page begins: read off the laid-out handout, for the EPUB's page-list.

The first piece of body text on each page names its element (by the ``data-pr`` index
:mod:`pressroom.convert.pagemap` gave it) and how many characters of that element's own text
came before it on earlier pages; :func:`pressroom.convert.pagemap.insert_markers` puts the
page-break marker at exactly that point.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from pressroom.convert.pagemap import INDEX, PageStart, counted, own_text_length


def _content_boxes(box: Any) -> Iterator[Any]:
    """Text and image boxes of a page's body in reading order (no margins, no footnote area)."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return
    if isinstance(box, boxes.TextBox) or isinstance(box, boxes.ReplacedBox):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _content_boxes(child)


def page_starts(pages: Sequence[Any]) -> tuple[PageStart, ...]:
    """For each laid-out page after the first, where in the body it begins."""
    from weasyprint.formatting_structure import boxes

    seen: dict[str, int] = defaultdict(int)
    lengths: dict[str, int] = {}  # own_text_length per element, counted once (long paragraphs span many boxes)
    parts: dict[str, list[Any]] = defaultdict(list)
    starts: list[PageStart] = []
    for number, page in enumerate(pages, start=1):
        first = True
        for box in _content_boxes(page._page_box):
            element = getattr(box, "element", None)
            index = element.get(INDEX) if element is not None else None
            if index is None or "::" in (getattr(box, "element_tag", "") or ""):
                continue
            if isinstance(box, boxes.TextBox):
                if element not in parts[index]:  # a paragraph split to move a footnote's calling line
                    parts[index].append(element)  # has two elements with one index: count both
                    lengths[index] = lengths.get(index, 0) + own_text_length(element)
                if not box.text.strip() or seen[index] >= lengths[index]:
                    continue  # blank, or repeated (a table header on a following page)
                if first and number > 1:
                    starts.append(PageStart(number, index, seen[index]))
                seen[index] += counted(box.text)
            elif first and number > 1:
                starts.append(PageStart(number, index, None))
            first = False
    return tuple(starts)
