"""The worker's side of a cluster build: a warm renderer and one task per article.

:class:`PressroomPlugin` (a Dask ``WorkerPlugin``, registered by the client) loads WeasyPrint,
the layouts code and Python-Markdown once when a worker starts or joins, as ``-j`` workers do.
:func:`render_remote` renders one article from the bytes the client sent: it writes them into a
folder of its own that mirrors the project tree (``<worker dir>/pressroom/jobs/<digest>``), renders
there with a sandbox rooted in that folder, the same code as a local build, and returns the
outputs as bytes, the diagnostics and the files read, every worker path mapped back to the
client's. The folder is removed afterwards. Articles render one at a time per worker process
(a lock), whatever the worker's thread count: the renderer keeps per-process state.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from pressroom.build import ArticleResult, _warm_up, article_guard, render_source
from pressroom.cluster.inputs import Job, LayoutBundle, path_mapper
from pressroom.load.settings import BUILTIN_LAYOUTS, Project
from pressroom.model import Diagnostic, display_path
from pressroom.render.article import RenderContext, Stopwatch
from pressroom.store.files import Output

_rendering = threading.Lock()


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """What must match between client and worker for byte-identical outputs: Pressroom (its
    version, and a digest of its code and built-in layouts), WeasyPrint and Python."""
    from pressroom import __version__
    from pressroom.store.cache import code_digest, file_digest, folder_digest

    fingerprint = folder_digest([BUILTIN_LAYOUTS], file_digest) + code_digest()
    import hashlib

    return {
        "Pressroom": f"{__version__} (code {hashlib.sha256(fingerprint.encode()).hexdigest()[:12]})",
        "WeasyPrint": importlib.metadata.version("weasyprint"),
        "Python": platform.python_version(),
    }


def mismatch(expected: Mapping[str, str], found: Mapping[str, str]) -> str | None:
    """None when ``found`` matches, else which versions differ (the worker's, then the client's)."""
    differ = [f"{name} {found.get(name, '?')} (the client has {value})" for name, value in expected.items() if found.get(name) != value]
    return "; ".join(differ) if differ else None


def _worker_folder() -> Path:
    try:
        base = Path(get_worker().local_directory)
    except ValueError:  # not in a worker (a test calling render_remote)
        base = Path(tempfile.gettempdir())
    folder = (base / "pressroom").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class PressroomPlugin(WorkerPlugin):
    """Loads the renderer once per worker process, when the worker starts or joins."""

    name = "pressroom"

    def setup(self, worker: Any) -> None:
        _warm_up(True)
        versions()


@dataclass
class RemoteResult:
    """What a worker sends back for one article; paths are the client's."""

    slug: str | None
    outputs: dict[str, Output] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    refused: str | None = None  # the worker runs other versions: it did not render
    worker: str = ""


def same(data: Any) -> Any:
    """A file's bytes or the layouts, kept by the cluster for the tasks that need them."""
    return data


def _materialise_layouts(bundle: LayoutBundle) -> Path:
    """The project's layout folder on this worker, written once per digest."""
    folder = _worker_folder() / "layouts" / bundle.digest
    if not folder.is_dir():
        folder.parent.mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".layouts-", dir=folder.parent))
        for name, data in bundle.files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            os.rename(staging, folder)
        except OSError:  # another process of this machine wrote it first
            shutil.rmtree(staging, ignore_errors=True)
    return folder


@contextmanager
def _job_folder(job: Job, files: Mapping[str, bytes]) -> Iterator[Path]:
    """The article's inputs written into a fresh folder mirroring the project tree, with the
    client's modification times (the build time of an article without SOURCE_DATE_EPOCH)."""
    root = Path(tempfile.mkdtemp(prefix=f"{job.digest}-", dir=_worker_folder())).resolve()
    try:
        for entry in job.files:
            path = root / entry.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[entry.digest])
            os.utime(path, ns=(entry.mtime_ns, entry.mtime_ns))
        (root / job.content).mkdir(parents=True, exist_ok=True)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _build_time(epoch: str | None) -> Iterator[None]:
    """The client's SOURCE_DATE_EPOCH (or none) while rendering (renders run one at a time)."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def _worker_name() -> str:
    try:
        return str(get_worker().address)
    except ValueError:
        return "this process"


def render_remote(job: Job, files: Mapping[str, bytes], layouts: LayoutBundle | None) -> RemoteResult:
    """Render one article from what the client sent (the task each article becomes)."""
    problem = mismatch(job.versions, versions())
    if problem:
        return RemoteResult(None, refused=f"it runs {problem}", worker=_worker_name())
    with _rendering:
        layouts_dir = _materialise_layouts(layouts) if layouts else None
        with _job_folder(job, files) as root, _build_time(job.epoch):
            source = root / job.source
            result = ArticleResult(source)
            clock = Stopwatch(result.timings, result.counts)
            project = Project(
                root,
                root / job.content,
                root / ".out",
                layouts_dir or root / ".no-layouts",
                job.formats,
                job.allow_remote,
                dict(job.defaults),
            )
            context = RenderContext(project, project.sandbox, result.warnings, clock, _worker_folder() / "covers")
            slug: str | None = None
            outputs: dict[str, Output] = {}
            with article_guard(result, clock):
                slug, outputs = render_source(source, context, job.formats, job.overrides)
            prefixes = {str(root): job.client_root, display_path(root): job.client_root, str(BUILTIN_LAYOUTS): job.client_builtin}
            if layouts_dir and job.client_layouts:
                prefixes[str(layouts_dir)] = job.client_layouts
            mapped = path_mapper(prefixes)
            return RemoteResult(
                slug,
                outputs if not result.errors else {},
                [_map_diagnostic(d, mapped) for d in result.warnings],
                [_map_diagnostic(d, mapped) for d in result.errors],
                [mapped(path) for path in context.sandbox.reads],
                result.timings,
                result.counts,
                worker=_worker_name(),
            )


def _map_diagnostic(diagnostic: Diagnostic, mapped: Any) -> Diagnostic:
    return replace(
        diagnostic,
        message=mapped(diagnostic.message),
        path=mapped(diagnostic.path) if diagnostic.path else diagnostic.path,
        detail=mapped(diagnostic.detail) if diagnostic.detail else diagnostic.detail,
    )
