"""What a render is given besides the article, and the clock that times its stages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pressroom.load.sandbox import Sandbox
from pressroom.load.settings import Project
from pressroom.model import Warnings
from pressroom.render.renderer import Renderer, process_renderer


class Stopwatch:
    """Adds the wall-clock time of each ``with clock("stage"):`` block to ``timings``, counts
    what a stage repeats (``clock.count("layout", passes)``) in ``counts``, and knows which stage
    is running (what an internal error names)."""

    def __init__(self, timings: dict[str, float] | None = None, counts: dict[str, int] | None = None):
        self.timings = {} if timings is None else timings
        self.counts = {} if counts is None else counts
        self.stage: str | None = None

    def count(self, stage: str, number: int = 1) -> None:
        """Add ``number`` passes to what ``stage`` did (the layout's passes through WeasyPrint)."""
        self.counts[stage] = self.counts.get(stage, 0) + number

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        outer, self.stage = self.stage, stage
        yield
        # Not in a ``finally``: after an exception, ``stage`` still names the stage that raised.
        self.stage = outer
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


@dataclass
class RenderContext:
    """What rendering may use besides the article: the project (its settings and layouts), the
    sandbox every read goes through, where warnings go, the stage clock, where generated covers and font subsets
    are kept between builds (None: nowhere), and the process's renderer (what it keeps between
    renders)."""

    project: Project
    sandbox: Sandbox
    warnings: Warnings = field(default_factory=list)
    clock: Stopwatch = field(default_factory=Stopwatch)
    covers: Path | None = None
    renderer: Renderer = field(default_factory=process_renderer)

    @property
    def search_path(self) -> tuple[Path, ...]:
        return self.project.layout_search_path
