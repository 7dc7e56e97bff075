"""Font coverage: characters of the article and of what the stylesheets generate for it (list
markers, ``content`` strings) that the bundled fonts cannot draw are drawn by the Noto face the
layouts name for their script and language, else reported with their line; a character no
installed font has is an error unless the article allows it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pdfplumber
import pypdf
import pytest
from helpers import REPO, SEED_ARTICLE, assert_epubcheck_clean, run_cli, write_article

from pressroom.render.glyphs import chosen_families, generated_characters

NESTED_LISTS = """

## Checklist

- Join a state association
    - attend its conference
        - present a poster
1. Renew the membership
    - before June
"""


def embedded_fonts(path: Path) -> set[str]:
    reader = pypdf.PdfReader(path)
    return {str(font.get_object()["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}


def warnings_of(run) -> list[str]:
    return [line for line in (run.out + run.err).splitlines() if ": warning: " in line]


def test_nested_list_bullets_come_from_the_bundled_fonts(tmp_path: Path) -> None:
    source = tmp_path / "seed.md"
    source.write_text(SEED_ARTICLE.read_text(encoding="utf-8") + NESTED_LISTS, encoding="utf-8")
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf")
    assert run.code == 0, run.err
    assert warnings_of(run) == []
    fonts = embedded_fonts(tmp_path / "out" / "seed.pdf")
    assert fonts and all("Pressroom-" in name for name in fonts), fonts  # no DejaVu for – or ‣


def test_markers_and_content_a_layout_generates_are_checked(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    style = '<style>ul ul { list-style-type: circle; } .pointer::before { content: "\\261E  "; }</style>'
    write_article(
        tmp_path / "layouts",
        f'{{% extends "default/handout.html" %}}\n{{% block head %}}{{{{ super() }}}}{style}{{% endblock %}}\n',
        "handout.html",
    )
    write_article(
        tmp_path / "content",
        """\
        ---
        title: Lists
        ---
        Intro.

        - Top
            - nested item

        See <span class="pointer">the note</span>.
        """,
        "talk.md",
    )
    run = run_cli("--format", "pdf", cwd=tmp_path)
    assert run.code == 0, run.err
    assert warnings_of(run) == [
        "content/talk.md:7: warning: 2 character(s) not in the bundled fonts are drawn with system fonts:"
        " ◦ (U+25E6, from the stylesheets) ☞ (U+261E, from the stylesheets)"
    ]


def test_a_character_only_the_monospaced_font_has_is_reported_in_text_not_in_code(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: Shapes\n---\nIntro.\n\nIn text ▪ is not.\n\nIn code `▪` is fine.\n")
    run = run_cli("article.md", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert warnings_of(run) == ["article.md:6: warning: 1 character(s) not in the bundled fonts are drawn with system fonts: ▪ (U+25AA)"]
    write_article(tmp_path, "---\ntitle: Shapes\n---\nIn code `▪` is fine.\n")
    assert warnings_of(run_cli("article.md", "--out", "out", "--format", "pdf", cwd=tmp_path)) == []


def test_default_bullets_by_list_depth_unless_a_stylesheet_sets_them() -> None:
    html = "<html><body><ul><li>one<ul><li>two<ol><li>x<ul><li>three</li></ul></li></ol></li></ul></li></ul></body></html>"
    assert generated_characters(html, lambda href: None) == {"•": "one", "◦": "two", "▪": "three"}
    styled = html.replace("<body>", "<head><style>ul { list-style: none }</style></head><body>")
    assert generated_characters(styled, lambda href: None) == {}
    page = "<html><head><style>@page { @bottom-left { content: 'Seite ⅰ' } }</style></head><body></body></html>"
    assert generated_characters(page, lambda href: None) == {"ⅰ": ""}


def test_a_character_in_a_footnote_is_checked_like_the_body(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: Notes\n---\nText.[^a]\n\n[^a]: A note with ▪ in it.\n")
    run = run_cli("article.md", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert warnings_of(run) == ["article.md:6: warning: 1 character(s) not in the bundled fonts are drawn with system fonts: ▪ (U+25AA)"]


# Every script drawn: an article in each of these languages builds with no font warning, in the
# Noto face its language picks (fonts.css), and its words read back from the PDF.
SCRIPTS = {
    "zh": ("zh-Hans", "会议讲义示例", "这是一个用中文写的段落，用来检查每一种文字是否都能正确地印出来。会议讲义经常包含很长的段落，"
           "所以我们需要检查换行是否发生在汉字之间，而且不插入连字符。北京、上海、广州和深圳的图书馆都用自己的文字印刷资料。",
           "Noto-Serif-CJK-SC", ["会议讲义", "图书馆", "连字符"]),
    "ja": ("ja", "学会配布資料の例", "これは日本語で書かれた段落です。大阪や東京の図書館では、自分の文字で資料を印刷します。"
           "ひらがな、カタカナ、漢字が混ざった文章でも、行は文字と文字の間で改行され、ハイフンは挿入されません。",
           "Noto-Serif-CJK-JP", ["日本語", "図書館", "カタカナ"]),
    "ko": ("ko", "학회 배포 자료의 예", "이것은 한국어로 쓴 문단입니다. 서울과 부산의 도서관은 자기 문자로 자료를 인쇄합니다.",
           "Noto-Serif-CJK-KR", ["한국어로", "도서관은", "인쇄합니다"]),
    "hi": ("hi", "सम्मेलन हैंडआउट", "यह हिंदी में लिखा गया एक अनुच्छेद है। दिल्ली और मुंबई के पुस्तकालय अपनी लिपि में छापते हैं।",
           "Noto-Serif-Devanagari", ["लिखा", "अपनी", "छापते"]),  # words without a vowel sign drawn before its consonant
    "ar": ("ar", "مقال تجريبي", "هذه فقرة باللغة العربية. تطبع المكتبات في القاهرة بلغتها الخاصة.",
           "Noto-Naskh-Arabic", ["العربية", "المكتبات", "القاهرة"]),
    "he": ("he", "מאמר לדוגמה", "זוהי פסקה קצרה בעברית. הספריות בירושלים מדפיסות בכתב שלהן.",
           "Noto-Serif-Hebrew", ["בעברית", "הספריות", "בירושלים"]),
    "el": ("el", "Παράδειγμα άρθρου", "Αυτή είναι μια παράγραφος στα ελληνικά. Οι βιβλιοθήκες της Αθήνας τυπώνουν στη δική τους γραφή.",
           "Pressroom-Serif", ["παράγραφος", "βιβλιοθήκες", "Αθήνας"]),
    "ru": ("ru", "Пример статьи", "Это абзац на русском языке. Библиотеки Киева и Москвы печатают своим письмом, съешь же ещё этих булок.",
           "Pressroom-Serif", ["абзац", "Библиотеки", "ещё"]),
}  # fmt: skip


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scripts")
    for name, (lang, title, text, _, _) in SCRIPTS.items():
        write_article(folder, f"---\ntitle: {title}\nlang: {lang}\n---\n{text}\n\n- {text[:12]}\n", f"{name}.md")
    run = run_cli(*(f"{name}.md" for name in SCRIPTS), "--out", "out", "--format", "pdf,epub", cwd=folder)
    assert run.code == 0, run.err
    assert "warning" not in run.out + run.err  # no character drawn by a font the layouts did not choose
    return folder / "out"


def font_names(path: Path) -> set[str]:
    """The fonts a PDF embeds, without their subset prefix."""
    return {name.split("+", 1)[-1] for name in embedded_fonts(path)}


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_is_drawn_by_the_face_its_language_picks(scripts: Path, name: str) -> None:
    _, _, _, face, words = SCRIPTS[name]
    pdf = scripts / f"{name}.pdf"
    fonts = font_names(pdf)
    assert face in fonts
    assert all(font.startswith(("Pressroom-", face.rsplit("-", 1)[0] if "CJK" in face else face)) or "Sans" in font for font in fonts), (
        fonts
    )
    assert not any(font.startswith(("DejaVu", "Liberation")) for font in fonts), fonts  # nothing fell back to what fontconfig found
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    for word in words:  # right-to-left words come out in visual order
        assert word in text or word[::-1] in text, (word, text)
    assert_epubcheck_clean(scripts / f"{name}.epub")


@pytest.mark.parametrize("name", ["zh", "ja"])
def test_chinese_and_japanese_break_between_characters_without_hyphens(scripts: Path, name: str) -> None:
    text = SCRIPTS[name][2]
    with pdfplumber.open(scripts / f"{name}.pdf") as pdf:
        page = pdf.pages[0]
        lines = [line for line in page.extract_text_lines() if line["text"] in text and line["text"] != text[:12]]  # not the list item
    assert len(lines) >= 3
    assert "".join(line["text"] for line in lines) == text  # nothing inserted, nothing lost: no hyphen
    right = max(line["x1"] for line in lines)
    em = 10.5 * 1.1  # the first paragraph's size
    for line in lines[:-1]:  # every line but the last runs to the margin (but for a character kept off a line's start)
        assert line["x1"] > right - 2 * em, line["text"]
        assert not line["text"].endswith(("-", "\u2010"))


def test_the_stacks_a_language_picks() -> None:
    css = (REPO / "pressroom" / "layouts" / "fonts.css").read_text(encoding="utf-8")

    def chosen(html: str) -> tuple[str, ...]:
        return chosen_families(html, lambda href: css if href == "fonts.css" else None)

    head = '<head><link rel="stylesheet" href="fonts.css"></head>'
    chinese = chosen(f'<html lang="zh-Hans">{head}<body><p>中文</p></body></html>')
    assert "Noto Serif CJK SC" in chinese and "Noto Naskh Arabic" in chinese and "Noto Serif CJK JP" not in chinese
    english = chosen(f'<html lang="en">{head}<body><p>Text <span lang="ja">日本語</span></p></body></html>')
    assert "Noto Serif CJK JP" in english and "Noto Serif CJK SC" not in english and "Pressroom Serif" in english


# Characters of scripts no installed font draws (Tangsa, the Khitan small script).
NO_FONT = "\U00016a70\U00018b00"


def no_font_has(characters: str) -> bool:
    """Whether fontconfig knows no font with any of these characters (fc-list, asked directly)."""
    return all(
        not subprocess.run(["fc-list", f":charset={ord(ch):x}", "family"], capture_output=True, text=True, check=True).stdout.strip()
        for ch in characters
    )


def test_a_character_no_font_has_is_an_error_naming_it_and_its_line(tmp_path: Path) -> None:
    assert no_font_has(NO_FONT)
    write_article(tmp_path, f"---\ntitle: Scripts\n---\nIntro.\n\nTangsa {NO_FONT[0]} and Khitan &#x18b00; here.\n")
    run = run_cli("article.md", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    assert (
        "article.md:6: error: 2 character(s) are in no installed font and would print as boxes: \U00016a70 (U+16A70)"
        " \U00018b00 (U+18B00); install a font that has them, or set allow_missing_glyphs: true (or --allow-missing-glyphs)"
        " to print the boxes"
    ) in run.err.splitlines()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing written


def test_a_character_no_font_has_in_the_title_names_its_front_matter_line(tmp_path: Path) -> None:
    write_article(tmp_path, f"---\nlang: en\ntitle: Khitan {NO_FONT[1]}\n---\nIntro.\n")
    run = run_cli("article.md", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert run.code == 1
    assert "article.md:3: error: 1 character(s) are in no installed font" in run.err


@pytest.mark.parametrize("how", ["flag", "front matter"])
def test_missing_glyphs_can_be_allowed(tmp_path: Path, how: str) -> None:
    key = "allow_missing_glyphs: true\n" if how == "front matter" else ""
    write_article(tmp_path, f"---\ntitle: Scripts\n{key}---\nTangsa {NO_FONT[0]}.\n")
    flag = ["--allow-missing-glyphs"] if how == "flag" else []
    run = run_cli("article.md", "--out", "out", "--format", "pdf", *flag, cwd=tmp_path)
    assert run.code == 0, run.err
    line = 5 if key else 4
    assert warnings_of(run) == [
        f"article.md:{line}: warning: 1 character(s) are in no installed font and will print as boxes: \U00016a70 (U+16A70)"
    ]
    assert (tmp_path / "out" / "article.pdf").is_file()
