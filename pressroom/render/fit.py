"""Fit the handout to a number of pages (``fit_pages``), within bounds a designer accepts.

One *tightness* parameter, in steps from 0 (the handout as designed) to :data:`STEPS` (the
tightest setting allowed), moves everything together: the body size down to 9.5 pt, the leading
by up to a tenth (never below 1.3), the space between paragraphs and around headings to half,
the page margins down to 15 mm (a margin already narrower stays) and the measure up to 70
characters a line in one column (50 in two), still inside the readable 60–75 (38–55). The
handout is laid out at the normal setting; when it runs over, at the tightest; and when that
fits, a bisection finds the least tightness that does (four more layouts for sixteen steps).

When even the tightest setting runs over, the handout is set with the fewest pages the bounds
reach, at the least tightness that reaches them (the normal layout when tightening saves no
page), and a warning says by how many lines it is over. Without ``fit_pages``, a last page
holding only a few lines is a warning that suggests the key.

Everything here reads laid-out pages or does arithmetic: the layout itself is the caller's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STEPS = 16  # tightness steps between the normal setting (0) and the tightest (STEPS)
SMALLEST_BODY_PT = 9.5  # the body size a handout may go down to (also a small page's, see handout.text_measure)
TIGHTEST_MARGIN_MM = 15.0  # page margins go no narrower (the running footer sits in the bottom one)
TIGHTEST_SPACE = 0.5  # the space between blocks and around headings, as a share of the designed one
LEADING_CUT = 0.1  # the leading may lose up to a tenth of itself …
LEADING_FLOOR = 1.3  # … but no more than down to this
WIDEST_MEASURE = {1: 70, 2: 50}  # the characters a line the measure may grow to (readable: 60–75, 38–55)
SHORT_PAGE_LINES = 6  # a last page holding fewer lines of text than this is a waste of paper
LARGE_PRINT = "large-print"  # its 16 pt text and its leading stay: only spacing and margins tighten


def lerp(start: float, end: float, share: float) -> float:
    """The value ``share`` (0–1) of the way from ``start`` to ``end``."""
    return start + (end - start) * share


def tighter_margin(millimetres: float, share: float) -> float:
    """A page margin ``share`` of the way to the tightest one (a narrower margin stays)."""
    return millimetres if millimetres <= TIGHTEST_MARGIN_MM else lerp(millimetres, TIGHTEST_MARGIN_MM, share)


def tighter_leading(leading: float | None, share: float, theme: str) -> float | None:
    """The line height ``share`` of the way to the tightest one, rounded (None: leave the theme's)."""
    if leading is None or share == 0 or theme == LARGE_PRINT or leading <= LEADING_FLOOR:
        return None
    return round(lerp(leading, max(LEADING_FLOOR, leading * (1 - LEADING_CUT)), share), 4)


def tighter_space(share: float) -> float:
    """The share of the designed vertical space kept between blocks (``--pr-space``)."""
    return round(lerp(1.0, TIGHTEST_SPACE, share), 4)


# -- reading laid-out pages ----------------------------------------------------------------------


def root_style(rendered: Any) -> Any:
    """The computed style of the document's root element (``html``)."""
    page_box = rendered.pages[0]._page_box
    return page_box.children[0].style


def body_leading(rendered: Any) -> float | None:
    """The body text's line height as a multiple of its size (None when the layouts set it as a
    length or ``normal``: then it is left alone)."""
    value = root_style(rendered)["line_height"]
    return float(value) if isinstance(value, (int, float)) else None


def line_pitch(rendered: Any) -> float:
    """The distance between two lines of body text, in CSS pixels."""
    style = root_style(rendered)
    return float(style["font_size"]) * (body_leading(rendered) or 1.2)


def page_lines(page: Any, pitch: float) -> int:
    """The lines a page holds: its lines of text (notes included, the running footer not) and,
    for an image or other block drawn without text, as many lines as its height would take."""
    from weasyprint.formatting_structure import boxes

    count = 0

    def walk(box: Any) -> None:
        nonlocal count
        if isinstance(box, boxes.MarginBox):
            return
        if isinstance(box, boxes.LineBox):
            count += 1
            return
        if isinstance(box, boxes.BlockReplacedBox):
            count += max(1, math.ceil(box.margin_height() / pitch - 0.25))
            return
        for child in getattr(box, "children", ()):  # the footnote area is one of the page's
            walk(child)

    walk(page._page_box)
    return count


# -- the search ----------------------------------------------------------------------------------


@dataclass
class Trial:
    """The handout laid out at one tightness step: the document, the warnings its layout gave,
    and how many pages it takes."""

    step: int
    rendered: Any
    warnings: list[Any] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return len(self.rendered.pages)


@dataclass
class Fit:
    """What the search chose: the layout kept, and (when the wanted pages were not reached) the
    tightest layout, which tells by how much."""

    chosen: Trial
    wanted: int
    tightest: Trial | None = None
    trials: int = 1

    @property
    def reached(self) -> bool:
        return self.chosen.pages <= self.wanted

    def lines_over(self, notes_pages: int = 0) -> int:
        """The lines that the tightest layout sets beyond the wanted pages (ruled notes pages,
        which close the handout, not counted)."""
        trial = self.tightest or self.chosen
        pages = trial.rendered.pages
        text_pages = len(pages) - notes_pages
        pitch = line_pitch(trial.rendered)
        return sum(page_lines(page, pitch) for page in pages[max(self.wanted - notes_pages, 0) : text_pages])


def fit_to_pages(layout: Callable[[int], Trial], wanted: int) -> Fit:
    """Lay out with ``layout(step)`` until the least tightness that sets the handout on
    ``wanted`` pages is found (or, when no tightness within the bounds does, the least that sets
    it on as few pages as they allow). Each layout it keeps was laid out: nothing is guessed."""
    normal = layout(0)
    if normal.pages <= wanted:
        return Fit(normal, wanted)
    tightest = layout(STEPS)
    trials = 2
    goal = max(wanted, tightest.pages)
    if goal >= normal.pages:  # tightening saves no page: keep the handout as designed
        return Fit(normal, wanted, tightest, trials)
    low, high, best = 0, STEPS, tightest  # low runs over the goal, high reaches it
    while high - low > 1:
        middle = (low + high) // 2
        trial = layout(middle)
        trials += 1
        if trial.pages <= goal:
            high, best = middle, trial
        else:
            low = middle
    return Fit(best, wanted, tightest if goal > wanted else None, trials)


def short_last_page(rendered: Any, notes_pages: int = 0) -> tuple[int, int] | None:
    """(lines on the last page of text, pages of text) when that page holds fewer than
    :data:`SHORT_PAGE_LINES` lines of a handout of more than one page, else None."""
    pages = rendered.pages
    text_pages = len(pages) - notes_pages
    if text_pages < 2:
        return None
    lines = page_lines(pages[text_pages - 1], line_pitch(rendered))
    return (lines, text_pages) if lines < SHORT_PAGE_LINES else None
