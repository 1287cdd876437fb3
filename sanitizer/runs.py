"""Run bookkeeping: run folders and their summary, the load journal (for --resume), the per-target lock,
retention."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sanitizer.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    ConfigError,
    InterlockError,
    LockError,
    SanitizerError,
    Terminated,
)

JOURNAL = "journal.jsonl"
SUMMARY = "summary.json"
RunStatus = Literal["running", "finished", "refused", "failed", "interrupted"]


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


def lock_path(lock_dir: Path, target_org_id: str) -> Path:
    """The lock file of a target org: named by its id (hashed when the id is not a plain name)."""
    name = (
        target_org_id
        if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", target_org_id)
        else hashlib.sha256(target_org_id.encode()).hexdigest()[:32]
    )
    return lock_dir / f"target-{name}.lock"


@contextmanager
def target_lock(lock_dir: Path, target_org_id: str) -> Iterator[Path]:
    """Hold the lock of a target org for the duration of a run; a second run fails at once.

    The lock lives in a folder shared by every config on the host (not in runs_dir), so two configs
    with different runs folders that point at one staging org still exclude each other. It is an OS
    file lock: released when the process exits, even on kill -9, so it never goes stale.
    """
    path = lock_path(lock_dir, target_org_id)
    try:
        lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if lock_dir.stat().st_uid != os.getuid():
            raise PermissionError("owned by another user")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise ConfigError(
            f"cannot use the lock folder {lock_dir} ({exc.strerror or exc})",
            hint="set `lock_dir` in the run config to a folder of the job's user",
        ) from None
    handle = os.fdopen(fd, "r+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = handle.read().strip() or "another process"
        handle.close()
        raise LockError(
            f"another run holds the lock for target org {target_org_id} ({holder})",
            hint=f"wait for it to finish; the lock file is {path}",
        ) from None
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


def read_summary(folder: Path) -> dict[str, Any] | None:
    """A run's summary.json, or None when it has none (or it cannot be read)."""
    try:
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


class RunRecord:
    """A run's summary.json, written when a command starts on the run and rewritten at each stage.

    A refused, failed or killed run leaves its trace too: a killed one stays `running` at the stage it
    was in. Stages run by hand (extract, scrub, load) add to one summary. It never holds a record value.
    """

    def __init__(self, folder: Path, **fields: Any) -> None:
        self.folder = folder
        earlier = read_summary(folder) or {}
        self.summary: dict[str, Any] = {
            **fields,
            "status": "running",
            "stage": None,
            "started_at": earlier.get("started_at") or datetime.now(UTC).isoformat(),
            "finished_at": None,
            "exit_code": None,
            "error": None,
            "staging": earlier.get("staging", "not loaded"),
            "verified": earlier.get("verified"),
            "timings": earlier.get("timings", {}),
        }
        # What earlier commands on the run found (the target org, the steps) stays.
        self.summary |= {k: v for k, v in earlier.items() if k not in self.summary}
        self._started = self._stage_started = time.perf_counter()
        write_summary(folder, self.summary)

    def stage(self, name: str) -> None:
        """The run enters a stage (`interlock`, `extract`, `scrub`, `load`)."""
        self._time_stage()
        self.summary["stage"] = name
        write_summary(self.folder, self.summary)

    def update(self, **fields: Any) -> None:
        self.summary.update(fields)
        write_summary(self.folder, self.summary)

    def end(self, status: RunStatus, exit_code: int, error: BaseException | None = None) -> None:
        self._time_stage()
        self.summary["timings"]["total_s"] = round(time.perf_counter() - self._started, 3)
        self.update(
            status=status,
            finished_at=datetime.now(UTC).isoformat(),
            exit_code=exit_code,
            error=_error(error),
        )

    def _time_stage(self) -> None:
        now = time.perf_counter()
        if self.summary["stage"] and self.summary["status"] == "running":
            key = f"{self.summary['stage']}_s"
            self.summary["timings"][key] = round(now - self._stage_started, 3)
        self._stage_started = now


def _error(exc: BaseException | None) -> dict[str, str] | None:
    """What the summary says of an error: its type, and its message when sanitizer wrote it (no values)."""
    if exc is None:
        return None
    if isinstance(exc, SanitizerError):
        return {"type": type(exc).__name__, "message": exc.message}
    return {"type": type(exc).__name__}


@contextmanager
def recorded_run(folder: Path, **fields: Any) -> Iterator[RunRecord]:
    """Keep a run's summary for the duration of a command: how it ended, at which stage, with which code."""
    record = RunRecord(folder, **fields)
    try:
        yield record
    except InterlockError as exc:
        record.end("refused", exc.exit_code, exc)
        raise
    except SanitizerError as exc:
        record.end("failed", exc.exit_code, exc)
        raise
    except KeyboardInterrupt as exc:
        stopped = EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
        record.end("interrupted", stopped, exc)
        raise
    except Exception as exc:
        record.end("failed", EXIT_INTERNAL, exc)
        raise
    record.end("finished", EXIT_OK)


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
