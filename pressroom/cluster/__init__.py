"""Rendering on a Dask cluster (``--cluster``): what travels (``inputs``), the worker's side
(``worker``), the client's (``client``). Only the error a build reports lives here, so that a
local build does not import the client."""

from __future__ import annotations


class ClusterError(Exception):
    """The cluster cannot be used or was lost: one line, and the exit status (2 before anything
    was built, 1 after)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status
