"""The web edition: ``dist/<slug>/index.html``, a standalone page with its fonts and images.

The body is the EPUB's (same tree, same notes), serialised as HTML5 without EPUB-only
attributes; the stylesheet is ``web.css`` with the bundled ``fonts.css`` and ``code.css``. The
links to the PDF, its booklet and the EPUB come first, under the page's top. Each bundled font
the page uses is cut down (fontTools) to the characters the page shows and written as WOFF2:
some 20–40 KB a face instead of the 5 MB of full TrueType fonts; a face the page cannot use (the
monospace one on a page without code) is left out, with its ``@font-face`` rule.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from functools import lru_cache
from pathlib import Path

import lxml.html

from pressroom.convert.dialects import collapsible_for_web
from pressroom.convert.markdown import Document, serialise
from pressroom.model import Article
from pressroom.render.layouts import LayoutFiles, markup, render, theme_css

FONT_FILES = "fonts"


def web_files(
    article: Article,
    document: Document,
    search_path: tuple[Path, ...],
    downloads: list[dict[str, str]],
    store: Path | None = None,
    code: str = "",
) -> dict[str, bytes]:
    """Every file of the web edition, by path relative to its folder. Given a cache folder
    ``store`` (and ``code``, a digest of Pressroom's code), the font subsets are kept there."""
    files = LayoutFiles(search_path)
    tree = document.epub_tree()
    for element in tree.iter():
        if isinstance(element.tag, str):
            for name in [n for n in element.attrib if n.startswith("epub:")]:
                del element.attrib[name]
    collapsible_for_web(tree)
    notes = [{"id": n.id, "html": markup(n.html)} for n in document.notes]
    page = render(search_path, "web.html", meta=article.meta, body=markup(serialise(tree, "html")), notes=notes, downloads=downloads)
    css = "\n".join(files.text(name) for name in ("fonts.css", "code.css", "web.css")) + theme_css(search_path, article.meta, "web")
    output = {"index.html": page.encode("utf-8")}
    for image in document.images:
        output[image.href] = image.data
    fonts = files.find("fonts.css").parent / FONT_FILES
    text = page_characters(page)
    needs_mono = bool(lxml.html.fromstring(page).xpath("//code | //pre | //kbd | //samp"))
    kept: set[str] = set()
    for font in sorted(fonts.glob("*.ttf")):
        if "Mono" in font.name and not needs_mono:
            continue
        name = font.with_suffix(".woff2").name
        output[f"{FONT_FILES}/{name}"] = kept_subset(font, text, store, code)
        kept.add(font.name)
    output["style.css"] = web_font_faces(css, kept).encode("utf-8")
    license_file = fonts / "OFL.txt"
    if license_file.is_file():
        output[f"{FONT_FILES}/OFL.txt"] = license_file.read_bytes()
    return output


#: characters the stylesheets print themselves (list markers, numbers), kept in every subset
GENERATED = "0123456789.–‣•· "
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
TTF_URL = re.compile(r"url\(\s*[\"']?fonts/([\w.-]+)\.ttf[\"']?\s*\)")


def page_characters(page: str) -> str:
    """Every character the page can show with the bundled fonts: its text, its attributes a
    reader sees (alt, title), and what the stylesheets generate."""
    root = lxml.html.fromstring(page)
    body = root.find("body")
    shown = "".join(str(text) for text in body.itertext()) if body is not None else ""
    shown += "".join(
        str(value)
        for element in root.iter()
        if isinstance(element.tag, str)
        for value in (element.get("alt"), element.get("title"))
        if value
    )
    return "".join(sorted(set(shown + GENERATED + GENERATED.upper())))


def web_font_faces(css: str, kept: set[str]) -> str:
    """The stylesheet with each kept face pointing at its WOFF2 subset and the others' rules gone."""

    def face(match: re.Match[str]) -> str:
        rule = match.group()
        font = TTF_URL.search(rule)
        if font is None:
            return rule
        if f"{font.group(1)}.ttf" not in kept:
            return ""
        return TTF_URL.sub(lambda m: f'url({FONT_FILES}/{m.group(1)}.woff2) format("woff2")', rule)

    return FONT_FACE.sub(face, css)


def kept_subset(font: Path, text: str, folder: Path | None, code: str) -> bytes:
    """:func:`woff2_subset`, kept in ``folder`` between builds: a page rebuilt after an edit
    that brings no new character (most edits) does not subset its fonts again (~1 s)."""
    status = font.stat()
    if folder is None:
        return woff2_subset(font, status.st_mtime_ns, text)
    material = json.dumps([str(font), status.st_size, status.st_mtime_ns, text, code])
    stored = folder / f"font-{hashlib.sha256(material.encode()).hexdigest()[:32]}.woff2"
    try:
        data = stored.read_bytes()
    except OSError:
        data = b""
    if data[:4] == b"wOF2" and int.from_bytes(data[8:12], "big") == len(data):  # whole: its header gives its length
        return data
    data = woff2_subset(font, status.st_mtime_ns, text)
    from pressroom.store.files import write_atomic

    try:
        write_atomic(stored, data, durable=False)  # one lost in a crash is only made again
    except OSError:
        pass  # an unwritable cache only costs the next build this subset
    return data


@lru_cache(maxsize=64)
def woff2_subset(font: Path, version: int, text: str) -> bytes:
    """``font`` cut down to the glyphs ``text`` needs (with their kerning, ligatures and the
    licence's name records), as WOFF2; the same input gives the same bytes. ``version`` (the
    file's mtime) keeps the cache honest when a project edits its fonts."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False  # screens hint for themselves; the hints are most of a TrueType font
    options.desubroutinize = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # the copyright and the OFL licence stay with the font
    options.name_languages = ["*"]
    options.layout_features = ["kern", "liga", "clig", "calt", "ccmp", "locl", "mark", "mkmk", "rlig", "onum", "lnum", "tnum"]
    tt = TTFont(str(font), recalcTimestamp=False, lazy=True)  # as fontTools' own subsetter: only what is kept is read
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(tt)
    out = io.BytesIO()
    tt.flavor = "woff2"
    tt.save(out, reorderTables=False)
    return out.getvalue()
