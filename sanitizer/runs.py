"""Run bookkeeping: run folders, the load journal (for --resume), the per-target lock, retention."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sanitizer.errors import ConfigError, LockError

JOURNAL = "journal.jsonl"
SUMMARY = "summary.json"


class Journal:
    """An append-only record of finished load steps: a resumed run skips what is recorded here."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._done: set[str] = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a crash mid-write: that step simply counts as not done
                if entry.get("status") == "done":
                    self._done.add(str(entry.get("step")))

    def is_done(self, step: str) -> bool:
        return step in self._done

    def mark(self, step: str, **details: Any) -> None:
        """Record a finished step (fsync'd: a crash right after still finds it)."""
        entry = {"step": step, "status": "done", "at": datetime.now(UTC).isoformat(), **details}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._done.add(step)

    @property
    def done(self) -> set[str]:
        return set(self._done)


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created inside are the owner's only (0600/0700): snapshots, reports, journal."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


@contextmanager
def target_lock(runs_dir: Path, target_org_id: str) -> Iterator[Path]:
    """Hold the lock of a target org for the duration of a run; a second run fails at once.

    An OS file lock: it is released when the process exits, even on kill -9, so it never goes stale.
    """
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / f".lock-{target_org_id}"
    handle = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise LockError(
            f"another run holds the lock for target org {target_org_id} ({holder})",
            hint=f"wait for it to finish; the lock file is {path}",
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}")
    handle.flush()
    try:
        yield path
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def run_dir(runs_dir: Path, run_id: str, *, must_exist: bool = False) -> Path:
    """The folder of one run (created unless `must_exist`)."""
    path = runs_dir / run_id
    if must_exist and not path.is_dir():
        raise ConfigError(
            f"no run {run_id!r} under {runs_dir}", hint="see `sanitize report history RUNS_DIR`"
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_summary(folder: Path, summary: dict[str, Any]) -> Path:
    path = folder / SUMMARY
    temp = path.with_name(f".{SUMMARY}.tmp")
    temp.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    temp.replace(path)
    return path


def remove_stale_raw(snapshots_dir: Path, keep: str | None = None) -> int:
    """Remove raw (encrypted) folders left by runs that were killed; returns how many."""
    removed = 0
    if not snapshots_dir.is_dir():
        return 0
    for raw in snapshots_dir.glob("*/raw"):
        if raw.parent.name != keep:
            shutil.rmtree(raw, ignore_errors=True)
            removed += 1
    return removed


def prune_snapshots(snapshots_dir: Path, keep: int, protect: str | None = None) -> list[str]:
    """Keep the newest `keep` snapshots (run ids sort by time); returns the run ids removed."""
    if not snapshots_dir.is_dir():
        return []
    runs = sorted((p for p in snapshots_dir.iterdir() if p.is_dir()), key=lambda p: p.name)
    removed = []
    for path in runs[: max(0, len(runs) - keep)]:
        if path.name != protect:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed
