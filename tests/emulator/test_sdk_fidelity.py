"""Fidelity check: the official Python SDK reads every implemented resource from the emulator.

PureCloudPlatformClientV2 (a dev extra) is pointed at the emulator's base URL; it derives the login
host itself (`//api.` → `//login.`, a no-op here). Every call must authenticate and deserialise into
the SDK's models without an error, and no enum may fall back to "outdated_sdk_version".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sanitizer.emulator.testing import EmulatorHandle

from .conftest import api_for

sdk = pytest.importorskip("PureCloudPlatformClientV2")


@pytest.fixture(scope="module")
def api_client(production: EmulatorHandle) -> Iterator[Any]:
    client = sdk.api_client.ApiClient(host=production.base_url)
    yield client.get_client_credentials_token(production.client_id, production.client_secret)


def outdated(model: Any) -> list[str]:
    """Attribute paths whose enum value the SDK did not recognise."""
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, str):
            if value == "outdated_sdk_version":
                found.append(path)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif hasattr(value, "swagger_types"):
            for name in value.swagger_types:
                walk(getattr(value, name), f"{path}.{name}")

    walk(model, "")
    return found


def test_sdk_reads_organization(api_client: Any, production: EmulatorHandle) -> None:
    org = sdk.OrganizationApi(api_client).get_organizations_me()
    assert org.id == production.org_id and org.state == "active" and outdated(org) == []


def test_sdk_reads_contact_lists_and_their_export(api_client: Any) -> None:
    outbound = sdk.OutboundApi(api_client)
    listing = outbound.get_outbound_contactlists(page_size=100, include_size=True)
    assert listing.total == 4 and outdated(listing) == []
    first = listing.entities[0]
    assert first.phone_columns and first.size > 0
    assert outbound.get_outbound_contactlist(first.id).name == first.name
    outbound.post_outbound_contactlist_export(first.id)
    with pytest.raises(sdk.rest.ApiException) as not_ready:
        outbound.get_outbound_contactlist_export(first.id)
    assert not_ready.value.status == 404
    export = outbound.get_outbound_contactlist_export(first.id)
    assert export.uri and export.export_timestamp


def test_sdk_reads_contacts(api_client: Any, production: EmulatorHandle) -> None:
    outbound = sdk.OutboundApi(api_client)
    contact_list = outbound.get_outbound_contactlists(page_size=1).entities[0]
    contact_id = production.store.slice("contact", contact_list.id, 0, 1)[0]["id"]
    contact = outbound.get_outbound_contactlist_contact(contact_list.id, contact_id)
    assert contact.contact_list_id == contact_list.id and contact.data


def test_sdk_scans_and_reads_external_contacts(api_client: Any) -> None:
    api = sdk.ExternalContactsApi(api_client)
    page = api.get_externalcontacts_scan_contacts(limit=150)
    assert len(page.entities) == 150 and page.cursors.after and outdated(page) == []
    rest = api.get_externalcontacts_scan_contacts(limit=150, cursor=page.cursors.after)
    assert len(rest.entities) == 50 and rest.cursors is None
    contact = api.get_externalcontacts_contact(page.entities[0].id)
    assert contact.cell_phone.e164.startswith("+") and contact.whats_app_id.phone_number.e164
    assert contact.external_organization.name and contact.address.postal_code
    listing = api.get_externalcontacts_contacts(page_size=100, page_number=2)
    assert listing.page_number == 2 and len(listing.entities) == 100


def test_sdk_reads_data_tables_and_full_rows(api_client: Any) -> None:
    architect = sdk.ArchitectApi(api_client)
    tables = architect.get_flows_datatables(expand="schema", page_size=100)
    assert {t.name for t in tables.entities} == {
        "ANI Block List",
        "VIP Customers",
        "Holiday Schedule",
    }
    table = next(t for t in tables.entities if t.name == "VIP Customers")
    assert table.schema.properties["key"]["type"] == "string"
    rows = architect.get_flows_datatable_rows(table.id, showbrief=False, page_size=100)
    assert rows.total == len(rows.entities) and "Tier" in rows.entities[0]
    row = architect.get_flows_datatable_row(table.id, rows.entities[0]["key"], showbrief=False)
    assert row["key"] == rows.entities[0]["key"]
    assert architect.get_flows_datatable(table.id, expand="schema").name == "VIP Customers"


def test_sdk_reads_flows_configuration_and_export_jobs(api_client: Any) -> None:
    architect = sdk.ArchitectApi(api_client)
    flows = architect.get_flows(type=["inboundcall"], page_size=25)
    assert [f.name for f in flows.entities] == ["Main IVR"] and outdated(flows) == []
    flow = architect.get_flow(flows.entities[0].id)
    assert flow.type == "INBOUNDCALL" and flow.published_version.id == "1.0"
    configuration = architect.get_flow_latestconfiguration(flow.id)
    assert configuration["inboundCall"]["name"] == "Main IVR"
    body = sdk.RegisterArchitectExportJob()
    body.flows = [sdk.ExportDetails()]
    body.flows[0].flow = sdk.ArchitectFlowReference()
    body.flows[0].flow.id = flow.id
    job = architect.post_flows_export_jobs(body)
    assert job.status == "Registered"
    states = [architect.get_flows_export_job(job.id, expand=["messages"]) for _ in range(2)]
    assert [s.status for s in states] == ["Started", "Success"] and states[1].download_url
    assert all(outdated(s) == [] for s in states)


def test_sdk_registers_an_import_job(api_client: Any, production: EmulatorHandle) -> None:
    architect = sdk.ArchitectApi(api_client)
    job = architect.post_flows_jobs()
    assert job.presigned_url and job.headers
    state = architect.get_flows_job(job.id, expand=["messages"])
    assert state.status == "Registered" and outdated(state) == []


def test_sdk_error_body_deserialises(api_client: Any) -> None:
    with pytest.raises(sdk.rest.ApiException) as caught:
        sdk.ArchitectApi(api_client).get_flows_datatable("no-such-table")
    assert caught.value.status == 404 and '"code": "not.found"' in caught.value.body.replace(
        '":"', '": "'
    )


def test_sdk_token_for_wrong_secret_is_refused(production: EmulatorHandle) -> None:
    client = sdk.api_client.ApiClient(host=production.base_url)
    with pytest.raises(sdk.rest.ApiException) as caught:
        client.get_client_credentials_token(production.client_id, "wrong")
    assert caught.value.status == 401


def test_raw_api_still_answers_after_sdk_use(production: EmulatorHandle) -> None:
    with api_for(production) as api:
        assert api.get("/api/v2/organizations/me").status_code == 200
