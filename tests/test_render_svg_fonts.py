"""SVG drawings in the handout: their text in the bundled faces, inside the boxes drawn for it."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from helpers import epub_file, run_cli, write_article
from pdfminer.fontmetrics import FONT_METRICS

from pressroom.render.svg_fonts import map_families

LABELS = ["Catalogue records and holdings", "Interlibrary loan", "Weeding the collection", "WWW MMM mmm www"]


def graphviz_like(family: str, metrics: str = "Times-Roman", size: float = 14.0) -> str:
    """An SVG drawn as Graphviz draws one: each label centred in a box 8 pt wider on each side
    than the label measures in the face it names."""
    widths = FONT_METRICS[metrics][1]
    parts, y, right = [], 30.0, 0.0
    for label in LABELS:
        box = sum(widths[ch] for ch in label) / 1000 * size + 16
        parts.append(
            f'<g class="node"><polygon fill="none" stroke="black" points="10,{y - 20} {10 + box:.2f},{y - 20} {10 + box:.2f},{y + 8} 10,{y + 8} 10,{y - 20}"/>'
            f'<text text-anchor="middle" x="{10 + box / 2:.2f}" y="{y:.2f}" font-family="{family}" font-size="{size:.2f}">{label}</text></g>'
        )
        y, right = y + 40, max(right, box + 20)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<svg width="{right:.0f}pt" height="{y:.0f}pt" viewBox="0 0 {right:.0f} {y:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg"><g class="graph">{"".join(parts)}</g></svg>\n'
    )


def drawn_labels(pdf: Path) -> list[tuple[str, set[str], tuple[float, float], tuple[float, float]]]:
    """Each box of the drawing, top to bottom: the label drawn in it, its fonts, the label's
    horizontal extent and the box's."""
    with pdfplumber.open(pdf) as document:
        page = document.pages[0]
        boxes = sorted((r for r in page.rects if r["height"] < 40), key=lambda r: r["top"])
        found = []
        for box in boxes:
            chars = [c for c in page.chars if box["top"] < (c["top"] + c["bottom"]) / 2 < box["bottom"] and c["text"].strip()]
            text = "".join(c["text"] for c in sorted(chars, key=lambda c: c["x0"]))
            fonts = {c["fontname"].split("+", 1)[-1] for c in chars}
            found.append((text, fonts, (min(c["x0"] for c in chars), max(c["x1"] for c in chars)), (box["x0"], box["x1"])))
        return found


@pytest.mark.parametrize(
    ("family", "metrics", "face"),
    [
        ("Times,serif", "Times-Roman", "Pressroom-Serif"),
        ("Times New Roman", "Times-Roman", "Pressroom-Serif"),
        ("Helvetica,Arial,sans-serif", "Helvetica", "Pressroom-Sans"),
        ("Arial", "Helvetica", "Pressroom-Sans"),
        ("Courier New, monospace", "Courier", "Pressroom-Mono"),
    ],
)
def test_svg_text_is_drawn_in_the_bundled_faces_inside_its_boxes(tmp_path: Path, family: str, metrics: str, face: str) -> None:
    (tmp_path / "graph.svg").write_text(graphviz_like(family, metrics))
    write_article(tmp_path, "---\ntitle: Graph\n---\n\n![A graph of library tasks](graph.svg)\n", "g.md")
    assert run_cli("g.md", "--out", "out", "--format", "pdf,epub", cwd=tmp_path).code == 0
    labels = drawn_labels(tmp_path / "out" / "g.pdf")
    assert [text for text, *_ in labels] == [label.replace(" ", "") for label in LABELS]
    for text, fonts, (left, right), (box_left, box_right) in labels:
        assert fonts == {face}, text
        assert box_left + 4 < left and right < box_right - 4, (text, left, right, box_left, box_right)
        # set to the width it was measured at (within 6 %), not squeezed far below it
        assert right - left > (box_right - box_left - 16) * 0.94, text
    # the EPUB keeps the drawing as written: a reading system draws it with its own fonts
    assert f'font-family="{family}"'.encode() in epub_file(tmp_path / "out" / "g.epub", "EPUB/images/01-graph.svg")


def test_families_in_a_stylesheet_and_text_without_a_family_are_set_in_the_bundled_faces(tmp_path: Path) -> None:
    (tmp_path / "d.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120" viewBox="0 0 300 120">'
        "<style>.mono { font-family: monospace; } text.serif { font-family: 'Times New Roman', serif; }</style>"
        '<text x="10" y="30" font-size="16">Plain label</text>'
        '<text x="10" y="60" font-size="16" class="mono">Code label</text>'
        '<text x="10" y="90" font-size="16" class="serif">Serif label</text>'
        '<text x="10" y="115" style="font-family: Helvetica; font-size: 16px">Styled label</text>'
        "</svg>"
    )
    write_article(tmp_path, "---\ntitle: Styled\n---\n\n![A drawing](d.svg)\n", "s.md")
    assert run_cli("s.md", "--out", "out", "--format", "pdf", cwd=tmp_path).code == 0
    with pdfplumber.open(tmp_path / "out" / "s.pdf") as document:
        fonts = {}
        for char in document.pages[0].chars:
            if char["size"] > 10 and char["top"] > 100:  # the drawing, below the title
                fonts.setdefault(round(char["top"] / 10), set()).add(char["fontname"].split("+", 1)[-1])
    assert list(fonts.values()) == [{"Pressroom-Sans"}, {"Pressroom-Mono"}, {"Pressroom-Serif"}, {"Pressroom-Sans"}]


def test_the_family_list_keeps_what_was_written_after_the_bundled_face() -> None:
    assert map_families("Times,serif") == "'Pressroom Serif', Times, serif"
    assert map_families("'Helvetica Neue', Arial") == "'Pressroom Sans', 'Helvetica Neue', Arial"
    assert map_families("Fira Code, monospace") == "'Pressroom Mono', 'Fira Code', monospace"
    assert map_families("Comic Neue") == "Comic Neue"
