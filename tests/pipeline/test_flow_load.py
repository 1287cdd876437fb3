"""Loading flows into staging: imported once, then left at their version until their content changes."""

from __future__ import annotations

from pathlib import Path

from sanitizer.genesys import GenesysClient
from sanitizer.load import FlowTarget, LoadResult, load, plan_load
from sanitizer.pipeline import flow_target
from sanitizer.runs import Journal
from sanitizer.snapshot import CleanManifest, check_clean

from .conftest import Baseline
from .helpers import Orgs, api_client


def _flows_only(baseline: Baseline) -> tuple[Path, CleanManifest]:
    folder = baseline.snapshot / "clean"
    return folder, check_clean(folder).model_copy(update={"tables": []})


def _load(
    client: GenesysClient, baseline: Baseline, target: FlowTarget, journal: Path
) -> LoadResult:
    folder, manifest = _flows_only(baseline)
    return load(client, folder, manifest, Journal(journal), flow_target=target)


def _actions(result: LoadResult) -> dict[str, str]:
    return {s.name: s.action for s in result.steps}


def _versions(client: GenesysClient) -> dict[str, str]:
    return {str(f["name"]): str(f["publishedVersion"]["id"]) for f in client.flows.list()}


def test_load_flows_again_leaves_them_unchanged_at_their_version(
    orgs: Orgs, baseline: Baseline, tmp_path: Path
) -> None:
    target = flow_target(orgs.loaded())
    assert target is not None
    with api_client(orgs.staging) as staging:
        first = _load(staging, baseline, target, tmp_path / "first.jsonl")
        assert set(_actions(first).values()) == {"import"}
        versions = _versions(staging)
        assert set(versions.values()) == {"1.0"}

        folder, manifest = _flows_only(baseline)
        plan = plan_load(staging, folder, manifest, flow_target=target)
        assert set(_actions(plan).values()) == {"unchanged"}  # the dry run says so too

        again = _load(staging, baseline, target, tmp_path / "again.jsonl")
        assert set(_actions(again).values()) == {"unchanged"}
        assert _versions(staging) == versions


def test_load_imports_again_a_flow_whose_staging_copy_differs(
    orgs: Orgs, baseline: Baseline, tmp_path: Path
) -> None:
    target = flow_target(orgs.loaded())
    assert target is not None
    with api_client(orgs.staging) as staging:
        _load(staging, baseline, target, tmp_path / "first.jsonl")
        # Someone publishes another version in staging: its description no longer holds the digest.
        exported = staging.flows.export([{"name": "Main IVR", "type": "inboundcall"}])
        staging.flows.import_flow(exported["Main IVR"].replace(b"[sanitizer content", b"[edited"))
        assert _versions(staging)["Main IVR"] == "2.0"

        again = _load(staging, baseline, target, tmp_path / "again.jsonl")
        assert _actions(again) == {
            "Main IVR": "import",
            "ANI Block Check": "unchanged",
            "Renewal Outbound": "unchanged",
        }
        assert _versions(staging)["Main IVR"] == "3.0"


def test_refresh_reports_no_flow_warning_for_what_scrubbing_wrote(baseline: Baseline) -> None:
    # The production flows' hard-coded numbers were replaced with safe fictional ones at scrub time.
    assert baseline.result.load is not None
    assert baseline.result.load.flow_warnings == {
        "flow:WORKFLOW:ANI Block Check": [],
        "flow:INBOUNDCALL:Main IVR": [],
        "flow:OUTBOUNDCALL:Renewal Outbound": [],
    }
