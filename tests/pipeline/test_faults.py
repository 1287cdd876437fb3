"""Faults: 429 storms (with Retry-After), 5xx answers and connections cut after the server acted, on
staging while loading and on production while extracting, end in the same state as a run without
faults; faults that outlast the retry budget stop the run with exit code 7 and leave no raw data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_API, GenesysError
from sanitizer.keyring import read_key
from sanitizer.pipeline import extract_stage, load_stage, refresh
from sanitizer.snapshot import Vault, read_raw_manifest

from .conftest import Baseline
from .helpers import Orgs, read_org, store_dump

WRITES = frozenset({"POST", "PUT", "DELETE"})
LOAD_FAULTS = [
    pytest.param(
        {"throttle_rate": 0.3, "retry_after": 0}, "throttled", id="429-storm"
    ),  # a busy org: many 429s, each asking to retry at once
    pytest.param(
        {"throttle_next": 2, "retry_after": 1}, "throttled", id="429-retry-after"
    ),  # Retry-After: 1 is waited out, not treated as a failure
    pytest.param({"fail_rate": 0.1}, "failed", id="5xx"),  # gateway 502/503/504 before processing
    pytest.param(
        {"cut_rate": 0.1, "methods": WRITES}, "cut", id="cut-writes"
    ),  # the write happened, the answer was lost: a blind retry would duplicate
    pytest.param(
        {"cut_rate": 0.1}, "cut", id="cut-any", marks=pytest.mark.slow
    ),  # reads and writes alike
]
EXTRACT_FAULTS = [
    pytest.param({"throttle_rate": 0.3, "retry_after": 0}, "throttled", id="429-storm"),
    pytest.param({"fail_rate": 0.2}, "failed", id="5xx"),
    pytest.param(
        {"cut_rate": 0.5, "methods": frozenset({"POST"})}, "cut", id="cut-export-requests"
    ),  # the export job started, its answer was lost
    pytest.param({"cut_rate": 0.1}, "cut", id="cut-any"),  # pages of listings and downloads too
]


def _raw_contents(snapshot: Path, key: str) -> dict[str, bytes]:
    """Every file of a raw snapshot, decrypted (in memory)."""
    manifest = read_raw_manifest(snapshot / "raw")
    vault = Vault(snapshot / "raw", read_key(None, env={"SANITIZER_KEY": key}))
    names = [t.file for t in manifest.tables] + [
        t.definition for t in manifest.tables if t.definition
    ]
    names += [f.file for f in manifest.flows]
    return {name: vault.get(name) for name in names}


@pytest.mark.parametrize(("faults", "stat"), LOAD_FAULTS)
def test_load_under_staging_faults_ends_like_a_load_without(
    orgs: Orgs, baseline: Baseline, clean_snapshot: Path, faults: dict[str, Any], stat: str
) -> None:
    orgs.staging.set_faults(fault_seed=7, **faults)
    result = load_stage(orgs.loaded(), clean_snapshot)
    assert getattr(orgs.staging.fault_stats, stat) > 0, "the faults were not injected"
    orgs.staging.set_faults(throttle_rate=0.0, fail_rate=0.0, cut_rate=0.0)
    assert result.load is not None and len(result.load.steps) == 11
    staged = read_org(orgs.staging)
    assert staged.normalised() == baseline.staging.normalised()
    assert staged.external_contact_count == 200
    assert len(staged.flow_names) == 3


@pytest.mark.parametrize(("faults", "stat"), EXTRACT_FAULTS)
def test_extract_under_production_faults_reads_the_same_data(
    orgs: Orgs, faults: dict[str, Any], stat: str
) -> None:
    loaded = orgs.loaded()
    reference = _raw_contents(extract_stage(loaded), orgs.env()["SANITIZER_KEY"])
    orgs.production.set_faults(fault_seed=11, **faults)
    faulty = _raw_contents(extract_stage(loaded), orgs.env()["SANITIZER_KEY"])
    assert getattr(orgs.production.fault_stats, stat) > 0, "the faults were not injected"
    assert faulty.keys() == reference.keys()
    assert [n for n in reference if faulty[n] != reference[n]] == []


@pytest.mark.slow
def test_refresh_under_faults_on_both_orgs_ends_like_the_baseline(
    orgs: Orgs, baseline: Baseline
) -> None:
    orgs.production.set_faults(throttle_rate=0.1, retry_after=0, fail_rate=0.1, cut_rate=0.05)
    orgs.staging.set_faults(throttle_rate=0.1, retry_after=0, fail_rate=0.1, cut_rate=0.05)
    result = refresh(orgs.loaded())
    for handle in (orgs.production, orgs.staging):
        stats = handle.fault_stats
        assert stats.throttled and stats.failed and stats.cut
        handle.set_faults(throttle_rate=0.0, fail_rate=0.0, cut_rate=0.0)
    assert result.report is not None and result.report.status == "verified"
    assert read_org(orgs.staging).normalised() == baseline.staging.normalised()


def test_refresh_production_down_stops_with_api_error_and_leaves_nothing(orgs: Orgs) -> None:
    before = store_dump(orgs.staging)
    orgs.production.set_faults(fail_rate=1.0, path_prefix="/api/v2/outbound")
    with pytest.raises(GenesysError) as raised:
        refresh(orgs.loaded())
    assert raised.value.exit_code == EXIT_API
    assert "/api/v2/outbound" in str(raised.value)
    assert list(orgs.snapshots.glob("*/raw")) == []
    assert list(orgs.snapshots.glob("*/clean")) == []
    assert store_dump(orgs.staging) == before


def test_refresh_cli_api_failure_exits_7_with_one_line(orgs: Orgs) -> None:
    orgs.production.set_faults(fail_rate=1.0, path_prefix="/api/v2/externalcontacts")
    result = CliRunner().invoke(app, ["refresh", "--config", str(orgs.config)])
    assert result.exit_code == EXIT_API, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "gave up after 8 attempt(s)" in errors[0]
    assert list(orgs.snapshots.glob("*/raw")) == []
