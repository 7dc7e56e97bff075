"""The article's language in print: quotation marks, French spacing, long dates, the layouts' words."""

from __future__ import annotations

import datetime as dt

import pytest

from pressroom.convert import commonmark
from pressroom.convert.language import NBSP, NNBSP, language, smarten
from pressroom.render.layouts import page_count

DAY = dt.date(2026, 3, 14)


@pytest.mark.parametrize(
    ("lang", "date", "page"),
    [
        ("en", "14 March 2026", "Page 2 of 5"),
        ("en-US", "March 14, 2026", "Page 2 of 5"),
        ("fr", "14 mars 2026", "Page 2 sur 5"),
        ("de", "14. März 2026", "Seite 2 von 5"),
        ("es", "14 de marzo de 2026", "Página 2 de 5"),
        ("it", "14 marzo 2026", "Pagina 2 di 5"),
        ("pt", "14 de março de 2026", "Página 2 de 5"),
        ("nl", "14 maart 2026", "Pagina 2 van 5"),
        ("ru", f"14 марта 2026{NNBSP}г.", "Страница 2 из 5"),
        ("el", "14 Μαρτίου 2026", "Σελίδα 2 από 5"),
        ("ar", "14 مارس 2026", "صفحة 2 من 5"),
        ("fa", "14 مارس 2026", "صفحهٔ 2 از 5"),
        ("he-IL", "14 במרץ 2026", "עמוד 2 מתוך 5"),
        ("hi", "14 मार्च 2026", "पृष्ठ 2 / 5"),
        ("zh-Hans", "2026年3月14日", "第 2 页，共 5 页"),
        ("zh-TW", "2026年3月14日", "第 2 頁，共 5 頁"),
        ("ja", "2026年3月14日", "2 / 5 ページ"),
        ("ko", "2026년 3월 14일", "2 / 5 페이지"),
        ("xx", "14 March 2026", "Page 2 of 5"),
    ],
)
def test_long_dates_and_the_footer_in_each_language(lang: str, date: str, page: str) -> None:
    setting = language(lang)
    assert setting.long_date(DAY) == date
    assert setting.words["page_of"].format(page=2, pages=5) == page


def test_the_page_count_becomes_css_content_with_counters() -> None:
    assert page_count("第 {page} 页，共 {pages} 页") == '"第 " counter(page) " 页，共 " counter(pages) " 页"'
    assert page_count('{page} / {pages} "x"') == 'counter(page) " / " counter(pages) " \\22 x\\22 "'


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "He said “hello” – it’s ‘fine’…"),
        ("fr", f"He said «{NBSP}hello{NBSP}» – it’s “fine”…"),
        ("de", "He said „hello“ – it’s ‚fine‘…"),
        ("es", "He said «hello» – it’s “fine”…"),
        ("nl", "He said “hello” – it’s ‘fine’…"),
        ("ru", "He said «hello» – it’s „fine“…"),
        ("ja", "He said 「hello」 – it’s 『fine』…"),
        ("ko", "He said “hello” – it’s ‘fine’…"),
        ("ar", "He said «hello» – it’s ‹fine›…"),
    ],
)
def test_front_matter_text_gets_the_language_s_quotation_marks(lang: str, expected: str) -> None:
    assert smarten("He said \"hello\" -- it's 'fine'...", lang) == expected


def test_french_spacing_before_high_punctuation_but_not_in_urls_or_times() -> None:
    text = smarten("Pourquoi ? Parce que! Note: voir https://example.org/?q=1 à 10:30; fin", "fr")
    assert text == f"Pourquoi{NNBSP}? Parce que{NNBSP}! Note{NBSP}: voir https://example.org/?q=1 à 10:30{NNBSP}; fin"


def test_the_body_gets_the_language_s_quotation_marks_and_never_in_code() -> None:
    source = 'Il dit "bonjour" ! Voici : `a;b!` et "salut".'

    def html(lang: str) -> str:
        return commonmark.render(source, lambda paragraph: [], lang).html

    assert f"«{NBSP}bonjour{NBSP}»{NNBSP}! Voici{NBSP}: <code>a;b!</code>" in html("fr")
    assert "„bonjour“ ! Voici : <code>a;b!</code> et „salut“." in html("de")
    assert "“bonjour” ! Voici : <code>a;b!</code>" in html("en")  # the parser keeps no language between articles
