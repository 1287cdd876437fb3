"""Architect data tables against a live emulator: schema, rows by key, replace, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from sanitizer.emulator.testing import EmulatorHandle
from sanitizer.errors import GenesysError, GenesysNotFoundError
from sanitizer.genesys import ReplaceResult

from .conftest import Recorder, client_for

TABLE = {
    "name": "ANI Block List",
    "schema": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["key"],
        "properties": {
            "key": {"$id": "/properties/key", "type": "string", "title": "ani", "displayOrder": 0},
            "Reason": {
                "$id": "/properties/Reason",
                "type": "string",
                "title": "Reason",
                "displayOrder": 1,
            },
            "Level": {
                "$id": "/properties/Level",
                "type": "integer",
                "title": "Level",
                "displayOrder": 2,
            },
        },
        "additionalProperties": False,
    },
}


def rows(keys: list[str], reason: str = "Fraud") -> list[dict[str, Any]]:
    return [{"key": k, "Reason": reason, "Level": 1} for k in keys]


@pytest.mark.parametrize(
    "key",
    [
        "+12125550100",  # a phone in E.164: `+` must survive the URL
        "ann.lee@example.com",  # an e-mail: `@`
        "a/b c%d",  # slash, space and percent
    ],
)
def test_upsert_row_keys_needing_url_encoding_round_trip(org: EmulatorHandle, key: str) -> None:
    with client_for(org) as client:
        table = client.datatables.create(TABLE)
        client.datatables.upsert_row(table["id"], rows([key])[0])
        client.datatables.upsert_row(table["id"], rows([key], "Robocall")[0])
        assert client.datatables.get_row(table["id"], key)["Reason"] == "Robocall"
        assert list(client.datatables.row_keys(table["id"])) == [key]


def test_rows_reads_full_rows_past_several_pages(org: EmulatorHandle, recorder: Recorder) -> None:
    keys = [f"1212555{i:04d}" for i in range(1050)]
    with client_for(org, recorder) as client:
        table = client.datatables.create(TABLE)
        # arranged straight in the store: this test is about reading pages, not writing rows
        org.store.put_many("datatablerow", [(r["key"], r) for r in rows(keys)], parent=table["id"])
        read = list(client.datatables.rows(table["id"]))
    assert [r["key"] for r in read] == keys
    assert all(r["Reason"] == "Fraud" for r in read)  # showbrief=false: not just the keys
    assert recorder.count("GET", "/rows") == 11


def test_replace_rows_creates_updates_and_deletes(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        table = client.datatables.create(TABLE)
        first = client.datatables.replace_rows(table["id"], rows(["a", "b", "c"]))
        second = client.datatables.replace_rows(table["id"], rows(["b", "c", "d"], "Robocall"))
        again = client.datatables.replace_rows(table["id"], rows(["b", "c", "d"], "Robocall"))
        final = list(client.datatables.rows(table["id"]))
    assert first == ReplaceResult(created=3, updated=0, deleted=0)
    assert second == ReplaceResult(created=1, updated=2, deleted=1)
    assert again == ReplaceResult(created=0, updated=3, deleted=0)
    assert final == rows(["b", "c", "d"], "Robocall")


@pytest.mark.parametrize(
    ("row", "field", "why"),
    [
        ({"key": "k", "Level": "high"}, "Level", "wrong type for an integer column"),
        ({"key": "k", "Nickname": "Bobby"}, "Nickname", "a column the schema lacks"),
    ],
)
def test_row_not_matching_schema_is_refused_naming_the_field_only(
    org: EmulatorHandle, row: dict[str, Any], field: str, why: str
) -> None:
    with client_for(org) as client:
        table = client.datatables.create(TABLE)
        with pytest.raises(GenesysError) as caught:
            client.datatables.upsert_row(table["id"], row)
    assert caught.value.status == 400 and field in str(caught.value)
    assert "high" not in str(caught.value) and "Bobby" not in str(caught.value)


def test_list_tables_includes_schema_and_find_by_name(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        created = client.datatables.create(TABLE)
        listed = list(client.datatables.list())
        found = client.datatables.find("ANI Block List")
        bare = client.datatables.get(created["id"], expand_schema=False)
    assert listed[0]["schema"]["properties"]["key"]["type"] == "string"
    assert found is not None and found["id"] == created["id"]
    assert "schema" not in bare


def test_update_table_cannot_remove_a_property(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        table = client.datatables.create(TABLE)
        schema = {**TABLE["schema"], "properties": {"key": TABLE["schema"]["properties"]["key"]}}
        with pytest.raises(GenesysError) as caught:
            client.datatables.update(table["id"], {"name": "ANI Block List", "schema": schema})
    assert caught.value.code == "flows.datatables.schema.exception"


def test_delete_row_and_table(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        table = client.datatables.create(TABLE)
        client.datatables.replace_rows(table["id"], rows(["a"]))
        client.datatables.delete_row(table["id"], "a")
        with pytest.raises(GenesysNotFoundError):
            client.datatables.get_row(table["id"], "a")
        client.datatables.delete(table["id"])
        assert client.datatables.find("ANI Block List") is None
