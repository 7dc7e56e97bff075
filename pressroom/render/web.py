"""The web edition: ``dist/<slug>/index.html``, a standalone page with its fonts and images.

The body is the EPUB's (same tree, same notes), serialised as HTML5 without EPUB-only
attributes; the stylesheet is ``web.css`` with the bundled ``fonts.css`` and ``code.css``.
"""

from __future__ import annotations

from pathlib import Path

from pressroom.convert.dialects import collapsible_for_web
from pressroom.convert.markdown import Document, serialise
from pressroom.model import Article
from pressroom.render.layouts import LayoutFiles, markup, render

FONT_FILES = "fonts"


def web_files(article: Article, document: Document, search_path: tuple[Path, ...], downloads: list[dict[str, str]]) -> dict[str, bytes]:
    """Every file of the web edition, by path relative to its folder."""
    files = LayoutFiles(search_path)
    tree = document.epub_tree()
    for element in tree.iter():
        if isinstance(element.tag, str):
            for name in [n for n in element.attrib if n.startswith("epub:")]:
                del element.attrib[name]
    collapsible_for_web(tree)
    notes = [{"id": n.id, "html": markup(n.html)} for n in document.notes]
    page = render(search_path, "web.html", meta=article.meta, body=markup(serialise(tree, "html")), notes=notes, downloads=downloads)
    css = "\n".join(files.text(name) for name in ("fonts.css", "code.css", "web.css"))
    output = {"index.html": page.encode("utf-8"), "style.css": css.encode("utf-8")}
    for image in document.images:
        output[image.href] = image.data
    fonts = files.find("fonts.css").parent / FONT_FILES
    for font in sorted(fonts.glob("*.ttf")):
        output[f"{FONT_FILES}/{font.name}"] = font.read_bytes()
    license_file = fonts / "OFL.txt"
    if license_file.is_file():
        output[f"{FONT_FILES}/OFL.txt"] = license_file.read_bytes()
    return output
