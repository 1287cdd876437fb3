"""Contact lists against a live emulator: definitions, 1,000-contact batches, export, clear."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from sanitizer.emulator.testing import EmulatorHandle
from sanitizer.errors import GenesysError, InputError
from sanitizer.genesys import read_export

from .conftest import Recorder, client_for

LIST = {
    "name": "Renewals",
    "columnNames": ["First Name", "Phone", "Email", "Notes"],
    "phoneColumns": [{"columnName": "Phone", "type": "cell"}],
    "emailColumns": [{"columnName": "Email", "type": "work"}],
}


def contacts(count: int, start: int = 0) -> list[dict]:
    return [
        {
            "id": f"c-{i:05d}",
            "data": {
                "First Name": f"N{i}",
                "Phone": "+1 212 555 0100",
                "Email": f"p{i}@example.com",
                "Notes": 'said "hi", then, left',
            },
        }
        for i in range(start, start + count)
    ]


def test_add_contacts_2500_are_sent_in_batches_of_at_most_1000(
    org: EmulatorHandle, recorder: Recorder
) -> None:
    with client_for(org, recorder) as client:
        cl = client.outbound.create_contact_list(LIST)
        written = client.outbound.add_contacts(cl["id"], contacts(2500))
    assert written == 2500
    assert recorder.count("POST", "/contacts") == 3
    assert org.store.count("contact", parent=cl["id"]) == 2500


def test_add_contacts_same_ids_twice_updates_instead_of_duplicating(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        client.outbound.add_contacts(cl["id"], contacts(300))
        client.outbound.add_contacts(cl["id"], contacts(300))
        size = client.outbound.get_contact_list(cl["id"], include_size=True)["size"]
    assert size == 300


@pytest.mark.parametrize(
    ("contact", "why"),
    [
        ({"data": {"Phone": "x"}}, "no id: a retry could duplicate it"),
        ({"id": "c-1"}, "no data"),
    ],
)
def test_add_contacts_without_id_or_data_is_refused_before_sending(
    org: EmulatorHandle, contact: dict, why: str
) -> None:
    with client_for(org) as client, pytest.raises(ValueError):
        client.outbound.add_contacts("any", [contact])


def test_add_contacts_unknown_column_raises_with_code_and_no_values(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        bad = {
            "id": "c-1",
            "data": {"Phone": "+1 212 555 0199", "Secret Column": "jane@example.com"},
        }
        with pytest.raises(GenesysError) as caught:
            client.outbound.add_contacts(cl["id"], [bad])
    assert caught.value.status == 400 and caught.value.code == "invalid.contact.column"
    assert "Secret Column" in str(caught.value)
    assert "jane" not in str(caught.value) and "0199" not in str(caught.value)


def test_export_contacts_has_bom_quoted_id_header_and_system_columns(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        client.outbound.add_contacts(cl["id"], contacts(5))
        data = client.outbound.export_contacts(cl["id"])
    assert data.startswith(b'\xef\xbb\xbf""inin-outbound-id"",')
    header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert header[1:5] == LIST["columnNames"]
    assert header[5:] == [
        "ContactCallable",
        "AutomaticTimeZone-Phone",
        "Callable-Phone",
        "CallRecordLastAttempt-Phone",
        "CallRecordLastResult-Phone",
    ]


def test_read_export_returns_ids_and_list_columns_only(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        client.outbound.add_contacts(cl["id"], contacts(1200))
        rows = read_export(
            client.outbound.export_contacts(cl["id"]), cl["columnNames"], source="Renewals"
        )
    assert len(rows) == 1200
    assert rows[0] == {"inin-outbound-id": "c-00000", **contacts(1)[0]["data"]}
    assert {r["inin-outbound-id"] for r in rows} == {c["id"] for c in contacts(1200)}


def test_export_contacts_polls_until_the_file_is_ready(tmp_path, recorder: Recorder) -> None:
    from sanitizer.emulator.testing import running_emulator

    with (
        running_emulator(tmp_path / "org", job_polls=3) as org,
        client_for(org, recorder) as client,
    ):
        cl = client.outbound.create_contact_list(LIST)
        client.outbound.export_contacts(cl["id"])
    # one look before starting, three "not ready" answers, then the URI
    assert recorder.count("GET", "/export") == 1 + 3 + 1


def test_export_contacts_a_second_time_waits_for_the_new_file(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        client.outbound.add_contacts(cl["id"], contacts(2))
        first = read_export(
            client.outbound.export_contacts(cl["id"]), cl["columnNames"], source="x"
        )
        client.outbound.add_contacts(cl["id"], contacts(3, start=2))
        second = read_export(
            client.outbound.export_contacts(cl["id"]), cl["columnNames"], source="x"
        )
    assert (len(first), len(second)) == (2, 5)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty file"),
        (b'\xef\xbb\xbf""inin-outbound-id"",First Name\nc-1,Ann\n', "a list column is missing"),
        (
            b'\xef\xbb\xbf""inin-outbound-id"",First Name,Phone,Email,Notes\nc-1,Ann\n',
            "a short row",
        ),
    ],
)
def test_read_export_malformed_file_raises_input_error(data: bytes, why: str) -> None:
    with pytest.raises(InputError) as caught:
        read_export(data, LIST["columnNames"], source="Renewals")
    assert "Renewals" in str(caught.value) and "Ann" not in str(caught.value)


def test_clear_contacts_empties_the_list(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        client.outbound.add_contacts(cl["id"], contacts(10))
        client.outbound.clear_contacts(cl["id"])
        assert client.outbound.get_contact_list(cl["id"], include_size=True)["size"] == 0


def test_update_contact_list_needs_current_version(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        updated = client.outbound.update_contact_list(
            cl["id"], {**cl, "previewModeColumnName": "Notes"}
        )
        with pytest.raises(GenesysError) as caught:
            client.outbound.update_contact_list(cl["id"], {**cl, "previewModeColumnName": "Email"})
    assert updated["version"] == 2 and caught.value.status == 409


def test_find_and_delete_contact_list(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        client.outbound.create_contact_list({**LIST, "name": "Renewals 2"})
        assert client.outbound.find_contact_list("Renewals")["id"] == cl["id"]
        client.outbound.delete_contact_list(cl["id"])
        assert client.outbound.find_contact_list("Renewals") is None
        assert [c["name"] for c in client.outbound.list_contact_lists()] == ["Renewals 2"]


def test_list_contact_lists_pages_past_several_pages(
    org: EmulatorHandle, recorder: Recorder
) -> None:
    with client_for(org, recorder) as client:
        for i in range(230):
            client.outbound.create_contact_list({**LIST, "name": f"List {i:03d}"})
        names = [c["name"] for c in client.outbound.list_contact_lists()]
    assert sorted(names) == [f"List {i:03d}" for i in range(230)]
    assert recorder.count("GET", "/contactlists") == 3  # 100 per page at most


def test_add_contacts_over_1000_in_one_request_is_refused_by_the_org(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        cl = client.outbound.create_contact_list(LIST)
        token = client.transport.tokens.token()
    body = [{**c, "contactListId": cl["id"]} for c in contacts(1001)]
    response = httpx.post(
        f"{org.base_url}/api/v2/outbound/contactlists/{cl['id']}/contacts",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "contact.list.batch.size.exceeded"
