"""The console script ends its process without the interpreter's teardown: what it printed and logged
must all be there, with the command's exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

KEY = "entry-point-tests-key-0123456789abcdef"


def _run(*args: str, key: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SANITIZER_KEY"}
    if key:
        env["SANITIZER_KEY"] = KEY
    return subprocess.run(
        [sys.executable, "-m", "sanitizer", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_a_scrub_ends_with_everything_printed_logged_and_written(
    tmp_path: Path, fake_contacts: Any, write_rows: Any, contact_rules_text: str
) -> None:
    write_rows(tmp_path / "contacts.csv", fake_contacts(300, seed=5))
    (tmp_path / "rules.yaml").write_text(contact_rules_text, encoding="utf-8")
    out = tmp_path / "out"
    done = _run(
        "--log-format",
        "json",
        "scrub",
        str(tmp_path / "contacts.csv"),
        "--out",
        str(out),
        "--rules",
        str(tmp_path / "rules.yaml"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # The last lines of both streams arrived whole: standard output's summary, the log's records.
    assert done.stdout.splitlines()[-1] == f"report: {out / 'scrub-report.html'}"
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert records and records[-1]["logger"] == "sanitizer.progress"
    assert (
        json.loads((out / "scrub-report.json").read_text(encoding="utf-8"))["status"] == "verified"
    )
    assert not list(out.glob(".sanitizer-staging-*"))


def test_a_failing_command_keeps_its_exit_code_and_its_message(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("Name\nAda Lovelace\n", encoding="utf-8")
    done = _run("scrub", str(tmp_path / "contacts.csv"), "--out", str(tmp_path / "out"), key=False)
    assert done.returncode == 3
    assert done.stderr.startswith("error: no scrub key")
    unknown = _run("no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr
