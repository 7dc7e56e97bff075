"""One stage run in a forked child process while this process goes on with the next one.

A single article built on a machine with a spare core writes its PDF in a child (a copy of this
process, laid-out handout included) while this process draws the cover and packs the EPUB. The
child sends back the stage's return value, or the exception it raised, through a pipe; nothing
else it does reaches this process, so a stage run here must be a pure function of its arguments
(no warnings list, no files read through the sandbox).
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from typing import Any, Generic, TypeVar

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
        """Stop the child if its result was not collected (this process failed first)."""
        if self.done:
            return
        self.done = True
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(self.reader)
        os.waitpid(self.pid, 0)

    def __enter__(self) -> Background[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def run_in_background(function: Callable[..., T], *args: Any) -> Background[T]:
    """Start ``function(*args)`` in a forked copy of this process."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send, and leave without running this process's exit handlers
        status = 0
        try:
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
