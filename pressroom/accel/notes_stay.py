"""Footnotes that stay on their call's page from the first layout (patch ``notes-stay``).

What it changes: when a line overflows the page where breaking before it would break a
paragraph's orphans or widows (or the line is the first of its paragraph), WeasyPrint 70's
``layout.block._linebox_layout`` first takes footnotes already placed on the page off it, to the
next page, until the line fits (``report = not context.in_column and can_break_now and not
could_break_before``). The line then prints on this page and the notes of earlier calls a page
late. Inside :func:`notes_stay_with_calls`, ``_linebox_layout`` is the same function compiled
from WeasyPrint's own source with that one condition set to ``False`` (as WeasyPrint already has
it inside columns): the line goes to the next page as it would on a page without notes, through
WeasyPrint's usual orphans-and-widows break.

What it saves: the plain path (:mod:`pressroom.render.footnotes`) finds each note printed late
and lays the whole document out again, once per page that changes: the long benchmark document
(300 KB, 147 notes, 138 pages) had notes deferred on 8 pages, and took 11 layouts (~33 s each on
a loaded 2-core machine, ~6 min in all) where it now takes one, with no note deferred.

The outputs differ from the plain path only where a note would have been deferred: there the
plain path splits the calling paragraph at the calling line; this one breaks the page where
WeasyPrint breaks a paragraph when nothing is in the way (keeping its orphans and widows).

Written for: WeasyPrint 70. Shape checked: ``_linebox_layout``'s source holds that assignment
exactly once, and ``block_container_layout`` calls ``_linebox_layout`` through the module's
globals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import Patch, load_weasyprint, patched

DEFERRING = "report = not context.in_column and can_break_now and not could_break_before"
KEEPING = "report = False"

_compiled: dict[str, Any] = {}  # the function compiled from WeasyPrint's source, made once per process


def _source() -> str:
    import inspect

    from weasyprint.layout import block

    return inspect.getsource(block._linebox_layout)


def _shape() -> str | None:
    load_weasyprint()
    from weasyprint.layout import block

    if _source().count(DEFERRING) != 1:
        return "layout.block._linebox_layout no longer decides in one place whether to defer placed notes"
    if "_linebox_layout" not in block.block_container_layout.__code__.co_names:
        return "layout.block.block_container_layout no longer calls _linebox_layout by its global name"
    return None


PATCH = Patch("notes-stay", {"weasyprint": ("70",)}, _shape)


def _keeping_layout() -> Any:
    """``_linebox_layout`` compiled from WeasyPrint's source with notes never deferred."""
    if "function" not in _compiled:
        from weasyprint.layout import block

        namespace: dict[str, Any] = {}
        exec(compile(_source().replace(DEFERRING, KEEPING), block.__file__, "exec"), block.__dict__, namespace)  # noqa: S102
        _compiled["function"] = namespace["_linebox_layout"]
    return _compiled["function"]


@contextmanager
def notes_stay_with_calls() -> Iterator[bool]:
    """Within this block, WeasyPrint lays out lines without moving placed notes to a later page
    (if the patch applies). Yields whether it does."""

    def install() -> Callable[[], None]:
        from weasyprint.layout import block

        original = block._linebox_layout
        block._linebox_layout = _keeping_layout()

        def undo() -> None:
            block._linebox_layout = original

        return undo

    with patched(PATCH, install) as active:
        yield active
