"""read_history: one entry per run directory, oldest first, with drift; broken runs are shown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sanitizer.errors import InputError
from sanitizer.report import write_reports
from sanitizer.report.history import read_history
from sanitizer.report.model import ScrubReport

from .conftest import FIXTURE_RUNS


def test_read_history_fixture_runs_are_ordered_with_drift() -> None:
    entries = read_history(FIXTURE_RUNS)

    assert [e.status for e in entries] == ["verified", "verified", "verified", "failed"]
    # No previous run for the first; nothing to decide on the second; drift on the third and fourth.
    assert [e.decisions for e in entries] == [None, 0, 4, 3]
    assert all(e.problem is None for e in entries)


def test_read_history_orders_by_start_time_not_directory_name(
    tmp_path: Path, runs: list[ScrubReport]
) -> None:
    for name, report in zip(["c", "a", "d", "b"], runs, strict=True):
        write_reports(report, tmp_path / name)

    entries = read_history(tmp_path)

    assert [e.run_id for e in entries] == ["c", "a", "d", "b"]


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (
            lambda d: (d / "scrub-report.json").unlink(),
            "no such report file",
        ),  # crashed before reporting
        (
            lambda d: (d / "scrub-report.json").write_text("{", encoding="utf-8"),
            "not valid JSON",
        ),  # truncated
    ],
)
def test_read_history_run_without_readable_report_is_listed_with_its_problem(
    tmp_path: Path, damage: object, problem: str
) -> None:
    shutil.copytree(FIXTURE_RUNS, tmp_path, dirs_exist_ok=True)
    broken = sorted(tmp_path.iterdir())[1]
    damage(broken)  # type: ignore[operator]

    entries = read_history(tmp_path)

    entry = next(e for e in entries if e.run_id == broken.name)
    assert entry.report is None and entry.status == "no report"
    assert problem in (entry.problem or "")
    # Drift is measured against the last readable run, skipping the broken one.
    assert [e.decisions for e in entries if e.report is not None] == [None, 4, 3]
    assert entry.to_dict()["rows"] is None


def test_read_history_hidden_directories_and_files_are_ignored(
    tmp_path: Path, verified: ScrubReport
) -> None:
    write_reports(verified, tmp_path / "run-1")
    (tmp_path / ".lock").mkdir()
    (tmp_path / "notes.txt").write_text("not a run", encoding="utf-8")

    assert [e.run_id for e in read_history(tmp_path)] == ["run-1"]


def test_read_history_empty_directory_is_empty(tmp_path: Path) -> None:
    assert read_history(tmp_path) == []


def test_read_history_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        read_history(tmp_path / "nope")


def test_read_history_one_run_folder_is_refused_with_a_hint(
    tmp_path: Path, verified: ScrubReport
) -> None:
    write_reports(verified, tmp_path)
    with pytest.raises(InputError, match="one run's folder") as caught:
        read_history(tmp_path)
    assert caught.value.hint is not None and "one folder per run" in caught.value.hint


def test_run_entry_to_dict_carries_the_history_line() -> None:
    line = read_history(FIXTURE_RUNS)[-1].to_dict()
    assert line["status"] == "failed"
    assert line["findings"] == 4
    assert line["drift_decisions"] == 3
    assert line["tables"] == 3


def _summary(folder: Path, **fields: object) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(fields), encoding="utf-8")


@pytest.mark.parametrize(
    ("summary", "status", "staging"),
    [
        (
            {"status": "finished", "stage": "load", "exit_code": 0, "staging": "loaded"},
            "verified",
            "loaded",
        ),  # a night that went well
        (
            {"status": "finished", "stage": "load", "exit_code": 0, "staging": "dry run"},
            "verified",
            "dry run",
        ),  # a dry run verified as well, but loaded nothing
        (
            {"status": "running", "stage": "load", "staging": "load incomplete"},
            "unfinished (load)",
            "load incomplete",
        ),  # killed (kill -9) during its load: verified, but staging is half loaded
        (
            {"status": "failed", "stage": "load", "exit_code": 7, "staging": "load incomplete"},
            "failed (load, exit 7)",
            "load incomplete",
        ),  # the API stopped answering during the load
    ],
)
def test_read_history_summary_says_how_a_verified_run_ended_and_what_staging_holds(
    tmp_path: Path, summary: dict[str, object], status: str, staging: str
) -> None:
    shutil.copytree(FIXTURE_RUNS, tmp_path, dirs_exist_ok=True)
    first = sorted(tmp_path.iterdir())[0]
    _summary(first, **summary)

    entry = read_history(tmp_path)[0]

    assert (entry.status, entry.staging) == (status, staging)
    assert entry.to_dict()["staging"] == staging


def test_read_history_run_stopped_before_its_scrub_is_shown_from_its_summary(
    tmp_path: Path, verified: ScrubReport
) -> None:
    write_reports(verified, tmp_path / "20261123T031512Z-6b86b2")
    _summary(
        tmp_path / "29991231T000000Z-refused",
        started_at="2999-12-31T00:00:00+00:00",
        status="refused",
        stage="interlock",
        exit_code=6,
        staging="not loaded",
    )

    entries = read_history(tmp_path)

    refused = entries[-1]
    assert refused.run_id == "29991231T000000Z-refused"
    assert (refused.status, refused.staging, refused.problem) == (
        "refused (interlock, exit 6)",
        "not loaded",
        None,
    )
    assert refused.to_dict()["exit_code"] == 6
    assert refused.to_dict()["started_at"] == "2999-12-31T00:00:00+00:00"
