"""SVG drawings in the handout, set in the bundled faces and kept inside their boxes.

WeasyPrint draws an SVG image's text with Pango, looking each ``font-family`` up in the system's
fonts: a Graphviz diagram's ``Times,serif`` comes out in whatever face the machine has (often a
wider one), and its labels run over the boxes Graphviz measured for Times. Before WeasyPrint draws
an SVG, :func:`print_svg` maps the families it names — ``serif``, ``Times``, ``Times New Roman``,
``sans-serif``, ``Helvetica``, ``Arial``, ``monospace``, ``Courier``, ``Courier New`` and their
metric twins — to the bundled faces (``Pressroom Serif``, ``Pressroom Sans``, ``Pressroom Mono``;
the names written stay after them as fallbacks), and a text with no family gets ``Pressroom
Sans``, WeasyPrint's default. Where the bundled face is wider than the face named (Noto Serif
against Times: about 10 %), the text's size is reduced by that ratio, so that it takes the width
the drawing was made for: the letters keep their shapes and the label stays in its box.

Only the handout's copy is changed: the EPUB and the web page keep the file as written (a reading
system draws an SVG image with its own fonts, and the bundled ones are not visible to it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

from pressroom.render.svg_metrics import WIDTHS

SVG_NS = "http://www.w3.org/2000/svg"

#: family names (lower case) -> the bundled face and the metrics the drawing was made with
FAMILIES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(["serif", "times", "times new roman", "times-roman", "liberation serif", "tinos", "nimbus roman"], ("Pressroom Serif", "serif")),
    **dict.fromkeys(
        ["sans-serif", "helvetica", "arial", "helvetica neue", "liberation sans", "arimo", "nimbus sans"], ("Pressroom Sans", "sans")
    ),
    **dict.fromkeys(["monospace", "courier", "courier new", "liberation mono", "cousine", "nimbus mono"], ("Pressroom Mono", "mono")),
}  # fmt: skip
BUNDLED = {"Pressroom Serif": "NotoSerif", "Pressroom Sans": "NotoSans", "Pressroom Mono": "NotoSansMono"}
DEFAULT_FAMILY = "Pressroom Sans"
SMALLEST_RATIO = 0.6  # a text is never set below this share of its size
FONT_FAMILY_RULE = re.compile(r"(font-family\s*:\s*)([^;}!]+)", re.I)


def map_families(value: str) -> str:
    """A ``font-family`` list with the bundled face first when it names a face Pressroom maps."""
    names = [name.strip().strip("'\"") for name in value.split(",") if name.strip()]
    for name in names:
        if name.lower() in FAMILIES:
            bundled = FAMILIES[name.lower()][0]
            rest = [n for n in names if n != bundled]
            return ", ".join(f"'{n}'" if " " in n else n for n in [bundled, *rest])
    return value


def _metrics(family: str | None) -> str | None:
    """The metrics a ``font-family`` list was measured with (``serif``, ``sans``, ``mono``)."""
    for name in (family or "").split(","):
        key = name.strip().strip("'\"").lower()
        if key in FAMILIES:
            return FAMILIES[key][1]
        if key.startswith("pressroom "):
            return None  # already mapped: the metrics it was made with are not known any more
    return None


@lru_cache(maxsize=8)
def _named_widths(face: str) -> dict[str, int]:
    pairs = (item.split(":") for item in WIDTHS[face].split())
    return {chr(int(code, 16)): int(width) for code, width in pairs}


@lru_cache(maxsize=16)
def _bundled_widths(path: Path) -> tuple[dict[int, float], float]:
    """The advance width, in 1/1000 em, of each character of a bundled font, and its mean."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), lazy=True)
    scale = 1000 / font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[glyph][0] * scale for code, glyph in (font.getBestCmap() or {}).items() if glyph in metrics}
    return widths, sum(widths.values()) / max(len(widths), 1)


def _style(element: etree._Element) -> dict[str, str]:
    declarations = (part.split(":", 1) for part in (element.get("style") or "").split(";") if ":" in part)
    return {name.strip().lower(): value.strip() for name, value in declarations}


def _property(element: etree._Element, name: str) -> str | None:
    """A property as the element itself sets it (its style first, then the attribute)."""
    return _style(element).get(name) or element.get(name)


def _inherited(element: etree._Element, name: str) -> str | None:
    for node in (element, *element.iterancestors()):
        value = _property(node, name)
        if value and value != "inherit":
            return value
    return None


def _set_style(element: etree._Element, name: str, value: str) -> None:
    kept = [f"{key}: {val}" for key, val in _style(element).items() if key != name]
    element.set("style", "; ".join([*kept, f"{name}: {value}"]))


ABSOLUTE_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px|pt|)\s*$")


class Fonts:
    """The bundled font files a layout search path provides."""

    def __init__(self, search_path: tuple[Path, ...]):
        self.search_path = search_path

    def widths(self, family: str, bold: bool) -> tuple[dict[int, float], float] | None:
        stem = BUNDLED[family] + ("-Bold" if bold else "-Regular")
        for folder in self.search_path:
            path = folder / "fonts" / f"{stem}.ttf"
            if path.is_file():
                return _bundled_widths(path.resolve())
        return None


def width_ratio(text: str, metrics: str, bold: bool, fonts: Fonts) -> float:
    """How wide ``text`` is in the face it was measured with, against the bundled face (1: as
    wide or wider; below 1: the bundled face is wider)."""
    family = {"serif": "Pressroom Serif", "sans": "Pressroom Sans", "mono": "Pressroom Mono"}[metrics]
    bundled = fonts.widths(family, bold)
    if bundled is None or not text.strip():
        return 1.0
    widths, mean = bundled
    named = _named_widths(f"{metrics}-bold" if bold and metrics != "mono" else metrics) if metrics != "mono" else {}
    meant = drawn = 0.0
    for ch in text:
        width = widths.get(ord(ch), mean)
        drawn += width
        meant += 600 if metrics == "mono" else named.get(ch, width)
    return min(1.0, meant / drawn) if drawn else 1.0


def _fit_text(element: etree._Element, fonts: Fonts, family: str | None) -> None:
    """Set a ``<text>`` smaller by how much wider the bundled face draws it than the face named."""
    metrics = _metrics(family)
    if metrics is None:
        return
    weight = (_inherited(element, "font-weight") or "400").strip().lower()
    bold = weight in {"bold", "bolder"} or (weight.isdigit() and int(weight) >= 600)
    ratio = max(SMALLEST_RATIO, width_ratio("".join(str(text) for text in element.itertext()), metrics, bold, fonts))
    if ratio > 0.98:
        return
    own = _property(element, "font-size")
    absolute = ABSOLUTE_SIZE.match(own or "")
    if absolute:
        _set_style(element, "font-size", f"{float(absolute.group(1)) * ratio:.3g}{absolute.group(2) or 'px'}")
    else:  # inherited, or relative: a share of the parent's size
        _set_style(element, "font-size", f"{ratio:.3g}em")
    for child in element.iterdescendants():
        size = ABSOLUTE_SIZE.match(_property(child, "font-size") or "") if isinstance(child.tag, str) else None
        if size:
            _set_style(child, "font-size", f"{float(size.group(1)) * ratio:.3g}{size.group(2) or 'px'}")


def print_svg(data: bytes, search_path: tuple[Path, ...]) -> bytes:
    """The SVG as the handout draws it: families mapped to the bundled faces, text that the
    bundled face draws wider set smaller to its measured width. A file that does not parse is
    returned as it is (WeasyPrint then says what is wrong with it)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return data
    if not isinstance(root.tag, str) or etree.QName(root).localname != "svg":
        return data
    fonts = Fonts(search_path)
    if not _property(root, "font-family"):
        root.set("font-family", DEFAULT_FAMILY)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name == "text":
            _fit_text(element, fonts, _inherited(element, "font-family"))
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname == "style" and element.text:
            element.text = FONT_FAMILY_RULE.sub(lambda m: m.group(1) + map_families(m.group(2)), element.text)
        if element.get("font-family"):
            element.set("font-family", map_families(element.get("font-family") or ""))
        if "font-family" in _style(element):
            _set_style(element, "font-family", map_families(_style(element)["font-family"]))
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)
