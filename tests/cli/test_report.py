"""`sanitize report diff|history|render|schema`: wiring, output formats and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, EXIT_USAGE
from sanitizer.report import report_schema_text
from sanitizer.shipped import fixtures_dir

RUNS = fixtures_dir() / "runs"
RUN_IDS = sorted(p.name for p in RUNS.iterdir())
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("before", "after", "exit_code", "says"),
    [
        (0, 1, EXIT_OK, "no changes"),  # the second night changed nothing a person must decide
        (1, 2, EXIT_FINDINGS, "needs a decision (4)"),  # new column, rules edited, rows doubled
        (2, 3, EXIT_FINDINGS, "verification status changed"),  # the failed night
        (3, 3, EXIT_OK, "no changes"),  # a run against itself
    ],
)
def test_report_diff_exit_code_follows_decisions(
    before: int, after: int, exit_code: int, says: str
) -> None:
    code, out, err = _run("report", "diff", str(RUNS / RUN_IDS[before]), str(RUNS / RUN_IDS[after]))
    assert code == exit_code
    assert says in out
    assert ("need a human decision" in err) is (exit_code == EXIT_FINDINGS)


def test_report_diff_accepts_report_files_and_json_format() -> None:
    a, b = (RUNS / RUN_IDS[i] / "scrub-report.json" for i in (1, 2))
    code, out, _ = _run("report", "diff", str(a), str(b), "--format", "json")
    data = json.loads(out)
    assert code == EXIT_FINDINGS
    assert data["needs_decision"] == 4
    assert data["after"]["run_id"] == RUN_IDS[2]


def test_report_diff_high_threshold_ignores_row_swing() -> None:
    _, low, _ = _run("report", "diff", str(RUNS / RUN_IDS[1]), str(RUNS / RUN_IDS[2]))
    _, high, _ = _run(
        "report", "diff", str(RUNS / RUN_IDS[1]), str(RUNS / RUN_IDS[2]), "--threshold", "500"
    )
    assert "row count swing" in low
    assert "row count swing" not in high


def test_report_diff_missing_run_exits_input_error(tmp_path: Path) -> None:
    code, _, err = _run("report", "diff", str(tmp_path / "a"), str(RUNS / RUN_IDS[0]))
    assert code == EXIT_INPUT
    assert "no such report file" in err


def test_report_diff_negative_threshold_is_a_usage_error() -> None:
    code, _, _ = _run(
        "report", "diff", str(RUNS / RUN_IDS[0]), str(RUNS / RUN_IDS[1]), "--threshold", "-5"
    )
    assert code == EXIT_USAGE


def test_report_history_text_has_one_line_per_run() -> None:
    code, out, _ = _run("report", "history", str(RUNS))
    lines = out.strip().splitlines()
    assert code == EXIT_OK
    assert lines[0].split()[:3] == ["date", "(UTC)", "run"]
    assert len(lines) == 1 + len(RUN_IDS)
    assert lines[-1].split()[2:4] == [RUN_IDS[-1], "FAILED"]
    assert "4 to decide" in lines[3] and "3 to decide" in lines[4]


def test_report_history_json_lists_every_run() -> None:
    code, out, _ = _run("report", "history", str(RUNS), "--format", "json")
    data = json.loads(out)
    assert code == EXIT_OK
    assert [d["run_id"] for d in data] == RUN_IDS
    assert [d["status"] for d in data] == ["verified", "verified", "verified", "failed"]


def test_report_history_run_without_report_is_shown(tmp_path: Path) -> None:
    shutil.copytree(RUNS, tmp_path / "runs")
    (tmp_path / "runs" / "20261127T031500Z-crashed").mkdir()
    code, out, _ = _run("report", "history", str(tmp_path / "runs"))
    assert code == EXIT_OK
    assert "20261127T031500Z-crashed" in out and "no report" in out


def test_report_history_empty_dir_says_so(tmp_path: Path) -> None:
    code, out, err = _run("report", "history", str(tmp_path))
    assert code == EXIT_OK
    assert out == "" and "no runs under" in err


def test_report_history_missing_dir_exits_input_error(tmp_path: Path) -> None:
    code, _, err = _run("report", "history", str(tmp_path / "nope"))
    assert code == EXIT_INPUT
    assert "not a directory" in err


def test_report_render_writes_the_same_files_again(tmp_path: Path) -> None:
    source = RUNS / RUN_IDS[-1]
    code, out, _ = _run(
        "report", "render", str(source / "scrub-report.json"), "--out", str(tmp_path)
    )
    assert code == EXIT_OK
    assert str(tmp_path / "scrub-report.html") in out
    for name in ("scrub-report.json", "scrub-report.html", "scrub-report.md"):
        assert (tmp_path / name).read_bytes() == (source / name).read_bytes(), name


def test_report_render_invalid_json_exits_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "scrub-report.json"
    bad.write_text("{ not json", encoding="utf-8")
    code, _, err = _run("report", "render", str(bad), "--out", str(tmp_path / "out"))
    assert code == EXIT_INPUT
    assert "not valid JSON" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        # a failed night's report edited to read "verified"
        (lambda r: r.update(status="verified"), "status is verified but verification.status"),
        (
            lambda r: (r.update(status="verified"), r["verification"].update(status="passed")),
            "counts 4 finding(s)",
        ),
        (lambda r: r["summary"].update(findings=0), "summary.findings is 0"),
    ],
)
def test_report_render_refuses_a_report_that_contradicts_itself(
    tmp_path: Path, edit: Any, says: str
) -> None:
    # A page saying "verified" over failed columns must never reach the person who signs it.
    report = json.loads((RUNS / RUN_IDS[3] / "scrub-report.json").read_text(encoding="utf-8"))
    assert report["status"] == "failed" and report["verification"]["findings_total"] == 4
    edit(report)
    path = tmp_path / "scrub-report.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    code, _, err = _run("report", "render", str(path), "--out", str(tmp_path / "out"))
    assert code == EXIT_INPUT
    assert "the report contradicts itself" in err and says in err
    assert err.count("error:") == 1
    assert not (tmp_path / "out").exists()


def test_report_schema_prints_the_shipped_schema() -> None:
    code, out, _ = _run("report", "schema")
    assert code == EXIT_OK
    assert out == report_schema_text()
    assert json.loads(out)["title"] == "sanitizer scrub report"


def test_report_history_shows_refused_runs_and_what_staging_holds(tmp_path: Path) -> None:
    shutil.copytree(RUNS, tmp_path / "runs")
    killed = {"status": "running", "stage": "load", "staging": "load incomplete"}
    (tmp_path / "runs" / RUN_IDS[0] / "summary.json").write_text(json.dumps(killed))
    refused = tmp_path / "runs" / "20261127T031500Z-refused"
    refused.mkdir()
    (refused / "summary.json").write_text(
        json.dumps(
            {
                "started_at": "2026-11-27T03:15:00+00:00",
                "status": "refused",
                "stage": "interlock",
                "exit_code": 6,
                "staging": "not loaded",
            }
        )
    )
    code, out, _ = _run("report", "history", str(tmp_path / "runs"))
    lines = out.strip().splitlines()
    assert code == EXIT_OK
    assert lines[0].split()[:5] == ["date", "(UTC)", "run", "status", "staging"]
    assert lines[1].split()[2:6] == [RUN_IDS[0], "unfinished", "(load)", "load"]
    assert "load incomplete" in lines[1]
    assert lines[2].split()[2:5] == [RUN_IDS[1], "verified", "-"], "no summary: staging unknown"
    assert lines[-1].split()[:3] == ["2026-11-27", "03:15", "20261127T031500Z-refused"]
    assert "refused (interlock, exit 6)  not loaded" in lines[-1]
