"""Crash and resume: a run stopped during load (an API that stops answering, or `kill -9`) can be run
again and ends complete and correct; `--resume RUN_ID` continues it without redoing finished steps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_INPUT, GenesysError, InputError
from sanitizer.pipeline import load_stage, refresh

from .conftest import Baseline
from .helpers import Orgs, production_originals, read_org, store_dump

DATA_TABLES = "/api/v2/flows/datatables"
LOADED_FIRST = {
    "contact_list:AU Appointment Reminders",
    "contact_list:Collections Q3",
    "contact_list:Spring Renewal Campaign",
    "contact_list:UK Customer Callbacks",
    "external_contacts:External contacts",
}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every HTTP request sanitizer sends from now on, as (method, path)."""
    sent: list[tuple[str, str]] = []
    send = httpx.Client.send

    def recording(self: httpx.Client, request: httpx.Request, **kwargs: object) -> httpx.Response:
        sent.append((request.method, request.url.path))
        return send(self, request, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.Client, "send", recording)
    return sent


def _journal(orgs: Orgs, run_id: str) -> list[str]:
    path = orgs.runs / run_id / "journal.jsonl"
    return [json.loads(line)["step"] for line in path.read_text().splitlines()]


def _stopped_during_load(orgs: Orgs) -> str:
    """A refresh whose load fails at the first data table (staging stops answering there)."""
    orgs.staging.set_faults(fail_rate=1.0, path_prefix=DATA_TABLES)
    with pytest.raises(GenesysError, match="datatables"):
        refresh(orgs.loaded())
    orgs.staging.set_faults(fail_rate=0.0, path_prefix="/")
    (run_id,) = orgs.run_ids()
    assert set(_journal(orgs, run_id)) == LOADED_FIRST
    return run_id


def test_resume_after_load_stopped_skips_finished_steps(
    orgs: Orgs, baseline: Baseline, sent: list[tuple[str, str]]
) -> None:
    run_id = _stopped_during_load(orgs)
    stopped = json.loads((orgs.runs / run_id / "summary.json").read_text())
    assert (stopped["status"], stopped["stage"], stopped["exit_code"], stopped["staging"]) == (
        "failed",
        "load",
        7,
        "load incomplete",
    )
    sent.clear()
    result = refresh(orgs.loaded(), resume=run_id)
    assert not [
        p for _, p in sent if p.startswith(("/api/v2/outbound", "/api/v2/externalcontacts"))
    ]
    assert any(p.startswith(DATA_TABLES) for _, p in sent)
    assert not [p for _, p in sent if "/export" in p], "resume must not extract again"
    summary = json.loads((orgs.runs / run_id / "summary.json").read_text())
    assert summary["resumed"] is True and summary["command"] == "refresh --resume"
    assert (summary["status"], summary["staging"]) == ("finished", "loaded")
    assert {s["step"] for s in summary["steps"] if s["is_skipped"]} == LOADED_FIRST
    assert all(s["is_done"] for s in summary["steps"])
    assert result.load is not None and len(result.load.steps) == 11
    assert read_org(orgs.staging).normalised() == baseline.staging.normalised()


def test_refresh_after_load_stopped_ends_complete_and_correct(
    orgs: Orgs, baseline: Baseline
) -> None:
    _stopped_during_load(orgs)
    refresh(orgs.loaded())
    assert len(orgs.run_ids()) == 2
    staged = read_org(orgs.staging)
    assert staged.normalised() == baseline.staging.normalised()
    assert staged.external_contact_count == 200
    assert len(staged.contact_list_names) == len(set(staged.contact_list_names)) == 4


def test_resume_of_a_finished_run_writes_nothing(
    orgs: Orgs, clean_snapshot: Path, sent: list[tuple[str, str]]
) -> None:
    first = load_stage(orgs.loaded(), clean_snapshot)
    before = store_dump(orgs.staging)
    sent.clear()
    result = refresh(orgs.loaded(), resume=first.run_id)
    assert result.load is not None and all(s.is_done for s in result.load.steps)
    writes = [(m, p) for m, p in sent if m != "GET" and p != "/oauth/token"]
    assert writes == []
    assert [p for _, p in sent if p != "/oauth/token"] == ["/api/v2/organizations/me"]
    assert store_dump(orgs.staging) == before


def test_resume_unknown_run_exits_4_and_writes_nothing(orgs: Orgs) -> None:
    before = store_dump(orgs.staging)
    with pytest.raises(InputError, match="no clean snapshot"):
        refresh(orgs.loaded(), resume="20000101T000000Z-000000")
    result = CliRunner().invoke(
        app, ["refresh", "--config", str(orgs.config), "--resume", "20000101T000000Z-000000"]
    )
    assert result.exit_code == EXIT_INPUT
    assert store_dump(orgs.staging) == before


# --- kill -9 -------------------------------------------------------------------------------------


@pytest.fixture
def cli_run(orgs: Orgs) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start `sanitize refresh` in a subprocess (killed at teardown if still running)."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "sanitizer", "refresh", "--config", str(orgs.config)],
            env={**os.environ, **orgs.env()},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _journal_lines(orgs: Orgs) -> int:
    return sum(len(p.read_text().splitlines()) for p in orgs.runs.glob("*/journal.jsonl"))


@pytest.mark.slow
def test_resume_after_kill_during_load_continues_and_ends_correct(
    orgs: Orgs, baseline: Baseline, cli_run: Callable[[], subprocess.Popen[bytes]]
) -> None:
    orgs.staging.set_faults(latency_ms=40)  # a slow org, so the kill lands inside the load
    process = cli_run()
    _wait_for(lambda: _journal_lines(orgs) >= 2, process, "the load to start")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    orgs.staging.set_faults(latency_ms=0)
    (run_id,) = orgs.run_ids()
    finished = set(_journal(orgs, run_id))
    assert 2 <= len(finished) < 11
    assert list(orgs.snapshots.glob("*/raw")) == [], "raw data outlived the scrub"
    killed = json.loads((orgs.runs / run_id / "summary.json").read_text())
    assert (killed["status"], killed["stage"], killed["staging"]) == (
        "running",
        "load",
        "load incomplete",
    )
    history = CliRunner().invoke(app, ["report", "history", str(orgs.runs)]).stdout
    assert "unfinished (load)" in history and "load incomplete" in history
    result = refresh(orgs.loaded(), resume=run_id)  # the lock died with the process
    assert result.load is not None
    assert {s.step for s in result.load.steps if s.is_skipped} == finished
    assert read_org(orgs.staging).normalised() == baseline.staging.normalised()


@pytest.mark.slow
def test_refresh_after_kill_during_extract_removes_leftover_raw_and_ends_correct(
    orgs: Orgs, baseline: Baseline, cli_run: Callable[[], subprocess.Popen[bytes]]
) -> None:
    orgs.production.set_faults(latency_ms=40)
    process = cli_run()
    _wait_for(lambda: len(list(orgs.snapshots.glob("*/raw/*.enc"))) >= 3, process, "extract")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    orgs.production.set_faults(latency_ms=0)
    (left,) = orgs.snapshots.glob("*/raw")
    assert left.stat().st_mode & 0o777 == 0o700
    emails = [e.encode() for e in sorted(production_originals().emails)]
    for path in left.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path.name
        content = path.read_bytes()
        assert not [e for e in emails if e in content], f"{path.name} holds an email in clear"
    refresh(orgs.loaded())
    assert not left.exists(), "the next run removes raw data a killed run left behind"
    assert read_org(orgs.staging).normalised() == baseline.staging.normalised()
