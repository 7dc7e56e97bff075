"""Fitting the handout to a number of pages (``fit_pages``), read back from the PDF: pages, type
sizes, margins, measure, footnotes, warnings, cost; and the search itself, on its own."""

from __future__ import annotations

import collections
import re
import statistics
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from helpers import (
    MM,
    SEED_ARTICLE,
    Run,
    article_paragraphs,
    assert_epubcheck_clean,
    body_line_lengths,
    pdf_body_text,
    run_cli,
    sentences,
    squash,
    write_article,
)

from pressroom.load.metadata import Metadata
from pressroom.render.fit import STEPS, Trial, fit_to_pages
from pressroom.render.handout import text_measure

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
FIT_LINE = 3  # the line of ``fit_pages`` in the seed copies below


def seed_with(folder: Path, *keys: str) -> Path:
    """The seed article as ``folder/seed.md`` with front-matter ``keys`` added from line 3 on
    (``fit_pages: 2`` first puts that key on :data:`FIT_LINE`)."""
    lines = SEED_ARTICLE.read_text(encoding="utf-8").splitlines(keepends=True)
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "seed.md"
    source.write_text("".join([*lines[:2], *(f"{key}\n" for key in keys), *lines[2:]]), encoding="utf-8")
    return source


def build(source: Path, *args: str, formats: str = "pdf") -> Run:
    run = run_cli(source, "--out", source.parent / "out", "--format", formats, "--force", *args, env=EPOCH)
    assert run.code == 0, run.err
    return run


def pdf_of(source: Path) -> Path:
    return source.parent / "out" / f"{source.stem}.pdf"


def page_count(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


def body_sizes(path: Path) -> collections.Counter[float]:
    """The sizes of the body face's characters (the serif), over every page."""
    with pdfplumber.open(path) as pdf:
        return collections.Counter(round(c["size"], 2) for page in pdf.pages for c in page.chars if "Serif" in c["fontname"])


def text_extent_mm(path: Path) -> tuple[float, float, float, float]:
    """The least distance of any character to the left, right and top edge, and of any
    character above the running footer to the bottom edge, over every page, in millimetres."""
    left = right = top = bottom = 1000.0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for char in page.chars:
                left = min(left, char["x0"] / MM)
                right = min(right, (page.width - char["x1"]) / MM)
                if char["size"] > 8:  # the footer is 7.5 pt, in the bottom margin
                    top = min(top, char["top"] / MM)
                    bottom = min(bottom, (page.height - char["bottom"]) / MM)
    return left, right, top, bottom


# -- the seed, fitted -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """The seed (three A4 pages as designed) with ``fit_pages: 2``, built with -v."""
    source = seed_with(tmp_path_factory.mktemp("fitted"), "fit_pages: 2")
    return source, build(source, "-v")


def test_the_seed_with_fit_pages_2_is_two_pages_of_body_text_at_9_5_pt_or_more(fitted: tuple[Path, Run], tmp_path: Path) -> None:
    source, run = fitted
    designed = seed_with(tmp_path / "designed")
    build(designed)
    assert page_count(pdf_of(designed)) == 3
    pdf = pdf_of(source)
    assert page_count(pdf) == 2
    sizes = body_sizes(pdf)
    assert min(sizes) >= 9.5, sizes
    assert sizes.most_common(1)[0][0] < 10.5  # set smaller than designed: it had to be
    assert "warning" not in run.err, run.err


def test_the_fitted_seed_keeps_margins_of_15_mm_a_readable_measure_and_every_sentence(fitted: tuple[Path, Run]) -> None:
    source, _ = fitted
    pdf = pdf_of(source)
    left, right, top, bottom = text_extent_mm(pdf)
    assert min(left, right, top, bottom) >= 15 - 0.2, (left, right, top, bottom)
    lengths = body_line_lengths(pdf)
    assert 60 <= statistics.median(lengths) <= 75, sorted(lengths)
    assert len([n for n in lengths if 58 <= n <= 75]) >= 0.95 * len(lengths), sorted(lengths)
    text = squash(pdf_body_text(pdf, footer_height=12 * MM))
    missing = [s for p in article_paragraphs(SEED_ARTICLE) for s in sentences(p) if squash(s) not in text]
    assert missing == []


def test_verbose_reports_the_cost_of_the_fit_in_layout_passes_and_seconds(fitted: tuple[Path, Run], tmp_path: Path) -> None:
    _, run = fitted
    found = re.search(r"layout (\d+\.\d\d) s \((\d+) passes\)", run.out)
    assert found, run.out
    assert 3 <= int(found.group(2)) <= 6  # as designed, tightest, then a bisection of 16 steps (4)
    plain = build(seed_with(tmp_path), "-v")
    assert re.search(r"layout \d+\.\d\d s \(1 pass\)", plain.out), plain.out


def test_fitting_is_reproducible_and_a_handout_that_fits_as_designed_is_untouched(fitted: tuple[Path, Run], tmp_path: Path) -> None:
    source, _ = fitted
    again = seed_with(tmp_path / "again", "fit_pages: 2")
    build(again)
    assert pdf_of(again).read_bytes() == pdf_of(source).read_bytes()
    roomy, designed = seed_with(tmp_path / "roomy", "fit_pages: 3"), seed_with(tmp_path / "designed")
    build(roomy)
    build(designed)
    assert pdf_of(roomy).read_bytes() == pdf_of(designed).read_bytes()


def test_an_impossible_fit_warns_at_the_key_by_how_many_lines_and_sets_as_few_pages_as_the_bounds_reach(
    fitted: tuple[Path, Run], tmp_path: Path
) -> None:
    source = seed_with(tmp_path, "fit_pages: 1")
    run = build(source)
    found = re.search(
        rf"seed\.md:{FIT_LINE}: warning: 'fit_pages: 1' is out of reach: even set as tight as a handout may be \(body text down to 9\.5 pt,"
        r"[^)]*margins down to 15 mm\) it runs (\d+) lines over 1 page; it is set on 2 pages, no tighter than that takes",
        run.err,
    )
    assert found, run.err
    assert 30 < int(found.group(1)) < 80  # the second page of the tightest layout: most of a page of text
    # the fewest pages the bounds reach (2), no tighter than that takes: fit_pages: 2's very layout
    assert pdf_of(source).read_bytes() == pdf_of(fitted[0]).read_bytes()


def test_when_tightening_saves_no_page_the_handout_is_as_designed(tmp_path: Path) -> None:
    fixed = seed_with(tmp_path / "fixed", "fit_pages: 2", "font_size: 11")
    run = build(fixed)
    assert f"seed.md:{FIT_LINE}: warning: 'fit_pages: 2' is out of reach" in run.err
    assert "(body text at its set size," in run.err and "as designed (tightening saves no page)" in run.err
    designed = seed_with(tmp_path / "designed", "font_size: 11")
    build(designed)
    assert pdf_of(fixed).read_bytes() == pdf_of(designed).read_bytes()


def test_font_size_stays_exactly_and_the_rest_tightens(tmp_path: Path) -> None:
    source = seed_with(tmp_path, "fit_pages: 2", "font_size: 10")
    run = build(source)
    assert "warning" not in run.err, run.err
    pdf = pdf_of(source)
    assert page_count(pdf) == 2
    assert body_sizes(pdf).most_common(1)[0][0] == 10.0


def test_large_print_keeps_its_16_pt_text_and_says_so_when_that_is_not_enough(tmp_path: Path) -> None:
    six = seed_with(tmp_path / "six", "fit_pages: 6", "theme: large-print")
    build(six)  # seven pages as designed: the margins and the space around headings win one
    with pdfplumber.open(pdf_of(six)) as pdf:
        assert len(pdf.pages) == 6
        sizes = collections.Counter(round(c["size"], 1) for page in pdf.pages for c in page.chars)
    assert sizes.most_common(1)[0][0] == 16.0 and min(sizes) >= 14.0, sizes
    five = seed_with(tmp_path / "five", "fit_pages: 5", "theme: large-print")
    run = build(five)
    assert f"seed.md:{FIT_LINE}: warning: 'fit_pages: 5' is out of reach" in run.err
    assert "large print keeps its text size, leading and paragraph spacing" in run.err
    assert page_count(pdf_of(five)) == 6


def test_two_columns_fit_and_keep_their_measure(tmp_path: Path) -> None:
    designed = seed_with(tmp_path / "designed", "paper: letter", "columns: 2")
    run = build(designed)
    assert page_count(pdf_of(designed)) == 3
    # the seed in two Letter columns: a third page of two lines, a warning that suggests the key
    assert re.search(r"seed\.md: warning: the last page of text holds only [1-5] lines?: 'fit_pages: 2'", run.err), run.err
    source = seed_with(tmp_path / "fitted", "fit_pages: 2", "paper: letter", "columns: 2")
    run = build(source)
    assert "warning" not in run.err, run.err
    pdf = pdf_of(source)
    assert page_count(pdf) == 2
    assert min(body_sizes(pdf)) >= 9.5
    lengths = body_line_lengths(pdf, 2, slack=30.0)
    assert 38 <= statistics.median(lengths) <= 55, sorted(lengths)


def test_a_last_page_of_a_few_lines_is_a_warning_that_suggests_fit_pages(tmp_path: Path) -> None:
    """One-line paragraphs: a first build tells how many fill the pages, a second leaves three
    lines for the last page."""
    lines = [f"Line number {n} of the handout." for n in range(1, 121)]
    source = write_article(tmp_path, "---\ntitle: Short Last Page\n---\n\n" + "\n\n".join(lines) + "\n")
    build(source)
    with pdfplumber.open(pdf_of(source)) as pdf:
        first_pages = [squash(page.extract_text()) for page in pdf.pages[:2]]
    held = max(n for n in range(1, 121) if f"Linenumber{n}ofthehandout." in first_pages[1])
    source = write_article(tmp_path, "---\ntitle: Short Last Page\n---\n\n" + "\n\n".join(lines[: held + 3]) + "\n")
    run = build(source)
    assert page_count(pdf_of(source)) == 3
    assert "article.md: warning: the last page of text holds only 3 lines: 'fit_pages: 2' in the front matter would set" in run.err
    run = build(source, "-M", "fit_pages=2")
    assert "warning" not in run.err, run.err
    assert page_count(pdf_of(source)) == 2
    full = write_article(tmp_path / "full", "---\ntitle: Short Last Page\n---\n\n" + "\n\n".join(lines[: held + 12]) + "\n")
    assert "last page" not in build(full).err


def test_the_seed_as_designed_has_no_short_last_page_warning(tmp_path: Path) -> None:
    run = build(seed_with(tmp_path))
    assert "last page" not in run.err, run.err


def test_notes_stay_on_their_calls_pages_in_a_fitted_handout(tmp_path: Path) -> None:
    paragraphs = [p for p in SEED_ARTICLE.read_text(encoding="utf-8").split("\n---\n", 1)[1].split("\n\n") if p.strip()]
    body, notes, number = [], [], 0
    for index, paragraph in enumerate(paragraphs):
        if not paragraph.startswith("#") and index % 3 == 1 and number < 9:
            number += 1
            paragraph = f"{paragraph.rstrip()} Claim {number}.[^n{number}]"
            notes.append(f"[^n{number}]: Evidence {number}: " + "a note long enough to take two lines at the foot of the page. " * 2)
        body.append(paragraph)
    text = "---\ntitle: Notes\n---\n\n" + "\n\n".join(body) + "\n\n" + "\n\n".join(notes) + "\n"
    designed = write_article(tmp_path / "designed", text)
    # WeasyPrint would print some of these notes a page late: laid out again (the plain path) or not (accel.notes_stay)
    assert re.search(r"layout \d+\.\d\d s \(\d+ pass(es)?\)", build(designed, "-v").out)
    assert page_count(pdf_of(designed)) == 4
    source = write_article(tmp_path, text.replace("title: Notes\n", "title: Notes\nfit_pages: 3\n"))
    run = build(source, "-v")
    assert "warning" not in run.err, run.err
    with pdfplumber.open(pdf_of(source)) as pdf:
        pages = [squash(page.extract_text()) for page in pdf.pages]
    assert len(pages) == 3
    for n in range(1, number + 1):
        call = next(i for i, page in enumerate(pages) if f"Claim{n}." in page)
        note = next(i for i, page in enumerate(pages) if f"Evidence{n}:" in page)
        assert call == note, n


def test_the_epub_and_the_web_page_are_not_fitted(fitted: tuple[Path, Run], tmp_path: Path) -> None:
    designed, fit = seed_with(tmp_path / "designed"), seed_with(tmp_path / "fit", "fit_pages: 2")
    for source in (designed, fit):
        build(source, formats="pdf,epub,html")
    web = [(s.parent / "out" / "seed" / "index.html").read_bytes() for s in (designed, fit)]
    assert web[0] == web[1]
    epubs = [zipfile.ZipFile(s.parent / "out" / "seed.epub") for s in (designed, fit)]
    names = epubs[0].namelist()
    assert names == epubs[1].namelist()
    differ = [n for n in names if epubs[0].read(n) != epubs[1].read(n)]
    # only where the print pages are listed: the page breaks, the page-list, the page source's count
    assert set(differ) <= {"EPUB/chapter.xhtml", "EPUB/nav.xhtml", "EPUB/toc.ncx", "EPUB/content.opf"}, differ
    opf = [epub.read("EPUB/content.opf").decode() for epub in epubs]
    assert opf[0].replace("3 pages", "2 pages").replace("3-page", "2-page") == opf[1]
    chapter = "EPUB/chapter.xhtml"
    assert squash(re.sub(r"<[^>]+>", " ", epubs[0].read(chapter).decode())) == squash(
        re.sub(r"<[^>]+>", " ", epubs[1].read(chapter).decode())
    )
    assert epubs[1].read(chapter).count(b'epub:type="pagebreak"') == 2
    assert_epubcheck_clean(fit.parent / "out" / "seed.epub")


def test_a_changed_fit_pages_rebuilds_and_an_unchanged_one_is_answered_by_the_cache(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    source = seed_with(tmp_path / "content")
    args = ("--format", "pdf")
    first = run_cli(*args, cwd=tmp_path, env=EPOCH)
    second = run_cli(*args, "-M", "fit_pages=2", cwd=tmp_path, env=EPOCH)
    third = run_cli(*args, "-M", "fit_pages=2", cwd=tmp_path, env=EPOCH)
    assert [r.code for r in (first, second, third)] == [0, 0, 0]
    assert "wrote dist/seed.pdf" in first.out and "wrote dist/seed.pdf" in second.out and "unchanged dist/seed.pdf" in third.out
    assert page_count(tmp_path / "dist" / "seed.pdf") == 2
    source.write_text(source.read_text().replace("lang: en\n", "lang: en\nfit_pages: 3\n"))
    assert "wrote dist/seed.pdf" in run_cli(*args, cwd=tmp_path, env=EPOCH).out
    assert page_count(tmp_path / "dist" / "seed.pdf") == 3


def test_fit_pages_must_leave_a_page_for_the_text_after_the_notes_pages(tmp_path: Path) -> None:
    source = seed_with(tmp_path, "fit_pages: 2", "notes_pages: 2")
    message = f"seed.md:{FIT_LINE}: error: 'fit_pages: 2' leaves no page for the text: notes_pages adds 2"
    for run in (run_cli(source, "--out", tmp_path / "out", "--format", "pdf", env=EPOCH), run_cli("check", source)):
        assert run.code == 1
        assert message in run.err


def test_notes_pages_count_among_the_fitted_pages(tmp_path: Path) -> None:
    source = seed_with(tmp_path, "fit_pages: 3", "notes_pages: 1")
    run = build(source)
    assert "warning" not in run.err, run.err
    with pdfplumber.open(pdf_of(source)) as pdf:
        assert len(pdf.pages) == 3
        assert "Notes" in (pdf.pages[-1].extract_text() or "")


# -- the search and the bounds, on their own ---------------------------------------------------


@dataclass
class Pages:
    """Stands in for a laid-out document: only its number of pages is read."""

    pages: list[None]


def search(pages_at: list[int], wanted: int) -> tuple[int, int, list[int]]:
    """(step chosen, its pages, steps laid out) for a handout taking ``pages_at[step]`` pages."""
    tried: list[int] = []

    def layout(step: int) -> Trial:
        tried.append(step)
        return Trial(step, Pages([None] * pages_at[step]))

    fit = fit_to_pages(layout, wanted)
    return fit.chosen.step, fit.chosen.pages, tried


def test_the_search_finds_the_least_tightness_that_fits_in_six_layouts_at_most() -> None:
    for first_fit in range(1, STEPS + 1):
        pages_at = [3] * first_fit + [2] * (STEPS + 1 - first_fit)
        step, pages, tried = search(pages_at, 2)
        assert (step, pages) == (first_fit, 2)
        assert len(tried) <= 6 and tried[:2] == [0, STEPS]


def test_the_search_lays_out_once_when_the_handout_fits_and_twice_when_tightening_saves_no_page() -> None:
    assert search([2] * (STEPS + 1), 2) == (0, 2, [0])
    assert search([3] * (STEPS + 1), 2) == (0, 3, [0, STEPS])


def test_out_of_reach_the_search_keeps_the_least_tightness_for_the_fewest_pages_the_bounds_reach() -> None:
    pages_at = [5] * 4 + [4] * 9 + [3] * (STEPS + 1 - 13)
    assert search(pages_at, 1)[:2] == (13, 3)


def test_the_tightest_measure_keeps_to_the_bounds() -> None:
    for paper, columns in [("a4", 1), ("a4", 2), ("letter", 1), ("a5", 1), ("170mmx240mm", 2)]:
        meta = Metadata(title="T", slug="t", paper=paper, columns=columns)
        normal, tightest = text_measure(meta), text_measure(meta, 1.0, 1.45)
        margins = [float(v.removesuffix("mm")) for v in tightest.margins.split()]
        assert min(margins) >= 15 - 1e-9 and tightest.body_pt == 9.5
        assert tightest.leading == 1.305 and tightest.space == 0.5
        assert normal.leading is None and normal.space == 1.0 and normal.body_pt >= 9.5
    own = Metadata(title="T", slug="t", margins="10mm", font_size=11)
    assert text_measure(own, 1.0, 1.45).margins.split()[0] == "10.00mm"  # a narrower margin stays
    assert text_measure(own, 1.0, 1.45).body_pt == 10.5  # the size is the article's: the measure's stays
    large = Metadata(title="T", slug="t", theme="large-print")
    assert text_measure(large, 1.0, 1.5).leading is None
