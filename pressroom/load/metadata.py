"""The article metadata schema: which keys exist, what type each takes, how they are checked.

Front matter, project defaults (``[tool.pressroom]``) and ``-M KEY=VALUE`` overrides all go
through :func:`check_fields`, so a key means the same thing wherever it is set.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressroom.model import BuildError, Warnings, warn

#: languages written right to left (ISO 639 codes; "iw" is Hebrew's old code)
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug", "ur", "yi"})
PAPER_SIZES = {"a4": "A4", "letter": "letter", "a5": "A5"}  # CSS page size names
PAPER_NAMES = {"a4": "A4", "letter": "US Letter", "a5": "A5"}
LENGTH = r"(?:0|\d+(?:\.\d+)?(?:mm|cm|in|pt|pc|px))"
CUSTOM_PAPER = re.compile(rf"^\s*({LENGTH})\s*[x×]\s*({LENGTH})\s*$")
MARGINS = re.compile(rf"^\s*{LENGTH}(?:\s+{LENGTH}){{0,3}}\s*$")
DEFAULT_MARGINS = "22mm 20mm 24mm 20mm"
MARKS = {"crop", "cross", "crop cross", "none"}
#: the booklet's sheet: the next standard size up, the page's own size, or a named standard size
BOOKLET_SHEETS = ("auto", "same", "a5", "a4", "a3", "letter", "tabloid")
#: WeasyPrint 70's PDF variants; the default (PDF/UA-1) makes the handout a tagged, accessible PDF.
PDF_VARIANTS = (
    "pdf/ua-1", "pdf/ua-2", "pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-4b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4u",
    "pdf/a-4e", "pdf/a-4f", "pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g", "none",
)  # fmt: skip


def page_size(paper: str) -> str:
    """The CSS ``size`` for a ``paper`` value: a name, or ``WIDTHxHEIGHT``."""
    if paper in PAPER_SIZES:
        return PAPER_SIZES[paper]
    match = CUSTOM_PAPER.match(paper)
    return f"{match.group(1)} {match.group(2)}" if match else "A4"


MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}
PAPER_MM = {"a4": (210.0, 297.0), "a5": (148.0, 210.0), "letter": (215.9, 279.4)}


def to_mm(length: str) -> float:
    """A CSS length (as validated here) in millimetres."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]*)", length.strip())
    return float(match.group(1)) * MM_PER_UNIT.get(match.group(2), 0.0) if match else 0.0


def css_sides(values: list[float]) -> tuple[float, float, float, float]:
    """Top, right, bottom, left from one to four values, as CSS ``margin`` reads them."""
    if len(values) == 1:
        return values[0], values[0], values[0], values[0]
    if len(values) == 2:
        return values[0], values[1], values[0], values[1]
    if len(values) == 3:
        return values[0], values[1], values[2], values[1]
    return values[0], values[1], values[2], values[3]


def content_box_mm(paper: str, margins: str) -> tuple[float, float]:
    """Width and height of the page's content box (inside the margins), in millimetres."""
    match = CUSTOM_PAPER.match(paper)
    width, height = PAPER_MM.get(paper) or ((to_mm(match.group(1)), to_mm(match.group(2))) if match else PAPER_MM["a4"])
    sides = [to_mm(v) for v in margins.split()]
    top, right, bottom, left = css_sides(sides)
    return width - left - right, height - top - bottom


def paper_name(paper: str) -> str:
    return PAPER_NAMES.get(paper, page_size(paper).replace(" ", " × "))


@dataclass(frozen=True)
class Event:
    """Where and when the handout is handed out."""

    name: str
    date: str | None = None
    place: str | None = None


LANG_PATTERN = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True)
class Author:
    """One author: a name, and optionally affiliations (names, or keys of the front matter's
    ``affiliations`` list), an e-mail address and an ORCID iD (``0000-0002-1825-0097``)."""

    name: str
    affiliations: tuple[str, ...] = ()
    email: str | None = None
    orcid: str | None = None

    def __str__(self) -> str:
        return self.name

    @property
    def orcid_url(self) -> str | None:
        return f"https://orcid.org/{self.orcid}" if self.orcid else None


@dataclass(frozen=True)
class Affiliation:
    """An entry of the top-level ``affiliations`` list: the key authors refer to it by (JOSS's
    ``index``, Quarto's ``id``) and its name."""

    key: str
    name: str


@dataclass(frozen=True)
class Credit:
    """An author as the title block shows them: with the numbers of their affiliations."""

    author: Author
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class Credits:
    """Who wrote the article and where they work, affiliations numbered in order of mention."""

    authors: tuple[Credit, ...]
    affiliations: tuple[str, ...]


@dataclass(frozen=True)
class Metadata:
    """Everything an article says about itself, validated and with defaults filled in."""

    title: str
    slug: str
    lang: str = "en"
    dir: str | None = None  # "rtl" or "ltr"; unset, it follows the language
    subtitle: str | None = None
    short_title: str | None = None
    authors: tuple[Author, ...] = ()
    editors: tuple[Author, ...] = ()
    affiliations: tuple[Affiliation, ...] = ()
    date: dt.date | None = None
    summary: str | None = None
    keywords: tuple[str, ...] = ()
    publisher: str | None = None
    rights: str | None = None
    identifier: str | None = None
    url: str | None = None
    cover: str | None = None
    paper: str = "a4"
    margins: str = DEFAULT_MARGINS
    columns: int = 1
    booklet: bool = False
    booklet_sheet: str = "auto"
    bleed: str | None = None
    marks: str | None = None
    pdf_variant: str = "pdf/ua-1"
    qr: bool = True
    event: Event | None = None
    notes_pages: int = 0
    theme: str = "classic"
    toc: bool = False  # the handout lists its headings, with page numbers, after the title block
    font_size: float | None = None  # the body text's size in points (None: the theme's)
    fit_pages: int | None = None  # the handout set tighter (within bounds) to fit this many pages
    bibliography: tuple[str, ...] = ()  # BibTeX or CSL JSON files, relative to the article
    csl: str | None = None  # a .csl file beside the article, or a style citeproc-py bundles
    allow_missing_glyphs: bool = False  # characters no installed font has: a warning, not an error

    @property
    def direction(self) -> str:
        """The writing direction: the ``dir`` key, else right to left for a language written so."""
        if self.dir:
            return self.dir
        return "rtl" if self.lang.split("-")[0].lower() in RTL_LANGUAGES else "ltr"

    @property
    def running_title(self) -> str:
        """The title used in running heads and footers."""
        return self.short_title or self.title

    @property
    def author_names(self) -> tuple[str, ...]:
        return tuple(author.name for author in self.authors)

    def credits(self) -> Credits:
        """The authors with their affiliations resolved and numbered in order of first mention: a
        reference (JOSS's ``affiliation: 1, 2``, Quarto's ``{ref: id}``) names an entry of the
        top-level ``affiliations`` list, anything else is the affiliation's name itself."""
        names = {entry.key: entry.name for entry in self.affiliations}
        order: list[str] = []
        people = []
        for author in self.authors:
            numbers = []
            for given in author.affiliations:
                name = names.get(given, given)
                if name not in order:
                    order.append(name)
                numbers.append(order.index(name) + 1)
            people.append(Credit(author, tuple(dict.fromkeys(numbers))))
        return Credits(tuple(people), tuple(order))


def _text(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"'{key}' must be text, not {_type_name(value)}")
    text = str(value).strip()
    if not text:
        raise ValueError(f"'{key}' must not be empty")
    return text


def _text_list(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [part for part in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"'{key}' must be text or a list of text, not {_type_name(value)}")
    result = tuple(_text(key, item) for item in items if not (isinstance(item, str) and not item.strip()))
    return result


AUTHOR_KEYS = ("name", "affiliation", "affiliations", "email", "orcid")


ORCID_PATTERN = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")


def _orcid(key: str, value: Any) -> str:
    """An ORCID iD, bare or as its ``https://orcid.org/`` address; its check digit must match."""
    match = ORCID_PATTERN.match(_text(key, value).upper().replace("HTTPS://ORCID.ORG/", "https://orcid.org/"))
    if not match:
        raise ValueError(f"'{key}' must be an ORCID iD such as 0000-0002-1825-0097, not {value!r}")
    orcid = match.group(1)
    total = 0
    for digit in orcid.replace("-", "")[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    if orcid[-1] != ("X" if check == 10 else str(check)):
        raise ValueError(f"'{key}' is not a valid ORCID iD (its check digit does not match): {orcid}")
    return orcid


def _affiliation_names(key: str, value: Any) -> tuple[str, ...]:
    """An author's ``affiliation``/``affiliations``: a name, a list of names, references to the
    top-level list (``1, 2`` as JOSS writes them; ``{ref: id}`` as Quarto does), or ``{name}``."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for number, item in enumerate(items, start=1):
        where = f"{key}[{number}]" if isinstance(value, list) else key
        if isinstance(item, dict):
            given = item.get("ref", item.get("name"))
            if given is None:
                raise ValueError(f"'{where}' must have a name or a ref, not {', '.join(sorted(map(str, item)))}")
            names.append(_text(where, given))
        elif isinstance(item, int) and not isinstance(item, bool):
            names.append(str(item))
        elif isinstance(item, str) and re.fullmatch(r"\s*\d+(\s*,\s*\d+)*\s*", item):
            names += [part.strip() for part in item.split(",")]
        else:
            names.append(_text(where, item))
    return tuple(names)


def _authors(key: str, value: Any) -> tuple[Author, ...]:
    """``author``/``authors``: a name, a list of names, or (Pandoc, Quarto, JOSS, journal
    templates) a list of mappings with ``name`` and optionally ``affiliation``, ``email``,
    ``orcid``. A name may itself be ``{given, family}``."""
    items = value if isinstance(value, list) else [value]
    authors = []
    for number, item in enumerate(items, start=1):
        where = f"{key}[{number}]" if isinstance(value, list) else key
        details: dict[str, Any] = {}
        if isinstance(item, dict):
            if "name" not in item:
                raise ValueError(f"'{where}' must have a name (it may also have {', '.join(AUTHOR_KEYS[1:])})")
            affiliations = tuple(
                name
                for part in ("affiliation", "affiliations")
                if item.get(part) is not None
                for name in _affiliation_names(f"{where}.{part}", item[part])
            )
            details["affiliations"] = tuple(dict.fromkeys(affiliations))
            if item.get("email") is not None:
                details["email"] = _text(f"{where}.email", item["email"])
            if item.get("orcid") is not None:
                details["orcid"] = _orcid(f"{where}.orcid", item["orcid"])
            item = item["name"]
            if isinstance(item, dict) and ("given" in item or "family" in item):
                item = " ".join(str(item[part]) for part in ("given", "family") if item.get(part))
            where += ".name"
        elif not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise ValueError(f"'{where}' must be a name or a mapping with name, affiliation, email and orcid, not {_type_name(item)}")
        if isinstance(item, str) and not item.strip() and isinstance(value, list):
            continue
        authors.append(Author(_text(where, item), **details))
    return tuple(authors)


def _affiliations(key: str, value: Any) -> tuple[Affiliation, ...]:
    """The top-level ``affiliations`` list that authors refer to: ``{name, index}`` (JOSS) or
    ``{id, name}`` (Quarto); an entry without a key is referred to by its position (1, 2, …)."""
    items = value if isinstance(value, list) else [value]
    entries = []
    for number, item in enumerate(items, start=1):
        where = f"{key}[{number}]"
        if isinstance(item, dict):
            if "name" not in item:
                raise ValueError(f"'{where}' must have a name (and an index or id authors refer to it by)")
            given = item.get("index", item.get("id", number))
            entries.append(Affiliation(_text(f"{where}.index", given), _text(f"{where}.name", item["name"])))
        else:
            entries.append(Affiliation(str(number), _text(where, item)))
    return tuple(entries)


def _date(key: str, value: Any) -> dt.date:
    """A date: ISO (``2023-09-14``, ``2023-09-14T10:00:00Z``) or written out in English
    (``14 September 2023``, ``September 14, 2023``, ``14 Sep 2023``); one not on the calendar
    is refused, saying why."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            try:
                return dt.datetime.fromisoformat(text).date()
            except ValueError:
                pass
        parts = _date_parts(text)
        if parts:
            year, month, day = parts
            try:
                return dt.date(year, month, day)
            except ValueError:  # shaped like a date, but not one on the calendar
                problem = f"there is no month {month}" if not 1 <= month <= 12 else f"that month has no day {day}"
                raise ValueError(f"'{key}' is not a real date: {text} ({problem})") from None
    raise ValueError(f"'{key}' must be a date such as 2024-05-31 or 31 May 2024, not {value!r}")


ISO_DATE_SHAPE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
MONTHS = {name: number for number, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
     ("december", "dec")], start=1) for name in names}  # fmt: skip
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.?\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})$")


def _date_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a date written in one of the shapes :func:`_date` reads."""
    for pattern in (ISO_DATE_SHAPE, SLASHED):
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return year, month, day
    match = DAY_MONTH_YEAR.match(text)
    if match and match.group(2).lower() in MONTHS:
        return int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1))
    match = MONTH_DAY_YEAR.match(text)
    if match and match.group(1).lower() in MONTHS:
        return int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2))
    return None


def _lang(key: str, value: Any) -> str:
    text = _text(key, value)
    if not LANG_PATTERN.match(text):
        raise ValueError(f"'{key}' must be a BCP 47 language tag such as en or pt-BR, not {text!r}")
    return text


def _slug(key: str, value: Any) -> str:
    text = _text(key, value)
    if not SLUG_PATTERN.match(text):
        raise ValueError(f"'{key}' may hold only lower-case letters, digits, '-' and '_', not {text!r}")
    return text


def _url(key: str, value: Any) -> str:
    text = _text(key, value)
    if not re.match(r"^https?://[^\s/$.?#].[^\s]*$", text):
        raise ValueError(f"'{key}' must be an http(s) URL, not {text!r}")
    return text


def _paper(key: str, value: Any) -> str:
    text = _text(key, value).lower().replace(" ", "")
    if text not in PAPER_SIZES and not CUSTOM_PAPER.match(text):
        raise ValueError(f"'{key}' must be one of {', '.join(PAPER_SIZES)} or WIDTHxHEIGHT such as 148mmx210mm, not {value!r}")
    return text


def _booklet_sheet(key: str, value: Any) -> str:
    text = _text(key, value).lower().replace(" ", "")
    if text not in BOOKLET_SHEETS and not CUSTOM_PAPER.match(text):
        hint = suggest(text, list(BOOKLET_SHEETS))
        raise ValueError(f"'{key}' must be one of {', '.join(BOOKLET_SHEETS)} or WIDTHxHEIGHT such as 450mmx320mm, not {value!r}{hint}")
    return text


def _margins(key: str, value: Any) -> str:
    text = _text(key, value)
    if not MARGINS.match(text):
        raise ValueError(f"'{key}' must be one to four lengths such as 20mm or '22mm 20mm', not {value!r}")
    return " ".join(text.split())


def _length(key: str, value: Any) -> str:
    text = _text(key, value)
    if not re.fullmatch(LENGTH, text):
        raise ValueError(f"'{key}' must be a length such as 3mm, not {value!r}")
    return text


def _font_size(key: str, value: Any) -> float:
    """A body text size in points: ``12``, ``12pt`` or ``12.5pt``, from 6 to 48."""
    text = str(value).strip().lower() if not isinstance(value, bool) else ""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:pt)?", text)
    size = float(match.group(1)) if match else 0.0
    if not 6 <= size <= 48:
        raise ValueError(f"'{key}' must be a size in points from 6 to 48, such as 12pt, not {value!r}")
    return size


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"'{key}' must be true or false, not {value!r}")
    return value


def _whole(low: int, high: int) -> Checker:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"'{key}' must be a whole number from {low} to {high}, not {value!r}")
        return value

    return check


def _choice(choices: Iterable[str]) -> Checker:
    allowed = tuple(choices)

    def check(key: str, value: Any) -> str:
        text = " ".join(_text(key, value).lower().split())
        if text not in allowed:
            raise ValueError(f"'{key}' must be one of {', '.join(allowed)}, not {value!r}")
        return text

    return check


def _event(key: str, value: Any) -> Event:
    if isinstance(value, str):
        return Event(_text(key, value))
    if not isinstance(value, dict) or "name" not in value:
        raise ValueError(f"'{key}' must be a name, or a mapping with name, date and place, not {_type_name(value)}")
    unknown = set(value) - {"name", "date", "place"}
    if unknown:
        raise ValueError(f"'{key}' takes name, date and place, not {', '.join(sorted(map(str, unknown)))}")
    date = value.get("date")
    when = _date(f"{key}.date", date).isoformat() if date is not None else None
    place = _text(f"{key}.place", value["place"]) if value.get("place") is not None else None
    return Event(_text(f"{key}.name", value["name"]), when, place)


Checker = Callable[[str, Any], Any]

#: key -> (attribute on Metadata, checker)
FIELDS: dict[str, tuple[str, Checker]] = {
    "title": ("title", _text),
    "subtitle": ("subtitle", _text),
    "short_title": ("short_title", _text),
    "author": ("authors", _authors),
    "editor": ("editors", _authors),
    "affiliations": ("affiliations", _affiliations),
    "date": ("date", _date),
    "lang": ("lang", _lang),
    "dir": ("dir", _choice(("rtl", "ltr"))),
    "summary": ("summary", _text),
    "keywords": ("keywords", _text_list),
    "publisher": ("publisher", _text),
    "rights": ("rights", _text),
    "identifier": ("identifier", _text),
    "slug": ("slug", _slug),
    "url": ("url", _url),
    "cover": ("cover", _text),
    "paper": ("paper", _paper),
    "margins": ("margins", _margins),
    "columns": ("columns", _whole(1, 2)),
    "booklet": ("booklet", _bool),
    "booklet_sheet": ("booklet_sheet", _booklet_sheet),
    "bleed": ("bleed", _length),
    "marks": ("marks", _choice(MARKS)),
    "pdf_variant": ("pdf_variant", _choice(PDF_VARIANTS)),
    "qr": ("qr", _bool),
    "event": ("event", _event),
    "notes_pages": ("notes_pages", _whole(0, 20)),
    "theme": ("theme", _slug),
    "toc": ("toc", _bool),
    "font_size": ("font_size", _font_size),
    "fit_pages": ("fit_pages", _whole(1, 99)),
    "bibliography": ("bibliography", _text_list),
    "csl": ("csl", _text),
    "allow_missing_glyphs": ("allow_missing_glyphs", _bool),
}


#: keys other tools write (Pandoc, Quarto, Hugo, Jekyll, MkDocs) -> the key that means the same here
ALIASES = {"authors": "author", "abstract": "summary", "description": "summary", "tags": "keywords", "language": "lang", "direction": "dir"}
#: keys of those tools that mean nothing for a handout: passed over without a warning (``toc``,
#: ``affiliations``, ``bibliography`` and ``csl``, which they also use, are Pressroom's own)
OTHER_TOOLS = frozenset({
    "link-citations", "format", "execute", "jupyter", "editor_options",
    "draft", "layout", "weight", "categories", "permalink", "aliases", "series", "hide", "template",
})  # fmt: skip


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def suggest(key: str, known: list[str]) -> str:
    """A hint naming the nearest known key, or nothing when none is close."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_fields(
    raw: Mapping[str, Any],
    path: str | Path,
    lines: Mapping[str, int],
    warnings: Warnings,
    ignore: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Validate raw key/value pairs; return them as ``Metadata`` attribute values.

    A wrong type is a :class:`BuildError` at the key's line; an unknown key is a warning that
    suggests the nearest known one. Keys in ``ignore`` belong to someone else and pass silently.
    """
    checked: dict[str, Any] = {}
    for key, value in raw.items():
        key = str(key)
        line = lines.get(key)
        if key in ignore or key in OTHER_TOOLS:
            continue
        name = ALIASES.get(key, key)
        if name not in FIELDS:
            warn(warnings, f"unknown key '{key}' ignored{suggest(key, list(FIELDS))}", path, line)
            continue
        attribute, checker = FIELDS[name]
        if value is None:
            continue
        if attribute in checked:
            other = next(k for k in raw if ALIASES.get(str(k), str(k)) == name and str(k) != key)
            raise BuildError(f"'{other}' and '{key}' both set the {name}; keep one", path, line)
        try:
            checked[attribute] = checker(key, value)
        except ValueError as exc:
            raise BuildError(str(exc), path, line) from None
    return checked
