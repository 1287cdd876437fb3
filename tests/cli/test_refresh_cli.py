"""`sanitize refresh`, `extract` and `--resume` on the command line: what they print, JSON log lines
on stderr without record values, plain lines when stderr is not a terminal."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pipeline.helpers import (
    EMAIL,
    KEY,
    STAGING_ID_ENV,
    STAGING_SECRET_ENV,
    Orgs,
    name_pairs,
    phones_in,
    production_originals,
    readings,
    running_orgs,
    store_dump,
)
from typer.testing import CliRunner, Result

from sanitizer.cli import app
from sanitizer.errors import EXIT_CONFIG
from sanitizer.keyring import Keyring

runner = CliRunner()


@dataclass
class CliRefresh:
    orgs: Orgs
    result: Result

    def invoke(self, *args: str) -> Result:
        return runner.invoke(app, list(args), env=self.orgs.env())


@pytest.fixture(scope="module")
def cli_refresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliRefresh]:
    """One `sanitize --log-format json refresh --config ...` into an empty staging."""
    with running_orgs(tmp_path_factory.mktemp("cli-refresh")) as orgs:
        logger = logging.getLogger("sanitizer")
        handlers = list(logger.handlers)
        result = runner.invoke(
            app, ["--log-format", "json", "refresh", "--config", str(orgs.config)], env=orgs.env()
        )
        logger.handlers[:] = handlers
        yield CliRefresh(orgs, result)


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_refresh_cli_prints_verification_steps_run_and_report(cli_refresh: CliRefresh) -> None:
    result = cli_refresh.result
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    fingerprint = Keyring(KEY.encode(), source="tests").fingerprint
    assert re.fullmatch(
        rf"verified: 8 table\(s\), 1,836 rows, [\d,]+ values replaced, 0 findings; key {fingerprint}",
        lines[0],
    )
    assert "loaded into staging" in result.stdout
    assert result.stdout.count("│ create │") == 7
    # After a load, every step is done and the table says what staging holds now.
    assert len(re.findall(r"│ done +│$", result.stdout, re.MULTILINE)) == 11
    assert re.search(r"Spring Renewal Campaign +│ create +│ 700 +│ 700 +│ done", result.stdout)
    (run_id,) = cli_refresh.orgs.run_ids()
    run_dir = cli_refresh.orgs.runs / run_id
    assert f"run {run_id}: {run_dir}" in lines
    assert f"report: {run_dir / 'scrub-report.html'}" in lines


def test_refresh_cli_json_logs_are_one_object_per_line(cli_refresh: CliRefresh) -> None:
    entries = _json_lines(cli_refresh.result.stderr)
    assert len(entries) >= 20
    for entry in entries:
        assert {"ts", "level", "logger", "event"} <= entry.keys()
    events = {e["event"] for e in entries}
    assert {"extracted contact list", "loaded", "imported flow"} <= events
    loaded = [e for e in entries if e["event"] == "loaded"]
    assert {e["step"] for e in loaded} >= {"contact_list:Spring Renewal Campaign"}
    # Counts a job can alert on are right, also for lists whose notes hold line breaks.
    extracted = {e["list"]: e["rows"] for e in entries if e["event"] == "extracted contact list"}
    assert extracted == {
        "AU Appointment Reminders": 140,
        "Collections Q3": 420,
        "Spring Renewal Campaign": 700,
        "UK Customer Callbacks": 180,
    }


def test_refresh_cli_json_logs_hold_no_record_values(cli_refresh: CliRefresh) -> None:
    text = cli_refresh.result.stderr
    originals = production_originals()
    assert EMAIL.findall(text) == [], "no email address (original or replaced) in the logs"
    assert [p for p in phones_in(text) if readings(p)] == [], "no phone number in the logs"
    assert name_pairs(text) & originals.full_names == set()


def test_resume_cli_shows_finished_steps_as_skipped(cli_refresh: CliRefresh) -> None:
    (run_id,) = cli_refresh.orgs.run_ids()
    result = cli_refresh.invoke(
        "refresh", "--config", str(cli_refresh.orgs.config), "--resume", run_id
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("done before (skipped)") == 11
    assert f"run {run_id}:" in result.stdout


ROTATED_KEY = "rotated-scrub-key-fedcba9876543210fedcba"


def test_resume_cli_with_another_key_exits_3_naming_both_fingerprints(
    cli_refresh: CliRefresh,
) -> None:
    orgs = cli_refresh.orgs
    (run_id,) = orgs.run_ids()
    journal = (orgs.runs / run_id / "journal.jsonl").read_text()
    summary = (orgs.runs / run_id / "summary.json").read_text()
    before = store_dump(orgs.staging)
    result = runner.invoke(
        app,
        ["refresh", "--config", str(orgs.config), "--resume", run_id],
        env={**orgs.env(), "SANITIZER_KEY": ROTATED_KEY},
    )
    assert result.exit_code == EXIT_CONFIG, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    old = Keyring(KEY.encode(), source="tests").fingerprint
    new = Keyring(ROTATED_KEY.encode(), source="tests").fingerprint
    assert f"run {run_id} was scrubbed with key {old}, but the key configured now is {new}" in line
    assert "start a new run" in line and "the run's record is unchanged" in line
    assert KEY not in result.output and ROTATED_KEY not in result.output
    assert store_dump(orgs.staging) == before
    assert (orgs.runs / run_id / "journal.jsonl").read_text() == journal
    # Refused before it did anything: the run's record still says how its last attempt ended.
    assert (orgs.runs / run_id / "summary.json").read_text() == summary
    assert json.loads(summary)["status"] == "finished"


def test_resume_cli_without_a_key_exits_3(cli_refresh: CliRefresh) -> None:
    # A resume is the nightly job's: it always has its key, and must prove it is the run's.
    orgs = cli_refresh.orgs
    (run_id,) = orgs.run_ids()
    result = runner.invoke(
        app,
        ["refresh", "--config", str(orgs.config), "--resume", run_id],
        env={**orgs.env(), "SANITIZER_KEY": ""},
    )
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "no scrub key" in result.stderr


def test_load_cli_compares_the_key_only_when_it_has_one(cli_refresh: CliRefresh) -> None:
    orgs = cli_refresh.orgs
    (run_id,) = orgs.run_ids()
    args = ["load", str(orgs.snapshots / run_id), "--config", str(orgs.config)]
    result = runner.invoke(app, args, env={**orgs.env(), "SANITIZER_KEY": ROTATED_KEY})
    assert result.exit_code == EXIT_CONFIG, result.output
    assert f"run {run_id} was scrubbed with key" in result.stderr
    # A load reads no raw data and replaces nothing: it needs no key.
    result = runner.invoke(app, args, env={**orgs.env(), "SANITIZER_KEY": ""})
    assert result.exit_code == 0, result.output
    assert result.stdout.count("done before (skipped)") == 11


def test_extract_cli_logs_plain_lines_when_stderr_is_not_a_terminal(
    cli_refresh: CliRefresh,
) -> None:
    result = cli_refresh.invoke("extract", "--config", str(cli_refresh.orgs.config))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(re.match(r"(INFO|WARNING) sanitizer\.[\w.]+: ", line) for line in lines)
    assert "\x1b" not in result.output, "no terminal control codes when not on a terminal"
    # The context a JSON line carries is on the plain line too: which list, how many rows.
    assert (
        'INFO sanitizer.extract: extracted contact list list="Spring Renewal Campaign" rows=700'
        in lines
    )


def test_refresh_cli_json_logs_end_a_failed_run_with_one_json_error(
    cli_refresh: CliRefresh,
) -> None:
    """A log collector reads a failure like any other line: a JSON object with the exit code."""
    orgs = cli_refresh.orgs
    config = orgs.write_config("to-production.yaml", target={"base_url": orgs.production.base_url})
    env = {
        **orgs.env(),
        STAGING_ID_ENV: orgs.production.client_id,
        STAGING_SECRET_ENV: orgs.production.client_secret,
    }
    result = runner.invoke(
        app, ["--log-format", "json", "refresh", "--config", str(config)], env=env
    )
    assert result.exit_code == 6
    entries = _json_lines(result.stderr)
    assert entries[-1]["level"] == "error"
    assert entries[-1]["exit_code"] == 6 and entries[-1]["error"] == "InterlockError"
    assert "nothing was written" in entries[-1]["event"]
