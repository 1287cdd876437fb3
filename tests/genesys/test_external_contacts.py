"""External contacts against a live emulator: the cursor scan past 1,000, bulk writes, upsert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from sanitizer.emulator.testing import EmulatorHandle
from sanitizer.genesys import BulkWriteError

from .conftest import Recorder, client_for


def person(i: int) -> dict[str, Any]:
    return {
        "firstName": f"First{i}",
        "lastName": f"Last{i}",
        "cellPhone": {"display": f"+1 212 555 01{i % 100:02d}"},
        "workEmail": f"person{i}@example.com",
        "externalSystemUrl": f"https://staging.invalid/contacts/{i}",
    }


def by_url(entity: Mapping[str, Any]) -> str | None:
    url = entity.get("externalSystemUrl")
    return url if isinstance(url, str) else None


def test_scan_reads_more_than_1000_contacts_each_once(
    org: EmulatorHandle, recorder: Recorder
) -> None:
    with client_for(org, recorder) as client:
        client.external_contacts.bulk_add([person(i) for i in range(1100)])
        scanned = list(client.external_contacts.scan())
    assert len(scanned) == 1100
    assert len({c["id"] for c in scanned}) == 1100
    assert recorder.count("GET", "/scan/contacts") == 6  # 200 per page: 5 full pages + 100


def test_scan_limit_out_of_range_is_refused_before_sending(org: EmulatorHandle) -> None:
    with client_for(org) as client, pytest.raises(ValueError):
        list(client.external_contacts.scan(limit=500))


def test_bulk_add_returns_created_entities_in_request_order(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        created = client.external_contacts.bulk_add([person(i) for i in range(250)], batch_size=100)
    assert [c["lastName"] for c in created] == [f"Last{i}" for i in range(250)]
    assert created[0]["cellPhone"]["e164"] == "+12125550100"


def test_bulk_add_refused_entities_raise_with_indexes_and_no_values(org: EmulatorHandle) -> None:
    entities = [person(0), {"firstName": "Zelda", "workEmail": "zelda@example.org"}, person(2)]
    with client_for(org) as client, pytest.raises(BulkWriteError) as caught:
        client.external_contacts.bulk_add(entities)
    error = caught.value
    assert [item.is_ok for item in error.items] == [True, False, True]
    assert error.items[1].fields == ("lastName",)
    assert "index(es) 1" in str(error) and "lastName" in str(error)
    assert "Zelda" not in str(error) and "zelda@" not in str(error)


def test_bulk_update_changes_contacts_in_place(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        created = client.external_contacts.bulk_add([person(i) for i in range(3)])
        changed = [{**c, "title": "Tester"} for c in created]
        client.external_contacts.bulk_update(changed)
        assert {c["title"] for c in client.external_contacts.scan()} == {"Tester"}
        assert client.external_contacts.get(created[0]["id"])["title"] == "Tester"


def test_upsert_twice_leaves_one_contact_per_key(org: EmulatorHandle) -> None:
    entities = [person(i) for i in range(150)]
    with client_for(org) as client:
        first = client.external_contacts.upsert(entities, by_url)
        second = client.external_contacts.upsert(
            [{**e, "title": "Again"} for e in entities], by_url
        )
        scanned = list(client.external_contacts.scan())
    assert len(scanned) == 150
    assert [c["id"] for c in first] == [c["id"] for c in second]
    assert {c["title"] for c in scanned} == {"Again"}


def test_upsert_duplicate_keys_are_refused(org: EmulatorHandle) -> None:
    with client_for(org) as client, pytest.raises(ValueError):
        client.external_contacts.upsert([person(1), person(1)], by_url)


def test_single_contact_create_update_delete(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        created = client.external_contacts.create(person(7))
        client.external_contacts.update(created["id"], {**person(7), "title": "Manager"})
        assert client.external_contacts.get(created["id"])["title"] == "Manager"
        client.external_contacts.delete(created["id"])
        assert list(client.external_contacts.scan()) == []
