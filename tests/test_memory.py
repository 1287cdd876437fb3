"""Garbage-collection settings for a scrub: applied inside the block, restored after it, also on error."""

from __future__ import annotations

import gc

import pytest

from sanitizer.memory import BULK_THRESHOLDS, bulk_work, settled


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
