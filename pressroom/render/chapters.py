"""Long articles in several EPUB files: one per top-level section, so e-readers stay fast.

Links, footnotes, the page-list and the table of contents keep working across files: every id
is mapped to the file it ends up in, and every ``#id`` link is rewritten to ``file#id`` when the
target lives in another file. A note goes into the file of its first reference.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import lxml.html

from pressroom.convert.markdown import Note, serialise

MAX_CHAPTER_BYTES = 250_000
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
SINGLE = "chapter.xhtml"
FIRST_FILE_IDS = ("start", "title", "page-1")  # written by the chapter layout, in the first file


@dataclass
class Chapter:
    """One XHTML file of the article."""

    file: str
    html: str
    notes: list[Note] = field(default_factory=list)
    first: bool = False


def _groups(tree: lxml.html.HtmlElement) -> list[list[lxml.html.HtmlElement]]:
    """The body's top-level children, cut before each heading of the highest level present (or
    one group per article of a reader pack)."""
    if len(tree) and all(child.tag == "section" and "pack-article" in (child.get("class") or "") for child in tree):
        return [[child] for child in tree]
    levels = [int(child.tag[1]) for child in tree if isinstance(child.tag, str) and child.tag in HEADINGS]
    if not levels:
        return [list(tree)]
    top = f"h{min(levels)}"
    groups: list[list[lxml.html.HtmlElement]] = [[]]
    for child in tree:
        if child.tag == top and groups[-1]:
            groups.append([])
        groups[-1].append(child)
    return groups


def split_chapters(
    tree: lxml.html.HtmlElement, notes: Sequence[Note], max_bytes: int = MAX_CHAPTER_BYTES
) -> tuple[list[Chapter], dict[str, str]]:
    """Cut the body into files when it is larger than ``max_bytes`` (a pack: always, one file per
    article); map each id to its file."""
    whole = serialise(tree, "xml")
    is_pack = len(tree) and tree[0].tag == "section" and "pack-article" in (tree[0].get("class") or "")
    groups = _groups(tree) if is_pack or len(whole.encode("utf-8")) > max_bytes else []
    if len(groups) <= 1:
        single = {el.get("id"): SINGLE for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
        single.update({note.id: SINGLE for note in notes})
        single.update(dict.fromkeys(FIRST_FILE_IDS, SINGLE))
        return [Chapter(SINGLE, whole, list(notes), first=True)], single
    parts = []
    for index, group in enumerate(groups, start=1):
        holder = lxml.html.Element("div")
        holder.text = "\n" if index > 1 else tree.text
        for child in group:
            holder.append(copy.deepcopy(child))
        parts.append((f"chapter-{index:02d}.xhtml", holder))
    ids: dict[str, str] = dict.fromkeys(FIRST_FILE_IDS, parts[0][0])
    note_file: dict[str, str] = {}
    for file, holder in parts:
        for element in holder.iter():
            if isinstance(element.tag, str) and element.get("id"):
                ids.setdefault(element.get("id"), file)
        for ref in holder.xpath(".//a[contains(@class, 'footnote-ref')]"):
            note_file.setdefault((ref.get("href") or "#").lstrip("#"), file)
    ids.update(note_file)
    chapters = []
    for file, holder in parts:
        relink(holder, file, ids)
        own_notes = [_relinked_note(note, file, ids) for note in notes if note_file.get(note.id) == file]
        chapters.append(Chapter(file, serialise(holder, "xml"), own_notes, first=file == parts[0][0]))
    return chapters, ids


def relink(tree: lxml.html.HtmlElement, file: str, ids: dict[str, str]) -> None:
    """Point ``#id`` links at the file that holds the id when it is not this one."""
    for link in tree.iter("a"):
        href = link.get("href") or ""
        if href.startswith("#") and ids.get(href[1:], file) != file:
            link.set("href", f"{ids[href[1:]]}{href}")


def _relinked_note(note: Note, file: str, ids: dict[str, str]) -> Note:
    html = re.sub(
        r'href="#([^"]+)"',
        lambda m: f'href="{ids[m.group(1)]}#{m.group(1)}"' if ids.get(m.group(1), file) != file else m.group(0),
        note.epub_html,
    )
    return Note(note.id, note.number, note.ref_id, html, note.html)
