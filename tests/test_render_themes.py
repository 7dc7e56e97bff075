"""Themes: classic, modern and large print for the handout, the EPUB and the web page; a
project's own theme; ``font_size``."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pdfplumber
from helpers import assert_epubcheck_clean, epub_file, run_cli, write_article

from pressroom.load.settings import BUILTIN_LAYOUTS

LONG = " ".join(
    "Extraordinarily comprehensive understanding of interdisciplinary responsibilities characterises "
    "internationalisation. Uncharacteristically, the counterrevolutionary establishment demonstrated "
    "incomprehensibility."
    for _ in range(6)
)


def build(folder: Path, front: str, *formats: str) -> Path:
    write_article(folder, f"---\ntitle: Themed\n{front}\n---\n\n{LONG}\n\n## A section\n\n{LONG}\n\n{LONG}\n", "themed.md")
    run = run_cli(
        "themed.md", "--out", "out", "--format", ",".join(formats or ("pdf",)), cwd=folder, env={"SOURCE_DATE_EPOCH": "1700000000"}
    )
    assert run.code == 0, run.err
    return folder / "out"


def body_chars(pdf: Path) -> list[dict]:
    """The characters of the body text: neither the title block nor the running footer."""
    with pdfplumber.open(pdf) as document:
        chars = [c for page in document.pages for c in page.chars if c["top"] < page.height - 24 * 72 / 25.4]
    sizes = Counter(round(c["size"], 1) for c in chars)
    body_size = sizes.most_common(1)[0][0]
    return [c for c in chars if round(c["size"], 1) == body_size]


def test_large_print_handout_is_16pt_sans_ragged_and_never_hyphenated(tmp_path: Path) -> None:
    out = build(tmp_path, "theme: large-print", "pdf", "epub", "html")
    pdf = out / "themed.pdf"
    chars = body_chars(pdf)
    assert min(round(c["size"], 1) for c in chars) >= 16
    assert all("Sans" in c["fontname"] for c in chars)
    with pdfplumber.open(pdf) as document:
        lines = [line for page in document.pages for line in (page.extract_text() or "").splitlines()]
        sizes = [c["size"] for page in document.pages for c in page.chars]
    assert min(round(s, 1) for s in sizes) >= 14  # nothing smaller, footers included
    assert not [line for line in lines if line.rstrip().endswith(("-", "\u2010", "\u00ad"))]
    assert_epubcheck_clean(out / "themed.epub")
    assert "font-size: 125%" in epub_file(out / "themed.epub", "EPUB/style/epub.css").decode()
    assert "font-size: 137.5%" in (out / "themed" / "style.css").read_text()


def test_classic_is_serif_modern_is_sans(tmp_path: Path) -> None:
    classic = body_chars(build(tmp_path / "classic", "theme: classic") / "themed.pdf")
    assert all("Serif" in c["fontname"] for c in classic) and round(classic[0]["size"], 1) == 10.5
    modern = body_chars(build(tmp_path / "modern", "theme: modern") / "themed.pdf")
    assert all("Sans" in c["fontname"] for c in modern)


def test_font_size_sets_the_body_text_in_every_output(tmp_path: Path) -> None:
    out = build(tmp_path, "font_size: 13pt", "pdf", "html")
    assert {round(c["size"], 1) for c in body_chars(out / "themed.pdf")} == {13.0}
    assert "html { font-size: 108.3%; }" in (out / "themed" / "style.css").read_text()


def test_an_unknown_theme_or_size_is_an_error_at_its_line(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: T\ntheme: large_print\n---\n\nText.\n", "a.md")
    run = run_cli("a.md", "--out", "out", cwd=tmp_path)
    assert run.err.splitlines()[0] == (
        "a.md:3: error: unknown theme 'large_print' (did you mean 'large-print'?); known: classic, large-print, modern"
    )
    write_article(tmp_path, "---\ntitle: T\nfont_size: huge\n---\n\nText.\n", "b.md")
    run = run_cli("b.md", "--out", "out", cwd=tmp_path)
    assert run.err.splitlines()[0] == "b.md:3: error: 'font_size' must be a size in points from 6 to 48, such as 12pt, not 'huge'"


def test_a_project_copies_a_theme_and_extends_it(tmp_path: Path) -> None:
    themes = tmp_path / "layouts" / "themes"
    shutil.copytree(BUILTIN_LAYOUTS / "themes" / "large-print", themes / "house")
    with (themes / "house" / "handout.css").open("a") as css:
        css.write("html { font-size: 18pt; }\n")
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\ntheme = "house"\n')
    out = build(tmp_path, "subtitle: House style")
    assert {round(c["size"], 1) for c in body_chars(out / "themed.pdf")} == {18.0}


def test_a_reader_pack_takes_one_theme_for_all_its_articles(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: One\ntheme: modern\n---\n\nText of one.\n", "one.md")
    (tmp_path / "r.pack.yaml").write_text("title: Reader\ntheme: large-print\narticles:\n  - one.md\n")
    run = run_cli("r.pack.yaml", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert run.code == 0, run.err
    assert (
        run.err == "one.md:3: warning: 'theme' ignored inside the reader pack r.pack.yaml: the pack's layout applies to all its articles\n"
    )
    assert min(round(c["size"], 1) for c in body_chars(tmp_path / "out" / "r.pdf")) >= 16
