"""Formulas: LaTeX written in the Markdown becomes MathML for the EPUB and the web edition, and a
vector SVG drawn with STIX Two Math for the printed handout (WeasyPrint does not lay out MathML).

The parser (:mod:`.commonmark`) leaves each formula as ``<span class="math-tex">`` (in the text),
``<div class="math-tex math-display">`` (a block of its own) or ``<span class="math-tex
math-display">`` (``\\[…\\]`` inside a paragraph: displayed, within the ``<p>``) holding the LaTeX
source. Here,
after sanitising, each becomes ``<span class="math">`` / ``<div class="math display">`` around
a MathML ``<math>`` element whose ``alttext`` is the LaTeX; the SVG for print travels in an
attribute of that wrapper (:data:`PRINT_MATH`) and replaces the ``<math>`` element only in the
print tree (:func:`use_math_for`). A formula that cannot be converted is a warning naming its
line, and it is shown as code — never dropped.

latex2mathml makes the MathML; ziamath lays the same MathML out with its bundled STIX Two Math
(SIL OFL 1.1), so print and screen show the same formula.
"""

from __future__ import annotations

import base64
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import lxml.etree as etree
import lxml.html

MATHML = "http://www.w3.org/1998/Math/MathML"
PLACEHOLDER = "math-tex"  # the class the parser gives a formula's LaTeX
PRINT_MATH = "data-print-math"  # on the wrapper: "width height depth data-uri" of the printed SVG
SIZE = 20.0  # ziamath's font size; the SVG's units are divided by it to give ems
WHAT = {"mfrac": "a fraction", "mroot": "a root", "munder": "an accent", "mover": "an accent"}
ARITY = {"mfrac": 2, "msub": 2, "msup": 2, "mroot": 2, "munder": 2, "mover": 2, "msubsup": 3, "munderover": 3}


class MathError(ValueError):
    """A formula that cannot be converted (the message says why)."""


@dataclass(frozen=True)
class Formula:
    """One converted formula: its MathML (with ``alttext``) and its printed SVG, sized in ems."""

    mathml: str
    svg: str
    width: float  # em
    height: float  # em
    depth: float  # em below the baseline


@lru_cache(maxsize=4096)
def convert_latex(latex: str, display: bool) -> Formula:
    """LaTeX → MathML and SVG, or :class:`MathError`."""
    from latex2mathml.converter import convert

    source = latex.strip()
    if not source:
        raise MathError("the formula is empty")
    try:
        markup = convert(source, display="block" if display else "inline")
        root = etree.fromstring(markup.encode("utf-8"))
    except Exception as exc:  # latex2mathml raises its own error types, and some bare ones
        raise MathError(_reason(exc)) from None
    check_mathml(root)
    root.set("alttext", source)
    mathml = etree.tostring(root, encoding="unicode")
    svg, width, height, depth = draw(mathml)
    return Formula(mathml, svg, width, height, depth)


def _reason(exc: Exception) -> str:
    name = re.sub(r"(?<!^)(?=[A-Z])", " ", type(exc).__name__).lower().removesuffix(" error")
    detail = str(exc).strip()
    return f"{name}: {detail}" if detail else name


def check_mathml(root: etree._Element) -> None:
    """latex2mathml passes an unknown command through as text and leaves a fraction or script
    short of an argument: both are conversions that did not happen."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        text = (element.text or "").strip()
        if name in {"mi", "mo"} and re.match(r"\\[A-Za-z]", text):
            raise MathError(f"unknown command {text}")
        if name == "merror":
            raise MathError("error in the formula")
        if name in ARITY and len(element) != ARITY[name]:
            raise MathError(f"{WHAT.get(name, 'a script')} is missing an argument")


def draw(mathml: str) -> tuple[str, float, float, float]:
    """The MathML laid out as SVG paths (no text, no fonts needed to show it), with its width,
    height and depth below the baseline in ems."""
    with warnings.catch_warnings():  # ziamath 0.13 finds its font with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath

    ziamath.config.svg2 = False  # plain paths, no <symbol>/<use>: every SVG renderer draws them
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            svg = ziamath.Math(mathml, size=SIZE, margin=0).svg()
    except Exception as exc:  # a layout ziamath does not handle
        raise MathError(f"cannot be laid out ({_reason(exc)})") from None
    box = re.search(r'viewBox="([-\d.e]+) ([-\d.e]+) ([-\d.e]+) ([-\d.e]+)"', svg)
    if not box:
        raise MathError("cannot be laid out")
    _, top, width, height = (float(value) for value in box.groups())
    return svg, width / SIZE, height / SIZE, max(top + height, 0.0) / SIZE


def convert_formulas(root: lxml.html.HtmlElement, report: Callable[[str, str], None]) -> tuple[int, int]:
    """Replace each formula the parser found by its MathML (and its SVG for print); a formula
    that cannot be converted becomes code and ``report(latex, reason)`` is called. Returns the
    numbers of formulas converted and found."""
    found = converted = 0
    for holder in list(root.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {PLACEHOLDER} ')]")):
        display = "math-display" in (holder.get("class") or "").split()
        block = display and holder.tag == "div"  # else \[…\] inside a paragraph: a span shown as a block
        latex = holder.text_content()
        found += 1
        try:
            formula = convert_latex(latex, display)
        except MathError as exc:
            report(latex, str(exc))
            holder.clear()  # keeps the tail
            holder.tag = "pre" if block else "code"
            holder.set("class", "math-error")
            if block:
                code = etree.SubElement(holder, "code")
                code.text = latex.strip("\n")
            else:
                holder.text = f"\\[{latex}\\]" if display else f"${latex}$"
            continue
        converted += 1
        tail = holder.tail
        holder.clear()
        holder.tail = tail
        holder.tag = "div" if block else "span"
        holder.set("class", "math display" if display else "math")
        data = base64.b64encode(formula.svg.encode("utf-8")).decode("ascii")
        holder.set(PRINT_MATH, f"{formula.width:.3f} {formula.height:.3f} {formula.depth:.3f} data:image/svg+xml;base64,{data}")
        holder.append(etree.fromstring(formula.mathml))
    return converted, found


def use_math_for(tree: lxml.html.HtmlElement, medium: str) -> None:
    """Keep the MathML (``epub``: the EPUB and the web page) or put the printed SVG in its place
    (``print``), as an image whose alternative text is the LaTeX, its baseline on the text's."""
    for holder in tree.xpath(f".//*[@{PRINT_MATH}]"):
        width, height, depth, src = holder.attrib.pop(PRINT_MATH).split(" ", 3)
        if medium != "print":
            continue
        math = holder[0] if len(holder) else None
        alt = math.get("alttext", "") if math is not None else ""
        style = f"width: {width}em; height: {height}em; vertical-align: -{depth}em"
        image = lxml.html.Element("img", {"class": "math-svg", "src": src, "alt": alt, "style": style})
        if math is not None:
            holder.remove(math)
        holder.insert(0, image)
