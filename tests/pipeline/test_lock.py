"""The target lock: while one refresh runs against a staging org, a second one (or a load, or a resume)
against the same org stops at once with exit code 9 and touches nothing; the lock dies with its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_LOCKED

from .helpers import Orgs, store_dump

runner = CliRunner()


@pytest.fixture
def running_refresh(orgs: Orgs) -> Iterator[subprocess.Popen[bytes]]:
    """`sanitize refresh` in a subprocess, held in its extract by a slow production, owning the lock."""
    orgs.production.set_faults(latency_ms=200)
    process = subprocess.Popen(
        [sys.executable, "-m", "sanitizer", "refresh", "--config", str(orgs.config)],
        env={**os.environ, **orgs.env()},
        stdout=subprocess.DEVNULL,
        stderr=(orgs.folder / "first-run.log").open("wb"),
    )
    lock = orgs.runs / f".lock-{orgs.staging.org_id}"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().startswith("pid ")):
        assert process.poll() is None, (orgs.folder / "first-run.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "the first refresh never took the lock"
        time.sleep(0.05)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        orgs.production.set_faults(latency_ms=0)


@pytest.mark.parametrize("command", ["refresh", "load", "resume"])
def test_second_run_while_the_lock_is_held_exits_9_and_touches_nothing(
    orgs: Orgs, clean_snapshot: Path, running_refresh: subprocess.Popen[bytes], command: str
) -> None:
    before = store_dump(orgs.staging)
    snapshots = sorted(orgs.snapshots.iterdir())
    args = {
        "refresh": ["refresh", "--config", str(orgs.config)],
        "load": ["load", str(clean_snapshot), "--config", str(orgs.config)],
        "resume": ["refresh", "--config", str(orgs.config), "--resume", clean_snapshot.name],
    }[command]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_LOCKED, result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert f"another run holds the lock for target org {orgs.staging.org_id}" in errors[0]
    assert f"pid {running_refresh.pid}" in errors[0]
    assert store_dump(orgs.staging) == before
    assert sorted(orgs.snapshots.iterdir()) == snapshots, "the refused run extracted nothing"
    assert running_refresh.poll() is None, "the first run goes on"


def test_lock_dies_with_its_holder(
    orgs: Orgs, clean_snapshot: Path, running_refresh: subprocess.Popen[bytes]
) -> None:
    running_refresh.send_signal(signal.SIGKILL)
    running_refresh.wait(timeout=30)
    result = runner.invoke(app, ["load", str(clean_snapshot), "--config", str(orgs.config)])
    assert result.exit_code == 0, result.output
    assert orgs.staging.store.count("contactlist") == 4
