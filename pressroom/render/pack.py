"""Reader packs: several articles bound into one book (``content/<name>.pack.yaml``).

A pack names its title, subtitle, editor(s), date, optional url and event, and its articles in
order. Each article is converted on its own (ids prefixed, footnotes numbered per article) and
the documents are gathered into one: the handout gets a contents page with page numbers and
starts each article on a new page with its own title block; the EPUB gets one file per article.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import lxml.html

from pressroom.convert.markdown import Document, Heading, Note, serialise
from pressroom.convert.pagemap import number_elements
from pressroom.load.articles import (
    PACK_SUFFIX,
    load_article,
    parse_yaml_mapping,
    read_text,
    slugify,
)
from pressroom.load.assets import Image
from pressroom.load.metadata import Metadata, check_fields, suggest
from pressroom.model import Article, BuildError, Warnings, display_path, warn
from pressroom.render.article import RenderContext, render_article, typeset
from pressroom.render.layouts import render
from pressroom.store.files import Output

PACK_KEYS = {
    "title",
    "subtitle",
    "editor",
    "date",
    "articles",
    "url",
    "event",
    "lang",
    "publisher",
    "rights",
    "summary",
    "slug",
    "theme",
    "font_size",
}


@dataclass(frozen=True)
class Pack:
    """A reader pack's description, validated."""

    source: Path
    meta: Metadata
    articles: tuple[Path, ...]


def load_pack(source: Path, defaults: dict[str, Any], overrides: dict[str, Any], warnings: Warnings) -> Pack:
    """Read ``<name>.pack.yaml``; every article it lists must exist."""
    where = display_path(source)
    text = read_text(source)
    values, lines = parse_yaml_mapping(text, where, first_line=1)
    for key in values:
        if key not in PACK_KEYS:
            warn(warnings, f"unknown key '{key}' ignored{suggest(key, sorted(PACK_KEYS))}", where, lines.get(key))
    if "title" not in values:
        raise BuildError("a pack needs a title", where, 1)
    listed = values.get("articles")
    if not isinstance(listed, list) or not listed or not all(isinstance(item, str) for item in listed):
        raise BuildError("'articles' must list the pack's Markdown files, in order", where, lines.get("articles", 1))
    articles = []
    entry_lines = item_lines(text, "articles")
    for index, item in enumerate(listed):
        path = (source.parent / item).resolve()
        if not path.is_file():
            line = entry_lines[index] if index < len(entry_lines) else lines.get("articles")
            raise BuildError(f"article not found: {item}", where, line)
        articles.append(path)
    fields = {k: v for k, v in values.items() if k in PACK_KEYS - {"articles"}}
    checked = dict(defaults)
    checked.update(check_fields(fields, where, lines, warnings))
    checked.update(overrides)
    checked.setdefault("slug", slugify(source.name.removesuffix(PACK_SUFFIX)))
    return Pack(source.resolve(), Metadata(**checked), tuple(articles))


def item_lines(text: str, key: str) -> list[int]:
    """The line of each item of the list under a top-level ``key`` (empty when there is none)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for name, value in node.value:
        if name.value == key and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


#: What a pack sets for all its articles; an article's own value is ignored inside the pack.
PACK_WIDE_KEYS = ("paper", "columns", "notes_pages", "theme", "font_size", "fit_pages")


def as_article(pack: Pack, root: Path) -> Article:
    """The pack seen as the book the layouts render (its metadata, its file for messages)."""
    return Article(pack.source, root, pack.meta, "", 1)


def gather(pack: Pack, parts: list[tuple[Article, Document]], search_path: tuple[Path, ...]) -> Document:
    """One document holding every article: a section each, opened by the article's title block."""
    root = lxml.html.Element("div")
    print_parts = []
    headings: list[Heading] = []
    notes: list[Note] = []
    images: list[Image] = []
    texts = [pack.meta.title]
    for index, (article, document) in enumerate(parts, start=1):
        prefix = f"a{index}-"
        title_block = render(search_path, "partials/title-block.html", meta=article.meta)
        title_block = re.sub(r'id="title"', f'id="{prefix}title"', title_block, count=1)
        holder = lxml.html.fragment_fromstring(title_block, create_parent="div")
        number_elements(holder, f"{prefix}t")  # the page map can place a page that opens an article
        opening = f'<section class="pack-article" id="{prefix}article" data-running="{html.escape(article.meta.running_title)}">'
        section = lxml.html.fragment_fromstring(f"{opening}</section>")
        for child in [*holder, *document.tree]:
            section.append(copy.deepcopy(child))
        root.append(section)
        print_parts.append(f"{opening}\n{serialise(holder, 'html')}\n{document.print_html}\n</section>")
        headings.append(Heading(1, f"{prefix}title", article.meta.title))
        headings.extend(document.headings)
        notes.extend(document.notes)
        images.extend(document.images)
        texts.append(document.text)
    return Document(
        print_html="\n".join(print_parts),
        headings=tuple(headings),
        notes=tuple(notes),
        images=tuple(images),
        text=" ".join(texts),
        tree=root,
    )


def render_pack(
    source: Path, context: RenderContext, formats: tuple[str, ...], overrides: Mapping[str, Any]
) -> tuple[Article, dict[str, Output]]:
    """A reader pack's outputs: its articles converted one by one, gathered into one book."""
    from pressroom.convert.markdown import convert

    clock, project, warnings = context.clock, context.project, context.warnings
    with clock("load"):
        pack = load_pack(source, project.defaults, dict(overrides), warnings)
    parts = []
    for index, path in enumerate(pack.articles, start=1):
        with clock("load"):
            article = load_article(path, project.root, project.defaults, {}, warnings)
            for key in PACK_WIDE_KEYS:
                if key in article.key_lines:
                    message = (
                        f"'{key}' ignored inside the reader pack {display_path(pack.source)}: the pack's layout applies to all its articles"
                    )
                    warn(warnings, message, article.display_path, article.key_lines[key])
            article = typeset(replace(article, meta=replace(article.meta, paper=pack.meta.paper)), context)
            context.sandbox.reads.append(str(path))
        with clock("convert"):
            parts.append((article, convert(article, context.sandbox, warnings, prefix=f"a{index}-")))
    with clock("pack"):
        document = gather(pack, parts, context.search_path)
        toc = [
            {"id": f"a{i}-article", "title": a.meta.title, "authors": ", ".join(a.meta.author_names)}
            for i, (a, _) in enumerate(parts, start=1)
        ]
        book = as_article(pack, project.root)
    return book, render_article(book, context, formats, document, toc)
