"""One stage run in a forked child process while this process goes on with the next one.

A single article built on a machine with a spare core uses it three times (pipeline.render_outputs):
while this process loads WeasyPrint, a child converts the Markdown and fills the layouts; while
this process lays out the handout, a child draws the cover; while this process packs the EPUB, a
child writes the PDF. A child sends back the stage's return value, or the exception it raised,
through a pipe. :func:`run_stage_in_background` also sends back the warnings the stage added and
the files it read through the sandbox, which this process adds to its own as if the stage had run
here; nothing else a child does reaches this process.
"""

from __future__ import annotations

import os
import pickle
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .errors import Diagnostic
    from .sandbox import Sandbox

T = TypeVar("T")


class ChildFailed(RuntimeError):
    """The child ended without sending a result (killed, or out of memory)."""


class Background(Generic[T]):
    """A stage running in a child process; :meth:`result` waits for it (once)."""

    def __init__(self, pid: int, reader: int):
        self.pid = pid
        self.reader: int | None = reader
        self.status: int | None = None  # the wait status, once the child is reaped
        self.stopped_at: float | None = None  # when SIGTERM was sent

    def result(self) -> T:
        """The stage's return value; its exception is raised here. Interrupted while waiting
        (Ctrl-C, SIGTERM), the child is stopped and reaped before the interruption goes on."""
        if self.reader is None:
            raise RuntimeError("the result of this background process was already collected")
        try:
            with os.fdopen(self.reader, "rb") as stream:
                self.reader = None
                payload = stream.read()
            self.status = os.waitpid(self.pid, 0)[1]
        except BaseException:
            self.cancel()
            raise
        try:
            ok, value = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - empty or cut short: the child died while sending
            raise ChildFailed(f"the background process ended without a whole result (wait status {self.status})") from None
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """Ask the child to end (SIGTERM, once) if it has not been reaped, without waiting: with
        several children, all are asked before any is waited for (:class:`Children`)."""
        if self.status is not None or self.stopped_at is not None:
            return
        self.stopped_at = time.monotonic()
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def cancel(self) -> None:
        """Stop the child if it has not been reaped (this process failed first): SIGTERM, which
        lets it clean up after itself (its ``finally`` blocks run), then SIGKILL if it is still
        there :data:`CANCEL_GRACE_SECONDS` after the SIGTERM."""
        if self.reader is not None:
            os.close(self.reader)
            self.reader = None
        if self.status is not None:
            return
        self.stop()
        assert self.stopped_at is not None
        deadline = self.stopped_at + CANCEL_GRACE_SECONDS
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                return
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                self.status = os.waitpid(self.pid, 0)[1]
                return
            time.sleep(0.005)

    def __enter__(self) -> Background[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


CANCEL_GRACE_SECONDS = 2.0


class Children:
    """The children one task starts, one after another (``with Children() as children:``). On
    the way out, every child not yet collected is sent SIGTERM before any is waited for, so
    children that take their time to end share one grace period instead of each waiting out
    its own."""

    def __init__(self) -> None:
        self.started: list[Background[Any]] = []

    def start(self, job: Background[T]) -> Background[T]:
        self.started.append(job)
        return job

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc: object) -> None:
        for child in self.started:
            child.stop()
        for child in reversed(self.started):
            child.cancel()


STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the stage: its clean-up runs before the child ends


def run_in_background(function: Callable[..., T], *args: Any) -> Background[T]:
    """Start ``function(*args)`` in a forked copy of this process.

    SIGTERM and SIGINT are held back across the fork, so that neither process meets one while the
    child still has its parent's handlers (the child would unwind its parent's stack); the child
    then ends on SIGTERM by unwinding the stage only.
    """
    reader, writer = os.pipe()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        pid = os.fork()
    except BaseException:
        os.close(reader)
        os.close(writer)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    if pid == 0:  # the child: run, send, and leave without running this process's exit handlers
        status = 0
        try:
            signal.signal(signal.SIGTERM, _exit_on_terminate)
            signal.signal(signal.SIGINT, _exit_on_terminate)
            os.close(reader)
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
                payload = pickle.dumps((True, function(*args)))
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                payload = pickle.dumps((False, picklable(exc)))
            with os.fdopen(writer, "wb") as stream:
                stream.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    signal.pthread_sigmask(signal.SIG_SETMASK, held)
    os.close(writer)
    return Background(pid, reader)


def picklable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling both ways, else a RuntimeError with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - an exception that does not pickle
        return RuntimeError(f"{type(exc).__name__}: {exc}")


@dataclass
class StageOutcome:
    """What a stage run in a child did: its value or exception, the warnings it added, the files
    it read through the sandbox, and the seconds it took."""

    value: Any
    failure: BaseException | None
    warnings: list[Diagnostic]
    reads: list[str]
    seconds: float


def run_stage_in_background(sandbox: Sandbox, warnings: list[Diagnostic], function: Callable[..., T], *args: Any) -> Background[StageOutcome]:
    """Start ``function(*args)`` in a forked copy of this process; collect it with :func:`stage_result`."""
    return run_in_background(_run_stage, sandbox, warnings, function, args)


def _run_stage(sandbox: Sandbox, warnings: list[Diagnostic], function: Callable[..., Any], args: tuple[Any, ...]) -> StageOutcome:
    known_warnings, known_reads, start = len(warnings), len(sandbox.reads), time.perf_counter()
    try:
        value, failure = function(*args), None
    except Exception as exc:  # noqa: BLE001 - raised again in the parent, after its warnings
        value, failure = None, picklable(exc)
    return StageOutcome(value, failure, warnings[known_warnings:], sandbox.reads[known_reads:], time.perf_counter() - start)


def stage_result(stage: Background[StageOutcome], sandbox: Sandbox, warnings: list[Diagnostic]) -> tuple[Any, float]:
    """The stage's value and seconds, once its warnings and reads are added to this process's."""
    outcome = stage.result()
    warnings.extend(outcome.warnings)
    sandbox.reads.extend(outcome.reads)
    if outcome.failure is not None:
        raise outcome.failure
    return outcome.value, outcome.seconds
