"""The shared Jinja layouts: strict, autoescaped, sandboxed, overridable by a project."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import epub_text, epub_xml, pdf_text, run_cli, write_article

from pressroom.load.settings import BUILTIN_LAYOUTS
from pressroom.model import BuildError
from pressroom.render.layouts import css_string, render


def test_content_is_data_never_template_code(tmp_path: Path) -> None:
    source = write_article(tmp_path, '---\ntitle: "{{ 7*7 }} <b>bold</b> {% raw %}"\n---\n\nBody {{ 6*6 }} text.\n')
    run = run_cli(source, "--out", tmp_path / "out")
    assert run.code == 0, run.err
    epub = tmp_path / "out" / "article.epub"
    assert "{{ 7*7 }} <b>bold</b> {% raw %}" in epub_text(epub)
    assert "Body {{ 6*6 }} text." in epub_text(epub)
    assert "{{ 7*7 }} <b>bold</b>" in pdf_text(tmp_path / "out" / "article.pdf")[0]


def test_undefined_variables_are_errors() -> None:
    with pytest.raises(BuildError, match="undefined value"):
        render((BUILTIN_LAYOUTS,), "article.html")


def test_a_project_layout_overrides_and_extends_the_default(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    write_article(
        tmp_path / "layouts",
        '{% extends "default/handout.html" %}\n{% block title_block %}<p class="event">PyCon Handout</p>{{ super() }}{% endblock %}\n',
        "handout.html",
    )
    write_article(tmp_path / "content", "# Talk\n\nText.\n", "talk.md")
    run = run_cli(cwd=tmp_path)
    assert run.code == 0, run.err
    first_page = pdf_text(tmp_path / "dist" / "talk.pdf")[0]
    assert first_page.startswith("PyCon Handout") and "Talk" in first_page
    assert "PyCon Handout" not in epub_text(tmp_path / "dist" / "talk.epub")  # only the handout changed


def test_template_syntax_errors_name_the_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    write_article(tmp_path / "layouts", "{% extends 'default/handout.html' %}\n{% block head %}{% if %}{% endblock %}\n", "handout.html")
    write_article(tmp_path / "content", "# T\n\nx\n", "t.md")
    run = run_cli("--format", "pdf", cwd=tmp_path)
    assert run.code == 1
    assert "layouts/handout.html:2: error: template syntax error" in run.err


def test_css_string_escapes_quotes_and_markup() -> None:
    assert css_string('Say "hi" </style>\\') == "Say \\22 hi\\22  \\3c /style\\3e \\5c "


def raw_text(epub: Path, name: str) -> str:
    """A document's text with its no-break spaces (lines joined by one space)."""
    return " ".join("".join(epub_xml(epub, name).itertext()).split("\n"))


def spaced(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


LANGUAGE_ARTICLE = """\
    ---
    title: 'Le "grand" rendez-vous des bibliothécaires'
    subtitle: "Pourquoi adhérer ? Parce que c'est utile !"
    lang: {lang}
    date: 2026-03-14
    summary: 'Un résumé : les "associations" aident.'
    event: {{name: 'Journée "Bibliothèques"', place: Lyon}}
    ---

    Il a dit "bonjour" et elle a répondu : "salut !"

    ## Suite

    Une phrase.[^1]

    [^1]: Une note.
    """


@pytest.mark.parametrize(
    ("lang", "quoted", "date", "footer", "contents"),
    [
        ("fr", "«\u00a0bonjour\u00a0»", "14 mars 2026", "Page 1 sur 1", "Sommaire"),
        ("de", "„bonjour“", "14. März 2026", "Seite 1 von 1", "Inhalt"),
        ("es", "«bonjour»", "14 de marzo de 2026", "Página 1 de 1", "Índice"),
    ],
)
def test_the_article_s_language_in_pdf_epub_and_web(tmp_path: Path, lang: str, quoted: str, date: str, footer: str, contents: str) -> None:
    import pdfplumber

    source = write_article(tmp_path, LANGUAGE_ARTICLE.format(lang=lang))
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf,epub,html")
    assert run.code == 0, run.err
    assert "warning" not in run.err
    with pdfplumber.open(tmp_path / "out" / "article.pdf") as pdf:
        text = pdf.pages[0].extract_text()
    title = quoted.replace("bonjour", "grand")
    printed = [spaced(part) for part in (title, quoted, date, footer)]  # pdfplumber reads no-break spaces as spaces
    assert all(part in text for part in printed), (printed, text)
    assert "March" not in text and "Page 1 of 1" not in text
    epub = tmp_path / "out" / "article.epub"
    chapter, titlepage = raw_text(epub, "EPUB/chapter.xhtml"), raw_text(epub, "EPUB/titlepage.xhtml")
    assert quoted in chapter and title in titlepage and date in titlepage
    assert quoted.replace("bonjour", "associations") in titlepage  # the summary
    assert contents in raw_text(epub, "EPUB/nav.xhtml")
    web = (tmp_path / "out" / "article" / "index.html").read_text(encoding="utf-8")
    assert quoted in web and date in web and title in web
    if lang == "fr":
        assert "Pourquoi adhérer\u202f? Parce que c’est\u00a0utile\u202f!" in titlepage  # the last two words kept together
        assert "répondu\u00a0: «\u00a0salut\u202f!\u00a0»" in chapter


def test_an_unknown_language_is_set_in_english_with_one_warning(tmp_path: Path) -> None:
    source = write_article(tmp_path, '---\ntitle: "A \\"test\\""\nlang: tlh\ndate: 2026-03-14\n---\n\nSay "Qapla\'".\n')
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf,epub,html")
    assert run.code == 0, run.err
    assert run.err.count("language 'tlh' is not one Pressroom sets") == 1, run.err
    text = pdf_text(tmp_path / "out" / "article.pdf")[0]
    assert "A “test”" in text and "14 March 2026" in text and "Page 1 of 1" in text


def test_compiled_templates_are_kept_in_the_user_cache_and_compiled_again_when_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pressroom.render.layouts import environment

    monkeypatch.delenv("PRESSROOM_TEMPLATE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "greeting.html").write_text("Hello {{ name }}", encoding="utf-8")
    environment.cache_clear()
    try:
        assert render((layouts,), "greeting.html", name="Ada") == "Hello Ada"
        kept = sorted((tmp_path / "cache" / "pressroom" / "templates").rglob("*.cache"))
        assert len(kept) == 1
        environment.cache_clear()  # a new process: the compiled template is read back
        assert render((layouts,), "greeting.html", name="Ada") == "Hello Ada"
        (layouts / "greeting.html").write_text("Goodbye {{ name }}", encoding="utf-8")
        environment.cache_clear()
        assert render((layouts,), "greeting.html", name="Ada") == "Goodbye Ada"
        monkeypatch.setenv("PRESSROOM_TEMPLATE_CACHE", "off")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))
        environment.cache_clear()
        assert render((layouts,), "greeting.html", name="Ada") == "Goodbye Ada"
        assert not (tmp_path / "other").exists()
    finally:
        environment.cache_clear()
