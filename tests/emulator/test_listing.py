"""The paging fields and URIs of numbered listings."""

from __future__ import annotations

import httpx
import pytest

from sanitizer.emulator.testing import EmulatorHandle

TABLES = "/api/v2/flows/datatables"
SCHEMA = {"type": "object", "properties": {"key": {"type": "string"}}}


@pytest.fixture
def five_tables(api: httpx.Client) -> httpx.Client:
    for i in range(5):
        api.post(TABLES, json={"name": f"T{i}", "schema": SCHEMA})
    return api


@pytest.mark.parametrize(
    ("page", "entities", "has_next", "has_previous", "why"),
    [
        (1, 2, True, False, "first page: next, no previous"),
        (2, 2, True, True, "middle page: both"),
        (3, 1, False, True, "last page: the remainder, no next"),
        (4, 0, False, True, "past the end: empty, still a listing"),
    ],
)
def test_listing_page_fields(
    five_tables: httpx.Client,
    page: int,
    entities: int,
    has_next: bool,
    has_previous: bool,
    why: str,
) -> None:
    body = five_tables.get(TABLES, params={"pageSize": 2, "pageNumber": page}).json()
    assert len(body["entities"]) == entities, why
    assert (body["total"], body["pageCount"], body["pageSize"], body["pageNumber"]) == (
        5,
        3,
        2,
        page,
    )
    assert ("nextUri" in body, "previousUri" in body) == (has_next, has_previous)
    assert body["selfUri"] == f"{TABLES}?pageSize=2&pageNumber={page}"
    assert body["lastUri"].endswith("pageNumber=3")


def test_listing_uris_keep_other_query_parameters(five_tables: httpx.Client) -> None:
    body = five_tables.get(TABLES, params={"expand": "schema", "pageSize": 2}).json()
    assert body["nextUri"] == f"{TABLES}?expand=schema&pageSize=2&pageNumber=2"


@pytest.mark.parametrize("params", [{"pageNumber": 0}, {"pageSize": -1}])
def test_listing_bad_paging_is_refused(
    org: EmulatorHandle, api: httpx.Client, params: dict[str, int]
) -> None:
    assert api.get(TABLES, params=params).status_code == 400
