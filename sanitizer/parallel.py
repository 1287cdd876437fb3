"""CPU-bound work in forked worker processes: results in input order, a bounded number in flight.

Used for the free-text scan, the replacement of large sets of distinct values and the verification of
batches. Workers are forked so they inherit the caller's state (scanners, search sets, originals)
without pickling it; only the work items and results cross the process boundary. Callers decide with
`can_fork` and keep a sequential path that gives the same results.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

_TASK: tuple[Callable[[Any, Any], Any], Any] | None = None  # what a forked worker runs, on what


def can_fork(workers: int) -> bool:
    """Whether to use worker processes: more than one asked for, and fork is safe here.

    Forking a process that runs other threads can copy a lock another thread holds (logging, I/O) and
    deadlock the child, so a multi-threaded caller (the in-process demo's emulators, test runners)
    gets the sequential path.
    """
    return (
        workers > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def fork_map(
    function: Callable[[S, T], R],
    state: S,
    items: Iterable[T],
    workers: int,
    *,
    window: int | None = None,
) -> Iterator[R]:
    """`function(state, item)` for each item, in `workers` forked processes, yielded in input order.

    `items` is consumed lazily: at most `window` items (default two per worker) are in flight, so a
    streamed input stays streamed. An exception in a worker is raised here, and the workers stop.
    """
    global _TASK
    limit = window if window is not None else 2 * workers
    _TASK = (function, state)
    try:
        pool = multiprocessing.get_context("fork").Pool(workers)
    finally:
        _TASK = None  # the workers have their copy; the parent must not keep the state alive
    with pool:
        pending: deque[AsyncResult[R]] = deque()
        for item in items:
            pending.append(pool.apply_async(_run, (item,)))
            if len(pending) >= limit:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _run(item: Any) -> Any:
    assert _TASK is not None, "fork_map workers inherit their task at fork"
    function, state = _TASK
    return function(state, item)


__all__ = ["can_fork", "fork_map"]
