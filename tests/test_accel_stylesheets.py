"""Linked stylesheets parsed once per process: every document still gets all their rules and messages."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from pypdf import PdfReader

from pressroom.accel import load_weasyprint, stylesheets
from pressroom.accel.stylesheets import reuse_layout_stylesheets

PAGE_CSS = """
@page { size: 105mm 148mm; margin: 15mm; @bottom-center { content: "page " counter(page) " of " counter(pages); } }
h1 { font-size: 30pt; }
"""
HTML = '<html><head><link rel="stylesheet" href="style.css" /></head><body><h1>Title</h1>{body}</body></html>'


@pytest.fixture()
def weasyprint():
    module = load_weasyprint()
    reuse_layout_stylesheets(module)
    return module


def render(weasyprint, folder: Path, font_config, body: str = "<p>Text.</p>") -> bytes:
    html = weasyprint.HTML(string=HTML.format(body=body), base_url=folder.as_uri() + "/")
    return html.render(font_config=font_config).write_pdf()


def pages(pdf: bytes) -> list[tuple[float, float, str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height)), p.extract_text()) for p in reader.pages]


def test_a_reused_sheet_still_brings_its_page_rules(weasyprint, tmp_path: Path) -> None:
    from weasyprint.text.fonts import FontConfiguration

    (tmp_path / "style.css").write_text(PAGE_CSS)
    fonts = FontConfiguration()
    first = render(weasyprint, tmp_path, fonts)
    second = render(weasyprint, tmp_path, fonts, "<p>Text.</p>" + '<p style="break-before: page">More.</p>')
    [(width, height, text)] = pages(first)  # one page, of the sheet's size, with its footer
    assert (width, height) == (298, 420)
    assert "Title" in text and "page 1 of 1" in text
    assert [(w, h) for w, h, _ in pages(second)] == [(298, 420), (298, 420)]
    assert "page 2 of 2" in pages(second)[1][2]
    assert render(weasyprint, tmp_path, fonts) == first
    assert list(stylesheets._parsed[fonts]) == [((tmp_path / "style.css").as_uri(), "print")]  # parsed once


def test_a_new_font_configuration_reads_the_sheet_again(weasyprint, tmp_path: Path) -> None:
    from weasyprint.text.fonts import FontConfiguration

    (tmp_path / "style.css").write_text(PAGE_CSS)
    render(weasyprint, tmp_path, FontConfiguration())
    (tmp_path / "style.css").write_text(PAGE_CSS.replace("105mm 148mm", "148mm 210mm"))
    assert [(w, h) for w, h, _ in pages(render(weasyprint, tmp_path, FontConfiguration()))] == [(420, 595)]


def test_a_sheet_with_messages_reports_them_for_every_document(weasyprint, tmp_path: Path) -> None:
    from weasyprint.text.fonts import FontConfiguration

    (tmp_path / "style.css").write_text(PAGE_CSS + "p { colr: red; }\n")
    fonts = FontConfiguration()
    logger = logging.getLogger("weasyprint")
    for _ in range(2):
        records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = records.append  # type: ignore[method-assign]
        logger.addHandler(handler)
        try:
            render(weasyprint, tmp_path, fonts)
        finally:
            logger.removeHandler(handler)
        assert [r.getMessage() for r in records if "colr" in r.getMessage()], "the ignored declaration was not reported"
