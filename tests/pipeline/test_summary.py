"""The run's summary: every refresh leaves runs/<run>/summary.json from its first stage on, saying how
it ended (refused, failed, finished), at which stage, with which exit code, and what staging holds;
`sanitize report history` shows refused and failed runs beside the others."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_API, EXIT_INTERLOCK

from .helpers import KEY, Orgs

OTHER_ID = "4f1c2a9e-0c1d-4e6b-9a53-00000000c003"
runner = CliRunner()


def _summary(orgs: Orgs) -> dict[str, Any]:
    (run_id,) = orgs.run_ids()
    summary: dict[str, Any] = json.loads((orgs.runs / run_id / "summary.json").read_text())
    assert summary["run_id"] == run_id
    return summary


def _outcome(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("command", "status", "stage", "exit_code", "staging")
    return {k: summary[k] for k in keys} | {"error": (summary["error"] or {}).get("type")}


def _history(orgs: Orgs) -> str:
    result = runner.invoke(app, ["report", "history", str(orgs.runs)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_refresh_refused_by_the_interlock_leaves_a_refused_summary(orgs: Orgs) -> None:
    config = orgs.write_config(
        "other-target.yaml", target={"expected_org_id": OTHER_ID}, staging_org_ids=[OTHER_ID]
    )
    result = runner.invoke(app, ["refresh", "--config", str(config)])
    assert result.exit_code == EXIT_INTERLOCK, result.output
    summary = _summary(orgs)
    assert _outcome(summary) == {
        "command": "refresh",
        "status": "refused",
        "stage": "interlock",
        "exit_code": EXIT_INTERLOCK,
        "staging": "not loaded",
        "error": "InterlockError",
    }
    assert summary["finished_at"] is not None and summary["config_sha256"]
    assert not orgs.snapshots.exists(), "production was not read"
    assert "refused (interlock, exit 6)  not loaded" in _history(orgs)


def test_refresh_failed_during_extract_leaves_a_failed_summary_without_values(orgs: Orgs) -> None:
    orgs.production.set_faults(fail_rate=1.0, path_prefix="/api/v2/outbound")
    result = runner.invoke(app, ["refresh", "--config", str(orgs.config)])
    assert result.exit_code == EXIT_API, result.output
    summary = _summary(orgs)
    assert _outcome(summary) == {
        "command": "refresh",
        "status": "failed",
        "stage": "extract",
        "exit_code": EXIT_API,
        "staging": "not loaded",
        "error": "GenesysError",
    }
    assert {"interlock_s", "extract_s", "total_s"} <= summary["timings"].keys()
    assert list(orgs.snapshots.glob("*/raw")) == [], "the raw snapshot was destroyed"
    text = json.dumps(summary)
    assert KEY not in text and orgs.staging.client_secret not in text
    assert "failed (extract, exit 7)  not loaded" in _history(orgs)
