"""Architect data tables and their rows (reference §4).

The schema is the JSON-schema document Genesys expects (the Terraform provider hard-codes it): an
object whose `key` property is a string and is required, other properties typed
string/integer/number/boolean, `additionalProperties: false`; properties cannot be removed later.
Rows must match the schema or the write is refused with a 400 naming the property (never the value).
Row paging is by key, ascending unless `sortOrder=descending`. Refusal codes are the emulator's
choice (UNCONFIRMED): a duplicate key is a 409, a missing one a 404.
"""

from __future__ import annotations

import fnmatch
from typing import Annotated, Any
from urllib.parse import quote

import jsonschema
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response

from sanitizer.emulator.listing import check_page, paged
from sanitizer.emulator.oauth import emulator_of, require_token
from sanitizer.emulator.problems import ApiProblem, bad_request, not_found
from sanitizer.emulator.state import Emulator, home_division, new_id

router = APIRouter(dependencies=[Depends(require_token)])

TABLES = "/api/v2/flows/datatables"
TABLE_KIND = "datatable"
ROW_KIND = "datatablerow"
KEY = "key"
_TYPES = frozenset({"string", "integer", "number", "boolean"})
_SCHEMA_CODE = "flows.datatables.schema.exception"


def create_table(emulator: Emulator, body: Any, *, table_id: str | None = None) -> dict[str, Any]:
    """Validate and store a new data table; the stored table."""
    if not isinstance(body, dict) or not str(body.get("name") or "").strip():
        raise bad_request("A data table needs a name.", fields=["name"])
    name = str(body["name"])
    if any(t["name"].lower() == name.lower() for t in emulator.store.all(TABLE_KIND)):
        raise bad_request("A data table with this name already exists.", code="duplicate.name")
    table_id = table_id or new_id()
    table = {
        "id": table_id,
        "name": name,
        "description": body.get("description", ""),
        "division": home_division(),
        "schema": {**_valid_schema(body.get("schema")), "title": name},
        "selfUri": f"{TABLES}/{table_id}",
    }
    emulator.store.put(TABLE_KIND, table_id, table)
    return table


def put_row(
    emulator: Emulator, table_id: str, row: Any, *, key: str | None = None, is_new: bool
) -> dict[str, Any]:
    """Create (`is_new`) or replace a row after checking it against the schema; the stored row."""
    table = _table(emulator, table_id)
    if not isinstance(row, dict):
        raise bad_request("A row must be a JSON object.")
    stored: dict[str, Any] = dict(row)
    if key is not None and stored.setdefault(KEY, key) != key:
        raise bad_request("The row's key does not match the URL.", fields=[KEY])
    _check_row(table["schema"], stored)
    exists = emulator.store.get(ROW_KIND, stored[KEY], parent=table_id) is not None
    if is_new and exists:
        raise ApiProblem(409, "flows.datatables.row.exists", "A row with this key already exists.")
    if not is_new and not exists:
        raise not_found("data table row")
    emulator.store.put(ROW_KIND, stored[KEY], stored, parent=table_id)
    return stored


@router.get(TABLES)
async def list_tables(
    request: Request,
    expand: str | None = None,
    pageSize: int = 25,
    pageNumber: int = 1,
    name: str | None = None,
    sortBy: str = "id",
    sortOrder: str = "ascending",
) -> dict[str, Any]:
    """Data tables (name is a case-insensitive pattern where `*` is a wildcard)."""
    number, size = check_page(pageNumber, pageSize, max_size=500)
    tables = emulator_of(request).store.all(TABLE_KIND)
    if name is not None:
        pattern = name.lower()
        tables = [t for t in tables if fnmatch.fnmatchcase(t["name"].lower(), pattern)]
    tables.sort(key=lambda t: str(t.get(sortBy if sortBy in ("id", "name") else "id")).lower())
    if sortOrder.lower().startswith("desc"):
        tables.reverse()
    return paged(request, [_shown(t, expand) for t in tables], number, size)


@router.post(TABLES)
async def post_table(request: Request, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    """Create a data table."""
    return create_table(emulator_of(request), body)


@router.get(TABLES + "/{table_id}")
async def get_table(request: Request, table_id: str, expand: str | None = None) -> dict[str, Any]:
    """One data table."""
    return _shown(_table(emulator_of(request), table_id), expand)


@router.put(TABLES + "/{table_id}")
async def put_table(
    request: Request, table_id: str, body: Annotated[Any, Body()] = None, expand: str | None = None
) -> dict[str, Any]:
    """Update name, description or schema; properties may be added, never removed."""
    emulator = emulator_of(request)
    table = _table(emulator, table_id)
    if not isinstance(body, dict):
        raise bad_request("The body must be a data table object.")
    schema = _valid_schema(body.get("schema", table["schema"]))
    removed = sorted(set(table["schema"]["properties"]) - set(schema["properties"]))
    if removed:
        raise bad_request(
            "Properties cannot be removed from a data table.", code=_SCHEMA_CODE, fields=removed
        )
    name = str(body.get("name") or table["name"])
    table.update(name=name, description=body.get("description", table.get("description", "")))
    table["schema"] = {**schema, "title": name}
    emulator.store.put(TABLE_KIND, table_id, table)
    return _shown(table, expand)


@router.delete(TABLES + "/{table_id}")
async def delete_table(request: Request, table_id: str) -> Response:
    """Delete a data table and its rows."""
    emulator = emulator_of(request)
    _table(emulator, table_id)
    with emulator.store.transaction():
        emulator.store.delete_all(ROW_KIND, parent=table_id)
        emulator.store.delete(TABLE_KIND, table_id)
    return Response(status_code=204)


@router.get(TABLES + "/{table_id}/rows")
async def list_rows(
    request: Request,
    table_id: str,
    pageSize: int = 25,
    pageNumber: int = 1,
    showbrief: bool = True,
    sortOrder: str = "ascending",
) -> dict[str, Any]:
    """Rows by key; only the keys unless `showbrief=false`."""
    emulator = emulator_of(request)
    _table(emulator, table_id)
    number, size = check_page(pageNumber, pageSize, max_size=500)
    rows = sorted(emulator.store.all(ROW_KIND, parent=table_id), key=lambda r: str(r[KEY]))
    if sortOrder.lower().startswith("desc"):
        rows.reverse()
    shown = [{KEY: r[KEY]} if showbrief else r for r in rows]
    return paged(request, shown, number, size)


@router.post(TABLES + "/{table_id}/rows")
async def post_row(
    request: Request, table_id: str, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Create a row."""
    return put_row(emulator_of(request), table_id, body, is_new=True)


@router.get(TABLES + "/{table_id}/rows/{row_id:path}")
async def get_row(
    request: Request, table_id: str, row_id: str, showbrief: bool = True
) -> dict[str, Any]:
    """One row by key."""
    emulator = emulator_of(request)
    _table(emulator, table_id)
    row = emulator.store.get(ROW_KIND, row_id, parent=table_id)
    if row is None:
        raise not_found("data table row")
    return {KEY: row[KEY]} if showbrief else row


@router.put(TABLES + "/{table_id}/rows/{row_id:path}")
async def put_existing_row(
    request: Request, table_id: str, row_id: str, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Replace an existing row."""
    return put_row(emulator_of(request), table_id, body, key=row_id, is_new=False)


@router.delete(TABLES + "/{table_id}/rows/{row_id:path}")
async def delete_row(request: Request, table_id: str, row_id: str) -> Response:
    """Delete a row."""
    emulator = emulator_of(request)
    _table(emulator, table_id)
    if not emulator.store.delete(ROW_KIND, row_id, parent=table_id):
        raise not_found("data table row")
    return Response(status_code=204)


def row_uri(table_id: str, key: str) -> str:
    """The URI of a row (its key, percent-encoded)."""
    return f"{TABLES}/{table_id}/rows/{quote(key, safe='')}"


def _table(emulator: Emulator, table_id: str) -> dict[str, Any]:
    table = emulator.store.get(TABLE_KIND, table_id)
    if table is None:
        raise not_found("data table")
    return table


def _shown(table: dict[str, Any], expand: str | None) -> dict[str, Any]:
    if expand and "schema" in expand.split(","):
        return table
    return {k: v for k, v in table.items() if k != "schema"}


def _valid_schema(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise bad_request(
            "A data table needs a schema with properties.", code=_SCHEMA_CODE, fields=["schema"]
        )
    properties = schema["properties"]
    key = properties.get(KEY)
    if not isinstance(key, dict) or key.get("type") != "string":
        raise bad_request(
            "The schema needs a string property named key.", code=_SCHEMA_CODE, fields=[KEY]
        )
    bad = sorted(
        name
        for name, spec in properties.items()
        if not isinstance(spec, dict) or spec.get("type") not in _TYPES
    )
    if bad:
        raise bad_request(
            "Property types must be string, integer, number or boolean.",
            code=_SCHEMA_CODE,
            fields=bad,
        )
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        **schema,
        "type": "object",
        "required": sorted({KEY, *schema.get("required", [])}),
        "additionalProperties": False,
    }


def _check_row(schema: dict[str, Any], row: dict[str, Any]) -> None:
    if not isinstance(row.get(KEY), str) or not row[KEY]:
        raise bad_request("The row needs a non-empty string key.", code=_SCHEMA_CODE, fields=[KEY])
    validator = jsonschema.Draft4Validator(schema)
    fields: set[str] = set()
    for error in validator.iter_errors(row):
        if error.validator == "additionalProperties":
            fields |= set(row) - set(schema["properties"])
        elif error.path:
            fields.add(str(error.path[0]))
        else:
            fields.add(str(error.validator))
    if fields:
        raise bad_request(
            "The row does not match the data table's schema: " + ", ".join(sorted(fields)),
            code=_SCHEMA_CODE,
            fields=sorted(fields),
        )
