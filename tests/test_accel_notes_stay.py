"""WeasyPrint keeps each footnote on its call's page in the first layout (pressroom/accel/notes_stay.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

import pressroom.render.handout as handout
from pressroom.accel import notes_stay

# The first 240 lines of the long benchmark document (benchmarks/corpus.py, long_document(300 KB,
# seed 1)) and their 8 notes: 9 A4 pages, where WeasyPrint alone prints the note called on page 7
# on page 8.
DEFERRED = Path(__file__).parent / "fixtures" / "deferred-note.md"


def first_layouts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """For each handout built: its notes printed on another page than their call in the first
    layout, and how many layouts it took in all."""
    from pressroom.render.footnotes import laid_out_calls, note_pages

    seen: list[tuple[int, int]] = []
    original = handout.keep_notes_with_calls

    def counting(html: str, rendered: Any, render: Callable[[str], Any]) -> Any:
        placed = note_pages(rendered.pages)
        late = sum(1 for call in laid_out_calls(rendered.pages) if placed.get(call.note) != call.page)
        layouts = [1]

        def again(source: str) -> Any:
            layouts[0] += 1
            return render(source)

        outcome = original(html, rendered, again)
        assert not outcome.too_tall and not outcome.lost
        seen.append((late, layouts[0]))
        return outcome

    monkeypatch.setattr(handout, "keep_notes_with_calls", counting)
    return seen


def test_a_note_weasyprint_would_print_a_page_late_stays_with_its_call_in_one_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = first_layouts(monkeypatch)
    for setting in ("off", "on"):
        source = tmp_path / setting / "article.md"
        source.parent.mkdir()
        source.write_bytes(DEFERRED.read_bytes())
        run = run_cli(source, "--out", tmp_path / setting / "out", "--format", "pdf", "-q", env={"PRESSROOM_ACCEL": setting})
        assert run.code == 0, run.err
    # the plain path finds the late note and lays the handout out again; with the patch, none is late
    assert seen == [(1, 2), (0, 1)]


def test_the_patch_is_undone_after_the_layout() -> None:
    from weasyprint.layout import block

    before = block._linebox_layout
    with notes_stay.notes_stay_with_calls() as active:
        assert active and block._linebox_layout is not before
        assert notes_stay.DEFERRING not in block._linebox_layout.__code__.co_consts
    assert block._linebox_layout is before
