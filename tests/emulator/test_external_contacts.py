"""External-contact endpoints: the 1,000-record listing ceiling, the scan, bulk per-entity results."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import error_of

CONTACTS = "/api/v2/externalcontacts/contacts"
BULK = "/api/v2/externalcontacts/bulk/contacts"


def person(i: int, **extra: Any) -> dict[str, Any]:
    return {"firstName": f"F{i}", "lastName": f"L{i}", **extra}


@pytest.mark.parametrize(
    ("params", "status", "why"),
    [
        ({"pageSize": 100, "pageNumber": 10}, 200, "exactly 1,000 records deep is allowed"),
        ({"pageSize": 100, "pageNumber": 11}, 400, "past 1,000: use the scan"),
        ({"pageSize": 20, "pageNumber": 51}, 400, "the default page size hits the same wall"),
    ],
)
def test_list_contacts_stops_at_1000_records(
    api: httpx.Client, params: dict[str, int], status: int, why: str
) -> None:
    assert api.get(CONTACTS, params=params).status_code == status, why


@pytest.mark.parametrize(("limit", "status"), [(9, 400), (10, 200), (200, 200), (201, 400)])
def test_scan_limit_must_be_10_to_200(api: httpx.Client, limit: int, status: int) -> None:
    assert (
        api.get("/api/v2/externalcontacts/scan/contacts", params={"limit": limit}).status_code
        == status
    )


def test_scan_cursor_walks_every_contact_once(api: httpx.Client) -> None:
    api.post(f"{BULK}/add", json={"entities": [person(i) for i in range(25)]})
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v2/externalcontacts/scan/contacts", params=params).json()
        seen += [c["lastName"] for c in body["entities"]]
        pages += 1
        cursor = body.get("cursors", {}).get("after")
        if not cursor:
            assert "nextUri" not in body
            break
        assert body["nextUri"].endswith(f"cursor={cursor}")
    assert seen == [f"L{i}" for i in range(25)] and pages == 3


def test_scan_bad_cursor_is_refused(api: httpx.Client) -> None:
    response = api.get("/api/v2/externalcontacts/scan/contacts", params={"cursor": "!!!"})
    assert error_of(response) == (400, "bad.request")


def test_bulk_add_answers_per_entity_results_in_request_order(api: httpx.Client) -> None:
    entities = [person(0), {"firstName": "only"}, person(2, workEmail="not-an-email")]
    body = api.post(f"{BULK}/add", json={"entities": entities}).json()
    assert [r["success"] for r in body["results"]] == [True, False, False]
    assert body["errorCount"] == 2 and body["errorIndexes"] == [1, 2]
    assert body["results"][1]["error"]["details"][0]["fieldName"] == "lastName"
    assert body["results"][2]["error"]["details"][0]["fieldName"] == "workEmail"
    assert "only" not in str(body["results"][1]["error"])


def test_bulk_over_the_limit_is_refused_whole(org, api: httpx.Client) -> None:
    response = api.post(f"{BULK}/add", json={"entities": [person(i) for i in range(201)]})
    assert error_of(response) == (400, "bad.request")
    assert org.store.count("externalcontact") == 0


def test_bulk_update_unknown_id_fails_that_entity_only(api: httpx.Client) -> None:
    created = api.post(CONTACTS, json=person(1)).json()
    entities = [{**created, "title": "Boss"}, {**person(2), "id": "missing"}]
    body = api.post(f"{BULK}/update", json={"entities": entities}).json()
    assert [r["success"] for r in body["results"]] == [True, False]
    assert body["results"][1]["error"]["status"] == 404


def test_bulk_remove_and_fetch(api: httpx.Client) -> None:
    created = api.post(CONTACTS, json=person(1)).json()
    fetched = api.post(BULK, json={"entities": [{"id": created["id"]}]}).json()
    removed = api.post(f"{BULK}/remove", json={"entities": [{"id": created["id"]}]}).json()
    assert fetched["results"][0]["entity"]["lastName"] == "L1"
    assert removed["errorCount"] == 0
    assert api.get(f"{CONTACTS}/{created['id']}").status_code == 404


def test_create_fills_e164_from_display_and_server_fields(api: httpx.Client) -> None:
    created = api.post(CONTACTS, json=person(1, cellPhone={"display": "(312) 555-0142"})).json()
    assert created["cellPhone"]["e164"] == "+13125550142"
    assert created["selfUri"] == f"{CONTACTS}/{created['id']}"
    assert created["createDate"] == created["modifyDate"] and created["type"] == "Curated"


def test_update_keeps_id_and_create_date(api: httpx.Client) -> None:
    created = api.post(CONTACTS, json=person(1)).json()
    updated = api.put(
        f"{CONTACTS}/{created['id']}", json={**person(1), "id": "ignored", "title": "x"}
    ).json()
    assert updated["id"] == created["id"] and updated["createDate"] == created["createDate"]
