"""Formulas: every delimiter found by the parser, MathML with its LaTeX for the EPUB and the web
page, an SVG on the text's baseline in the PDF, and a formula that cannot be converted shown as
code with a warning."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import lxml.etree as etree
import lxml.html
import pytest
from helpers import assert_epubcheck_clean, pdf_text, run_cli, write_article
from test_convert_markdown import convert_text

from pressroom.convert import commonmark
from pressroom.convert.math import MATHML, convert_formulas

M = f"{{{MATHML}}}"
FORMULAS = r"""Inline $\{x_1 * y_2\}$ and \(a \\ b_1\) and $$n^2$$ in text; costs $5 or $6.

$$
\frac{a}{b} = \sum_{i=1}^{n} x_i^2
$$

\[
\sqrt{x} * y_{*}
\]

\begin{align}
a &= b
\end{align}

```math
\int_0^1 f(x)\,dx
```
"""


def alttexts(html: str) -> list[str]:
    tree = etree.fromstring(f"<div xmlns:epub='http://www.idpf.org/2007/ops'>{html}</div>")
    return [math.get("alttext") for math in tree.iter(f"{M}math")]


def test_every_delimiter_becomes_mathml_with_its_latex(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, FORMULAS)
    assert warnings == []
    assert alttexts(doc.epub_html()) == [
        r"\{x_1 * y_2\}",  # \{, _ and * are LaTeX, not Markdown
        r"a \\ b_1",
        "n^2",
        r"\frac{a}{b} = \sum_{i=1}^{n} x_i^2",
        r"\sqrt{x} * y_{*}",
        "\\begin{align}\na &= b\n\\end{align}",
        r"\int_0^1 f(x)\,dx",
    ]
    assert "costs $5 or $6." in doc.epub_html()
    tree = etree.fromstring(f"<div>{doc.epub_html()}</div>")
    displays = [math.get("display") for math in tree.iter(f"{M}math")]
    assert displays == ["inline"] * 3 + ["block"] * 4
    assert "data-print-math" not in doc.epub_html()


def test_a_displayed_formula_written_inside_a_paragraph_is_displayed_there(tmp_path: Path) -> None:
    text = "So \\[E = mc^2\\] holds, and\n\\[\\int_0^1 x\\,dx\n= \\tfrac12\\] too; \\[1\\] and \\[citation needed\\] are brackets.\n"
    doc, warnings = convert_text(tmp_path, text)
    assert warnings == []
    tree = etree.fromstring(f"<div>{doc.epub_html()}</div>")
    [paragraph] = tree.findall("p")  # the formulas stay in the paragraph, as blocks of it
    assert [(math.getparent().tag, math.getparent().get("class"), math.get("display")) for math in paragraph.iter(f"{M}math")] == [
        ("span", "math display", "block")
    ] * 2
    assert alttexts(doc.epub_html()) == ["E = mc^2", "\\int_0^1 x\\,dx\n= \\tfrac12"]
    assert "too; [1] and [citation needed] are brackets." in "".join(paragraph.itertext())


def test_print_shows_each_formula_as_an_svg_on_the_baseline(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "Text $x_1$ and $\\int_0^1 f$.\n")
    page = lxml.html.fragment_fromstring(doc.print_html, create_parent="div")
    images = page.xpath(".//img[@class='math-svg']")
    assert [image.get("alt") for image in images] == ["x_1", "\\int_0^1 f"]
    assert "<math" not in doc.print_html
    for image in images:
        assert image.get("src").startswith("data:image/svg+xml;base64,")
        width, height, depth = (float(v) for v in re.findall(r"(-?[\d.]+)em", image.get("style")))
        assert 0 < width < 5 and 0.4 < height < 3 and -depth > 0  # sized in ems, dropped below the baseline
    subscript, integral = (float(re.search(r"vertical-align: (-[\d.]+)em", i.get("style")).group(1)) for i in images)
    assert integral < subscript < 0  # the integral reaches further below the line


def test_a_formula_that_cannot_be_converted_is_shown_as_code_with_a_warning(tmp_path: Path) -> None:
    doc, warnings = convert_text(tmp_path, "First line.\n\nBad $\\foo{x}$ and $\\frac{a}$ here.\n\n$$\nx^\n$$\n")
    assert warnings == [
        "doc.md:3: warning: formula \\foo{x} cannot be converted (unknown command \\foo); shown as code",
        "doc.md:3: warning: formula \\frac{a} cannot be converted (a fraction is missing an argument); shown as code",
        "doc.md:6: warning: formula x^ cannot be converted (missing super script or subscript); shown as code",
    ]
    html = doc.epub_html()
    assert '<code class="math-error">$\\foo{x}$</code>' in html and '<code class="math-error">$\\frac{a}$</code>' in html
    assert '<pre class="math-error"><code>x^</code></pre>' in html
    assert "Bad" in doc.print_html and "\\foo{x}" in doc.print_html


def test_text_for_the_font_check_leaves_the_drawn_formulas_out(tmp_path: Path) -> None:
    doc, _ = convert_text(tmp_path, "Reals $\\mathbb{R}$ here.\n")
    assert "Reals" in doc.text and "\u211d" not in doc.text


def share_converted(path: Path) -> tuple[int, int]:
    body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
    root = lxml.html.fragment_fromstring(commonmark.render(body, lambda _: []).html, create_parent="div")
    return convert_formulas(root, lambda latex, reason: None)


def test_formulas_of_a_real_document_are_converted() -> None:
    converted, found = share_converted(Path(__file__).parent / "corpus" / "jax-autodiff-cookbook.md")
    assert found >= 100
    assert converted / found >= 0.97, f"{converted} of {found}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("math")
    write_article(folder, "---\ntitle: Formulas\n---\nEuler wrote $e^{i\\pi} + 1 = 0$ once.\n\n" + FORMULAS.split("\n", 1)[1])
    run = run_cli("article.md", "--out", "out", "--format", "pdf,epub,html", "--force", cwd=folder)
    assert run.code == 0 and ": warning: " not in run.out + run.err, run.out + run.err
    return folder / "out"


def test_the_epub_declares_its_mathml_and_passes_epubcheck(built: Path) -> None:
    book = zipfile.ZipFile(built / "article.epub")
    opf = etree.fromstring(book.read("EPUB/content.opf"))
    items = {item.get("href"): item.get("properties") for item in opf.iter("{http://www.idpf.org/2007/opf}item")}
    assert items["chapter.xhtml"] == "mathml"
    chapter = etree.fromstring(book.read("EPUB/chapter.xhtml"))
    assert len(list(chapter.iter(f"{M}math"))) == 5
    assert_epubcheck_clean(built / "article.epub")


def test_the_web_page_carries_mathml_with_alttext(built: Path) -> None:
    page = (built / "article" / "index.html").read_text(encoding="utf-8")
    assert page.count("<math ") == 5 and 'alttext="e^{i\\pi} + 1 = 0"' in page


def test_the_pdf_draws_formulas_in_line_with_the_text(built: Path) -> None:
    import pdfplumber

    text = "\n".join(pdf_text(built / "article.pdf"))
    assert "Euler wrote" in text and "once." in text and "\\frac" not in text
    with pdfplumber.open(built / "article.pdf") as pdf:
        page = pdf.pages[0]
        words = {w["text"]: w for w in page.extract_words()}
        assert abs(words["wrote"]["bottom"] - words["once."]["bottom"]) < 0.5  # one line: the formula sits on it
        assert len(page.curves) + len(page.rects) + len(page.lines) > 0 or page.images  # drawn, not typed
