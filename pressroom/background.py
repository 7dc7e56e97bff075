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
        self.reader = reader
        self.done = False

    def result(self) -> T:
        """The stage's return value; its exception is raised here."""
        self.done = True
        with os.fdopen(self.reader, "rb") as stream:
            payload = stream.read()
        _, status = os.waitpid(self.pid, 0)
        if not payload:
            raise ChildFailed(f"the background process ended without a result (wait status {status})")
        ok, value = pickle.loads(payload)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child if its result was not collected (this process failed first): SIGTERM,
        which lets it clean up after itself (its ``finally`` blocks run), then SIGKILL if it is
        still there after :data:`CANCEL_GRACE_SECONDS`."""
        if self.done:
            return
        self.done = True
        os.close(self.reader)
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + CANCEL_GRACE_SECONDS
        while os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                return
            time.sleep(0.005)

    def __enter__(self) -> Background[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


CANCEL_GRACE_SECONDS = 2.0


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the stage: its clean-up runs before the child ends


def run_in_background(function: Callable[..., T], *args: Any) -> Background[T]:
    """Start ``function(*args)`` in a forked copy of this process."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send, and leave without running this process's exit handlers
        status = 0
        try:
            signal.signal(signal.SIGTERM, _exit_on_terminate)
            os.close(reader)
            try:
                payload = pickle.dumps((True, function(*args)))
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                try:
                    payload = pickle.dumps((False, exc))
                except Exception:  # noqa: BLE001 - an exception that does not pickle
                    payload = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
            with os.fdopen(writer, "wb") as stream:
                stream.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(writer)
    return Background(pid, reader)


@dataclass
class StageOutcome:
    """What a stage run in a child did: its value or exception, the warnings it added, the files
    it read through the sandbox, and the seconds it took."""

    value: Any
    failure: Exception | None
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
        value, failure = None, exc
    return StageOutcome(value, failure, warnings[known_warnings:], sandbox.reads[known_reads:], time.perf_counter() - start)


def stage_result(stage: Background[StageOutcome], sandbox: Sandbox, warnings: list[Diagnostic]) -> tuple[Any, float]:
    """The stage's value and seconds, once its warnings and reads are added to this process's."""
    outcome = stage.result()
    warnings.extend(outcome.warnings)
    sandbox.reads.extend(outcome.reads)
    if outcome.failure is not None:
        raise outcome.failure
    return outcome.value, outcome.seconds
