"""Reading articles: front matter, titles, encodings, empty files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressroom.load.articles import find_articles, load_article
from pressroom.model import BuildError


def load(path: Path, warnings: list | None = None):
    return load_article(path, path.parent, {}, {}, [] if warnings is None else warnings)


def test_front_matter_values_and_body_line(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: T\nauthor: Ann\nkeywords: [x, y]\ndate: 2024-02-29\n---\n\nBody.\n")
    article = load(path)
    assert article.meta.title == "T"
    assert article.meta.author_names == ("Ann",)
    assert article.meta.keywords == ("x", "y")
    assert article.meta.date.isoformat() == "2024-02-29"
    assert article.body_line == 7
    assert article.body.strip() == "Body."
    assert article.meta.slug == "a"


def test_title_from_leading_heading_is_not_repeated(tmp_path: Path) -> None:
    path = tmp_path / "notes_on-things.md"
    path.write_text("# The *Real* Title\n\nText.\n\n## Part\n")
    article = load(path)
    assert article.meta.title == "The Real Title"
    assert "# The" not in article.body and "## Part" in article.body


def test_a_later_section_heading_is_not_the_title(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("Intro first.\n\n## Section Title\n")
    article = load(path)
    assert article.meta.title == "x"
    assert "## Section Title" in article.body


def test_a_title_from_a_heading_is_its_plain_text(tmp_path: Path) -> None:
    """README headings carry badges and links: the title keeps only the words."""
    path = tmp_path / "readme.md"
    path.write_text(
        '<p align="center"><img src="logo.png" alt="logo"></p>\n\n'
        "# nvm [![Tests][3]][4] [![Chat](https://img.shields.io/x.svg)](https://chat) `v0.40` \\*\n\n"
        "[3]: https://ci/badge.svg\n[4]: https://ci\n\n## Install\n"
    )
    article = load(path)
    assert article.meta.title == "nvm v0.40 *"
    assert "## Install" in article.body


def test_title_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "release_notes-2024.md"
    path.write_text("Just text, no heading.\n")
    assert load(path).meta.title == "release notes 2024"


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "w.md"
    path.write_bytes("\ufeff---\r\ntitle: Windows\r\n---\r\n\r\nLine one.\r\n".encode())
    article = load(path)
    assert article.meta.title == "Windows"
    assert "\r" not in article.body


def test_not_utf8_names_the_line_and_suggests_converting(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes(b"# Title\n\nCaf\xe9 au lait\n")
    with pytest.raises(BuildError) as info:
        load(path)
    assert info.value.line == 3
    assert "not valid UTF-8" in info.value.message and "UTF-8" in info.value.message


def test_empty_file_is_refused_but_front_matter_only_builds(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    with pytest.raises(BuildError, match="the file is empty"):
        load(empty)
    only = tmp_path / "only.md"
    only.write_text("---\ntitle: Just a title\n---\n")
    assert load(only).meta.title == "Just a title"


def test_unclosed_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "u.md"
    path.write_text("---\ntitle: x\n\nBody\n")
    with pytest.raises(BuildError) as info:
        load(path)
    assert (info.value.line, info.value.message) == (1, "front matter opened with '---' is never closed")


def test_defaults_then_front_matter_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "o.md"
    path.write_text("---\ntitle: Mine\npublisher: Article\n---\nx\n")
    article = load_article(path, tmp_path, {"publisher": "Project", "lang": "de"}, {"title": "CLI"}, [])
    assert (article.meta.title, article.meta.publisher, article.meta.lang) == ("CLI", "Article", "de")


def test_find_articles_sorted_and_skips_hidden_folders(tmp_path: Path) -> None:
    for name in ["b.md", "a/z.md", ".git/x.md", "a/.hidden/y.md", "c.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in find_articles([tmp_path])]
    assert found == ["a/z.md", "b.md"]


def test_find_articles_puts_packs_last_and_resolves_links(tmp_path: Path) -> None:
    top = tmp_path / "project"
    for name in ["content/b.md", "content/a/z.md", "content/reader.pack.yaml", "content/a/zz.pack.yaml", "elsewhere/far.md"]:
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text("x")
    (top / "content" / "linked.md").symlink_to(top / "elsewhere" / "far.md")  # a linked article: its target
    (top / "content" / "folder-link").symlink_to(top / "elsewhere", target_is_directory=True)  # not followed
    (tmp_path / "alias").symlink_to(top, target_is_directory=True)
    found = [p.relative_to(top).as_posix() for p in find_articles([tmp_path / "alias" / "content"])]
    assert found == ["content/a/z.md", "content/b.md", "elsewhere/far.md", "content/a/zz.pack.yaml", "content/reader.pack.yaml"]


@pytest.mark.parametrize(
    ("front_matter", "name"),
    [
        ("title: T\n", "article"),
        ("title: T\nslug: chosen\n", "chosen"),
        ("defaults: &d\n  slug: anchored\n<<: *d\n", "anchored"),
        ('"sl\\x75g": escaped\n', "escaped"),
        ("{title: T, slug: flow}\n", "flow"),
        ("title: [unclosed\n", "article"),
    ],
    ids=["none", "plain", "merge-key", "escaped-key", "flow", "invalid-yaml"],
)
def test_output_names_read_from_front_matter(tmp_path: Path, front_matter: str, name: str) -> None:
    from pressroom.load.articles import output_name

    source = tmp_path / "article.md"
    source.write_text(f"---\n{front_matter}---\n\nText.\n", encoding="utf-8")
    assert output_name(source, {}) == name
    assert output_name(source, {"slug": "given"}) == "given"


def test_toml_front_matter(tmp_path: Path) -> None:
    """Hugo's front matter between +++ lines; its keys' lines are known for messages."""
    path = tmp_path / "post.md"
    path.write_text(
        '+++\ntitle = "Hugo post"\ndate = 2023-09-14T10:00:00Z\ntags = ["a", "b"]\ndraft = false\n[params]\nx = 1\n+++\n\nBody.\n'
    )
    warnings: list = []
    article = load(path, warnings)
    assert (article.meta.title, article.meta.date.isoformat(), article.meta.keywords) == ("Hugo post", "2023-09-14", ("a", "b"))
    assert article.body.strip() == "Body." and article.body_line == 9
    assert [(w.message.split(" ignored")[0], w.line) for w in warnings] == [("unknown key 'params'", None)]  # draft: Hugo's own
    path.write_text('+++\ntitle = "x"\nnot toml\n+++\n')
    with pytest.raises(BuildError) as info:
        load(path)
    assert info.value.line == 3 and info.value.message.startswith("invalid TOML in front matter")


def test_an_override_replaces_a_bad_front_matter_value_before_it_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ndate: someday\n---\nText.\n")
    import datetime as dt

    article = load_article(path, tmp_path, {}, {"date": dt.date(2024, 1, 2)}, [])
    assert article.meta.date == dt.date(2024, 1, 2)
