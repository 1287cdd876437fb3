"""The stage commands one by one (`extract`, `scrub SNAPSHOT --config`, `verify`, `load`) end where a
refresh ends; `--dry-run` prints the plan and writes nothing to staging."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_CONFIG, EXIT_INPUT
from sanitizer.keyring import Keyring
from sanitizer.pipeline import load_stage

from .conftest import Baseline
from .helpers import KEY, Orgs, read_org, store_dump

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_stage_commands_one_by_one_end_like_a_refresh(orgs: Orgs, baseline: Baseline) -> None:
    config = str(orgs.config)
    out = _ok("extract", "--config", config)
    match = re.search(r"raw snapshot \(encrypted\): (\S+)", out)
    assert match is not None, out
    snapshot = Path(match.group(1))
    assert f"next: sanitize scrub {snapshot} --config {config}" in out
    raw = sorted(p.name for p in (snapshot / "raw").iterdir())
    assert [n for n in raw if not n.endswith(".enc")] == ["manifest.json"] and len(raw) == 19

    out = _ok("scrub", str(snapshot), "--config", config)
    assert f"clean snapshot: {snapshot / 'clean'}" in out
    assert not (snapshot / "raw").exists()

    out = _ok("verify", str(snapshot))
    assert re.search(r"snapshot \S+ verified: 8 table\(s\), 3 flow\(s\), checksums match", out)

    assert orgs.staging.store.count("contactlist") == 0
    out = _ok("load", str(snapshot), "--config", config)
    assert "loaded into staging" in out
    assert read_org(orgs.staging).normalised() == baseline.staging.normalised()
    # The stages by hand keep one summary, as a refresh does.
    summary = json.loads((orgs.runs / snapshot.name / "summary.json").read_text())
    assert (summary["command"], summary["status"], summary["staging"]) == (
        "load",
        "finished",
        "loaded",
    )
    assert summary["verified"] is True and summary["resumed"] is False
    assert {"extract_s", "scrub_s", "interlock_s", "load_s"} <= summary["timings"].keys()
    assert all(s["status"] == "done" for s in summary["steps"]) and len(summary["steps"]) == 11


def test_scrub_stage_of_a_folder_without_raw_snapshot_exits_4(orgs: Orgs, tmp_path: Path) -> None:
    result = runner.invoke(app, ["scrub", str(tmp_path), "--config", str(orgs.config)])
    assert result.exit_code == EXIT_INPUT
    assert "not a raw snapshot folder" in result.stderr


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda b: b.snapshot, id="the-snapshot-folder"),
        pytest.param(lambda b: b.snapshot / "clean", id="its-clean-folder"),
        # The path refresh prints ("run <id>: runs/<id>"): named ".../clean/clean/manifest.json".
        pytest.param(lambda b: b.result.run_dir, id="the-run-folder"),
    ],
)
def test_verify_accepts_the_snapshot_its_clean_folder_and_the_run_folder(
    baseline: Baseline, given: Callable[[Baseline], Path]
) -> None:
    out = _ok("verify", str(given(baseline)))
    assert f"snapshot {baseline.result.run_id} verified: 8 table(s)" in out


def test_verify_of_a_folder_holding_no_snapshot_names_what_to_pass(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path)])
    assert result.exit_code == EXIT_INPUT
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert f"{tmp_path / 'clean' / 'manifest.json'}: no snapshot manifest here" in line
    assert "its clean/ folder, or the run's folder (runs/<run id>)" in line
    assert "clean/clean" not in line


@pytest.mark.parametrize("command", ["verify", "load"])
def test_verify_and_load_of_an_unscrubbed_snapshot_exit_4(orgs: Orgs, command: str) -> None:
    out = _ok("extract", "--config", str(orgs.config))
    snapshot = out.split("raw snapshot (encrypted): ", 1)[1].split()[0]
    args = [command, snapshot] + (["--config", str(orgs.config)] if command == "load" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_INPUT, result.output
    assert "no snapshot manifest here" in result.stderr
    assert orgs.staging.store.count("contactlist") == 0


def test_scrub_stage_with_another_key_exits_3_and_keeps_the_raw_snapshot(orgs: Orgs) -> None:
    # The wrong key made every file fail to decrypt (exit 4), and the failed scrub destroyed raw/.
    out = _ok("extract", "--config", str(orgs.config))
    snapshot = Path(out.split("raw snapshot (encrypted): ", 1)[1].split()[0])
    raw = sorted((p.name, p.read_bytes()) for p in (snapshot / "raw").iterdir())
    summary = (orgs.runs / snapshot.name / "summary.json").read_text()
    other = "another-key-entirely-0123456789abcdef"
    result = runner.invoke(
        app, ["scrub", str(snapshot), "--config", str(orgs.config)], env={"SANITIZER_KEY": other}
    )
    assert result.exit_code == EXIT_CONFIG, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    needed = Keyring(KEY.encode(), source="tests").fingerprint
    now = Keyring(other.encode(), source="tests").fingerprint
    assert (
        f"the raw snapshot was extracted with key {needed}, but the key configured now is {now}"
        in line
    )
    assert f"scrub it under the key with fingerprint {needed}" in line
    assert KEY not in result.output and other not in result.output
    assert sorted((p.name, p.read_bytes()) for p in (snapshot / "raw").iterdir()) == raw
    assert (orgs.runs / snapshot.name / "summary.json").read_text() == summary
    # The right key still scrubs it.
    _ok("scrub", str(snapshot), "--config", str(orgs.config))


def test_scrub_stage_of_an_altered_raw_file_exits_4_saying_the_snapshot_was_removed(
    orgs: Orgs,
) -> None:
    out = _ok("extract", "--config", str(orgs.config))
    snapshot = Path(out.split("raw snapshot (encrypted): ", 1)[1].split()[0])
    altered = next(p for p in sorted((snapshot / "raw").iterdir()) if p.suffix == ".enc")
    data = bytearray(altered.read_bytes())
    data[-1] ^= 1
    altered.write_bytes(bytes(data))
    result = runner.invoke(app, ["scrub", str(snapshot), "--config", str(orgs.config)])
    assert result.exit_code == EXIT_INPUT, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert "cannot be decrypted (the file was altered or damaged since the extract)" in line
    assert f"the raw snapshot {snapshot / 'raw'} was removed (extract again: " in line
    assert not (snapshot / "raw").exists()


# --- dry run -------------------------------------------------------------------------------------


def test_refresh_dry_run_prints_the_plan_and_writes_nothing(orgs: Orgs) -> None:
    before = store_dump(orgs.staging)
    out = _ok("refresh", "--config", str(orgs.config), "--dry-run")
    assert "dry run: nothing was written to staging; this is what a load would do" in out
    for step in (
        "contact_list:Spring Renewal Campaign",
        "external_contacts:External contacts",
        "data_table:ANI Block List",
        "flow:INBOUNDCALL:Main IVR",
    ):
        assert step in out
    assert "loaded into staging" not in out
    assert store_dump(orgs.staging) == before
    (run_id,) = orgs.run_ids()
    plan = json.loads((orgs.runs / run_id / "plan.json").read_text())
    assert len(plan) == 11
    assert {s["action"] for s in plan if s["kind"] != "flow"} == {"create", "upsert"}
    summary = json.loads((orgs.runs / run_id / "summary.json").read_text())
    assert summary["dry_run"] is True and summary["staging"] == "dry run"
    assert {s["status"] for s in summary["steps"]} == {"planned"}
    assert not (orgs.runs / run_id / "journal.jsonl").exists()
    assert list(orgs.snapshots.glob("*/raw")) == []


def test_load_dry_run_into_a_loaded_staging_plans_replacements_with_counts(
    orgs: Orgs, clean_snapshot: Path
) -> None:
    load_stage(orgs.loaded(), clean_snapshot)
    (orgs.runs / clean_snapshot.name / "journal.jsonl").unlink()  # plan as for a new run
    before = store_dump(orgs.staging)
    out = _ok("load", str(clean_snapshot), "--config", str(orgs.config), "--dry-run")
    assert "dry run: nothing was written to staging" in out
    plan = json.loads((orgs.runs / clean_snapshot.name / "plan.json").read_text())
    lists = {s["name"]: s for s in plan if s["kind"] == "contact_list"}
    assert {s["action"] for s in lists.values()} == {"replace"}
    assert lists["Spring Renewal Campaign"]["existing_rows"] == 700
    tables = {s["name"]: s for s in plan if s["kind"] == "data_table"}
    assert tables["ANI Block List"]["existing_rows"] == 110
    assert store_dump(orgs.staging) == before
