"""CPU-bound work in forked worker processes: results in input order, a bounded number in flight.

Used for the free-text scan, the replacement of large sets of distinct values and the verification of
batches. Workers are forked so they inherit the caller's state (scanners, search sets, originals)
without pickling it, and the work items too when they are all known at the fork (a list): then only
their indexes and the results cross the process boundary. Work repeated through a pass (a scan per
batch) goes to `Workers`, forked once: every fork of a large process makes both sides copy the pages
they write afterwards, and that cost grows with the process. Callers decide with `can_fork` and keep
a sequential path that gives the same results.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

# Niceness added to workers (see _yield_to_caller): enough for the caller to win a shared core.
WORKER_NICENESS = 5
# What a forked worker runs, on what state, and the work items it inherited (if any).
_TASK: tuple[Callable[[Any, Any], Any], Any, Sequence[Any]] | None = None


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
    limit = window if window is not None else 2 * workers
    known = items if isinstance(items, list) else []  # a list is inherited; a stream is sent
    with _pool(function, state, workers, known) as pool:
        pending: deque[AsyncResult[R]] = deque()
        for index, item in enumerate(items):
            pending.append(
                pool.apply_async(_run_inherited, (index,))
                if known
                else pool.apply_async(_run, (item,))
            )
            if len(pending) >= limit:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


class Submitted(Generic[R]):
    """Work running in forked workers while the caller does something else."""

    def __init__(self, pool: Pool, pending: list[AsyncResult[R]], *, owned: bool = True) -> None:
        self._pool: Pool | None = pool
        self._pending = pending
        self._owned = owned  # the pool was forked for this work (else it belongs to `Workers`)

    def results(self) -> list[R]:
        """Wait for every result, in input order (an exception in a worker is raised here)."""
        try:
            return [result.get() for result in self._pending]
        finally:
            self.cancel()

    def is_done(self) -> bool:
        """Whether every result is in (`results()` would not wait)."""
        return all(result.ready() for result in self._pending)

    def cancel(self) -> None:
        """Stop the workers (nothing happens once the results are in). Workers forked once for many
        calls go on (their owner stops them); what they still return for this work is dropped."""
        if self._pool is not None and self._owned:
            self._pool.terminate()
            self._pool.join()
        self._pool = None


def fork_submit(
    function: Callable[[S, T], R], state: S, items: Iterable[T], workers: int
) -> Submitted[R]:
    """Start `function(state, item)` for every item in `workers` forked processes and return at once;
    `results()` collects them. Use it to overlap the workers' share with the caller's own work."""
    known = list(items)
    pool = _pool(function, state, workers, known)
    return Submitted(pool, [pool.apply_async(_run_inherited, (i,)) for i in range(len(known))])


class Workers(Generic[S, T, R]):
    """Worker processes forked once and given many calls of `function(state, item)`.

    `fork_submit` forks for each call, so its workers see the caller's state as it is at that call
    without pickling it. Forking a large process has a cost that grows with it: afterwards every page
    either side writes is first copied (a page fault each), and a caller of a gigabyte writes much of
    its memory between two calls. Forked once, the workers keep the state as it was at the fork: each
    item travels pickled and must carry what has changed in that state since, for `function` to apply
    first. Use it as a context manager: the workers stop at the end of the block.
    """

    def __init__(self, function: Callable[[S, T], R], state: S, workers: int) -> None:
        self.workers = workers
        self._pool: Pool | None = _pool(function, state, workers, [])

    def submit(self, items: Iterable[T]) -> Submitted[R]:
        """Start `function(state, item)` for every item; `results()` collects them, in input order."""
        if self._pool is None:
            raise RuntimeError("the workers were stopped")
        pending = [self._pool.apply_async(_run, (item,)) for item in items]
        return Submitted(self._pool, pending, owned=False)

    def close(self) -> None:
        """Stop the workers (work still running is abandoned)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> Workers[S, T, R]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _pool(
    function: Callable[[Any, Any], Any], state: Any, workers: int, items: Sequence[Any]
) -> Pool:
    global _TASK
    _TASK = (function, state, items)
    try:
        return multiprocessing.get_context("fork").Pool(workers, initializer=_yield_to_caller)
    finally:
        _TASK = None  # the workers have their copy; the parent must not keep the state alive


def _yield_to_caller() -> None:
    """Lower a worker's scheduling priority below its caller's.

    The caller keeps working while its workers run (it replaces the batch's other columns, reads the
    next batch) and is the critical path of the run: with as many workers as cores, the scheduler would
    give it only its fair share of a core. A worker that yields to it still has the cores the caller does
    not use.
    """
    with contextlib.suppress(OSError):  # a platform that forbids it: equal priority, same results
        os.nice(WORKER_NICENESS)


def _run(item: Any) -> Any:
    assert _TASK is not None, "fork_map workers inherit their task at fork"
    function, state, _items = _TASK
    return function(state, item)


def _run_inherited(index: int) -> Any:
    assert _TASK is not None, "fork_map workers inherit their task at fork"
    function, state, items = _TASK
    return function(state, items[index])


__all__ = ["Submitted", "Workers", "can_fork", "fork_map", "fork_submit"]
