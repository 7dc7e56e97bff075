"""What one process keeps between renders, in one object with one clean-up.

Rendering is a function of its inputs, but doing it fast means keeping things from one article to
the next in the same process (``--watch``, a ``-j`` worker, a cluster worker): WeasyPrint's font
configuration for each set of layouts (and the temporary copies of the fonts it makes), the layout
stylesheets it parsed, the generated covers, the digests of the layout folders, and the garbage
collector's policy. A :class:`Renderer` owns all of them; :func:`process_renderer` is the one this
process uses, and :func:`fresh_renderer` replaces it (``--watch`` after a layout change) after
closing the old one.
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pressroom.store.cache import code_digest, folder_digest


class Renderer:
    """The state one process keeps between renders (see the module's docstring)."""

    def __init__(self) -> None:
        self.pid = os.getpid()  # a forked worker must not clean up what its parent made
        self.font_configs: dict[tuple[tuple[Path, ...], str], Any] = {}
        self.covers: dict[tuple[Any, ...], Any] = {}  # the last generated cover per title block
        self._layout_digests: dict[tuple[Path, ...], str] = {}
        self._code: dict[str, str] = {}
        self._garbage_pending = False  # an article was built while the collector was off for good
        self.inherited: list[Any] = []  # what a forked copy keeps alive but must not clean up

    def layouts_digest(self, search_path: tuple[Path, ...]) -> str:
        """A fingerprint of every file below the layout folders (size and modification time),
        taken once per renderer: a watcher makes a fresh renderer when the layouts change."""
        if search_path not in self._layout_digests:
            self._layout_digests[search_path] = folder_digest(search_path)
        return self._layout_digests[search_path]

    def code_digest(self) -> str:
        """Pressroom's version and source (what a kept cover's name depends on), taken once."""
        if "code" not in self._code:
            self._code["code"] = code_digest()
        return self._code["code"]

    def refresh(self) -> None:
        """Take the layout folders' digests again (what depends on them is made anew if they
        changed: font configurations, covers)."""
        self._layout_digests.clear()

    def layouts_changed(self) -> bool:
        """Whether the files below any layout folder it rendered with changed since."""
        return any(folder_digest(path) != digest for path, digest in self._layout_digests.items())

    def font_config(self, search_path: tuple[Path, ...]) -> Any:
        """One WeasyPrint font configuration per set of layouts (and per version of their files):
        the ``@font-face`` fonts load once per process, not once per document."""
        from weasyprint.text.fonts import FontConfiguration

        key = (search_path, self.layouts_digest(search_path))
        if key not in self.font_configs:
            self._close_font_configs()
            self.font_configs[key] = FontConfiguration()
        return self.font_configs[key]

    def _close_font_configs(self) -> None:
        """Delete the copies of the layout fonts WeasyPrint keeps in temporary folders.

        A FontConfiguration removes its folder when it is deleted, but one still alive when Python
        shuts down is deleted too late (its ``rmtree`` is already gone) or never: every build
        would leave ~5 MB in the temporary folder. This runs at exit, while everything works."""
        configs, self.font_configs = list(self.font_configs.values()), {}
        if os.getpid() != self.pid:
            self.inherited.extend(configs)  # a forked copy: the folders are the parent's to delete
            return
        from pressroom.accel.font_folders import take_folder

        for config in configs:
            folder = take_folder(config)  # WeasyPrint's own clean-up then has nothing left to do
            if folder:
                shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        """Delete what this renderer made on disk (WeasyPrint's copies of the layout fonts, ~5 MB
        per set of layouts) and forget the rest."""
        self._close_font_configs()
        self.covers.clear()
        self._layout_digests.clear()

    @contextmanager
    def collector_paused(self) -> Iterator[None]:
        """No cyclic garbage collection while one article builds.

        Laying out a long handout allocates millions of objects that live until the PDF is
        written (boxes, styles, glyph runs). Each time that population grows by a quarter, Python's
        collector walks all of it: about 11 full passes, 1.5-2 s of a 300 KB document's ~20 s.
        What a build leaves behind is freed by reference counting almost entirely; the collector,
        switched back on afterwards, takes the rest in a long-lived process (--watch, workers).
        """
        if not gc.isenabled():  # a one-off process (collector_off_until_exit): the collector stays off
            if self._garbage_pending:
                gc.collect()  # what the previous article left, so memory does not grow with each article
            self._garbage_pending = True
            yield
            return
        gc.disable()
        try:
            yield
        finally:
            gc.enable()

    @contextmanager
    def collector_off_until_exit(self) -> Iterator[None]:
        """For a process that exits once this build is done (``python build.py`` without --watch).

        The collector stays off for the whole build instead of coming back after each article
        (its first pass would walk every object the build left in the young generation, ~0.7 s
        after a 300 KB document), and what is still tracked at the end is frozen, so that the
        interpreter's collection at exit does not walk it either. Between two articles built
        here, :meth:`collector_paused` collects what the first one left. Worker processes turn
        the collector back on: they build many articles.
        """
        gc.disable()
        try:
            yield
        finally:
            gc.freeze()


_process_renderer: Renderer | None = None  # the one holder: everything else lives in the renderer


def process_renderer() -> Renderer:
    """The renderer of this process (made on first use; its clean-up runs at exit)."""
    global _process_renderer
    if _process_renderer is None or _process_renderer.pid != os.getpid():
        inherited = _process_renderer
        _process_renderer = Renderer()
        if inherited is not None:  # a forked worker: the parent's fonts are the parent's to delete
            _process_renderer.covers.update(inherited.covers)
            _process_renderer.inherited.append(inherited)  # kept alive: collecting it would delete them
        if "multiprocessing" in sys.modules:  # possibly a -j worker, which skips atexit
            from multiprocessing.util import Finalize

            Finalize(None, _close_process_renderer, exitpriority=0)  # run by its worker loop and by atexit
        else:  # the main process before any pool (a worker imports multiprocessing first)
            atexit.register(_close_process_renderer)
    return _process_renderer


def fresh_renderer() -> Renderer:
    """Close this process's renderer and start a new one (``--watch``, after a layout change)."""
    global _process_renderer
    _close_process_renderer()
    _process_renderer = None
    return process_renderer()


def _close_process_renderer() -> None:
    if _process_renderer is not None and _process_renderer.pid == os.getpid():
        _process_renderer.close()
