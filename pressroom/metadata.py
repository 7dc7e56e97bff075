"""The article metadata schema: which keys exist, what type each takes, how they are checked.

Front matter, project defaults (``[tool.pressroom]``) and ``-M KEY=VALUE`` overrides all go
through :func:`check_fields`, so a key means the same thing wherever it is set.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BuildError, Warnings, warn

PAPER_SIZES = {"a4": "A4", "letter": "letter", "a5": "A5"}  # CSS page size names
PAPER_NAMES = {"a4": "A4", "letter": "US Letter", "a5": "A5"}
LANG_PATTERN = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True)
class Metadata:
    """Everything an article says about itself, validated and with defaults filled in."""

    title: str
    slug: str
    lang: str = "en"
    subtitle: str | None = None
    short_title: str | None = None
    authors: tuple[str, ...] = ()
    date: dt.date | None = None
    summary: str | None = None
    keywords: tuple[str, ...] = ()
    publisher: str | None = None
    rights: str | None = None
    identifier: str | None = None
    url: str | None = None
    cover: str | None = None
    paper: str = "a4"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def running_title(self) -> str:
        """The title used in running heads and footers."""
        return self.short_title or self.title


def _text(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"'{key}' must be text, not {_type_name(value)}")
    text = str(value).strip()
    if not text:
        raise ValueError(f"'{key}' must not be empty")
    return text


def _text_list(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [value] if key == "author" else [part for part in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"'{key}' must be text or a list of text, not {_type_name(value)}")
    result = tuple(_text(key, item) for item in items if not (isinstance(item, str) and not item.strip()))
    return result


def _date(key: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            try:
                return dt.datetime.fromisoformat(value.strip()).date()
            except ValueError:
                pass
    raise ValueError(f"'{key}' must be an ISO date such as 2024-05-31, not {value!r}")


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
    text = _text(key, value).lower()
    if text not in PAPER_SIZES:
        raise ValueError(f"'{key}' must be one of {', '.join(PAPER_SIZES)}, not {value!r}")
    return text


Checker = Callable[[str, Any], Any]

#: key -> (attribute on Metadata, checker)
FIELDS: dict[str, tuple[str, Checker]] = {
    "title": ("title", _text),
    "subtitle": ("subtitle", _text),
    "short_title": ("short_title", _text),
    "author": ("authors", _text_list),
    "date": ("date", _date),
    "lang": ("lang", _lang),
    "summary": ("summary", _text),
    "keywords": ("keywords", _text_list),
    "publisher": ("publisher", _text),
    "rights": ("rights", _text),
    "identifier": ("identifier", _text),
    "slug": ("slug", _slug),
    "url": ("url", _url),
    "cover": ("cover", _text),
    "paper": ("paper", _paper),
}


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
        if key in ignore:
            continue
        if key not in FIELDS:
            warn(warnings, f"unknown key '{key}' ignored{suggest(key, list(FIELDS))}", path, line)
            continue
        attribute, checker = FIELDS[key]
        if value is None:
            continue
        try:
            checked[attribute] = checker(key, value)
        except ValueError as exc:
            raise BuildError(str(exc), path, line) from None
    return checked
