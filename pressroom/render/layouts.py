"""The one Jinja environment both media render through.

Templates are looked up in the project's ``layouts/`` first and in the built-in layouts after; a
project template can still extend the original as ``default/<name>``. Autoescaping is on and an
undefined variable is an error. Article text is only ever passed in as data, and the environment
is sandboxed, so nothing in an article can run as template code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from pressroom.convert.language import language
from pressroom.load.metadata import Metadata, suggest
from pressroom.load.settings import BUILTIN_LAYOUTS
from pressroom.model import BuildError, display_path
from pressroom.store.usercache import user_cache_folder


class LayoutFiles:
    """Finds non-template layout files (stylesheets, fonts) along the same search path."""

    def __init__(self, search_path: tuple[Path, ...]):
        self.search_path = search_path

    def find(self, name: str) -> Path:
        for folder in self.search_path:
            candidate = (folder / name).resolve()
            if candidate.is_file() and candidate.is_relative_to(folder):
                return candidate
        raise BuildError(f"layout file '{name}' not found in {', '.join(str(p) for p in self.search_path)}")

    def exists(self, name: str) -> bool:
        try:
            self.find(name)
        except BuildError:
            return False
        return True

    def url(self, name: str) -> str:
        return self.find(name).as_uri()

    def text(self, name: str) -> str:
        return self.find(name).read_text(encoding="utf-8")


THEMES = "themes"  # layouts/themes/<name>/{handout,epub,web}.css


def known_themes(search_path: tuple[Path, ...]) -> list[str]:
    """Every theme the layouts offer (the project's and the built-in ones)."""
    return sorted({p.name for folder in search_path if (folder / THEMES).is_dir() for p in (folder / THEMES).iterdir() if p.is_dir()})


def check_theme(meta: Metadata, search_path: tuple[Path, ...], where: str, line: int | None) -> None:
    """``theme`` must name a theme folder of the layouts (a project may add its own)."""
    known = known_themes(search_path)
    if meta.theme not in known:
        raise BuildError(f"unknown theme '{meta.theme}'{suggest(meta.theme, known)}; known: {', '.join(known)}", where, line)


def theme_css(search_path: tuple[Path, ...], meta: Metadata, medium: str) -> str:
    """The CSS a theme and ``font_size`` add to one medium's base stylesheet (``epub``, ``web``):
    the theme's ``<medium>.css``, then the size (relative there, so a reader can still scale it:
    12 pt is 100 %)."""
    files = LayoutFiles(search_path)
    name = f"{THEMES}/{meta.theme}/{medium}.css"
    css = files.text(name) if files.exists(name) else ""
    if meta.font_size:
        css += f"\nhtml {{ font-size: {meta.font_size / 12 * 100:.4g}%; }}\n"
    return css


def css_string(value: object) -> Markup:
    """Text made safe inside a double-quoted CSS string (quotes, backslashes, markup escaped)."""
    special = {"\\", '"', "<", ">", "&", "\n", "\r", "\f"}
    return Markup("".join(f"\\{ord(ch):x} " if ch in special or ord(ch) < 32 else ch for ch in str(value)))


def long_date(value: dt.date | str | None, lang: str = "en") -> str:
    """A date (or an ISO date) in the long form of the language: 31 May 2024, 31 mai 2024."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return language(lang).long_date(value)


KEPT_WORDS_MAX = 24  # the longest pair of last words joined: a longer one could not fit a line


def keep_last_words(value: object) -> str:
    """A title whose last two words are joined by a no-break space, so that its last line never
    holds one word alone (WeasyPrint 70 has no ``text-wrap: balance``); unless the two are so
    long together that the pair might not fit a line."""
    words = str(value).rsplit(" ", 1)
    if len(words) != 2 or not words[0].strip() or len(words[0].rsplit(" ", 1)[-1]) + 1 + len(words[1]) > KEPT_WORDS_MAX:
        return str(value)
    return "\u00a0".join(words)


PAGE_FIELDS = re.compile(r"\{(pages?)\}")


def page_count(pattern: object) -> Markup:
    """A page count pattern of the language ("Page {page} of {pages}") as the value of a CSS
    ``content`` property: its words as strings, ``{page}`` and ``{pages}`` as counters."""
    parts = []
    for index, piece in enumerate(PAGE_FIELDS.split(str(pattern))):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(f'"{css_string(piece)}"')
    return Markup(" ".join(parts) or '""')


URL_BREAK = re.compile(r"(//|[/.\-])")


def url_breaks(value: object) -> Markup:
    """A URL that may break only after ``/``, ``.`` or ``-`` (``<wbr>`` there, nowhere else)."""
    return Markup(URL_BREAK.sub(r"\1<wbr />", str(Markup.escape(str(value)))))  # escaping adds none of / . -


# The environment's options. They shape the code Jinja compiles, so they name the folder compiled
# templates are kept in (with Jinja's version): a change of either compiles every template anew.
OPTIONS: dict[str, Any] = {"undefined": jinja2.StrictUndefined, "keep_trailing_newline": True, "trim_blocks": True, "lstrip_blocks": True}
AUTOESCAPED = ("html", "xhtml", "xml", "svg")


def template_cache() -> jinja2.BytecodeCache | None:
    """Jinja's own cache of compiled templates (its public ``FileSystemBytecodeCache``) in the
    user's cache folder: compiling the layouts' templates is ~0.1 s of every cold build. A template
    is compiled again when its text changes (Jinja compares a checksum of the source); None, and
    templates compiled in memory, when ``PRESSROOM_TEMPLATE_CACHE=off`` or no folder can be made."""
    if os.environ.get("PRESSROOM_TEMPLATE_CACHE") == "off":
        return None
    options = ",".join(f"{key}={getattr(value, '__name__', value)}" for key, value in sorted(OPTIONS.items()))
    digest = hashlib.sha256(f"{options};{AUTOESCAPED};sandboxed".encode()).hexdigest()[:12]
    folder = user_cache_folder(f"templates/jinja-{jinja2.__version__}-{digest}")
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


@lru_cache(maxsize=8)
def environment(search_path: tuple[Path, ...]) -> SandboxedEnvironment:
    """The shared, strict, sandboxed environment for one layout search path."""
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(BUILTIN_LAYOUTS))}),
            jinja2.FileSystemLoader([str(p) for p in search_path]),
        ]
    )
    env = SandboxedEnvironment(loader=loader, autoescape=jinja2.select_autoescape(AUTOESCAPED), bytecode_cache=template_cache(), **OPTIONS)
    files = LayoutFiles(search_path)
    env.globals["layout_url"] = files.url
    env.globals["layout_exists"] = files.exists
    env.globals["layout_text"] = lambda name: Markup(files.text(name))
    env.filters["long_date"] = long_date
    env.filters["css_string"] = css_string
    env.filters["keep_last_words"] = keep_last_words
    env.filters["url_breaks"] = url_breaks
    env.filters["page_count"] = page_count
    return env


def render(search_path: tuple[Path, ...], template: str, **context: Any) -> str:
    """Render one layout template; template mistakes become build errors that name the template."""
    env = environment(search_path)
    meta = context.get("meta")
    if meta is not None and "words" not in context:
        context["words"] = language(meta.lang).words  # the words the layouts print, in the article's language
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = display_path(Path(exc.filename)) if exc.filename else exc.name
        raise BuildError(f"template syntax error: {exc.message}", where, exc.lineno) from None
    except jinja2.UndefinedError as exc:
        raise BuildError(f"layout '{template}' uses an undefined value: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise BuildError(f"layout template '{exc.name}' not found") from None
    except jinja2.exceptions.SecurityError as exc:
        raise BuildError(f"layout '{template}' tried an unsafe operation: {exc}") from None


def markup(html: str) -> Markup:
    """Mark HTML that Pressroom produced (sanitised) as safe to insert unescaped."""
    return Markup(html)
