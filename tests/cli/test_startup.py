"""Start-up cost: importing the CLI (what `sanitize --help` and `sanitize scrub` pay) loads no library
that only other commands need; each command imports its own."""

from __future__ import annotations

import json
import subprocess
import sys

from sanitizer.cli import report as cli_report
from sanitizer.report.diff import DEFAULT_THRESHOLD

# Packages (and their submodules) only the flows, vars, emulator, report or Genesys commands need.
DEFERRED = (
    "sanitizer.flows",
    "sanitizer.variables",
    "sanitizer.report",
    "sanitizer.genesys",
    "sanitizer.emulator",
    "jsonschema",
    "fastapi",
    "uvicorn",
    "httpx",
    "pandas",
    "presidio_analyzer",
)

_PROBE = """
import json, sys
import sanitizer.cli
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_the_cli_loads_no_command_library() -> None:
    # A fresh interpreter: this test process has imported everything already.
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(done.stdout)
    early = [m for m in loaded if any(m == p or m.startswith(p + ".") for p in DEFERRED)]
    assert early == []


def test_report_threshold_default_matches_the_library() -> None:
    # cli/report.py spells the default out (it shows in --help) rather than importing sanitizer.report.
    assert cli_report.DEFAULT_THRESHOLD == DEFAULT_THRESHOLD


def test_batch_rows_defaults_match_the_library() -> None:
    # The scrub command and the run config spell the default out rather than importing sanitizer.tables.
    import inspect

    from sanitizer.cli.scrub import scrub_command
    from sanitizer.config import RunConfig
    from sanitizer.tables import BATCH_ROWS

    option = inspect.signature(scrub_command).parameters["batch_rows"].default
    assert option.default == BATCH_ROWS
    assert RunConfig.model_fields["batch_rows"].default == BATCH_ROWS
