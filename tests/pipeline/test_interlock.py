"""The safety interlock: a target that is production, is not allow-listed, or is not the org the profile
expects is refused with exit code 6 before anything is written (or even extracted); a snapshot that
did not pass verification or no longer matches its manifest is refused with exit code 5."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.emulator.testing import EmulatorHandle, running_emulator
from sanitizer.errors import EXIT_INTERLOCK, EXIT_VERIFICATION, InterlockError
from sanitizer.pipeline import refresh

from .helpers import (
    PRODUCTION_ID_ENV,
    PRODUCTION_SECRET_ENV,
    STAGING_CLIENT,
    Orgs,
    store_dump,
)

OTHER_ID = "4f1c2a9e-0c1d-4e6b-9a53-00000000c003"
runner = CliRunner()


@pytest.fixture
def other_org(tmp_path: Path) -> Iterator[EmulatorHandle]:
    """A third org (another staging org, say) that accepts the staging credentials."""
    seed = tmp_path / "other-seed"
    seed.mkdir()
    (seed / "org.json").write_text(
        json.dumps({"id": OTHER_ID, "name": "Example Retail QA", "thirdPartyOrgName": "qa"})
    )
    with running_emulator(
        tmp_path / "orgs" / "other",
        seed=seed,
        client_id=STAGING_CLIENT[0],
        client_secret=STAGING_CLIENT[1],
        job_polls=0,
    ) as handle:
        yield handle


def _production_as_target(
    orgs: Orgs, other: EmulatorHandle
) -> tuple[dict[str, Any], EmulatorHandle]:
    """A staging profile whose URL and credentials reach production (a copy-paste slip)."""
    target = {
        "base_url": orgs.production.base_url,
        "client_id_env": PRODUCTION_ID_ENV,
        "client_secret_env": PRODUCTION_SECRET_ENV,
    }
    return {"target": target}, orgs.production


def _not_allow_listed(orgs: Orgs, other: EmulatorHandle) -> tuple[dict[str, Any], EmulatorHandle]:
    """The profile reaches an org nobody put on staging_org_ids."""
    return {"target": {"base_url": other.base_url}}, other


def _allow_listed_but_not_expected(
    orgs: Orgs, other: EmulatorHandle
) -> tuple[dict[str, Any], EmulatorHandle]:
    """Both orgs are allow-listed, but this profile names the other one as the org it expects."""
    changes = {
        "target": {"base_url": other.base_url},
        "staging_org_ids": [orgs.staging.org_id, OTHER_ID],
    }
    return changes, other


REFUSALS = [
    pytest.param(_production_as_target, "the production source org", id="target-is-production"),
    pytest.param(_not_allow_listed, "not in staging_org_ids", id="not-allow-listed"),
    pytest.param(_allow_listed_but_not_expected, "but expected_org_id is", id="not-expected"),
]
Case = Callable[[Orgs, EmulatorHandle], tuple[dict[str, Any], EmulatorHandle]]


@pytest.mark.parametrize(("case", "says"), REFUSALS)
def test_refresh_interlock_refuses_target_and_writes_nothing(
    orgs: Orgs, other_org: EmulatorHandle, case: Case, says: str
) -> None:
    changes, reached = case(orgs, other_org)
    config = orgs.write_config(**changes)
    before, production_before = store_dump(reached), store_dump(orgs.production)
    with pytest.raises(InterlockError, match=says):
        refresh(orgs.loaded(config))
    result = runner.invoke(app, ["refresh", "--config", str(config)])
    assert result.exit_code == EXIT_INTERLOCK, result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and says in errors[0] and "nothing was written" in errors[0]
    assert store_dump(reached) == before
    assert store_dump(orgs.production) == production_before
    assert not list(orgs.snapshots.glob("*/*")), "nothing is extracted for a refused target"


@pytest.mark.parametrize(("case", "says"), REFUSALS)
def test_load_interlock_refuses_target_and_writes_nothing(
    orgs: Orgs, other_org: EmulatorHandle, clean_snapshot: Path, case: Case, says: str
) -> None:
    changes, reached = case(orgs, other_org)
    config = orgs.write_config(**changes)
    before = store_dump(reached)
    result = runner.invoke(app, ["load", str(clean_snapshot), "--config", str(config)])
    assert result.exit_code == EXIT_INTERLOCK, result.output
    assert says in result.stderr
    assert store_dump(reached) == before


def test_interlock_lets_the_expected_staging_org_through(orgs: Orgs, clean_snapshot: Path) -> None:
    """The control case: the same snapshot and config, aimed at the right org, loads."""
    result = runner.invoke(app, ["load", str(clean_snapshot), "--config", str(orgs.config)])
    assert result.exit_code == 0, result.output
    assert orgs.staging.store.count("contactlist") == 4


# --- snapshots that must not be loaded --------------------------------------------------------


def _manifest(snapshot: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((snapshot / "clean" / "manifest.json").read_text())
    return data


def _failed_verification(snapshot: Path) -> None:
    manifest = _manifest(snapshot)
    manifest.update(verification="failed", findings=3)
    (snapshot / "clean" / "manifest.json").write_text(json.dumps(manifest))


def _edited_parquet(snapshot: Path) -> None:
    """One cell of a scrubbed table put back to something else: still valid Parquet."""
    path = (
        snapshot
        / "clean"
        / next(t["file"] for t in _manifest(snapshot)["tables"] if t["kind"] == "contact_list")
    )
    table = pq.read_table(path)
    column = table.column_names[1]
    values = table.column(column).to_pylist()
    values[0] = "Someone Else"
    pq.write_table(table.set_column(1, column, pa.array(values, table.schema.field(1).type)), path)


def _appended_bytes(snapshot: Path) -> None:
    path = snapshot / "clean" / _manifest(snapshot)["tables"][0]["file"]
    with path.open("ab") as handle:
        handle.write(b"\0")


def _missing_table(snapshot: Path) -> None:
    (snapshot / "clean" / _manifest(snapshot)["tables"][-1]["file"]).unlink()


def _edited_flow(snapshot: Path) -> None:
    path = snapshot / "clean" / _manifest(snapshot)["flows"][0]["file"]
    path.write_text(path.read_text().replace("name:", "name:  ", 1))


def _edited_definition(snapshot: Path) -> None:
    table = next(t for t in _manifest(snapshot)["tables"] if t["definition"])
    path = snapshot / "clean" / table["definition"]
    definition = json.loads(path.read_text())
    definition["name"] = definition["name"] + " (edited)"
    path.write_text(json.dumps(definition))


TAMPERED = [
    pytest.param(_failed_verification, "did not pass verification", id="verification-failed"),
    pytest.param(_edited_parquet, "does not match the checksum", id="parquet-cell-edited"),
    pytest.param(_appended_bytes, "does not match the checksum", id="parquet-bytes-appended"),
    pytest.param(_missing_table, "missing", id="table-missing"),
    pytest.param(_edited_flow, "does not match the checksum", id="flow-edited"),
    pytest.param(_edited_definition, "missing or altered", id="definition-edited"),
]


@pytest.mark.parametrize(("tamper", "says"), TAMPERED)
@pytest.mark.parametrize("command", ["load", "verify", "resume"])
def test_snapshot_not_verified_or_altered_is_refused_with_exit_5(
    orgs: Orgs,
    clean_snapshot: Path,
    tamper: Callable[[Path], None],
    says: str,
    command: str,
) -> None:
    tamper(clean_snapshot)
    before = store_dump(orgs.staging)
    args = {
        "load": ["load", str(clean_snapshot), "--config", str(orgs.config)],
        "verify": ["verify", str(clean_snapshot)],
        "resume": ["refresh", "--config", str(orgs.config), "--resume", clean_snapshot.name],
    }[command]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_VERIFICATION, result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and says in errors[0]
    assert store_dump(orgs.staging) == before
