"""Each footnote prints on the page that calls it (pressroom/render/footnotes.py, handout.css)."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
from helpers import run_cli, write_article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MM = 72 / 25.4
FOOTER = 24 * MM  # handout.css: the bottom margin holds the running footer (7.5 pt digits)
CALL_SIZE = 8.3  # a call is 0.7 em of 10.5 or 11.5 pt; a note's own number is 8.5 pt
WORDS = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore".split()


def call_and_note_pages(pdf_path: Path) -> tuple[dict[int, int], dict[int, int]]:
    """Note number → page of its call (the superscript in the body), and → page of its text.
    Each note's text starts with the word ``NoteNtext``, N its number."""
    calls: dict[int, int] = {}
    notes: dict[int, int] = {}
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for word in page.extract_words():
                if match := re.fullmatch(r"Note(\d+)text", word["text"]):
                    notes.setdefault(int(match.group(1)), number)
            digits = [
                c for c in page.chars
                if c["text"].isdigit() and c["size"] < CALL_SIZE and c["top"] < page.height - FOOTER
            ]  # fmt: skip
            digits.sort(key=lambda c: (round(c["top"]), c["x0"]))
            run: list[dict] = []
            for char in [*digits, None]:
                if char is not None and run and abs(char["top"] - run[-1]["top"]) < 1 and char["x0"] - run[-1]["x1"] < 1:
                    run.append(char)
                    continue
                if run:
                    calls.setdefault(int("".join(c["text"] for c in run)), number)
                run = [char] if char is not None else []
    return calls, notes


def build(folder: Path, text: str) -> Path:
    source = write_article(folder, text)
    run = run_cli(source, "--out", folder / "out", "--format", "pdf", "-q")
    assert run.code == 0, run.err
    return folder / "out" / "article.pdf"


def test_a_note_that_does_not_fit_under_a_full_page_takes_its_calling_line_along(tmp_path: Path) -> None:
    """Page 2 is full when note 2 is called near its foot: the calling line and the note go to
    page 3 together."""
    filler = " ".join(WORDS * 3)
    paragraphs = [f"Opening claim.[^1] {filler}"] + [filler] * 17 + [f"{filler} Final claim.[^2] {filler}"]
    notes = "[^1]: Note1text short.\n[^2]: Note2text " + " ".join(WORDS * 4) + ".\n"
    pdf = build(tmp_path, "---\ntitle: Full page\n---\n\n" + "\n\n".join(paragraphs) + "\n\n" + notes)
    calls, notes_at = call_and_note_pages(pdf)
    assert calls == notes_at == {1: 1, 2: 3}  # WeasyPrint alone: call 2 on page 2, its note on page 3


def test_a_moved_calling_line_keeps_the_epub_page_list_on_the_printed_pages(tmp_path: Path) -> None:
    """Moving only the calling line splits its paragraph in the print HTML: the page map still
    counts it as one paragraph, and the paragraph before the break ends at the margin."""
    from test_convert_pagemap import check_page_list

    filler = " ".join(WORDS * 3)
    paragraphs = [filler] * 17 + [f"{filler} {filler} Final claim.[^1] {filler}"]
    notes = "[^1]: Note1text " + " ".join(WORDS * 6) + ".\n"
    source = write_article(tmp_path, "---\ntitle: Split\n---\n\n" + "\n\n".join(paragraphs) + "\n\n" + notes)
    run = run_cli(source, "--out", tmp_path / "out", "-q")
    assert run.code == 0, run.err
    calls, notes_at = call_and_note_pages(tmp_path / "out" / "article.pdf")
    assert calls == notes_at and notes_at[1] > 1
    check_page_list(tmp_path / "out" / "article.epub", tmp_path / "out" / "article.pdf")


def test_a_note_taller_than_the_page_is_a_warning_with_its_line(tmp_path: Path) -> None:
    text = "---\ntitle: Tall\npaper: a5\n---\n\nA claim.[^big]\n\n[^big]: Note1text " + " ".join(WORDS * 80) + ".\n"
    source = write_article(tmp_path, text)
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf")
    assert run.code == 0, run.err
    assert "article.md:8: warning: footnote [^big] is taller than" in run.err


def article(draw: st.DrawFn) -> tuple[str, int]:
    paper = draw(st.sampled_from(["a4", "letter", "a5"]))
    columns = draw(st.sampled_from([1, 2]))
    paragraphs, notes = [], []
    for _ in range(draw(st.integers(3, 12))):
        words = [WORDS[i % len(WORDS)] for i in range(draw(st.integers(8, 200)))]
        calls = sorted(draw(st.lists(st.integers(1, len(words)), max_size=2)), reverse=True)
        for position in calls:
            words.insert(position, "CALL")
        for index, word in enumerate(words):
            if word == "CALL":
                number = len(notes) + 1
                words[index] = f"w{number}[^{number}]"
                length = draw(st.integers(2, 100))
                notes.append(f"[^{number}]: Note{number}text " + " ".join(WORDS[i % len(WORDS)] for i in range(length)) + ".")
        paragraphs.append(" ".join(words) + ".")
    front = f"---\ntitle: Generated\npaper: {paper}\ncolumns: {columns}\n---\n\n"
    return front + "\n\n".join(paragraphs) + "\n\n" + "\n".join(notes) + "\n", len(notes)


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(generated=st.composite(article)())
def test_every_note_prints_on_the_page_of_its_call(tmp_path: Path, generated: tuple[str, int]) -> None:
    text, count = generated
    calls, notes = call_and_note_pages(build(tmp_path, text))
    assert set(notes) == set(range(1, count + 1))
    assert {n: calls.get(n) for n in notes} == notes
