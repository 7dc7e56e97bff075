"""Each footnote on the page that calls it, as in print typesetting.

The handout's stylesheet asks for ``footnote-policy: line``, which WeasyPrint 70 honours when the
line that calls a note is laid out: a note that does not fit takes its calling line to the next
page. WeasyPrint still defers a note already placed when a *later* line needs its room (to keep a
paragraph's orphans and widows, or to balance two columns), and then the note prints a page after
its call. :func:`keep_notes_with_calls` finds such notes in the laid-out pages and lays the
document out again with the calling line moved to the next page:

1. read the pages: for every call, its page, the line that holds it, the block of that line (by
   its ``data-pr`` index) and how many characters of the block's text come before the line;
2. on the first page with a displaced note, move each calling line: a line that begins its block
   moves the block (``break-before: page``); any other line splits its paragraph there, in the
   print HTML only, into two blocks with the same ``data-pr`` index (so the EPUB's page map still
   counts the paragraph's text as one): the first ends without a bottom margin and with its last
   line justified, as it was; the second begins the next page, without a first-line indent;
3. lay out again and repeat from the next page on (earlier pages no longer change).

A document without displaced notes is laid out once: the check only reads the pages. A note
whose calling line already begins a page (the note alone is taller than the page's body) is left
where WeasyPrint put it and reported, and so is a note WeasyPrint did not print at all.
"""

from __future__ import annotations

import copy
import gc
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pressroom.convert.pagemap import INDEX, counted

MAX_PASSES = 12  # each pass settles at least one more page; more is a layout that does not settle
BEFORE = "pr-turn-before"  # the part of a split paragraph that ends a page
AFTER = "pr-turn-after"  # the part that begins the next one
TURN_CSS = (
    f".{BEFORE} {{ margin-bottom: 0 !important; padding-bottom: 0 !important; text-align-last: justify; }}\n"
    f".{AFTER} {{ break-before: page; text-indent: 0 !important; margin-top: 0 !important; padding-top: 0 !important; }}\n"
)
SPLITTABLE = frozenset({"p"})  # a list item or a cell would gain a marker or lose its row
HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character: a line that begins mid-word ends the part before with it


@dataclass
class Call:
    """One footnote call as laid out: ``page`` counts from 0; ``block`` is the ``data-pr`` index of
    the block whose line holds it, ``offset`` the counted characters of that block's text before
    the line, ``tag`` the block's tag; ``first`` says the line is the first thing on its page."""

    note: str
    page: int
    block: str | None
    offset: int
    tag: str
    first: bool


@dataclass
class Moves:
    """The calling lines moved so far: block index → counted offsets (0: the whole block)."""

    at: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def add(self, call: Call) -> bool:
        if call.block is None:
            return False
        offset = call.offset if call.tag in SPLITTABLE else 0
        if offset in self.at[call.block]:
            return False
        self.at[call.block].add(offset)
        return True


def _is_pseudo(box: Any) -> bool:
    return "::" in (getattr(box, "element_tag", "") or "")


def _calls_on_page(page_box: Any, number: int, seen: dict[str, int]) -> Iterator[Call]:
    """The calls of one page in reading order; ``seen`` counts, per block index, the characters
    of its text laid out so far (carried from page to page)."""
    from weasyprint.formatting_structure import boxes

    first = True

    def walk(box: Any, block: Any) -> Iterator[Call]:
        nonlocal first
        if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            return
        if isinstance(box, boxes.LineBox):
            element = block.element if block is not None else None
            index = element.get(INDEX) if element is not None else None
            before = seen[index] if index is not None else 0
            text = 0
            for inner in box.descendants():
                if getattr(inner, "footnote", None) is not None:
                    ident = inner.footnote.element.get("id")
                    if ident is not None:
                        yield Call(ident, number, index, before, element.tag if element is not None else "", first)
                elif isinstance(inner, boxes.TextBox) and not _is_pseudo(inner):
                    text += counted(inner.text)
            if index is not None:
                seen[index] += text
            first = False
            return
        if isinstance(box, boxes.ReplacedBox):
            first = False
            return
        if isinstance(box, boxes.BlockContainerBox) and getattr(box, "element", None) is not None:
            block = box
        for child in getattr(box, "children", ()):
            yield from walk(child, block)

    yield from walk(page_box, None)


def laid_out_calls(pages: list[Any]) -> list[Call]:
    """Every footnote call of the laid-out pages, in reading order."""
    seen: dict[str, int] = defaultdict(int)
    return [call for number, page in enumerate(pages) for call in _calls_on_page(page._page_box, number, seen)]


def note_pages(pages: list[Any]) -> dict[str, int]:
    """Element id → the first page (from 0) it is printed on."""
    found: dict[str, int] = {}
    for number, page in enumerate(pages):
        for ident in page.anchors:
            found.setdefault(ident, number)
    return found


@dataclass
class Outcome:
    """The laid-out document, and the notes that could not join their call: ``too_tall`` (the
    calling line already begins its page) and ``lost`` (WeasyPrint printed no text for them)."""

    rendered: Any
    too_tall: list[str]
    lost: list[str]


def keep_notes_with_calls(html: str, rendered: Any, render: Callable[[str], Any]) -> Outcome:
    """The document laid out so that each note prints on its call's page (see the module's
    docstring); ``render`` lays out an HTML string."""
    if 'class="footnote"' not in html:
        return Outcome(rendered, [], [])
    moves = Moves()
    too_tall: list[str] = []
    for _ in range(MAX_PASSES):
        calls = laid_out_calls(rendered.pages)
        placed = note_pages(rendered.pages)
        displaced = [c for c in calls if placed.get(c.note) != c.page]  # a note not printed too
        too_tall = [c.note for c in displaced if c.first and c.note in placed]
        movable = [c for c in displaced if not c.first]
        if not movable:
            break
        page = movable[0].page  # later pages change once this one does: settle one page a pass
        if not any([moves.add(c) for c in movable if c.page == page]):
            too_tall += [c.note for c in movable]  # moved already, and still apart
            break
        rendered = None  # the layout replaced is freed before the next is made, not after
        if not gc.isenabled():  # a one-off build runs without the collector: WeasyPrint's boxes hold cycles
            gc.collect()
        rendered = render(with_moves(html, moves.at))
    else:
        calls = laid_out_calls(rendered.pages)
        placed = note_pages(rendered.pages)
        too_tall = [c.note for c in calls if c.note in placed and placed[c.note] != c.page]
    lost = [ident for ident in note_ids(html) if ident not in placed]
    return Outcome(rendered, sorted(set(too_tall), key=too_tall.index), lost)


_NOTE = re.compile(r'<span class="footnote" id="([^"]+)"')


def note_ids(html: str) -> list[str]:
    """The ids of the notes in the handout's HTML, in order."""
    return _NOTE.findall(html)


# -- moving lines in the print HTML ------------------------------------------------------------


def with_moves(html: str, moves: dict[str, set[int]]) -> str:
    """``html`` with a page break before each moved block, and each moved line of a paragraph
    beginning a block of its own (see the module's docstring)."""
    import lxml.html

    for index in sorted(moves, key=lambda i: -html.find(f'{INDEX}="{i}"')):
        span = _element_span(html, index)
        if span is None:
            continue
        start, end = span
        element = lxml.html.fragment_fromstring(html[start:end])
        parts = _split(element, sorted(moves[index]))
        html = html[:start] + "".join(lxml.html.tostring(part, encoding="unicode") for part in parts) + html[end:]
    return html.replace("</head>", f"<style>\n{TURN_CSS}</style>\n</head>", 1)


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")


def _element_span(html: str, index: str) -> tuple[int, int] | None:
    """Where in ``html`` the element with this ``data-pr`` index begins and ends."""
    found = re.search(rf'<([a-zA-Z][a-zA-Z0-9]*)\b[^>]*\s{INDEX}="{re.escape(index)}"[^>]*>', html)
    if found is None:
        return None
    name, depth = found.group(1).lower(), 1
    for tag in _TAG.finditer(html, found.end()):
        if tag.group(2).lower() != name or tag.group(3):
            continue
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return found.start(), tag.end()
    return None


def _add_class(element: Any, name: str) -> None:
    element.set("class", " ".join(filter(None, [element.get("class"), name])))


def _split(element: Any, offsets: list[int]) -> list[Any]:
    """``element`` cut before each counted offset (0: a page break before it): the parts, each a
    copy with the same attributes (ids only on the first)."""
    parts: list[Any] = []
    rest = element
    done = 0
    if offsets and offsets[0] == 0:
        _add_class(rest, AFTER)
        offsets = offsets[1:]
    for offset in offsets:
        point = _point(rest, offset - done)
        if point is None:
            break
        head, tail = copy.deepcopy(rest), copy.deepcopy(rest)
        _cut_after(head, *point)
        _cut_before(tail, *point)
        _add_class(head, BEFORE)
        classes = [c for c in (tail.get("class") or "").split() if c != BEFORE]
        tail.set("class", " ".join([*classes, AFTER]) if AFTER not in classes else " ".join(classes))
        for node in tail.iter():
            if node is not tail and isinstance(node.tag, str) and "footnote" not in (node.get("class") or "").split():
                if node.get("id") is not None and head.xpath(f'.//*[@id="{node.get("id")}"]'):
                    del node.attrib["id"]
        tail.attrib.pop("id", None)
        parts.append(head)
        rest, done = tail, offset
    parts.append(rest)
    return parts


def _segments(element: Any, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], str, str]]:
    """(path to a node, "text" or "tail", the string) in reading order, notes skipped."""
    yield path, "text", element.text or ""
    for number, child in enumerate(element):
        if isinstance(child.tag, str) and "footnote" not in (child.get("class") or "").split():
            yield from _segments(child, (*path, number))
        yield (*path, number), "tail", child.tail or ""


def _point(element: Any, offset: int) -> tuple[tuple[int, ...], str, int, bool] | None:
    """Where the counted character number ``offset`` of ``element``'s text is: (path, "text" or
    "tail", position in that string, whether it falls inside a word)."""
    remaining = offset
    previous = ""
    for path, where, text in _segments(element):
        for position, character in enumerate(text):
            if character in " \t\n\r\f\u00ad\u200b\u2010":
                if character.isspace():
                    previous = " "
                continue
            if remaining == 0:
                return path, where, position, previous not in ("", " ")
            remaining -= 1
            previous = character
    return None


def _node(element: Any, path: tuple[int, ...]) -> Any:
    for number in path:
        element = element[number]
    return element


def _cut_after(root: Any, path: tuple[int, ...], where: str, position: int, mid_word: bool) -> None:
    """Remove from ``root`` everything from the point on (ending with a hyphen when the point
    falls inside a word, as the line did)."""
    node = _node(root, path)
    end = HYPHEN if mid_word else ""
    if where == "text":
        node.text = node.text[:position].rstrip("\u00ad") + end
        for child in list(node):
            node.remove(child)
        current = node
    else:
        node.tail = node.tail[:position].rstrip("\u00ad") + end
        for sibling in list(node.itersiblings()):
            node.getparent().remove(sibling)
        current = node.getparent()
    while current is not root:
        current.tail = None
        for sibling in list(current.itersiblings()):
            current.getparent().remove(sibling)
        current = current.getparent()


def _cut_before(root: Any, path: tuple[int, ...], where: str, position: int, mid_word: bool) -> None:
    """Remove from ``root`` everything before the point."""
    node = _node(root, path)
    if where == "text":
        node.text = node.text[position:]
        current = node
    else:
        parent = node.getparent()
        for sibling in list(node.itersiblings(preceding=True)):
            parent.remove(sibling)
        parent.text = node.tail[position:]
        node.tail = None
        parent.remove(node)
        current = parent
    while current is not root:
        parent = current.getparent()
        for sibling in list(current.itersiblings(preceding=True)):
            parent.remove(sibling)
        parent.text = None
        current = parent
