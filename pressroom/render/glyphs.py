"""Which characters of an article the fonts can draw, and what happens to the rest.

A character is drawn by the first face of its font stack that has it: the bundled faces, then
the installed faces the layouts name for the article's language (``fonts.css``: Noto Arabic,
Hebrew, Devanagari, CJK…). Those are the fonts the layouts chose, and pass silently. A character
none of them has is drawn by whatever installed font fontconfig finds (a warning naming it), and
one no installed font has would print as an empty box: an error naming the characters and the
line, unless the article allows it (``allow_missing_glyphs``), when it is a warning. Besides the
article's own text, that covers its title block and what the stylesheets generate for it: list
markers (the layouts' and WeasyPrint's defaults, such as ◦ for a nested list) and ``content``
strings.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pressroom.model import BuildError, Warnings, warn

IGNORED = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Co", "Cs", "Cn"}
SHOWN = 12


@lru_cache(maxsize=8)
def font_coverages(font_folders: tuple[Path, ...]) -> tuple[frozenset[int], ...]:
    """The code points each font bundled in the layouts can draw (fontconfig's fc-scan reads
    them six times faster than parsing the fonts' cmaps in Python, which is the fallback)."""
    coverages: list[frozenset[int]] = []
    folders = [folder for folder in font_folders if folder.is_dir()]
    if shutil.which("fc-scan"):
        for folder in folders:
            output = subprocess.run(["fc-scan", "--format", "%{charset}\n", str(folder)], capture_output=True, text=True, timeout=60).stdout
            coverages.extend(frozenset(parse_charset(line)) for line in output.splitlines() if line.strip())
        return tuple(coverages)
    from fontTools.ttLib import TTFont

    for folder in folders:
        for path in sorted(folder.glob("*.[to]tf")):
            with TTFont(path, lazy=True) as font:
                coverages.append(frozenset(font.getBestCmap() or {}))
    return tuple(coverages)


def bundled_coverage(font_folders: tuple[Path, ...]) -> frozenset[int]:
    """Code points some bundled font can draw: enough for code, whose font is the one with most."""
    return frozenset().union(*font_coverages(font_folders))


def common_coverage(font_folders: tuple[Path, ...]) -> frozenset[int]:
    """Code points every bundled font can draw. Running text needs these: a character its own
    font lacks is drawn with a system font, even when another bundled font (the monospaced one,
    with its geometric shapes) has it."""
    coverages = font_coverages(font_folders)
    return frozenset.intersection(*coverages) if coverages else frozenset()


def parse_charset(text: str) -> set[int]:
    """fontconfig's ``%{charset}``, e.g. ``20-7e a0-1a9 1ab``, as a set of code points."""
    points: set[int] = set()
    for part in text.split():
        start, _, end = part.partition("-")
        try:
            points.update(range(int(start, 16), int(end or start, 16) + 1))
        except ValueError:
            continue
    return points


@lru_cache(maxsize=1)
def installed_fonts() -> tuple[tuple[frozenset[str], str], ...]:
    """Each installed font's family names (lower case) and fontconfig charset (empty when
    fontconfig's fc-list is missing)."""
    if shutil.which("fc-list") is None:
        return ()
    try:
        output = subprocess.run(
            ["fc-list", "--format", "%{family}\t%{charset}\n"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    fonts = []
    for line in output.splitlines():
        families, _, charset = line.partition("\t")
        fonts.append((frozenset(name.strip().lower() for name in families.split(",")), charset))
    return tuple(fonts)


@lru_cache(maxsize=1)
def system_coverage() -> frozenset[int]:
    """Code points some installed font can draw."""
    points: set[int] = set()
    for _, charset in installed_fonts():
        points |= parse_charset(charset)
    return frozenset(points)


@lru_cache(maxsize=64)
def family_coverage(family: str) -> frozenset[int]:
    """Code points the installed faces of a font family can draw (none when it is not installed)."""
    points: set[int] = set()
    for families, charset in installed_fonts():
        if family.lower() in families:
            points |= parse_charset(charset)
    return frozenset(points)


def describe(characters: list[str], generated: Mapping[str, str] | None = None) -> str:
    def name(ch: str) -> str:
        return f"{ch} (U+{ord(ch):04X}, from the stylesheets)" if generated and ch in generated else f"{ch} (U+{ord(ch):04X})"

    shown = " ".join(name(ch) for ch in characters[:SHOWN])
    more = f" and {len(characters) - SHOWN} more" if len(characters) > SHOWN else ""
    return shown + more


def first_line(characters: list[str], locate: Callable[[str], int | None]) -> int | None:
    """The earliest line where any of ``characters`` is written (as itself or as a character reference)."""
    lines = []
    for ch in characters:
        for spelling in (ch, f"&#x{ord(ch):x};", f"&#x{ord(ch):X};", f"&#{ord(ch)};"):
            line = locate(spelling)
            if line is not None:
                lines.append(line)
                break
    return min(lines, default=None)


def check_glyphs(
    text: str,
    font_folders: tuple[Path, ...],
    where: str,
    locate: Callable[[str], int | None],
    warnings: Warnings,
    generated: Mapping[str, str] | None = None,
    code: str = "",
    chosen: Callable[[], frozenset[int]] = frozenset,
    allow_missing: bool = False,
) -> None:
    """Check that the fonts can draw every character of ``text`` and ``generated``.

    ``code`` is the part of ``text`` set in code (its font may have more than the text's).
    ``generated`` maps characters the stylesheets add (see :func:`generated_characters`) to the
    text of the first element showing them, which ``locate`` finds when the character itself is
    not in the article. ``chosen`` gives what the installed faces the layouts name can draw (see
    :func:`chosen_families`; asked only when the bundled fonts lack a character): those pass.
    Others are drawn by a system font (a warning); one no installed font has raises
    :class:`BuildError`, or only warns when ``allow_missing``."""
    generated = generated or {}
    only_generated = {ch: at for ch, at in generated.items() if ch not in text}  # named "from the stylesheets"
    wanted = sorted({ch for ch in text + "".join(generated) if ord(ch) > 0x7E and unicodedata.category(ch) not in IGNORED})
    if not wanted:
        return
    bundled, common = bundled_coverage(font_folders), common_coverage(font_folders)
    only_code = {ch for ch in set(code) if ch not in generated and text.count(ch) <= code.count(ch)}
    outside = [ch for ch in wanted if ord(ch) not in (bundled if ch in only_code else common)]
    if outside:
        named = chosen()
        outside = [ch for ch in outside if ord(ch) not in named]
    if not outside:
        return
    system = system_coverage()
    fallback = [ch for ch in outside if ord(ch) in system]
    missing = [ch for ch in outside if ord(ch) not in system]

    def line(characters: list[str]) -> int | None:
        lines = [first_line(characters, locate), *(locate(generated[ch]) for ch in characters if generated.get(ch))]
        return min(filter(None, lines), default=None)

    if fallback:
        message = f"{len(fallback)} character(s) not in the bundled fonts are drawn with system fonts: {describe(fallback, only_generated)}"
        warn(warnings, message, where, line(fallback))
    if missing and not allow_missing:
        message = f"{len(missing)} character(s) are in no installed font and would print as boxes: {describe(missing, only_generated)}"
        hint = "install a font that has them, or set allow_missing_glyphs: true (or --allow-missing-glyphs) to print the boxes"
        raise BuildError(f"{message}; {hint}", where, line(missing))
    if missing:
        message = f"{len(missing)} character(s) are in no installed font and will print as boxes: {describe(missing, only_generated)}"
        warn(warnings, message, where, line(missing))


#: Characters of the counter styles whose symbols are not plain ASCII (WeasyPrint's html5_ua.css).
MARKER_SYMBOLS = {"disc": "•", "circle": "◦", "square": "▪", "disclosure-open": "▾", "disclosure-closed": "▸"}
#: WeasyPrint's default bullets of a ``ul``: disc, circle inside one list, square inside two or more.
DEFAULT_BULLETS = ("•", "◦", "▪")
LISTS = {"ul", "ol", "dir", "menu"}
GENERATING = {"content", "list-style", "list-style-type"}


@dataclass(frozen=True)
class _Generating:
    """A style rule that generates text: its selectors, the characters, and whether it sets a
    list marker (which replaces WeasyPrint's default bullet)."""

    selectors: tuple[Any, ...]
    characters: str
    sets_marker: bool
    every_list: bool  # one of its selectors is a bare ``ul``


def _declared_characters(declaration: Any) -> str:
    """The characters a ``content`` or ``list-style(-type)`` value generates: its strings and
    the symbols of its counter-style keywords (what ``counter()`` or ``attr()`` give is not known here)."""
    characters = []
    for token in declaration.value:
        if token.type == "string":
            characters.append(token.value)
        elif token.type == "ident" and declaration.lower_name != "content":
            characters.append(MARKER_SYMBOLS.get(token.lower_value, ""))
    return "".join(characters)


def _generates(name: str) -> bool:
    return name in GENERATING


def _rules(tokens: list[Any], wanted: Callable[[str], bool] = _generates) -> Iterator[tuple[Any, list[Any]]]:
    """Each style rule of a stylesheet (also inside @media and the like) as (rule, its
    declarations of ``wanted`` properties: by default those that generate text); page rules and
    their margin boxes as (None, declarations)."""
    import tinycss2

    for rule in tokens:
        if rule.type == "qualified-rule":
            declarations = tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
            yield rule, [d for d in declarations if d.type == "declaration" and wanted(d.lower_name)]
        elif rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword == "page":
            # (in a page, only ``content`` generates text: list markers have no list to mark)
            page = [d for d in _page_declarations(rule.content) if wanted(d.lower_name)]
            yield None, [d for d in page if d.lower_name == "content" or not _generates(d.lower_name)]
        elif rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword in {"media", "supports", "layer"}:
            yield from _rules(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True), wanted)


def _page_declarations(content: list[Any]) -> Iterator[Any]:
    """The declarations of an @page rule, those of its margin boxes (@bottom-left …) included."""
    import tinycss2

    for item in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration":
            yield item
        elif item.type == "at-rule" and item.content is not None:
            yield from _page_declarations(item.content)


@lru_cache(maxsize=32)
def _style_rules(css: str) -> tuple[tuple[Any, tuple[Any, ...]], ...]:
    """A stylesheet's rules with their declarations that generate text or name fonts (parsed once
    for both checks)."""
    import tinycss2

    tokens = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return tuple((rule, tuple(declarations)) for rule, declarations in _rules(tokens, lambda name: _generates(name) or _naming_fonts(name)))


@lru_cache(maxsize=32)
def generating_rules(css: str) -> tuple[tuple[_Generating, ...], str]:
    """The rules of a stylesheet that generate text, and the characters its page margins show."""
    import cssselect2
    import tinycss2

    rules: list[_Generating] = []
    page: list[str] = []
    for rule, all_declarations in _style_rules(css):
        declarations = [d for d in all_declarations if _generates(d.lower_name)]
        if rule is None:
            page.extend(_declared_characters(d) for d in declarations)
            continue
        if not declarations:
            continue
        try:
            selectors = tuple(cssselect2.compile_selector_list(rule.prelude))
        except cssselect2.SelectorError:
            continue  # WeasyPrint ignores the rule too
        characters = "".join(_declared_characters(d) for d in declarations)
        sets_marker = any(d.lower_name != "content" for d in declarations) or any(s.pseudo_element == "marker" for s in selectors)
        every_list = "ul" in {part.strip() for part in tinycss2.serialize(rule.prelude).split(",")}
        rules.append(_Generating(selectors, characters, sets_marker, every_list))
    return tuple(rules), "".join(page)


def generated_characters(
    html: str, read_stylesheet: Callable[[str], str | None], drawable: Callable[[str], bool] = lambda ch: False
) -> dict[str, str]:
    """Characters the stylesheets and WeasyPrint's defaults generate in the HTML document
    ``html`` (list markers, ``content`` strings), each with the text of the first element that
    shows it ('' for the page margins). Its ``<style>`` elements count, and the stylesheets it
    links that ``read_stylesheet`` reads (given the address; None: not one to read). Rules are
    only matched against the document when what they could generate is not ``drawable``."""
    import cssselect2

    root = _parse(html)
    sheets = _stylesheets(root, read_stylesheet)
    found: dict[str, str] = {}
    matcher, everywhere, lists, every_list = cssselect2.Matcher(), False, False, False
    for css in sheets:
        rules, page = generating_rules(css)
        found.update(dict.fromkeys(page, ""))
        for rule in rules:
            drawn = any(ord(ch) > 0x7E and not drawable(ch) for ch in rule.characters)
            everywhere = everywhere or (drawn and not rule.sets_marker)
            lists = lists or (drawn and rule.sets_marker)
            every_list = every_list or (rule.sets_marker and rule.every_list)
            for selector in rule.selectors if drawn or rule.sets_marker else ():
                matcher.add_selector(selector, rule)
    lists = lists or not (every_list or all(map(drawable, DEFAULT_BULLETS)))
    if not everywhere and not (lists and root.find(".//ul") is not None):
        return _drawn(found)
    marked: set[Any] = set()  # elements whose list marker an author rule sets
    for wrapper in _elements(cssselect2.ElementWrapper.from_html_root(root), everywhere):
        for *_, rule in matcher.match(wrapper):
            for ch in rule.characters:
                found.setdefault(ch, _sample(wrapper.etree_element))
            if rule.sets_marker:
                marked.add(wrapper.etree_element)
    for element in root.iter("ul"):
        depth = sum(1 for ancestor in element.iterancestors() if ancestor.tag in LISTS)
        for item in element.iterchildren("li"):
            if element not in marked and item not in marked:
                found.setdefault(DEFAULT_BULLETS[min(depth, 2)], _sample(item))
    return _drawn(found)


def _elements(root: Any, everywhere: bool) -> Iterator[Any]:
    """The elements to match style rules against: all of them when a rule's ``content`` is not
    ASCII, else only the lists and what leads to them (markers are all the rules generate)."""
    stack = [root]
    while stack:
        wrapper = stack.pop()
        yield wrapper
        children = [
            child for child in wrapper.iter_children()
            if everywhere or child.etree_element.tag in {"ul", "li"} or child.etree_element.find(".//ul") is not None
        ]  # fmt: skip
        stack.extend(reversed(children))


def _drawn(found: dict[str, str]) -> dict[str, str]:
    """Only the characters a font has to draw (ASCII is in every font)."""
    return {ch: where for ch, where in found.items() if ord(ch) > 0x7E}


def _sample(element: Any) -> str:
    """The first words of an element, to find where it is written."""
    text = next((" ".join(t.split()) for t in element.itertext() if t.strip()), "")
    return text[:40]


@lru_cache(maxsize=1)
def _parse(html: str) -> Any:
    """The HTML document as an lxml tree (parsed once for the checks of one handout)."""
    import lxml.html

    return lxml.html.document_fromstring(html)


def _stylesheets(root: Any, read_stylesheet: Callable[[str], str | None]) -> list[str]:
    """The text of the stylesheets a document links (those ``read_stylesheet`` reads), then of its ``<style>`` elements."""
    links = [str(link.get("href")) for link in root.iter("link") if link.get("href") and "stylesheet" in (link.get("rel") or "").split()]
    return [*filter(None, map(read_stylesheet, links)), *(style.text or "" for style in root.iter("style"))]


GENERIC_FAMILIES = {
    "serif",
    "sans-serif",
    "monospace",
    "cursive",
    "fantasy",
    "system-ui",
    "emoji",
    "math",
    "fangsong",
    "inherit",
    "initial",
}


def _naming_fonts(name: str) -> bool:
    return name in {"font", "font-family"} or name.startswith("--font")


def _families(declaration: Any) -> list[str]:
    """The font families a ``font``, ``font-family`` or ``--font-…`` value names (quoted, or
    unquoted words between commas); generic families and ``var()`` are left out."""
    names: list[str] = []
    words: list[str] = []
    for token in declaration.value:
        if token.type == "string":
            names.append(token.value)
        elif token.type == "ident":
            words.append(token.value)
        elif token.type == "whitespace":
            continue
        else:
            if token.type == "literal" and token.value == "," and words:
                names.append(" ".join(words))
            words = []
    if words:
        names.append(" ".join(words))
    return [name for name in names if name.lower() not in GENERIC_FAMILIES]


@lru_cache(maxsize=32)
def font_rules(css: str) -> tuple[tuple[tuple[Any, ...] | None, tuple[str, ...]], ...]:
    """The rules of a stylesheet that name font families: (compiled selectors, or None when the
    rule applies whatever the document holds, families). Only a rule whose selector depends on
    the language (``:lang()``) needs matching against the document."""
    import cssselect2
    import tinycss2

    found: list[tuple[tuple[Any, ...] | None, tuple[str, ...]]] = []
    for rule, declarations in _style_rules(css):
        families = tuple(name for d in declarations if _naming_fonts(d.lower_name) for name in _families(d))
        if not families:
            continue
        if rule is None or ":lang(" not in tinycss2.serialize(rule.prelude).lower():
            found.append((None, families))
            continue
        try:
            found.append((tuple(cssselect2.compile_selector_list(rule.prelude)), families))
        except cssselect2.SelectorError:
            continue
    return tuple(found)


def chosen_families(html: str, read_stylesheet: Callable[[str], str | None]) -> tuple[str, ...]:
    """The font families the stylesheets of the HTML document ``html`` name for it: every rule's,
    except those for a language (``:lang(ja)``) that neither the document nor one of its elements
    with a ``lang`` attribute is in."""
    import cssselect2

    root = _parse(html)
    families: dict[str, None] = {}
    elements: list[Any] | None = None
    for css in _stylesheets(root, read_stylesheet):
        for selectors, names in font_rules(css):
            if selectors is not None:
                if elements is None:
                    wrapper = cssselect2.ElementWrapper.from_html_root(root)
                    elements = [e for e in wrapper.iter_subtree() if e.etree_element is root or e.etree_element.get("lang")]
                if not any(selector.test(element) for selector in selectors for element in elements):
                    continue
            families.update(dict.fromkeys(names))
    return tuple(families)


@lru_cache(maxsize=16)
def chosen_coverage(families: tuple[str, ...]) -> frozenset[int]:
    """Code points the installed faces of ``families`` can draw."""
    return frozenset().union(*(family_coverage(family) for family in families))


def layout_text(html: str) -> str:
    """The text the layout prints around the article's body: title block, contents."""
    root = _parse(html)
    return "".join(root.xpath("//body//text()[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' body ')])]"))
