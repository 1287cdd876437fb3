"""Contact-list endpoints: what the emulator accepts and what it refuses, with the real error body."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import error_of

LISTS = "/api/v2/outbound/contactlists"
GOOD = {
    "name": "Renewals",
    "columnNames": ["Name", "Phone", "Email", "Best Time"],
    "phoneColumns": [{"columnName": "Phone", "type": "cell", "callableTimeColumn": "Best Time"}],
    "emailColumns": [{"columnName": "Email", "type": "work"}],
}


def test_create_contact_list_answers_contact_list_shape(api: httpx.Client) -> None:
    body = api.post(LISTS, json=GOOD).json()
    assert body["name"] == "Renewals" and body["version"] == 1
    assert body["selfUri"] == f"{LISTS}/{body['id']}"
    assert body["division"]["name"] == "Home"
    assert body["dateCreated"].endswith("Z")


@pytest.mark.parametrize(
    ("change", "field", "why"),
    [
        ({"name": ""}, "name", "a list needs a name"),
        ({"columnNames": []}, "columnNames", "and columns"),
        ({"columnNames": ["A", "A"]}, "columnNames", "distinct columns"),
        (
            {"phoneColumns": [{"columnName": "Fax", "type": "cell"}]},
            "phoneColumns",
            "a phone column not in columnNames",
        ),
        (
            {"emailColumns": [{"columnName": "Mail", "type": "work"}]},
            "emailColumns",
            "an email column not in columnNames",
        ),
        (
            {
                "phoneColumns": [
                    {"columnName": "Phone", "type": "cell", "callableTimeColumn": "Zone"}
                ]
            },
            "phoneColumns",
            "a callable-time column not in columnNames",
        ),
        ({"phoneColumns": [], "emailColumns": []}, "phoneColumns", "nothing to dial or mail"),
    ],
)
def test_create_contact_list_invalid_is_refused_naming_the_field(
    api: httpx.Client, change: dict[str, Any], field: str, why: str
) -> None:
    response = api.post(LISTS, json={**GOOD, **change})
    assert error_of(response) == (400, "bad.request"), why
    assert field in [d["fieldName"] for d in response.json()["details"]]


def test_create_contact_list_duplicate_name_is_refused(api: httpx.Client) -> None:
    api.post(LISTS, json=GOOD)
    assert error_of(api.post(LISTS, json=GOOD)) == (400, "duplicate.name")


@pytest.mark.parametrize(
    ("change", "code", "why"),
    [
        (
            {"columnNames": [*GOOD["columnNames"], "Extra"]},
            "cannot.update.column.names",
            "columns are fixed",
        ),
        (
            {"phoneColumns": [{"columnName": "Phone", "type": "home"}]},
            "cannot.update.phone.columns",
            "so are phones",
        ),
    ],
)
def test_update_contact_list_changing_columns_is_refused(
    api: httpx.Client, change: dict[str, Any], code: str, why: str
) -> None:
    created = api.post(LISTS, json=GOOD).json()
    response = api.put(f"{LISTS}/{created['id']}", json={**created, **change})
    assert error_of(response) == (400, code), why


def test_add_contacts_with_foreign_list_id_is_refused(api: httpx.Client) -> None:
    created = api.post(LISTS, json=GOOD).json()
    contact = {"id": "c1", "contactListId": "another-list", "data": {"Name": "x"}}
    response = api.post(f"{LISTS}/{created['id']}/contacts", json=[contact])
    assert error_of(response) == (400, "bad.request")


def test_add_contacts_refused_request_writes_nothing(org, api: httpx.Client) -> None:
    created = api.post(LISTS, json=GOOD).json()
    contacts = [{"id": "ok", "data": {"Name": "a"}}, {"id": "bad", "data": {"Nope": "b"}}]
    api.post(f"{LISTS}/{created['id']}/contacts", json=contacts)
    assert org.store.count("contact", parent=created["id"]) == 0


def test_add_contacts_answers_dialer_contacts(api: httpx.Client) -> None:
    created = api.post(LISTS, json=GOOD).json()
    answer = api.post(
        f"{LISTS}/{created['id']}/contacts", json=[{"id": "c1", "data": {"Phone": "+13125550100"}}]
    )
    contact = answer.json()[0]
    assert contact["contactListId"] == created["id"] and contact["callable"] is True
    assert api.get(f"{LISTS}/{created['id']}/contacts/c1").json()["data"] == {
        "Phone": "+13125550100"
    }


def test_get_export_before_any_export_answers_404(api: httpx.Client) -> None:
    created = api.post(LISTS, json=GOOD).json()
    assert error_of(api.get(f"{LISTS}/{created['id']}/export"))[0] == 404


def test_get_export_download_true_redirects_to_the_file(api: httpx.Client) -> None:
    created = api.post(LISTS, json=GOOD).json()
    api.post(f"{LISTS}/{created['id']}/export")
    api.get(f"{LISTS}/{created['id']}/export")  # "not ready" once
    redirect = api.get(f"{LISTS}/{created['id']}/export", params={"download": "true"})
    assert redirect.status_code == 303
    download = api.get(redirect.headers["location"], follow_redirects=True)
    assert download.content.startswith(b'\xef\xbb\xbf""inin-outbound-id""')


def test_presigned_file_with_bad_signature_is_forbidden(api: httpx.Client) -> None:
    created = api.post(LISTS, json=GOOD).json()
    api.post(f"{LISTS}/{created['id']}/export")
    api.get(f"{LISTS}/{created['id']}/export")
    uri = api.get(f"{LISTS}/{created['id']}/export").json()["uri"]
    location = api.get(uri).headers["location"]
    assert httpx.get(location).status_code == 200  # presigned: no token needed
    assert httpx.get(location[:-4] + "0000").status_code == 403


def test_list_contact_lists_clamps_page_size_to_100(api: httpx.Client) -> None:
    body = api.get(LISTS, params={"pageSize": 500}).json()
    assert body["pageSize"] == 100 and body["pageCount"] == 0 and body["entities"] == []


def test_list_contact_lists_filters_by_name(api: httpx.Client) -> None:
    for name in ("Renewals", "Renewals 2", "Collections"):
        api.post(LISTS, json={**GOOD, "name": name})
    prefix = [c["name"] for c in api.get(LISTS, params={"name": "renew"}).json()["entities"]]
    equals = api.get(LISTS, params={"name": "Renewals", "filterType": "Equals"}).json()["entities"]
    assert prefix == ["Renewals", "Renewals 2"] and [c["name"] for c in equals] == ["Renewals"]
