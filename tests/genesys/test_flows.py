"""Architect flows against a live emulator: import/publish jobs, export jobs, configuration."""

from __future__ import annotations

import pytest

from sanitizer.emulator.testing import EmulatorHandle
from sanitizer.errors import GenesysError

from .conftest import client_for

INBOUND = b"""inboundCall:
  name: Main IVR
  description: front door
  defaultLanguage: en-us
  initialGreeting:
    tts: "Welcome. {{GREETING}}"
"""
WORKFLOW = b"""workflow:
  name: ANI Check
  defaultLanguage: en-us
"""


def test_import_flow_creates_then_publishes_a_new_version(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        first = client.flows.import_flow(INBOUND)
        second = client.flows.import_flow(INBOUND.replace(b"front door", b"front door v2"))
        flow = client.flows.get(first["flow"]["id"])
    assert first["status"] == "Success" and second["flow"]["id"] == first["flow"]["id"]
    assert flow["type"] == "INBOUNDCALL" and flow["publishedVersion"]["id"] == "2.0"
    assert flow["description"] == "front door v2"


def test_export_one_flow_returns_its_yaml_bytes(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        flow_id = client.flows.import_flow(INBOUND)["flow"]["id"]
        exported = client.flows.export([flow_id])
    assert exported == {flow_id: INBOUND}


def test_export_several_flows_unpacks_the_zip_by_reference(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        inbound = client.flows.import_flow(INBOUND)["flow"]["id"]
        client.flows.import_flow(WORKFLOW)
        exported = client.flows.export([inbound, {"name": "ANI Check", "type": "workflow"}])
    assert exported == {inbound: INBOUND, "ANI Check": WORKFLOW}


def test_list_flows_filters_by_type(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        client.flows.import_flow(INBOUND)
        client.flows.import_flow(WORKFLOW)
        names = [f["name"] for f in client.flows.list(types=["workflow"])]
        everything = {f["name"] for f in client.flows.list()}
    assert names == ["ANI Check"] and everything == {"Main IVR", "ANI Check"}


def test_latest_configuration_is_a_json_object(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        flow_id = client.flows.import_flow(INBOUND)["flow"]["id"]
        configuration = client.flows.latest_configuration(flow_id)
    assert configuration["inboundCall"]["name"] == "Main IVR"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (
            b"workflow:\n  name: x\n  dataTable:\n    {{data_table}}:\n",
            "unsubstituted placeholder key",
        ),
        (b"notAFlowType:\n  name: x\n", "unknown top-level key"),
        (b"inboundCall:\n  description: no name\n", "no name"),
    ],
)
def test_import_flow_the_org_refuses_raises_with_its_message(
    org: EmulatorHandle, content: bytes, why: str
) -> None:
    with client_for(org) as client, pytest.raises(GenesysError) as caught:
        client.flows.import_flow(content)
    assert "flow import job failed" in str(caught.value)


def test_export_unknown_flow_raises(org: EmulatorHandle) -> None:
    with client_for(org) as client, pytest.raises(GenesysError) as caught:
        client.flows.export(["00000000-0000-4000-8000-000000000000"])
    assert "flow export job failed" in str(caught.value)
