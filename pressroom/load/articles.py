"""Finding articles and reading them: front matter (YAML) and body → :class:`Article`.

Everything about an article that can be wrong in its text is checked here, before any output is
written: encoding, front-matter syntax and types, unknown keys.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pressroom.load.metadata import ALIASES, FIELDS, Metadata, check_fields
from pressroom.model import Article, BuildError, Warnings, display_path

FRONT_MATTER_FENCE = re.compile(r"^---[ \t]*$")
FRONT_MATTER_END = re.compile(r"^(---|\.\.\.)[ \t]*$")
TOML_FENCE = re.compile(r"^\+\+\+[ \t]*$")  # Hugo's TOML front matter
MAX_ARTICLE_BYTES = 4 * 1024 * 1024
PACK_SUFFIX = ".pack.yaml"  # a reader pack: several articles in one book (see packs.py)


def is_pack(path: Path) -> bool:
    return path.name.endswith(PACK_SUFFIX)


ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")


IDENTIFIER_NAMESPACE = uuid.UUID("6f1c2a4e-9d51-4c57-9a0e-5b7e2f0c8a31")


def stable_identifier(article: Article) -> str:
    """The article's own identifier, else a UUID derived from its URL or slug (same every build):
    the EPUB's dc:identifier and the seed of the PDF's document id."""
    if article.meta.identifier:
        return article.meta.identifier
    name = article.meta.url or f"pressroom:{article.meta.slug}"
    return f"urn:uuid:{uuid.uuid5(IDENTIFIER_NAMESPACE, name)}"


def find_articles(paths: Iterable[Path]) -> list[Path]:
    """Expand files and folders into a sorted, de-duplicated list of Markdown files (then packs).
    A folder is walked once (hidden files and folders skipped, symbolic links to folders not
    followed), and each folder of articles is resolved once, not each file."""
    found: dict[Path, None] = {}
    for path in paths:
        if not path.is_dir():
            found[path.resolve()] = None
            continue
        children: list[tuple[bool, tuple[str, ...], Path]] = []
        walk_articles(path, (), children)
        children.sort(key=lambda child: child[:2])
        for _, _, child in children:
            found[child] = None
    return list(found)


def walk_articles(folder: Path, parts: tuple[str, ...], children: list[tuple[bool, tuple[str, ...], Path]]) -> None:
    """Add the Markdown files and packs below ``folder`` to ``children`` as (is a pack, path
    parts below the top folder, resolved path)."""
    resolved: Path | None = None
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            walk_articles(folder / name, (*parts, name), children)
        elif name.endswith(".md") or name.endswith(PACK_SUFFIX):
            if entry.is_symlink():
                target = Path(entry.path).resolve()
            else:
                resolved = resolved or folder.resolve()
                target = resolved / name
            children.append((name.endswith(PACK_SUFFIX), (*parts, name), target))


def read_text(path: Path) -> str:
    """Read a file as UTF-8 (a BOM and CRLF line endings are accepted)."""
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise BuildError(
                f"the article is {size / 2**20:.1f} MB; the limit is {MAX_ARTICLE_BYTES // 2**20} MB: split it into several articles",
                display_path(path),
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise BuildError("no such file", display_path(path)) from None
    except IsADirectoryError:
        raise BuildError("is a folder, not a Markdown file", display_path(path)) from None
    except OSError as exc:
        raise BuildError(f"cannot read: {exc.strerror}", display_path(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BuildError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8, e.g. iconv -f latin1 -t utf-8",
            display_path(path),
            line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Separate a leading ``---`` YAML block (or Hugo's ``+++`` TOML block) from the body.

    Returns (values, line of each key, body, line where the body starts).
    """
    lines = text.split("\n")
    if lines and TOML_FENCE.match(lines[0]):
        end = next((index for index in range(1, len(lines)) if TOML_FENCE.match(lines[index])), None)
        if end is None:
            raise BuildError("front matter opened with '+++' is never closed", where, 1)
        values, key_lines = parse_toml_mapping("\n".join(lines[1:end]), where, first_line=2)
        return values, key_lines, "\n".join(lines[end + 1 :]), end + 2
    if not lines or not FRONT_MATTER_FENCE.match(lines[0]):
        return {}, {}, text, 1
    end = closing_fence(lines)
    if end is None:
        raise BuildError("front matter opened with '---' is never closed", where, 1)
    block = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :])
    values, key_lines = parse_yaml_mapping(block, where, first_line=2)
    return values, key_lines, body, end + 2


def closing_fence(lines: list[str]) -> int | None:
    """The index of the line that closes a front-matter block opened on line 0 (None: never)."""
    return next((index for index in range(1, len(lines)) if FRONT_MATTER_END.match(lines[index])), None)


def load_yaml(text: str) -> Any:
    """YAML as a safe loader reads it, except that dates stay text: PyYAML turns ``2024-02-30``
    into a ``ValueError`` deep in its constructor, where no line is known. The metadata checks
    read dates themselves and say which key holds an impossible one."""
    import yaml

    return yaml.load(text, Loader=_text_date_loader())  # noqa: S506 (a SafeLoader subclass)


@functools.cache
def _text_date_loader() -> type:
    import yaml

    class TextDateLoader(yaml.SafeLoader):
        pass

    TextDateLoader.add_constructor("tag:yaml.org,2002:timestamp", TextDateLoader.construct_yaml_str)  # type: ignore[type-var]
    return TextDateLoader


def parse_yaml_mapping(block: str, where: str, first_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse a YAML mapping, remembering the line of each top-level key."""
    import yaml

    try:
        node = yaml.compose(block, Loader=yaml.SafeLoader)
        values = load_yaml(block)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else first_line
        problem = exc.problem or exc.context or "invalid YAML"
        context = exc.context_mark
        if exc.problem and exc.context and context is not None:
            same_line = context.line == getattr(mark, "line", None)
            problem += f" ({exc.context})" if same_line else f" ({exc.context} that starts on line {first_line + context.line})"
        raise BuildError(f"invalid YAML in front matter: {problem}", where, line) from None
    except yaml.YAMLError as exc:
        raise BuildError(f"invalid YAML in front matter: {exc}", where, first_line) from None
    if values is None:
        return {}, {}
    if not isinstance(values, dict):
        raise BuildError("front matter must be a mapping of 'key: value' lines", where, first_line)
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key, line = str(key_node.value), first_line + key_node.start_mark.line
            if key in key_lines:
                raise BuildError(f"key '{key}' appears twice (first on line {key_lines[key]})", where, line)
            key_lines[key] = line
    return {str(k): v for k, v in values.items()}, key_lines


TOML_KEY = re.compile(r"""^[ \t]*("[^"]+"|'[^']+'|[A-Za-z0-9_-]+)[ \t]*=""")


def parse_toml_mapping(block: str, where: str, first_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse TOML front matter, remembering the line of each top-level key."""
    import tomllib

    try:
        values = tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = first_line + int(match.group(1)) - 1 if match else first_line
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "invalid TOML"
        raise BuildError(f"invalid TOML in front matter: {message}", where, line) from None
    key_lines: dict[str, int] = {}
    for index, text in enumerate(block.split("\n")):
        if text.lstrip().startswith("["):
            break  # a table: what follows belongs to it
        match = TOML_KEY.match(text)
        if match:
            key_lines.setdefault(match.group(1).strip("\"'"), first_line + index)
    return values, key_lines


def slugify(text: str) -> str:
    """A file-name-safe slug: ASCII lower case words joined by '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "article"


SETEXT_UNDERLINE = re.compile(r"^(=+|-+)[ \t]*$")
HTML_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.I | re.S)


IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])?")
LINK = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])?")


def _plain(text: str) -> str:
    """A heading's words, as a title: no images or badges, no link, emphasis or code syntax."""
    import html

    text = re.sub(r"<img\b[^>]*>", "", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\s*\{:?\s*[#.][^}]*\}\s*$", "", text)  # an attribute list
    previous = None
    while previous != text:  # badges are images inside links: [![Tests][3]][4]
        previous = text
        text = LINK.sub(lambda m: m.group(1), IMAGE.sub("", text))
    text = re.sub(r"(?<![\w\\])[*_]+|(?<!\\)[*_]+(?!\w)|`+", "", text)
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)
    return " ".join(html.unescape(text).split())


def headings(body: str) -> list[tuple[int, str, int, bool]]:
    """Headings outside code fences: (level, plain text, line index, whether it leads the document).

    ATX (``# Title``), setext (``Title`` over ``=====``) and raw HTML (``<h1>Title</h1>``).
    """
    found: list[tuple[int, str, int, bool]] = []
    lines = body.split("\n")
    in_fence = False
    seen_content = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            seen_content = True
            continue
        if in_fence:
            continue
        atx = ATX_HEADING.match(line)
        setext = (
            index + 1 < len(lines) and line.strip() and not line.startswith(("    ", "\t", "<", "-", "*", ">"))
            and SETEXT_UNDERLINE.match(lines[index + 1]) and not (index and lines[index - 1].strip())
        )  # fmt: skip
        html = HTML_HEADING.search(line)
        if atx:
            level, text = len(atx.group(1)), atx.group(2)
        elif setext:
            level, text = (1 if lines[index + 1].startswith("=") else 2), line
        elif html:
            level, text = int(html.group(1)), html.group(2)
        else:
            seen_content = seen_content or bool(line.strip())
            continue
        plain = _plain(text)
        if plain:
            found.append((level, plain, index, not seen_content))
        seen_content = True
    return found


def title_heading(body: str) -> tuple[str, int, int, bool] | None:
    """The heading that names a document without a title: its first heading, when that is a
    level-1 heading (a logo or badges may come before it); a document that starts with sections
    has none. Returns (text, line index, lines it spans, whether it leads the document)."""
    found = headings(body)
    if not found or found[0][0] != 1:
        return None
    level, text, index, leads = found[0]
    lines = body.split("\n")
    setext = not ATX_HEADING.match(lines[index]) and not HTML_HEADING.search(lines[index])
    return text, index, 2 if setext else 1, leads


def without_heading(body: str, index: int, span: int) -> str:
    """``body`` with the heading at line ``index`` taken out (the title block shows it)."""
    lines = body.split("\n")
    html = HTML_HEADING.search(lines[index]) if not ATX_HEADING.match(lines[index]) else None
    if html:
        lines[index] = lines[index][: html.start()] + lines[index][html.end() :]
        return "\n".join(lines)
    return "\n".join(lines[:index] + [""] * span + lines[index + span :])


def could_name_a_slug(text: str) -> bool:
    """Whether an article's front matter might set ``slug``. When it cannot, the output name is
    the file name, without loading the YAML parser (a no-op build stays fast). A backslash could
    spell the key with an escape, so it counts as a maybe."""
    if "slug" not in text and "\\" not in text:
        return False
    lines = text.split("\n")
    end = closing_fence(lines) if FRONT_MATTER_FENCE.match(lines[0]) else None
    if end is None:
        return False  # no front matter, or never closed (the build reports it)
    block = "\n".join(lines[1:end])
    return "slug" in block or "\\" in block


def output_name(source: Path, overrides: Mapping[str, Any]) -> str:
    """The slug an article's (or a pack's) outputs will be named after, read cheaply before
    building, so that two sources claiming one name are caught before either is written."""
    if "slug" in overrides:
        return str(overrides["slug"])
    try:
        text = read_text(source)
        if is_pack(source):
            values, _ = parse_yaml_mapping(text, display_path(source), 1)
            return str(values.get("slug") or slugify(source.name.removesuffix(PACK_SUFFIX)))
        if not could_name_a_slug(text):
            return slugify(source.stem)
        values = split_front_matter(text, display_path(source))[0]
    except (BuildError, AttributeError):
        values = {}
    slug = values.get("slug") if isinstance(values, dict) else None
    return str(slug) if slug else slugify(source.stem)


def load_article(
    source: Path,
    root: Path,
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any],
    warnings: Warnings,
) -> Article:
    """Read one article: project defaults, then its front matter, then command-line overrides."""
    where = display_path(source)
    text = read_text(source)
    raw, key_lines, body, body_line = split_front_matter(text, where)
    fields = dict(defaults)
    # a key set with -M replaces the front matter's before it is checked: -M can mend a bad value
    overridden = frozenset(key for key in raw if FIELDS.get(ALIASES.get(key, key), ("",))[0] in overrides)
    fields.update(check_fields(raw, where, key_lines, warnings, ignore=overridden))
    fields.update(overrides)
    if "title" not in fields:
        heading = title_heading(body)
        if heading:
            fields["title"], index, span, first = heading
            if first:  # the document's first heading, level 1: the title block shows it
                body = without_heading(body, index, span)
        else:
            fields["title"] = source.stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
    fields.setdefault("slug", slugify(source.stem))
    if not body.strip() and not raw:
        raise BuildError("the file is empty: there is nothing to build", where, 1)
    meta = Metadata(**fields)
    if meta.fit_pages is not None and meta.fit_pages <= meta.notes_pages:
        message = f"'fit_pages: {meta.fit_pages}' leaves no page for the text: notes_pages adds {meta.notes_pages}"
        raise BuildError(message, where, key_lines.get("fit_pages"))
    return Article(source.resolve(), root.resolve(), meta, body, body_line, key_lines)
