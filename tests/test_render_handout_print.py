"""Print and conference options: paper, columns, print-shop boxes, tagging, QR code, event, notes pages."""

from __future__ import annotations

import hashlib
import statistics
from pathlib import Path

import pikepdf
import pypdf
import pytest
from helpers import (
    MM,
    SEED_ARTICLE,
    Run,
    article_paragraphs,
    body_line_lengths,
    epub_file,
    glyphs_outside_margins,
    pdf_text,
    run_cli,
    squash,
)

URL = "https://example.org/handouts/professional-organizations"


def run_cli_seed(tmp_path: Path, *options: str, name: str = "seed") -> Run:
    """Build the seed article (as ``name``) into ``out/`` with ``-M`` options; the run, succeeded."""
    source = tmp_path / f"{name}.md"
    if not source.exists():
        source.write_bytes(SEED_ARTICLE.read_bytes())
    args = [item for option in options for item in ("-M", option)]
    run = run_cli(source.name, "--out", "out", "--format", "pdf", "--force", *args, cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert run.code == 0, run.err
    return run


def build_seed(tmp_path: Path, *options: str, name: str = "seed") -> Path:
    run_cli_seed(tmp_path, *options, name=name)
    return tmp_path / "out" / f"{name}.pdf"


@pytest.mark.parametrize("paper", ["a4", "letter", "a5", "170mmx240mm"])
@pytest.mark.parametrize("columns", [1, 2])
def test_every_paper_and_column_count_keeps_text_inside_the_margins(tmp_path: Path, paper: str, columns: int) -> None:
    pdf = build_seed(tmp_path, f"paper={paper}", f"columns={columns}")
    page = pypdf.PdfReader(pdf).pages[0]
    expected = {"a4": (595.3, 841.9), "letter": (612, 792), "a5": (419.5, 595.3), "170mmx240mm": (481.9, 680.3)}[paper]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(expected, abs=0.5)
    assert glyphs_outside_margins(pdf) == []


def test_two_columns_put_body_text_side_by_side_under_a_full_width_title(tmp_path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(build_seed(tmp_path, "columns=2")) as pdf:
        page = pdf.pages[1]
        middle = page.width / 2
        left = [c for c in page.chars if c["x1"] < middle]
        right = [c for c in page.chars if c["x0"] > middle and c["top"] < page.height - 24 * MM]
        assert left and right
        first = pdf.pages[0]
        title = [w for w in first.extract_words() if w["top"] < 80]
        assert max(w["x1"] for w in title) > middle  # the title block spans both columns


def test_bleed_and_crop_marks_set_trim_and_bleed_boxes(tmp_path: Path) -> None:
    pdf = pikepdf.open(build_seed(tmp_path, "bleed=3mm", "marks=crop"))
    page = pdf.pages[0].obj
    media = [float(v) for v in page.MediaBox]
    trim = [float(v) for v in page.TrimBox]
    bleed = [float(v) for v in page.BleedBox]
    assert trim[2] - trim[0] == pytest.approx(595.3, abs=0.5) and trim[3] - trim[1] == pytest.approx(841.9, abs=0.5)
    assert bleed[0] == pytest.approx(trim[0] - 3 * MM, abs=0.2) and bleed[2] == pytest.approx(trim[2] + 3 * MM, abs=0.2)
    assert media[2] - media[0] > bleed[2] - bleed[0]  # room for the marks


def test_the_handout_is_a_tagged_accessible_pdf(tmp_path: Path) -> None:
    pdf = pikepdf.open(build_seed(tmp_path, f"url={URL}"))
    root = pdf.Root
    assert root.MarkInfo.Marked is True
    assert str(root.Lang) == "en"
    assert root.ViewerPreferences.DisplayDocTitle is True
    kinds, figures = [], []

    def walk(element: object) -> None:
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            kinds.append(str(element.S))
            if element.S == "/Figure":
                figures.append(element)
        children = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
        for child in children if isinstance(children, pikepdf.Array) else [children] if children is not None else []:
            walk(child)

    walk(root.StructTreeRoot)
    paragraphs = len(article_paragraphs(SEED_ARTICLE)) - 8
    assert kinds.count("/H1") == 1 and kinds.count("/H2") == 8 and kinds.count("/P") >= paragraphs
    assert kinds.index("/H1") < kinds.index("/H2") < kinds.index("/P", kinds.index("/H2"))  # reading order
    assert figures and all(str(f.Alt) for f in figures)


def test_qr_code_decodes_to_the_url_which_is_also_printed(tmp_path: Path) -> None:
    import pypdfium2
    import zxingcpp

    path = build_seed(tmp_path, f"url={URL}")
    page = pypdfium2.PdfDocument(str(path))[0]
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(page.render(scale=3).to_pil())]
    assert decoded == [URL]
    text = squash(pdf_text(path)[0])
    assert squash("Read or download this handout") in text and squash(URL) in text


def test_qr_can_be_turned_off(tmp_path: Path) -> None:
    path = build_seed(tmp_path, f"url={URL}", "qr=false")
    assert "Read or download this handout" not in pdf_text(path)[0]


def test_event_line_in_title_block_and_footer(tmp_path: Path) -> None:
    pages = pdf_text(build_seed(tmp_path, "event={name: School Library Summit, date: 2026-05-14, place: Lyon}"))
    assert "School Library Summit · 14 May 2026 · Lyon" in pages[0]
    assert all("Professional Organizations — School Library Summit" in page for page in pages)


def test_notes_pages_are_appended_with_the_short_title_in_the_footer(tmp_path: Path) -> None:
    plain = pdf_text(build_seed(tmp_path))
    pages = pdf_text(build_seed(tmp_path, "notes_pages=2", name="notes"))
    assert len(pages) == len(plain) + 2
    for page in pages[-2:]:
        assert page.lstrip().startswith("Notes") and "Professional Organizations" in page
    reader = pypdf.PdfReader(tmp_path / "out" / "notes.pdf")
    assert len(reader.pages[-1].get_contents().get_data()) > 500  # the ruled lines are drawn


@pytest.mark.parametrize("options", [["pdf_variant=pdf/a-3b"], ["pdf_variant=pdf/x-4"], ["bleed=3mm", "marks=crop cross"]])
def test_variants_are_reproducible(tmp_path: Path, options: list[str]) -> None:
    first = hashlib.sha256(build_seed(tmp_path, *options).read_bytes()).hexdigest()
    second = hashlib.sha256(build_seed(tmp_path, *options).read_bytes()).hexdigest()
    assert first == second


def test_options_come_from_project_settings_and_front_matter(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\npaper = "a5"\nnotes_pages = 1\n')
    (tmp_path / "a.md").write_text("# Project default\n\nText.\n")
    (tmp_path / "b.md").write_text("---\npaper: letter\n---\n\nFront matter wins.\n")
    assert run_cli("a.md", "b.md", "--out", "out", "--format", "pdf", cwd=tmp_path).code == 0
    a, b = pypdf.PdfReader(tmp_path / "out" / "a.pdf"), pypdf.PdfReader(tmp_path / "out" / "b.pdf")
    assert float(a.pages[0].mediabox.width) == pytest.approx(419.5, abs=0.5) and len(a.pages) == 2
    assert float(b.pages[0].mediabox.width) == pytest.approx(612, abs=0.5)


def test_a_long_code_block_splits_across_pages_and_a_short_one_stays_whole(tmp_path: Path) -> None:
    """A code block longer than what is left of a page starts there (at least 3 lines on each
    page) instead of leaving a gap; a block of 5 lines cannot be split 3 + 3 and stays whole."""
    filler = "\n\n".join("Words of a paragraph that fills the page. " * 12 for _ in range(3))
    code = "\n".join(f"long_line_{n:02d} = {n}" for n in range(1, 41))
    short = "\n".join(f"short_line_{n} = {n}" for n in range(1, 6))
    (tmp_path / "code.md").write_text(f"# Code\n\n{filler}\n\n```python\n{code}\n```\n\n{filler}\n\n{filler}\n\n```\n{short}\n```\n")
    run = run_cli("code.md", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert run.code == 0, run.err
    pages = pdf_text(tmp_path / "out" / "code.pdf")
    long_pages = [i for i, text in enumerate(pages) if "long_line_" in text]
    assert len(long_pages) == 2 and "long_line_01" in pages[long_pages[0]] and "long_line_40" in pages[long_pages[1]]
    assert min(pages[i].count("long_line_") for i in long_pages) >= 3
    assert len([i for i, text in enumerate(pages) if "short_line_" in text]) == 1


@pytest.mark.parametrize("paper", ["a4", "letter", "a5"])
@pytest.mark.parametrize("columns", [1, 2])
def test_body_lines_hold_a_readable_number_of_characters(tmp_path: Path, paper: str, columns: int) -> None:
    run = run_cli_seed(tmp_path, f"paper={paper}", f"columns={columns}")
    pdf = tmp_path / "out" / "seed.pdf"
    used = 1 if (paper, columns) == ("a5", 2) else columns
    if used != columns:  # two columns of A5 would hold ~31 characters: one column, and a warning saying so
        assert "two columns on this paper would hold only" in run.err and "set in one column" in run.err
    else:
        assert "columns" not in run.err
    low, high = {1: (60, 75), 2: (38, 55)}[used]
    lengths = body_line_lengths(pdf, used, slack=2.0 if used == 1 else 30.0)  # two columns are set ragged right
    assert len(lengths) > 40
    assert low <= statistics.median(lengths) <= high, sorted(lengths)
    inside = [n for n in lengths if low - 2 <= n <= high]
    assert len(inside) >= 0.95 * len(lengths), sorted(lengths)  # a line with a long unbreakable word may fall short


@pytest.mark.parametrize("paper", ["a4", "letter", "a5"])
def test_the_title_never_leaves_one_word_alone_on_its_last_line(tmp_path: Path, paper: str) -> None:
    import pdfplumber

    run_cli_seed(tmp_path, f"paper={paper}")
    with pdfplumber.open(tmp_path / "out" / "seed.pdf") as pdf:
        page = pdf.pages[0]
        words = [w for w in page.extract_words(extra_attrs=["size"]) if w["size"] > 20]
    lines: dict[int, list[str]] = {}
    for word in words:
        lines.setdefault(round(word["bottom"]), []).append(word["text"])
    assert len(lines) >= 2
    last = lines[max(lines)]
    assert " ".join(last).replace("\xa0", " ").count(" ") >= 1, lines


def test_one_date_once_in_the_long_form_with_its_machine_readable_form(tmp_path: Path) -> None:
    source = tmp_path / "dated.md"
    source.write_text(
        "---\ntitle: Dated\ndate: 2026-05-14\nevent: {name: Summit, date: 2026-05-14, place: Lyon}\n---\n\nText.\n", encoding="utf-8"
    )
    run = run_cli(source.name, "--out", "out", "--format", "pdf,epub,html", cwd=tmp_path)
    assert run.code == 0, run.err
    text = pdf_text(tmp_path / "out" / "dated.pdf")[0]
    assert text.count("14 May 2026") == 1 and "2026-05-14" not in text
    assert "Summit · 14 May 2026 · Lyon" in text
    titlepage = epub_file(tmp_path / "out" / "dated.epub", "EPUB/titlepage.xhtml").decode()
    web = (tmp_path / "out" / "dated" / "index.html").read_text(encoding="utf-8")
    for page in (titlepage, web):
        assert page.count("14 May 2026") == 1 and page.count('<time datetime="2026-05-14">14 May 2026</time>') == 1
    other = source.read_text(encoding="utf-8").replace("date: 2026-05-14\nevent", "date: 2026-04-01\nevent")
    source.write_text(other, encoding="utf-8")
    assert run_cli(source.name, "--out", "out", "--format", "pdf", cwd=tmp_path).code == 0
    text = pdf_text(tmp_path / "out" / "dated.pdf")[0]  # two different dates: each once
    assert text.count("14 May 2026") == 1 and text.count("1 April 2026") == 1


def test_the_qr_caption_is_readable_and_its_address_breaks_only_after_slash_dot_or_hyphen(tmp_path: Path) -> None:
    import pdfplumber

    url = "https://handouts.example.org/conference-2026/professional-organizations-for-library-media-specialists"
    with pdfplumber.open(build_seed(tmp_path, f"url={url}")) as pdf:
        page = pdf.pages[0]
        caption = [w for w in page.extract_words(extra_attrs=["size", "fontname"]) if w["x0"] > page.width / 2 and "Sans" in w["fontname"]]
        lines: dict[int, list[dict]] = {}
        for word in caption:
            lines.setdefault(round(word["bottom"]), []).append(word)
    text = ["".join(w["text"] for w in sorted(lines[key], key=lambda w: w["x0"])) for key in sorted(lines)]
    start = next(i for i, line in enumerate(text) if line.startswith("https"))
    address = text[start : start + next(n for n in range(1, len(text) - start + 1) if "".join(text[start : start + n]).startswith(url))]
    assert "".join(address).replace("\u200b", "") == url and len(address) >= 3, text
    assert all(line.replace("\u200b", "")[-1] in "/.-" for line in address[:-1]), address
    keys = sorted(lines)[max(start - 2, 0) : start + len(address)]  # the caption's words and the address
    sizes = {round(w["size"], 1) for key in keys for w in lines[key]}
    assert min(sizes) >= 8, sizes
