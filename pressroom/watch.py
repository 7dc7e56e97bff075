"""Watch mode: rebuild what each saved change affects, with the renderer kept warm.

Every change (an article, an image, a layout, the settings) triggers a build of everything in the
request; the cache answers for what the change did not touch, so only the affected articles are
built again — all of them after a layout edit. Builds run in this process, so WeasyPrint and the
fonts load once. A build error is printed and watching goes on; Ctrl-C stops cleanly.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pressroom.build import ArticleResult, BuildRequest
from pressroom.render.renderer import fresh_renderer, process_renderer
from pressroom.report import guarded_build
from pressroom.store.cache import CACHE_FOLDER, BuildCache

SETTLE_SECONDS = 0.05  # editors write a file in several steps: wait until they are done


def watch(
    request: BuildRequest,
    stop: threading.Event | None = None,
    observe: Callable[[ArticleResult], None] | None = None,
    finished: Callable[[], None] | None = None,
) -> int:
    """Build, then rebuild on every change until Ctrl-C (or ``stop`` is set). Exit status 0.

    ``observe`` sees each article's result and ``finished`` is called after each build (the
    live preview). A rebuild prints only what changed: no line for an article the cache
    answered, no progress bar."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    stop = stop or threading.Event()
    changed = threading.Event()
    ignored = [request.out_dir.resolve(), (request.project.root / CACHE_FOLDER).resolve()]

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in {"opened", "closed_no_write"}:
                return
            path = Path(str(event.src_path))
            if any(part.startswith(".") for part in path.parts[-1:]) or any(path.is_relative_to(i) for i in ignored):
                return
            changed.set()

    request.jobs = 1  # one warm process: no worker start-up on each save
    request.cache = request.cache or BuildCache(request.project.root / CACHE_FOLDER)
    roots = {request.project.root, *request.project.layout_search_path}
    roots |= {p.resolve() if p.is_dir() else p.resolve().parent for p in request.paths}
    roots = {r for r in roots if not any(r != other and r.is_relative_to(other) for other in roots)}
    observer = Observer()
    for root in sorted(roots):
        if root.is_dir():
            observer.schedule(Handler(), str(root), recursive=True)
    observer.start()
    print(f"watching {', '.join(str(r) for r in sorted(roots))} (Ctrl-C to stop)", file=sys.stderr)

    def build(rebuild: bool) -> None:
        guarded_build(request, observe, rebuild)
        if finished is not None:
            finished()

    try:
        build(rebuild=False)
        while not stop.is_set():
            if not changed.wait(0.1):
                continue
            while changed.is_set():  # let the editor finish writing
                changed.clear()
                time.sleep(SETTLE_SECONDS)
            if request.cache is not None:
                request.cache.refresh()
            if process_renderer().layouts_changed():
                fresh_renderer()  # new fonts, stylesheets and covers; the old font copies deleted
            build(rebuild=True)
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
    finally:
        observer.stop()
        observer.join()
    return 0
