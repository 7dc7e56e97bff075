"""Each footnote on the page that calls it, as in print typesetting.

The handout's stylesheet asks for ``footnote-policy: line``, which WeasyPrint 70 honours when the
line that calls a note is laid out: a note that does not fit takes its calling line to the next
page. WeasyPrint still defers a note already placed when a *later* line needs its room (to keep a
paragraph's orphans and widows), and then the note prints a page after its call.
:func:`keep_notes_with_calls` finds such notes in the laid-out pages and lays the document out
again with a page break before each block that calls one (when that block begins in the lower
half of its page), until every note is on its call's page. A document without displaced notes is laid out once: the check only reads the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pressroom.convert.pagemap import INDEX

LOWEST_BREAK = 0.5  # a block is moved to the next page only from the lower half of its page
MAX_PASSES = 4  # each pass moves at least one block; more would be a layout that does not settle


def _calls(box: Any, block: Any = None) -> Iterator[tuple[Any, Any]]:
    """The footnote calls below ``box`` (not in margins or the footnote area), each with the
    block-level box that holds its line."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return
    if getattr(box, "footnote", None) is not None:
        yield box, block
        return
    if isinstance(box, boxes.BlockBox) and getattr(box, "element", None) is not None:
        block = box
    for child in getattr(box, "children", ()):
        yield from _calls(child, block)


def displaced_notes(pages: list[Any]) -> dict[str, tuple[int, int, str | None]]:
    """Notes printed on another page than their call: note id → (call page, note page, the
    ``data-pr`` index of the block that holds the call, None when moving it would leave more than
    half the page empty). Pages count from 0."""
    note_pages: dict[str, int] = {}
    for number, page in enumerate(pages):
        for ident in page.anchors:
            note_pages.setdefault(ident, number)
    displaced = {}
    for number, page in enumerate(pages):
        for call, block in _calls(page._page_box):
            ident = call.footnote.element.get("id")
            if ident is None or note_pages.get(ident, number) == number:
                continue
            # Moving a block that starts high on the page would leave it half empty: not done.
            movable = block is not None and block.position_y > page.height * LOWEST_BREAK
            index = block.element.get(INDEX) if movable else None
            displaced[ident] = (number, note_pages[ident], index)
    return displaced


def with_page_breaks(html: str, indices: set[str]) -> str:
    """``html`` with a page break before each element whose ``data-pr`` index is given."""
    selectors = ", ".join(f'[{INDEX}="{index}"]' for index in sorted(indices))
    return html.replace("</head>", f"<style>{selectors} {{ break-before: page; }}</style>\n</head>", 1)


def keep_notes_with_calls(html: str, rendered: Any, render: Callable[[str], Any]) -> Any:
    """The document laid out so that each note prints on its call's page (see the module's
    docstring); ``render`` lays out an HTML string. A note that cannot join its call (the block
    that calls it already begins a page: the note is taller than what is left of it) is left
    where WeasyPrint put it, and so is one called from a block that begins high on its page."""
    if 'class="footnote"' not in html:
        return rendered
    breaks: set[str] = set()
    for _ in range(MAX_PASSES):
        wanted = {index for _, _, index in displaced_notes(rendered.pages).values() if index is not None}
        if wanted <= breaks:
            break
        breaks |= wanted
        rendered = render(with_page_breaks(html, breaks))
    return rendered
