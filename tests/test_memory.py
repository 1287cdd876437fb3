"""Memory settings for a scrub: garbage-collection thresholds applied inside the block and restored
after it (also on error), glibc's pages of their own for large blocks, and Arrow's buffers through
glibc."""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys

import pytest

from sanitizer.memory import (
    BULK_THRESHOLDS,
    bulk_work,
    settled,
)


def test_bulk_work_sets_and_restores_thresholds() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_work():
        assert gc.get_threshold() == BULK_THRESHOLDS
        raise RuntimeError("a failed scrub")
    assert gc.get_threshold() == before


def test_settled_freezes_what_is_alive_and_unfreezes_after() -> None:
    assert gc.get_freeze_count() == 0
    kept = [[i] for i in range(1000)]  # tracked containers alive when the block starts
    with settled():
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_scrub_runs_inside_bulk_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import sanitizer.scrub as scrub_module

    seen: list[tuple[int, int, int]] = []

    def fake_run_scrub(*_args: object, **_kwargs: object) -> None:
        seen.append(gc.get_threshold())
        raise RuntimeError("stop here")

    monkeypatch.setattr(scrub_module, "run_scrub", fake_run_scrub)
    with pytest.raises(RuntimeError):
        scrub_module.scrub([], None, None, None)  # type: ignore[arg-type]
    assert seen == [BULK_THRESHOLDS]


_GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


_PROBE = """
import ctypes, ctypes.util, sys
from sanitizer.memory import own_pages_for_large_blocks
if sys.argv[1] == "set":
    assert own_pages_for_large_blocks()
libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(8 << 20))  # glibc's own rule raises its threshold to 8 MiB here
block = libc.malloc(4 << 20)
print(bool(ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value & 0x2))
"""


@pytest.mark.skipif(not _GLIBC, reason="mallopt is glibc's")
@pytest.mark.parametrize(("setting", "own_pages"), [("set", True), ("unset", False)])
def test_large_blocks_keep_pages_of_their_own_after_a_larger_one_was_freed(
    setting: str, own_pages: bool
) -> None:
    """glibc raises its threshold for pages of their own to the size of each such block freed: a
    later large block then grows the heap, whose free gaps the forked workers share. With the setting
    it stays at LARGE_BLOCK_BYTES. (A fresh process, whose heap has no gap that large; the "unset"
    case shows the probe tells the two apart.)"""
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, setting], capture_output=True, text=True, check=True
    )
    assert probe.stdout.strip() == str(own_pages)


_POOL_PROBE = """
import pyarrow as pa
from sanitizer.memory import own_pages_for_large_blocks
assert own_pages_for_large_blocks()
print(pa.default_memory_pool().backend_name)
"""


@pytest.mark.skipif(not _GLIBC, reason="mallopt is glibc's")
@pytest.mark.parametrize(("chosen", "backend"), [("", "system"), ("mimalloc", "mimalloc")])
def test_arrow_allocates_through_glibc_unless_an_allocator_was_chosen(
    chosen: str, backend: str
) -> None:
    """Arrow's buffers get glibc's pages of their own (mimalloc would reuse freed segments the workers
    share); an operator who set ARROW_DEFAULT_MEMORY_POOL keeps that allocator."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    probe = subprocess.run(
        [sys.executable, "-c", _POOL_PROBE], capture_output=True, text=True, check=True, env=env
    )
    assert probe.stdout.strip() == backend
