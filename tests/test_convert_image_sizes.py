"""The width a raw HTML image is given is kept, as a safe size, in the PDF, the EPUB and the web page."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from helpers import REPO, assert_epubcheck_clean, epub_file, node_tool, run_cli, write_article
from PIL import Image

from pressroom.convert.image_sizes import safe_width

# (how the width is written, the width expected: a share of the text block, or points)
SIZED = [
    ('width="100%"', ("share", 1.0)),
    ('width="50%"', ("share", 0.5)),
    ('style="width: 50%"', ("share", 0.5)),
    ('style="width:30%; vertical-align: middle"', ("share", 0.3)),
    ('width="200"', ("pt", 150.0)),
    ('width="200px"', ("pt", 150.0)),
    ('style="width: 12em"', ("em", 12.0)),
    ('width="80" style="width: 40%"', ("share", 0.4)),
    ('style="width: calc(100% + 5cm)"', ("share", 1.0)),  # not kept: the image's own size, within the text block
    ('style="width: 9000px"', ("share", 1.0)),
    ("", ("share", 1.0)),
]
ARTICLE = "---\ntitle: Sized\n---\n\nAn opening paragraph.\n\nMore text, set in the body size.\n\n" + "".join(
    f'<p><img src="wide.png" alt="picture {number}" {written}></p>\n\n' for number, (written, _) in enumerate(SIZED)
)


@pytest.fixture(scope="module")
def sized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("sized")
    Image.new("RGB", (1800, 300), (30, 90, 160)).save(folder / "wide.png")
    write_article(folder, ARTICLE, "s.md")
    run = run_cli("s.md", "--out", "out", "--format", "pdf,epub,html", cwd=folder)
    assert run.code == 0, run.err
    return folder / "out", run.err


def test_the_width_is_drawn_in_the_pdf(sized: tuple[Path, str]) -> None:
    out, _ = sized
    with pdfplumber.open(out / "s.pdf") as pdf:
        images = sorted((page.page_number, image["top"], image["x1"] - image["x0"]) for page in pdf.pages for image in page.images)
        body = next(ch["size"] for ch in pdf.pages[0].chars if ch["text"] == "M")
    assert len(images) == len(SIZED)
    block = images[0][2]  # width="100%": the text block
    for (_, _, drawn), (written, (kind, value)) in zip(images, SIZED, strict=True):
        expected = {"share": block * value, "pt": value, "em": value * body}[kind]
        assert drawn == pytest.approx(expected, abs=0.5), written


def test_widths_it_cannot_trust_are_dropped_with_a_warning_at_their_line(sized: tuple[Path, str]) -> None:
    _, err = sized
    lines = ARTICLE.split("\n")
    calc = next(i for i, line in enumerate(lines, 1) if "calc(" in line)
    huge = next(i for i, line in enumerate(lines, 1) if "9000px" in line)
    assert f"s.md:{calc}: warning: image width 'calc(100% + 5cm)' not kept: give it in %, px or em" in err
    assert f"s.md:{huge}: warning: image width '9000px' not kept: give it in %, px or em" in err


def test_the_epub_and_the_web_page_keep_the_width_and_stay_valid(sized: tuple[Path, str]) -> None:
    out, _ = sized
    chapter = epub_file(out / "s.epub", "EPUB/chapter.xhtml").decode()
    for written in ('style="width: 50%"', 'style="width: 30%; vertical-align: middle"', 'width="200" style="width: 200px"'):
        assert written in chapter
    assert 'style="width: 12em"' in chapter and 'width="80" style="width: 40%"' in chapter
    assert "calc(" not in chapter and "9000" not in chapter
    assert_epubcheck_clean(out / "s.epub")
    page = (out / "s" / "index.html").read_text(encoding="utf-8")
    assert 'style="width: 50%"' in page and 'style="width: 12em"' in page and "calc(" not in page


def test_the_width_is_drawn_in_a_browser(sized: tuple[Path, str]) -> None:
    node_tool("puppeteer")
    if not shutil.which("node") or not Path("/usr/bin/chromium").exists():
        pytest.fail("node and /usr/bin/chromium are needed (.ci/run installs chromium)")
    out, _ = sized
    script = REPO / "tests" / "browser_check.js"
    result = subprocess.run(
        ["node", str(script), (out / "s" / "index.html").as_uri(), "1024"], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    images = json.loads(result.stdout)[0]["images"]
    block = images[0]["width"]
    assert [round(image["width"] / block, 2) for image in images[1:4]] == [0.5, 0.5, 0.3]
    assert images[4]["width"] == images[5]["width"] == 200


def test_a_safe_width_is_a_plain_length_within_bounds() -> None:
    assert safe_width("50%") == "50%" and safe_width(" 12.5em ") == "12.5em" and safe_width("300", attribute=True) == "300px"
    assert safe_width("300") is None  # a style needs a unit
    for bad in ("0%", "101%", "-5px", "2001px", "10vw", "calc(50%)", "50% !important", "auto", "1e3px"):
        assert safe_width(bad) is None, bad
