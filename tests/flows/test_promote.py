"""`flows promote` against two emulated orgs on loopback: export, check, retarget, diff, gate, import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sanitizer.cli.app import app
from sanitizer.emulator.testing import EmulatorHandle, running_emulator
from sanitizer.errors import EXIT_FINDINGS, EXIT_OK, FindingsError, InterlockError
from sanitizer.flows.documents import encode_flow, read_flow
from sanitizer.flows.promote import FlowPromotion, promote
from sanitizer.flows.retarget import retarget
from sanitizer.genesys import GenesysClient, PollPolicy, RetryPolicy
from sanitizer.shipped import fixtures_dir
from sanitizer.variables import OrgMapping, find_mapping, read_mappings

from .helpers import FIXTURES, REPO

FAST_RETRY = RetryPolicy(attempts=10, wait_initial=0.001, wait_max=0.01, wait_jitter=0.001)
FAST_POLL = PollPolicy(interval=0.001, max_interval=0.01, timeout=10)
FLOW = "Customer Lookup"
# Jobs finish on their first poll, so the CLI (with the default 1 s poll interval) stays quick.
PRODUCTION = fixtures_dir() / "orgs" / "production"
STAGING = fixtures_dir() / "orgs" / "staging"

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _crm_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGING_CRM_API_KEY", "stg-synthetic-key")
    monkeypatch.setenv("PRODUCTION_CRM_API_KEY", "prod-synthetic-key")


@pytest.fixture
def orgs(
    tmp_path: Path, mappings: list[OrgMapping]
) -> Iterator[tuple[EmulatorHandle, EmulatorHandle]]:
    """Production seeded from the fixture org; staging holding Customer Lookup rendered for staging."""
    with (
        running_emulator(tmp_path / "prod", seed=PRODUCTION, job_polls=0) as prod,
        running_emulator(tmp_path / "stg", seed=STAGING, job_polls=0) as stg,
    ):
        staged = retarget(
            read_flow(FIXTURES / "archy" / "customer-lookup.yaml"),
            find_mapping(mappings, "staging"),
            mappings,
        )
        with _client(stg) as client:
            client.flows.import_flow(encode_flow(staged))
        yield prod, stg


def _client(handle: EmulatorHandle) -> GenesysClient:
    return GenesysClient(
        handle.base_url,
        handle.base_url,
        handle.client_id,
        handle.client_secret,
        retry=FAST_RETRY,
        poll=FAST_POLL,
    )


def _flow_yaml(handle: EmulatorHandle, name: str) -> dict[str, object] | None:
    with _client(handle) as client:
        found = [f for f in client.flows.list() if f["name"] == name]
        if not found:
            return None
        loaded = yaml.safe_load(client.flows.export([found[0]["id"]])[found[0]["id"]])
        return loaded if isinstance(loaded, dict) else None


def test_promote_to_production_without_approval_shows_diff_and_writes_nothing(
    orgs: tuple[EmulatorHandle, EmulatorHandle], mappings: list[OrgMapping]
) -> None:
    prod, stg = orgs
    reviewed: list[FlowPromotion] = []
    with _client(stg) as source, _client(prod) as target:
        result = promote(
            source,
            target,
            find_mapping(mappings, "staging"),
            find_mapping(mappings, "production"),
            mappings,
            flow_names=[FLOW],
            review=reviewed.append,
        )
    assert [p.status for p in result.flows] == ["needs-approval"]
    assert reviewed and reviewed[0].is_new and "+++ production/Customer Lookup" in reviewed[0].diff
    added = [line for line in reviewed[0].diff.splitlines() if line.startswith("+")]
    assert any("https://crm.prod.example.com/api/v2/customers/lookup" in line for line in added)
    assert _flow_yaml(prod, FLOW) is None


def test_promote_with_approval_imports_production_values_then_is_idempotent(
    orgs: tuple[EmulatorHandle, EmulatorHandle], mappings: list[OrgMapping]
) -> None:
    prod, stg = orgs
    staging, production = find_mapping(mappings, "staging"), find_mapping(mappings, "production")
    prod.set_faults(fail_rate=0.2)  # 5xx faults and retries on the way: the client absorbs them
    with _client(stg) as source, _client(prod) as target:
        result = promote(
            source, target, staging, production, mappings, flow_names=[FLOW], approve=True
        )
    prod.set_faults(fail_rate=0.0)
    assert [p.status for p in result.flows] == ["imported"]
    body = _flow_yaml(prod, FLOW)
    assert body is not None
    text = yaml.safe_dump(body)
    assert (
        "crm.prod.example.com" in text and "CRM Production" in text and "Support - Tier 1" in text
    )
    for staging_value in ("staging.example.net", "CRM Sandbox", "STG ", "463 555"):
        assert staging_value not in text
    with _client(stg) as source, _client(prod) as target:
        again = promote(
            source, target, staging, production, mappings, flow_names=[FLOW], approve=True
        )
    assert [p.status for p in again.flows] == ["unchanged"]


def test_promote_flow_with_hardcoded_values_is_refused_before_any_import(
    orgs: tuple[EmulatorHandle, EmulatorHandle], mappings: list[OrgMapping]
) -> None:
    prod, stg = orgs
    with (
        _client(prod) as source,
        _client(stg) as target,
        pytest.raises(FindingsError, match="nothing was imported"),
    ):
        promote(
            source,
            target,
            find_mapping(mappings, "production"),
            find_mapping(mappings, "staging"),
            mappings,
            flow_names=["Main IVR", "ANI Block Check"],
        )
    assert _flow_yaml(stg, "Main IVR") is None and _flow_yaml(stg, "ANI Block Check") is None


def test_promote_refuses_an_org_that_is_not_the_mapped_one(
    orgs: tuple[EmulatorHandle, EmulatorHandle], mappings: list[OrgMapping]
) -> None:
    _prod, stg = orgs
    # Both clients reach the staging emulator: the production mapping's org_id does not match.
    with (
        _client(stg) as source,
        _client(stg) as target,
        pytest.raises(InterlockError, match="not the one"),
    ):
        promote(
            source,
            target,
            find_mapping(mappings, "staging"),
            find_mapping(mappings, "production"),
            mappings,
            flow_names=[FLOW],
            approve=True,
        )


def test_cli_promote_dry_run_and_gate(
    orgs: tuple[EmulatorHandle, EmulatorHandle], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod, stg = orgs
    folder = tmp_path / "mappings"
    folder.mkdir()
    for handle, org in ((prod, "production"), (stg, "staging")):
        body = yaml.safe_load((REPO / "rules" / "mappings" / f"{org}.yaml").read_text())
        body["connection"] = {
            "base_url": handle.base_url,
            "client_id_env": f"T_{org}_ID",
            "client_secret_env": f"T_{org}_SECRET",
            "expected_org_id": handle.org_id,
        }
        (folder / f"{org}.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
        monkeypatch.setenv(f"T_{org}_ID", handle.client_id)
        monkeypatch.setenv(f"T_{org}_SECRET", handle.client_secret)
    import sanitizer.cli.flows  # noqa: F401

    runner = CliRunner()
    args = [
        "flows",
        "promote",
        "--from",
        "staging",
        "--to",
        "production",
        "--flow",
        FLOW,
        "--mappings",
        str(folder),
    ]
    gated = runner.invoke(app, args)
    assert gated.exit_code == EXIT_FINDINGS and "--approve" in gated.stderr
    assert "+++ production/Customer Lookup" in gated.stdout
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == EXIT_OK and "dry run" in dry.stdout
    assert _flow_yaml(prod, FLOW) is None
    done = runner.invoke(app, [*args, "--approve"])
    assert done.exit_code == EXIT_OK, done.stderr
    assert "imported" in done.stdout and _flow_yaml(prod, FLOW) is not None
    assert read_mappings(folder)[0].connection is not None
