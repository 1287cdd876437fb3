"""The target lock: while one refresh runs against a staging org, a second one (or a load, or a resume)
against the same org stops at once with exit code 9 and touches nothing, whatever runs folder its
config names; the lock dies with its holder."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_LOCKED
from sanitizer.runs import lock_path, target_lock

from .helpers import Orgs, store_dump

runner = CliRunner()


@pytest.fixture
def running_refresh(orgs: Orgs) -> Iterator[subprocess.Popen[bytes]]:
    """`sanitize refresh` in a subprocess, held in its extract by a slow production, owning the lock."""
    orgs.production.set_faults(latency_ms=200)
    existing = set(orgs.snapshots.iterdir()) if orgs.snapshots.exists() else set()
    process = subprocess.Popen(
        [sys.executable, "-m", "sanitizer", "refresh", "--config", str(orgs.config)],
        env={**os.environ, **orgs.env()},
        stdout=subprocess.DEVNULL,
        stderr=(orgs.folder / "first-run.log").open("wb"),
    )
    lock = orgs.lock
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().startswith("pid ")):
        assert process.poll() is None, (orgs.folder / "first-run.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "the first refresh never took the lock"
        time.sleep(0.05)
    # Its own snapshot folder exists before a test looks, so only a refused run could add one.
    while not (orgs.snapshots.exists() and set(orgs.snapshots.iterdir()) - existing):
        assert process.poll() is None, (orgs.folder / "first-run.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "the first refresh never started its snapshot"
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


@pytest.mark.parametrize("command", ["refresh", "load"])
def test_configs_with_other_runs_folders_share_the_lock_of_their_target(
    orgs: Orgs,
    clean_snapshot: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "host-tmp"))  # the host's temp folder
    first = orgs.write_config("first.yaml", lock_dir=None)
    second = orgs.write_config(
        "second.yaml", lock_dir=None, runs_dir="elsewhere/runs", snapshots_dir="elsewhere/snapshots"
    )
    assert orgs.loaded(first).lock_dir == tmp_path / "host-tmp" / "sanitizer-locks"
    before = store_dump(orgs.staging)
    args = {
        "refresh": ["refresh", "--config", str(second)],
        "load": ["load", str(clean_snapshot), "--config", str(second)],
    }[command]
    with target_lock(orgs.loaded(first).lock_dir, orgs.staging.org_id) as lock:
        result = runner.invoke(app, args)
    assert result.exit_code == EXIT_LOCKED, result.output
    (error,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert f"another run holds the lock for target org {orgs.staging.org_id}" in error
    assert f"pid {os.getpid()}" in error and str(lock) in error
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    assert stat.S_IMODE(lock.parent.stat().st_mode) == 0o700
    assert store_dump(orgs.staging) == before
    assert not (orgs.folder / "elsewhere").exists(), "the refused run left nothing behind"


def test_lock_file_of_an_org_id_that_is_not_a_plain_name_stays_in_the_lock_folder(
    tmp_path: Path,
) -> None:
    path = lock_path(tmp_path, "../../etc/org id")
    assert path.parent == tmp_path and path.name.startswith("target-")
