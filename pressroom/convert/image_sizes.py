"""The width an author gives a raw HTML image, kept as a size the layouts can trust.

READMEs and hand-written HTML size images with ``<img width="300">``, ``width="50%"`` or
``style="width: 50%"``. The sanitiser lets the ``width`` style property through (for this step
only); here every element but ``<img>`` loses it again, and an image's width — its style's, else
its ``width`` attribute's — is kept when it is a plain length in ``%`` (up to 100), ``px`` (up to
2000) or ``em``/``rem`` (up to 100), rewritten by Pressroom as ``style="width: …"``. The
stylesheets' ``max-width: 100%`` keeps any of them inside the text block; WeasyPrint does not read
``width`` attributes at all, so the style is what the handout sees. Any other width (``calc()``,
``vw``, a negative or huge one) is dropped with a warning at its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.html

from pressroom.model import Article, Warnings, warn

WIDTH = re.compile(r"^\s*(\d{1,5}(?:\.\d+)?|\.\d+)\s*(%|px|em|rem)?\s*$", re.I)
LIMITS = {"%": 100.0, "px": 2000.0, "em": 100.0, "rem": 100.0}
SIZING = {"width", "height", "min-width", "max-width", "min-height", "max-height"}


def _declarations(style: str) -> list[tuple[str, str]]:
    parts = (part.split(":", 1) for part in style.split(";") if ":" in part)
    return [(name.strip().lower(), value.strip()) for name, value in parts]


def safe_width(value: str, attribute: bool = False) -> str | None:
    """``value`` as a width Pressroom keeps (``50%``, ``300px``, ``12em``), or None.

    A unitless number is pixels in an attribute (HTML's meaning) and refused in a style."""
    match = WIDTH.match(value)
    if not match:
        return None
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    if not unit:
        if not attribute:
            return None
        unit = "px"
    if not 0 < number <= LIMITS[unit]:
        return None
    return f"{number:g}{unit}"


def keep_image_widths(root: lxml.html.HtmlElement, article: Article, warnings: Warnings, locate: Callable[[str], int | None]) -> None:
    """Rewrite every image's width as a safe ``style`` width; remove sizing from other elements.

    ``locate`` finds the line of the article where a text is written (for the warnings)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        style = element.get("style")
        declarations = _declarations(style) if style else []
        if element.tag != "img":
            if any(name in SIZING for name, _ in declarations):
                _set_style(element, [(n, v) for n, v in declarations if n not in SIZING])
            continue
        styled = next((value for name, value in reversed(declarations) if name == "width"), None)
        written = styled if styled is not None else element.get("width")
        width = None
        if written is not None:
            width = safe_width(written, attribute=styled is None)
            if width is None:
                where = locate(written.strip()[:60]) or locate(element.get("src") or "")
                warn(warnings, f"image width '{written.strip()[:40]}' not kept: give it in %, px or em", article.display_path, where)
        kept = [(n, v) for n, v in declarations if n not in SIZING]
        _set_style(element, [("width", width)] + kept if width else kept)
        for name in ("width", "height"):  # attributes stay only as HTML allows them: whole pixels
            if name in element.attrib and not element.attrib[name].strip().isdigit():
                del element.attrib[name]


def _set_style(element: lxml.html.HtmlElement, declarations: list[tuple[str, str]]) -> None:
    if declarations:
        element.set("style", "; ".join(f"{name}: {value}" for name, value in declarations))
    elif "style" in element.attrib:
        del element.attrib["style"]
