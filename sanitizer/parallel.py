"""CPU-bound work in forked worker processes: results in input order, a bounded number in flight.

Used for the free-text scan, the replacement of large sets of distinct values and the verification of
batches. Workers are forked so they inherit the caller's state (scanners, search sets, originals)
without pickling it, and the work items too when they are all known at the fork (a list): then only
their indexes and the results cross the process boundary. Work repeated through a pass (a scan per
batch) goes to `Workers`, forked once: every fork of a large process makes both sides copy the pages
they write afterwards, and that cost grows with the process. Callers decide with `can_fork` and keep
a sequential path that gives the same results.

The workers are not `multiprocessing.Pool`'s. Its processes share queues guarded by locks, and stopping
a worker while it holds one (writing a result when the caller cancels) leaves the lock held: the next
stop waits for it forever (CPython issues 96995 and 78178; a run of this module's tests hung on it in
CI, about once in sixty). A pool's worker killed by the system (out of memory) makes its work wait
forever too (issue 66587). Here each worker has a pipe of its own that only it and the caller use, so
a worker can be stopped at any moment, and a worker that dies fails the work it held with an error.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any, Generic, TypeVar

from sanitizer.errors import WorkerLost

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

# Niceness added to workers (see _yield_to_caller): enough for the caller to win a shared core.
WORKER_NICENESS = 5
# Items sent to a worker and not answered yet: one in hand, one on the way (see _Pool).
IN_FLIGHT = 2
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
    with _fork(function, state, workers, known) as pool:
        pending: deque[_Result] = deque()
        for index, item in enumerate(items):
            pending.append(pool.start(_run_inherited, index) if known else pool.start(_run, item))
            if len(pending) >= limit:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


class Submitted(Generic[R]):
    """Work running in forked workers while the caller does something else."""

    def __init__(self, pool: _Pool, pending: list[_Result], *, owned: bool = True) -> None:
        self._pool: _Pool | None = pool
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
            self._pool.stop()
        self._pool = None


def fork_submit(
    function: Callable[[S, T], R], state: S, items: Iterable[T], workers: int
) -> Submitted[R]:
    """Start `function(state, item)` for every item in `workers` forked processes and return at once;
    `results()` collects them. Use it to overlap the workers' share with the caller's own work."""
    known = list(items)
    pool = _fork(function, state, workers, known)
    return Submitted(pool, [pool.start(_run_inherited, i) for i in range(len(known))])


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
        self._pool: _Pool | None = _fork(function, state, workers, [])

    def submit(self, items: Iterable[T]) -> Submitted[R]:
        """Start `function(state, item)` for every item; `results()` collects them, in input order."""
        if self._pool is None:
            raise RuntimeError("the workers were stopped")
        pending = [self._pool.start(_run, item) for item in items]
        return Submitted(self._pool, pending, owned=False)

    def close(self) -> None:
        """Stop the workers (work still running is abandoned)."""
        if self._pool is not None:
            self._pool.stop()
            self._pool = None

    def __enter__(self) -> Workers[S, T, R]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class RemoteTraceback(Exception):
    """The cause given to an exception raised in a worker: its traceback there, and where it stood."""

    def __init__(self, text: str, place: str) -> None:
        super().__init__(text)
        self.place = place  # "file:line" of the innermost frame in the worker

    def __str__(self) -> str:
        return f"\n\n(in a worker process)\n{self.args[0]}"


class _Travelling:
    """An exception on its way out of a worker, with the traceback that pickling would lose."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.text = "".join(traceback.format_exception(exc))
        frames = traceback.extract_tb(exc.__traceback__)
        self.place = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""

    def __reduce__(self) -> tuple[Any, ...]:
        return _arrived, (self.exc, self.text, self.place)


def _arrived(exc: BaseException, text: str, place: str) -> BaseException:
    exc.__cause__ = RemoteTraceback(text, place)
    return exc


class _Result:
    """One item's result, set once: by the thread that reads its worker's pipe, or by a failure."""

    def __init__(self) -> None:
        self._set = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def set(self, value: Any = None, error: BaseException | None = None) -> None:
        if not self._set.is_set():
            self._value, self._error = value, error
            self._set.set()

    def ready(self) -> bool:
        return self._set.is_set()

    def get(self) -> Any:
        self._set.wait()
        if self._error is not None:
            raise self._error
        return self._value


@dataclass
class _Worker:
    process: BaseProcess
    pipe: Connection  # the caller's end; the worker holds the other
    sent: deque[_Result] = field(default_factory=deque)  # in the order the worker will answer
    # Taken for each item sent, given back with its answer: a pipe's buffer holds many small items
    # (a chunk's index), and a sending thread that filled it would leave the other workers idle.
    room: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(IN_FLIGHT))


class _Pool:
    """Forked workers that each read items from a pipe of their own and answer in order.

    Items wait in one queue. For each worker, one thread of the caller sends it the next item as soon
    as it has room (`IN_FLIGHT`: one item in hand, one on the way, whatever their size) and another
    reads its results: each item goes to the first worker free for it. No lock is shared with a
    worker, so `stop` may kill them at any moment. A worker that dies breaks the pool: every item not answered yet fails, and so does every
    later one (a run must not go on short of a worker's share). The threads also keep `can_fork` false
    while the workers live.
    """

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self._items: queue.SimpleQueue[tuple[_Result, Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards `_broken` and the workers' `sent`
        self._broken: BaseException | None = None
        self._stopped = False
        self._workers: list[_Worker] = []
        for _ in range(workers):
            mine, theirs = context.Pipe()
            # The caller's ends so far: the new worker closes its copies of them.
            ends = [*(worker.pipe for worker in self._workers), mine]
            process = context.Process(target=_serve, args=(theirs, ends), daemon=True)
            process.start()
            theirs.close()
            self._workers.append(_Worker(process, mine))
        self._threads = [
            threading.Thread(target=target, args=(worker,), daemon=True, name=name)
            for worker in self._workers
            for target, name in ((self._send, "sanitizer-send"), (self._receive, "sanitizer-read"))
        ]
        for thread in self._threads:
            thread.start()

    def start(self, run: Callable[[Any], Any], item: Any) -> _Result:
        """Queue `run(item)` for the next free worker."""
        result = _Result()
        with self._lock:
            if self._broken is not None:
                result.set(error=self._broken)
            else:
                self._items.put((result, (run, item)))
        return result

    def stop(self) -> None:
        """Kill the workers and end the threads; what is not answered yet fails."""
        if self._stopped:
            return
        self._stopped = True
        self._break(RuntimeError("the workers were stopped"))
        for worker in self._workers:
            self._items.put(None)  # one for each sending thread
            worker.room.release(IN_FLIGHT)  # a sending thread waiting for room goes on to it
            worker.process.kill()
        for worker in self._workers:
            worker.process.join()
        for thread in self._threads:
            thread.join()
        for worker in self._workers:
            worker.pipe.close()

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _send(self, worker: _Worker) -> None:
        while True:
            worker.room.acquire()
            entry = self._items.get()
            if entry is None:
                return
            if not self._send_one(worker, *entry):
                worker.room.release()  # no answer will come for it
            # Not held while the next item is awaited: an item (a verification batch) and its pickle
            # are tens of megabytes, and each sending thread would keep one alive.
            del entry

    def _send_one(self, worker: _Worker, result: _Result, task: Any) -> bool:
        """Send one item to the worker; False when it failed here instead (its result is set)."""
        try:
            message = ForkingPickler.dumps(task)
        except Exception as exc:  # an item that cannot travel fails alone
            result.set(error=exc)
            return False
        with self._lock:
            if self._broken is not None:
                result.set(error=self._broken)
                return False
            worker.sent.append(result)
        with contextlib.suppress(OSError):  # a worker gone: its reading thread breaks the pool
            worker.pipe.send_bytes(message)
        return True

    def _receive(self, worker: _Worker) -> None:
        while True:
            try:
                value, error = worker.pipe.recv()
            except (EOFError, OSError):
                break  # the worker stopped
            except Exception as exc:  # a result that cannot be rebuilt here fails alone
                value, error = None, exc
            with self._lock:
                result = worker.sent.popleft() if worker.sent else None  # none: the pool broke
            worker.room.release()
            if result is not None:
                result.set(value, error)
            del value, error, result  # the caller's to keep, not this thread's while it waits
        if self._stopped:
            return
        worker.process.join(timeout=5)  # for its exit code
        self._break(
            WorkerLost(
                f"a worker process stopped (exit code {worker.process.exitcode}) before returning "
                "its results; nothing was published",
                hint="if the system killed it for memory, set SANITIZER_WORKERS lower or the batch "
                "rows smaller: --batch-rows, or batch_rows in the config",
            )
        )

    def _break(self, error: BaseException) -> None:
        """Fail every item not answered yet, and every later one, with `error` (the first stands)."""
        with self._lock:
            if self._broken is not None:
                return
            self._broken = error
            held = [result for worker in self._workers for result in worker.sent]
            for worker in self._workers:
                worker.sent.clear()
            with contextlib.suppress(queue.Empty):
                while (entry := self._items.get_nowait()) is not None:
                    held.append(entry[0])
        for result in held:
            result.set(error=error)


def _fork(
    function: Callable[[Any, Any], Any], state: Any, workers: int, items: Sequence[Any]
) -> _Pool:
    global _TASK
    _TASK = (function, state, items)
    try:
        return _Pool(workers)
    finally:
        _TASK = None  # the workers have their copy; the parent must not keep the state alive


def _serve(pipe: Connection, callers: list[Connection]) -> None:
    """A worker: run what arrives on `pipe` and answer each item, in order, until the pipe closes."""
    for end in callers:
        end.close()  # the caller's ends: when the caller goes, the pipe reads as closed here
    # Ctrl-C and SIGTERM (sent to the whole process group or service) are the caller's to handle: it
    # stops us. The caller's handler, inherited at the fork, would raise here and print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _yield_to_caller()
    while True:
        try:
            run, item = pipe.recv()
        except (EOFError, OSError):
            return  # the caller is gone (a connection reset when it died with an item on the way)
        try:
            answer: tuple[Any, Any] = (run(item), None)
        except Exception as exc:
            answer = (None, _Travelling(exc))
        try:
            pipe.send(answer)
        except OSError:
            return  # the caller is gone
        except Exception as exc:  # a result (or an exception) that cannot be pickled
            what = type(answer[1].exc).__name__ if answer[1] is not None else "a result"
            failed = RuntimeError(f"{what} could not be sent from a worker ({type(exc).__name__})")
            pipe.send((None, _Travelling(failed)))
        del run, item, answer  # not held while the next item is awaited


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
