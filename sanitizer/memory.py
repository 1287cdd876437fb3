"""Memory settings for a scrub, which builds millions of long-lived objects and forks workers.

CPython's cyclic collector runs a full collection each time enough container objects have survived,
and a full collection visits every tracked object: with a run's replacement maps, name indexes and
per-batch structures alive, that is a second or more each time, dozens of times per million rows
(measured: 11% of a 300,000-row scrub, and growing faster than the row count). Inside `bulk_work`
collections of young objects run less often and full collections rarely; reference counting still
frees everything that is not in a cycle at once, so memory stays bounded (the benchmarks measure it).
`settled` additionally moves everything alive into the permanent generation once the long-lived
state is built, so later collections skip it, and forked workers do not copy its pages when the
collector would have touched them.

`own_pages_for_large_blocks` keeps glibc from placing large blocks (a batch's arrays, the pickles sent
to and from the workers) in the free gaps of the heap that forked workers share: each such write made
the kernel copy a shared page, once in the writer, while the other processes kept the old one. At a
million rows the processes together peaked at 1.7 to 1.9 GB (benchmarks/README.md). Arrow's buffers
(the CSV reader's blocks, a batch's columns) then go through glibc too: Arrow's default allocator,
mimalloc, keeps freed memory in its own segments and hands it out again, so the main process went on
rewriting pages its workers shared after each fork (a million rows, all processes: 1,528 MiB with
mimalloc, 1,379 MiB with glibc).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pyarrow as pa

# Young objects per collection, and collections between older ones (defaults: 700, 10, 10).
BULK_THRESHOLDS = (10_000, 10, 1_000)
# glibc's mallopt parameters. From LARGE_BLOCK_BYTES a block gets pages of its own (glibc starts there
# too, then raises the threshold up to 32 MiB as such blocks are freed); the heap's free top is kept
# up to TRIM_BYTES (fewer system calls). The million-row benchmark, all processes together: 1,878 MiB
# with glibc's own rule; 1,449 MiB with these, 1,525 MiB with 1 MiB blocks (a list of 100,000 items
# alone takes 800 KiB); about 2% more CPU time, in the system.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
LARGE_BLOCK_BYTES = 128 * 1024
TRIM_BYTES = 64 << 20


@cache
def own_pages_for_large_blocks() -> bool:
    """Blocks of LARGE_BLOCK_BYTES or more get pages of their own, returned to the system when freed,
    and Arrow allocates through glibc (unless ARROW_DEFAULT_MEMORY_POOL chose an allocator). glibc
    only; elsewhere nothing changes. For this process and the workers it forks later; whether it took
    effect is returned."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    trim = libc.mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES)
    if not (libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES) and trim):
        return False
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())
    return True


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


__all__ = [
    "BULK_THRESHOLDS",
    "LARGE_BLOCK_BYTES",
    "TRIM_BYTES",
    "bulk_work",
    "own_pages_for_large_blocks",
    "settled",
]
