"""Run history: one entry per run directory under a runs directory, oldest first, with its drift."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sanitizer.errors import InputError
from sanitizer.report import REPORT_JSON, read_report
from sanitizer.report.diff import DEFAULT_THRESHOLD, diff_reports
from sanitizer.report.model import ScrubReport
from sanitizer.runs import read_summary


@dataclass(frozen=True)
class RunEntry:
    """One run directory: its report (None when it has no readable report), its summary, its drift."""

    run_id: str
    path: Path
    report: ScrubReport | None
    problem: str | None = None
    decisions: int | None = None  # changes needing a decision since the previous readable run
    summary: dict[str, Any] | None = None  # summary.json: how the run ended and what staging holds

    @property
    def started_at(self) -> datetime | None:
        if self.report:
            return self.report.run.started_at
        try:
            return datetime.fromisoformat(str((self.summary or {})["started_at"]))
        except (KeyError, ValueError):
            return None

    @property
    def status(self) -> str:
        """The verification status; for a run that stopped early, how and where it stopped."""
        summary = self.summary or {}
        ended = summary.get("status")
        if self.report and ended in (None, "finished"):
            return self.report.status
        if ended is None:
            return "no report"
        where = [str(summary.get("stage") or "?")]
        if summary.get("exit_code"):
            where.append(f"exit {summary['exit_code']}")
        # A run still `running` in its summary is running now, or was killed.
        return f"{'unfinished' if ended == 'running' else ended} ({', '.join(where)})"

    @property
    def staging(self) -> str | None:
        """What the run did to staging: not loaded, dry run, load incomplete, loaded (None: unknown)."""
        return (self.summary or {}).get("staging")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready line of history."""
        r = self.report
        return {
            "run_id": self.run_id,
            "path": str(self.path),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "status": self.status,
            "staging": self.staging,
            "exit_code": (self.summary or {}).get("exit_code"),
            "tables": r.summary.tables if r else None,
            "rows": r.summary.rows if r else None,
            "pii_columns": r.summary.pii_columns if r else None,
            "values_changed": r.summary.values_changed if r else None,
            "findings": r.summary.findings if r else None,
            "duration_s": r.run.duration_s if r else None,
            "rules_hash": r.rules.hash if r else None,
            "key_fingerprint": r.key.fingerprint if r else None,
            "drift_decisions": self.decisions,
            "problem": self.problem,
        }


def read_history(runs_dir: Path, *, threshold: float = DEFAULT_THRESHOLD) -> list[RunEntry]:
    """One entry per run directory under `runs_dir`, oldest first, with its drift since the last."""
    if not runs_dir.is_dir():
        raise InputError(f"{runs_dir}: not a directory", hint="expected a runs directory")
    if (runs_dir / REPORT_JSON).is_file():
        raise InputError(
            f"{runs_dir}: this is one run's folder, not a runs directory",
            hint="pass the folder that holds one folder per run",
        )
    entries: list[RunEntry] = []
    for path in sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        summary = read_summary(path)
        report, problem = None, None
        try:
            report = read_report(path / REPORT_JSON)
        except InputError as exc:
            # A run that stopped before its scrub has no report: its summary says why.
            if summary is None or (path / REPORT_JSON).exists():
                problem = exc.message
        entries.append(RunEntry(path.name, path, report, problem, summary=summary))
    entries.sort(key=lambda e: (_when(e), e.run_id))
    previous: ScrubReport | None = None
    dated: list[RunEntry] = []
    for entry in entries:
        if entry.report is None:
            dated.append(entry)
            continue
        drift = None
        if previous is not None:
            drift = len(diff_reports(previous, entry.report, threshold=threshold).decisions)
        dated.append(replace(entry, decisions=drift))
        previous = entry.report
    return dated


def _when(entry: RunEntry) -> str:
    """Sort key: the run's start time, else its id (run ids begin with a UTC timestamp)."""
    started = entry.started_at
    return started.strftime("%Y%m%dT%H%M%SZ") if started else entry.run_id
