"""Garbage collection tuned for a scrub, which builds millions of long-lived objects.

CPython's cyclic collector runs a full collection each time enough container objects have survived,
and a full collection visits every tracked object: with a run's replacement maps, name indexes and
per-batch structures alive, that is a second or more each time, dozens of times per million rows
(measured: 11% of a 300,000-row scrub, and growing faster than the row count). Inside `bulk_work`
collections of young objects run less often and full collections rarely; reference counting still
frees everything that is not in a cycle at once, so memory stays bounded (the benchmarks measure it).
`settled` additionally moves everything alive into the permanent generation once the long-lived
state is built, so later collections skip it, and forked workers do not copy its pages when the
collector would have touched them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young objects per collection, and collections between older ones (defaults: 700, 10, 10).
BULK_THRESHOLDS = (10_000, 10, 1_000)


@contextmanager
def bulk_work() -> Iterator[None]:
    """Fewer collections for the length of the block; the previous thresholds come back after it."""
    previous = gc.get_threshold()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@contextmanager
def settled() -> Iterator[None]:
    """Collect, then keep everything alive now out of later collections until the block ends."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


__all__ = ["BULK_THRESHOLDS", "bulk_work", "settled"]
