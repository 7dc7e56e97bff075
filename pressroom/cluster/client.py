"""The client's side of a cluster build: one Dask task per article the cache says must be built.

The client answers from the cache what it can (without connecting), checks that the workers run
the same Pressroom, WeasyPrint and Python as itself, sends each remaining article to the cluster
with the files its text names (:mod:`pressroom.cluster.inputs`), then writes what comes back as a
local build does: all or none per article (:func:`pressroom.build.keep_outputs`), cache entry
after the outputs, results in the order of the sources. Dask schedules the tasks and moves the
data; a worker that dies has its tasks run again elsewhere (the renders are pure functions of
what was sent). Losing the scheduler ends the build with one line: what was written is complete,
what was not is neither written nor recorded in the cache.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressroom.build import (
    ArticleResult,
    article_guard,
    build_article_if_cached,
    keep_outputs,
    project_for,
    record,
    recorded_reads,
    search_path_of,
    settings_of,
)
from pressroom.cluster import ClusterError
from pressroom.cluster.inputs import Job, LayoutBundle, ProjectFiles, layout_bundle
from pressroom.load.settings import BUILTIN_LAYOUTS, Project
from pressroom.model import Diagnostic, display_path, internal_error
from pressroom.render.article import Stopwatch
from pressroom.store.cache import CACHE_FOLDER, BuildCache

CONNECT_TIMEOUT_SECONDS = 5.0
#: How long to wait for a first worker when the scheduler has none.
WORKER_WAIT_SECONDS = 30.0
INSTALL_HINT = "pip install 'pressroom[cluster]'"
#: Articles sent to the scheduler in one message.
SUBMIT_BATCH = 200
#: How long a finished task may wait for others to be fetched with it, and how many at most.
GATHER_WINDOW_SECONDS = 1.0
GATHER_BATCH = 64
#: Articles written at the same time (their waits for the disk overlap).
WRITER_THREADS = 8


def dask_missing() -> str | None:
    """Why ``--cluster`` cannot work here (Dask not installed), or None."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        return f"--cluster needs Dask's distributed scheduler, which is not installed: {INSTALL_HINT}"
    return None


@dataclass
class Prepared:
    """One article's task as sent, and what its cache entry needs when it comes back."""

    job: Job
    files: dict[str, Any]  # digest -> bytes (the article's own text) or the cluster's copy
    layouts: Any  # the cluster's copy of the project's layouts, or None
    key: str  # its cache key
    read: dict[str, str]  # client path -> digest of every file sent
    project: Project


@dataclass
class Task:
    index: int
    result: ArticleResult
    prepared: Prepared


class Writer:
    """Writes the articles that come back in threads of its own: each article's files are
    flushed to disk (``fsync``) before they are renamed into place, and those waits overlap
    instead of queueing behind one another. Each article is still written all or none, its
    cache entry after its outputs (:meth:`ClusterBuild.keep`)."""

    def __init__(self, build: ClusterBuild):
        from concurrent.futures import ThreadPoolExecutor

        self.build = build
        self.pool = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="pressroom-write")
        self.writing: dict[int, Future[ArticleResult]] = {}

    def write(self, task: Task, remote: Any) -> None:
        self.writing[task.index] = self.pool.submit(self.build.keep, task, remote)

    def ready(self) -> dict[int, ArticleResult]:
        """The articles written since the last call."""
        done = {index: future for index, future in self.writing.items() if future.done()}
        for index in done:
            del self.writing[index]
        return {index: future.result() for index, future in done.items()}

    def finish(self) -> dict[int, ArticleResult]:
        """Every article handed over, once written."""
        done, self.writing = self.writing, {}
        return {index: future.result() for index, future in done.items()}

    def stop(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class ClusterBuild:
    """One build on a Dask cluster. Iterate over :meth:`results`; ``problems`` holds what is not
    an article's (workers that refused the work)."""

    def __init__(self, address: str, out_dir: Path, formats: tuple[str, ...], overrides: Mapping[str, Any], cache: BuildCache | None):
        self.address = address
        self.out_dir = out_dir
        self.formats = formats
        self.overrides = overrides
        self.cache = cache
        self.problems: list[Diagnostic] = []
        self.client: Any = None
        self.workers: list[str] = []
        self._files: dict[Path, ProjectFiles] = {}
        self._layouts: dict[Path, tuple[str | None, Any, Path | None]] = {}  # layout folder -> see _layouts_of
        self._sent: dict[str, Any] = {}  # file digest -> scattered bytes

    # -- connecting -----------------------------------------------------------------------

    def connect(self) -> None:
        """Connect, register the warm-up plugin, keep the workers whose versions match."""
        import dask
        from distributed import Client

        from pressroom.cluster.worker import PressroomPlugin, mismatch, versions

        dask.config.set({"distributed.comm.timeouts.connect": f"{CONNECT_TIMEOUT_SECONDS}s"})
        # Dask logs every lost connection with a traceback; the build says it once, in one line.
        for name in ["distributed", *logging.root.manager.loggerDict]:
            if name.startswith("distributed"):
                logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        try:
            self.client = Client(self.address, timeout=f"{CONNECT_TIMEOUT_SECONDS}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {self.address}: {_reason(exc)}", 2) from None
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"the Dask scheduler at {self.address} has no workers (waited {WORKER_WAIT_SECONDS:.0f} s): {_reason(exc)}", 2
            ) from None
        self.client.register_plugin(PressroomPlugin(), name="pressroom")
        ours = versions()
        for worker, theirs in sorted(self.client.run(versions).items()):
            problem = mismatch(ours, theirs)
            if problem:
                self.problems.append(Diagnostic("error", f"worker {worker} refused the work: it runs {problem}", self.address))
            else:
                self.workers.append(worker)
        if not self.workers:
            lines = "; ".join(d.message for d in self.problems)
            raise ClusterError(f"no worker of the Dask cluster at {self.address} runs this Pressroom, WeasyPrint and Python: {lines}", 2)

    def close(self, cancel: Sequence[Any] = ()) -> None:
        if self.client is None:
            return
        try:
            if cancel:
                self.client.cancel(list(cancel), force=True)
            self.client.close(timeout=2)
        except Exception:  # the scheduler may be gone already
            pass
        self.client = None

    # -- sending --------------------------------------------------------------------------

    def _project_files(self, project: Project) -> ProjectFiles:
        if project.root not in self._files:
            skip = (self.out_dir, project.output_dir, project.layouts_dir, project.root / CACHE_FOLDER)
            self._files[project.root] = ProjectFiles(project.root, skip)
        return self._files[project.root]

    def _layouts_of(self, project: Project) -> tuple[str | None, Any, Path | None]:
        """The project's own layout folder (not the built-in one) as a scattered bundle: its
        digest, the bundle's future and the folder (resolved; None: no folder of its own).
        Looked up once per build for each layout folder."""
        if project.layouts_dir not in self._layouts:
            folder = project.layouts_dir.resolve()
            if not folder.is_dir() or folder == BUILTIN_LAYOUTS.resolve():
                self._layouts[project.layouts_dir] = (None, None, None)
            else:
                bundle: LayoutBundle = layout_bundle(folder)
                self._layouts[project.layouts_dir] = (bundle.digest, self._upload(f"pressroom-layouts-{bundle.digest}", bundle), folder)
        return self._layouts[project.layouts_dir]

    def _upload(self, key: str, data: Any) -> Any:
        """Put ``data`` on the cluster once, under ``key``: tasks that need it get it from a worker
        that has it (each worker fetches it once). Not ``scatter``: scattered data dies with the
        worker holding it, while a task's result is made again from the scheduler's copy when
        that worker is killed."""
        from pressroom.cluster.worker import same

        return self.client.submit(same, data, key=key, pure=False, priority=1)

    def prepare(self, source: Path, project: Project, warnings: list[Diagnostic]) -> Prepared:
        """The task of one article: its job, its files (its own text inline, every other file by
        digest, sent to the cluster once), its layouts, its cache key."""
        from pressroom.cluster.worker import versions

        own = project_for(source, project, warnings, self.cache)
        text = source.read_bytes()  # read once: what is hashed for the cache is what is sent
        digest = hashlib.sha256(text).hexdigest()
        key = (
            self.cache.key(
                source, settings_of(own, self.formats, self.overrides, self.cache), search_path_of(own, self.cache), source_digest=digest
            )
            if self.cache
            else ""
        )
        files = self._project_files(own)
        resolved = source.resolve()
        inputs = tuple(files.named_in(resolved, text, digest))
        data: dict[str, Any] = {}
        for entry in inputs:
            if entry.digest == digest:
                data[digest] = text
            else:
                if entry.digest not in self._sent:
                    self._sent[entry.digest] = self._upload(f"pressroom-file-{entry.digest}", (files.root / entry.path).read_bytes())
                data[entry.digest] = self._sent[entry.digest]
        layouts_digest, layouts, layouts_folder = self._layouts_of(own)
        job = Job(
            source=os.path.relpath(resolved, own.root).replace(os.sep, "/"),
            client_root=str(own.root),
            client_layouts=str(layouts_folder) if layouts_folder else None,
            client_builtin=str(BUILTIN_LAYOUTS),
            layouts_digest=layouts_digest,
            content=os.path.relpath(own.content_dir, own.root),
            formats=self.formats,
            overrides=dict(self.overrides),
            defaults=dict(own.defaults),
            allow_remote=own.allow_remote,
            epoch=os.environ.get("SOURCE_DATE_EPOCH"),
            files=inputs,
            versions=versions(),
        )
        read = {str(files.root / entry.path): entry.digest for entry in inputs}
        return Prepared(job, data, layouts, key, read, own)

    # -- building -------------------------------------------------------------------------

    def results(self, sources: Sequence[Path], project: Project) -> Iterator[ArticleResult]:
        """Build ``sources``: the cached ones answered here, the others on the cluster; results
        in ``sources`` order, each article written as soon as it comes back."""
        answered: dict[int, ArticleResult] = {}
        pending: list[int] = []
        for index, source in enumerate(sources):
            cached = (
                build_article_if_cached(source, project, self.out_dir, self.formats, self.overrides, self.cache) if self.cache else None
            )
            if cached is not None:
                answered[index] = cached
            else:
                pending.append(index)
        if not pending:
            yield from (answered[i] for i in range(len(sources)))
            return
        self.connect()
        collecting = _collector_on()
        next(collecting)
        writer = Writer(self)
        futures: dict[Any, int] = {}
        try:
            tasks = self._submit(sources, pending, project, futures)
            next_index = 0
            for written in self._written(futures, tasks, writer):
                answered.update(written)
                while next_index < len(sources) and next_index in answered:
                    yield answered.pop(next_index)
                    next_index += 1
            for i in range(next_index, len(sources)):
                yield answered.pop(i)
        except ClusterError:
            answered.update(writer.finish())  # what was being written is written whole
            yield from (answered.pop(i) for i in sorted(answered))  # written before the loss
            raise
        finally:
            writer.stop()  # an article being written is finished (all or none), the rest dropped
            self.close(cancel=[f for f in futures if not f.done()])
            next(collecting, None)

    def _submit(self, sources: Sequence[Path], pending: list[int], project: Project, futures: dict[Any, int]) -> dict[int, Task]:
        """Send one task per article, in batches (one message to the scheduler per batch)."""
        from pressroom.cluster.worker import render_remote

        tasks: dict[int, Task] = {}
        for start in range(0, len(pending), SUBMIT_BATCH):
            batch = pending[start : start + SUBMIT_BATCH]
            began = time.perf_counter()
            prepared = []
            for index in batch:
                result = ArticleResult(sources[index])
                task = tasks[index] = Task(index, result, self.prepare(sources[index], project, result.warnings))
                prepared.append(task.prepared)
            submitted = self.client.map(
                render_remote,
                [p.job for p in prepared],
                [p.files for p in prepared],
                [p.layouts for p in prepared],
                key=[f"pressroom-{p.job.digest}" for p in prepared],
                workers=self.workers,
                pure=False,
            )
            futures.update(zip(submitted, batch, strict=True))
            share = (time.perf_counter() - began) / len(batch)
            for index in batch:
                tasks[index].result.timings["send"] = share
        return tasks

    def _written(self, futures: dict[Any, int], tasks: dict[int, Task], writer: Writer) -> Iterator[dict[int, ArticleResult]]:
        """As tasks finish, their results fetched in batches and handed to the writer; the
        articles written so far, as they are."""
        from distributed import as_completed

        done = as_completed(list(futures), loop=self.client.loop)
        for batch in done.batches():
            # A moment for more to finish, so that one request fetches several: each request
            # costs the client as much as the bytes it brings back. A large cluster finishes
            # many tasks in that time; the last results are not waited for.
            deadline = time.monotonic() + GATHER_WINDOW_SECONDS
            while len(batch) < GATHER_BATCH and done.count() and time.monotonic() < deadline:
                time.sleep(0.1)
                batch += done.next_batch(block=False)
            began = time.perf_counter()
            remotes = self._fetch(batch)
            share = (time.perf_counter() - began) / len(batch)
            for future in batch:
                task = tasks.pop(futures[future])
                task.result.timings["receive"] = share
                remote = remotes.get(future.key)
                if remote is None:
                    remote = self._failure(future, task.result)
                future.release()
                writer.write(task, remote)
            yield writer.ready()
            del batch, remotes
        yield writer.finish()

    def _fetch(self, batch: list[Any]) -> dict[Any, Any]:
        """The results of the finished tasks of ``batch`` by key, fetched in one request (none
        when that fails: each is then fetched alone, and its failure classified)."""
        finished = [future for future in batch if future.status == "finished"]
        if not finished:
            return {}
        try:
            values = self.client.gather(finished)
        except Exception:
            return {}
        return {future.key: value for future, value in zip(finished, values, strict=True)}

    def _failure(self, future: Any, result: ArticleResult) -> Any:
        """The result of one task fetched alone: what came back, or None when the article
        failed on the cluster (its error added to ``result``); a lost scheduler is ClusterError."""
        from distributed.client import FutureCancelledError

        try:
            return future.result()
        except (FutureCancelledError, OSError) as exc:
            raise ClusterError(f"lost the Dask scheduler at {self.address} during the build: {_reason(exc)}", 1) from None
        except Exception as exc:  # KilledWorker: it took down every worker that tried it
            if not self._connected():
                raise ClusterError(f"lost the Dask scheduler at {self.address} during the build: {_reason(exc)}", 1) from None
            message = "internal error: the worker processes building it stopped unexpectedly (killed, or a crash in native code)"
            if type(exc).__name__ != "KilledWorker":
                message = internal_error(exc, None, None).message
            result.errors.append(Diagnostic("error", message, display_path(result.source)))
            return None

    def keep(self, task: Task, remote: Any) -> ArticleResult:
        """Write one article's outputs and record its cache entry, as a local build does (in a
        writer thread)."""
        result = task.result
        if remote is None:
            return result
        for stage, seconds in remote.timings.items():
            result.timings[stage] = result.timings.get(stage, 0.0) + seconds
        for stage, count in remote.counts.items():
            result.counts[stage] = result.counts.get(stage, 0) + count
        if remote.refused:
            result.errors.append(
                Diagnostic("error", f"worker {remote.worker} refused the work: {remote.refused}", display_path(result.source))
            )
            return result
        result.warnings.extend(_local(d) for d in remote.warnings)
        result.errors.extend(_local(d) for d in remote.errors)
        if result.errors or remote.slug is None:
            return result
        clock = Stopwatch(result.timings)
        prepared = task.prepared
        with article_guard(result, clock, collect=False):
            keep_outputs(result, clock, self.out_dir, remote.slug, remote.outputs, self.formats)
            if self.cache:
                reads = recorded_reads(result.source, remote.reads, search_path_of(prepared.project, self.cache))
                record(result, clock, self.cache, self.out_dir, self.formats, prepared.key, reads, known=prepared.read)
        return result

    def _connected(self) -> bool:
        return self.client is not None and self.client.status == "running" and self.client.scheduler_info().get("address") is not None


def _collector_on() -> Iterator[None]:
    """The garbage collector on while the client builds, over what it allocates from now on.

    A one-off build runs with the collector off and collects fully after each article it
    renders (:meth:`~pressroom.render.renderer.Renderer.collector_paused`); the client renders
    nothing, and a full pass over Dask's ~10^6 objects would cost ~30 ms per article. What is
    allocated up to here (imports, the connection) is frozen, so the collector's passes walk only
    the build's own objects. A generator: its second step puts the collector back as it was."""
    was_on = gc.isenabled()
    gc.freeze()
    gc.enable()
    yield None
    if not was_on:
        gc.disable()


def _local(diagnostic: Diagnostic) -> Diagnostic:
    """A worker's diagnostic (paths already the client's, absolute) as a local build prints it."""
    from dataclasses import replace

    cwd = str(Path.cwd().resolve()) + os.sep

    def shown(text: str | None) -> str | None:
        return text.replace(cwd, "") if text else text

    path = display_path(Path(diagnostic.path)) if diagnostic.path and os.path.isabs(diagnostic.path) else diagnostic.path
    return replace(diagnostic, path=path, message=shown(diagnostic.message) or "", detail=shown(diagnostic.detail))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or type(exc).__name__


def build_on_cluster(
    address: str,
    sources: Sequence[Path],
    project: Project,
    out_dir: Path,
    formats: tuple[str, ...],
    overrides: Mapping[str, Any],
    cache: BuildCache | None,
) -> tuple[ClusterBuild, Iterator[ArticleResult]]:
    """A cluster build of ``sources`` and the iterator of its results."""
    build = ClusterBuild(address, out_dir, formats, overrides, cache)
    return build, build.results(sources, project)
