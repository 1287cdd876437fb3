"""Data-table endpoints: schema checks, rows by key, showbrief, the row schema check."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import error_of

TABLES = "/api/v2/flows/datatables"
SCHEMA = {
    "type": "object",
    "properties": {
        "key": {"type": "string", "title": "Email"},
        "Tier": {"type": "integer"},
        "Active": {"type": "boolean"},
    },
}


@pytest.fixture
def table(api: httpx.Client) -> str:
    return str(api.post(TABLES, json={"name": "VIP Customers", "schema": SCHEMA}).json()["id"])


def test_create_table_completes_the_schema(api: httpx.Client) -> None:
    body = api.post(TABLES, json={"name": "VIP", "schema": SCHEMA}).json()
    schema = body["schema"]
    assert schema["title"] == "VIP" and schema["required"] == ["key"]
    assert schema["additionalProperties"] is False
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        (None, "no schema at all"),
        ({"type": "object", "properties": {"id": {"type": "string"}}}, "no key property"),
        (
            {"type": "object", "properties": {"key": {"type": "integer"}}},
            "a key that is not a string",
        ),
        (
            {"type": "object", "properties": {"key": {"type": "string"}, "x": {"type": "array"}}},
            "an unsupported type",
        ),
    ],
)
def test_create_table_bad_schema_is_refused(api: httpx.Client, schema: Any, why: str) -> None:
    response = api.post(TABLES, json={"name": "T", "schema": schema})
    assert error_of(response) == (400, "flows.datatables.schema.exception"), why


def test_create_table_duplicate_name_is_refused_case_insensitively(
    api: httpx.Client, table: str
) -> None:
    response = api.post(TABLES, json={"name": "vip customers", "schema": SCHEMA})
    assert error_of(response) == (400, "duplicate.name")


@pytest.mark.parametrize(
    ("row", "field", "why"),
    [
        ({"Tier": 1}, "key", "no key"),
        ({"key": "", "Tier": 1}, "key", "an empty key"),
        ({"key": "a@example.com", "Tier": "gold"}, "Tier", "a string in an integer column"),
        ({"key": "a@example.com", "Active": "yes"}, "Active", "a string in a boolean column"),
        ({"key": "a@example.com", "Notes": "x"}, "Notes", "a column the table does not have"),
    ],
)
def test_post_row_not_matching_schema_is_refused(
    api: httpx.Client, table: str, row: dict[str, Any], field: str, why: str
) -> None:
    response = api.post(f"{TABLES}/{table}/rows", json=row)
    assert error_of(response) == (400, "flows.datatables.schema.exception"), why
    assert [d["fieldName"] for d in response.json()["details"]] == [field]
    assert "gold" not in response.text and "yes" not in response.json()["message"]


def test_post_row_twice_is_a_conflict(api: httpx.Client, table: str) -> None:
    row = {"key": "a@example.com", "Tier": 1}
    api.post(f"{TABLES}/{table}/rows", json=row)
    assert error_of(api.post(f"{TABLES}/{table}/rows", json=row)) == (
        409,
        "flows.datatables.row.exists",
    )


def test_put_row_missing_key_is_not_found_and_mismatch_is_refused(
    api: httpx.Client, table: str
) -> None:
    assert api.put(f"{TABLES}/{table}/rows/x@example.com", json={"Tier": 1}).status_code == 404
    api.post(f"{TABLES}/{table}/rows", json={"key": "x@example.com"})
    mismatch = api.put(f"{TABLES}/{table}/rows/x@example.com", json={"key": "y@example.com"})
    assert mismatch.status_code == 400


def test_rows_showbrief_defaults_to_keys_only(api: httpx.Client, table: str) -> None:
    api.post(f"{TABLES}/{table}/rows", json={"key": "b@example.com", "Tier": 2})
    api.post(f"{TABLES}/{table}/rows", json={"key": "a@example.com", "Tier": 1})
    brief = api.get(f"{TABLES}/{table}/rows").json()["entities"]
    full = api.get(f"{TABLES}/{table}/rows", params={"showbrief": "false"}).json()["entities"]
    descending = api.get(f"{TABLES}/{table}/rows", params={"sortOrder": "descending"}).json()[
        "entities"
    ]
    assert brief == [{"key": "a@example.com"}, {"key": "b@example.com"}]
    assert full[0] == {"key": "a@example.com", "Tier": 1}
    assert [r["key"] for r in descending] == ["b@example.com", "a@example.com"]


def test_list_tables_name_is_a_case_insensitive_wildcard(api: httpx.Client, table: str) -> None:
    api.post(TABLES, json={"name": "ANI Block List", "schema": SCHEMA})

    def names(pattern: str) -> list[str]:
        return [t["name"] for t in api.get(TABLES, params={"name": pattern}).json()["entities"]]

    assert names("vip*") == ["VIP Customers"]
    assert names("*list") == ["ANI Block List"]
    assert names("VIP") == []  # no wildcard: the whole name must match
    assert "schema" not in api.get(TABLES).json()["entities"][0]
