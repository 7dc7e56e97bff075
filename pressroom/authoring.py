"""Commands that help write articles without building them.

``pressroom new TITLE`` starts an article from a template whose front matter names the common
keys (commented out); ``pressroom check`` reads every article and reader pack, checks its front
matter and converts its Markdown (images, links, raw HTML) — everything a build checks before
layout — and prints each problem as ``path:line: level: message``, without laying out or
writing anything.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pressroom.build import project_for, separate_clashes
from pressroom.load.articles import find_articles, is_pack, load_article, slugify
from pressroom.load.settings import Project
from pressroom.model import (
    BuildError,
    ConfigError,
    Diagnostic,
    display_path,
    internal_error,
)
from pressroom.report import failure_summary, report, sources_phrase, usage_error

NEW_ARTICLE = """\
---
title: {title}
# subtitle: A line under the title
# author: Your Name                # or a list: [Ann Author, Bob Author]
date: {date}
# summary: One or two sentences: the PDF's subject, the EPUB's description.
# keywords: [one, two]
# lang: en                         # BCP 47: en, fr, pt-BR…
# paper: a4                        # a4, letter, a5 or WIDTHxHEIGHT
# fit_pages: 2                     # set a little tighter to take at most 2 pages
# url: https://example.org/{slug}   # where the digital edition lives (a QR code to it)
---

Write the article here, in Markdown. A footnote looks like this.[^1]

## A section

Text of the section.

[^1]: The note, printed at the foot of the page.
"""


def new_article(project: Project, title: str) -> int:
    """Write ``content/<slug>.md`` for ``title``; never over an existing file. Exit status."""
    slug = slugify(title)
    if not title.strip() or not slug:
        return usage_error(f"cannot make a file name from the title {title!r}: give a title with letters or digits")
    path = project.content_dir / f"{slug}.md"
    if path.exists():
        return usage_error(f"{display_path(path)} already exists: choose another title, or edit that file")
    text = NEW_ARTICLE.format(title=json.dumps(title.strip(), ensure_ascii=False), date=dt.date.today().isoformat(), slug=slug)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as stream:  # "x": never replaces a file made meanwhile
            stream.write(text)
    except OSError as exc:
        report(Diagnostic("error", f"cannot write: {exc.strerror or exc}", display_path(path)))
        return 1
    print(f"created {display_path(path)}")
    return 0


def check(paths: list[Path], project: Project, overrides: Mapping[str, Any]) -> int:
    """Check every article and reader pack below ``paths``; print each problem. Exit status 1
    when any has an error, 0 otherwise (warnings do not fail)."""
    sources = find_articles(paths)
    if not sources:
        where = " ".join(display_path(p) for p in paths)
        return usage_error(f"nothing to check: no Markdown files (.md) or reader packs (.pack.yaml) in {where}")
    every = list(sources)
    sources, clashes = separate_clashes(sources, dict(overrides))
    failed = [Path(d.path or "") for d in clashes]
    for diagnostic in clashes:
        report(diagnostic)
    printed: set[str] = set()  # a pack repeats its articles' problems: each is printed once
    for source in sources:
        problems = check_source(source, project, overrides)
        for diagnostic in problems:
            if diagnostic.format() not in printed:
                printed.add(diagnostic.format())
                report(diagnostic)
        if any(d.level == "error" for d in problems):
            failed.append(source)
    if failed:
        print(f"{failure_summary(failed, every)} the check", file=sys.stderr)
        return 1
    print(f"checked {sources_phrase(every)}: no errors")
    return 0


def check_source(source: Path, project: Project, overrides: Mapping[str, Any]) -> list[Diagnostic]:
    """The warnings and errors of one article or pack, as a build would report them before layout."""
    from pressroom.convert.markdown import convert

    warnings: list[Diagnostic] = []
    try:
        own = project_for(source, project, warnings)
        if is_pack(source):
            from pressroom.render.pack import load_pack

            pack = load_pack(source, own.defaults, dict(overrides), warnings)
            articles = [load_article(path, own.root, own.defaults, {}, warnings) for path in pack.articles]
        else:
            articles = [load_article(source, own.root, own.defaults, overrides, warnings)]
        for article in articles:
            convert(article, own.sandbox, warnings)
        if not is_pack(source):  # a pack's articles take the pack's theme
            from pressroom.render.layouts import check_theme

            check_theme(articles[0].meta, own.layout_search_path, display_path(source), articles[0].key_lines.get("theme"))
    except ConfigError as exc:
        return [*warnings, *exc.diagnostics]
    except BuildError as exc:
        diagnostic = exc.diagnostic
        if diagnostic.path is None:
            diagnostic = Diagnostic("error", exc.message, display_path(source))
        return [*warnings, diagnostic]
    except Exception as exc:  # a bug: reported like a build's internal error, the others still checked
        return [*warnings, internal_error(exc, "convert", display_path(source))]
    return warnings
