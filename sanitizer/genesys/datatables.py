"""Architect data tables: tables with their JSON schema, and rows keyed by the `key` property.

Reference §4. Rows are listed with `showbrief=false` (the default, true, returns only keys). A row's
id in the URL is its key value, which may be a phone number or an e-mail, so endpoint labels in
errors and logs use the `{rowId}` template, never the key. Row writes are upserts by key and so safe
to retry: `PUT .../rows/{key}` updates, `POST .../rows` creates. Whether PUT on a missing key
creates the row is not documented; we assume it answers 404 and then POST (UNCONFIRMED, see
docs/genesys-client.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sanitizer.errors import GenesysError, GenesysNotFoundError
from sanitizer.genesys.paging import iter_pages
from sanitizer.genesys.transport import Transport
from sanitizer.genesys.writes import create_or_recover

TABLES = "/api/v2/flows/datatables"
KEY = "key"
_ROWS = f"{TABLES}/{{datatableId}}/rows"
_ROW = f"{TABLES}/{{datatableId}}/rows/{{rowId}}"


@dataclass(frozen=True)
class ReplaceResult:
    """What `replace_rows` changed."""

    created: int
    updated: int
    deleted: int


class DataTablesApi:
    """`client.datatables`."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def list(
        self, *, expand_schema: bool = True, name: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every data table (with its schema unless told otherwise), all pages."""
        params: dict[str, Any] = {}
        if expand_schema:
            params["expand"] = "schema"
        if name is not None:
            params["name"] = name
        return iter_pages(self._transport, TABLES, params, page_size=100)

    def find(self, name: str) -> dict[str, Any] | None:
        """The data table with exactly this name (names are unique in an org), or None."""
        for table in self.list(name=name):
            if table.get("name") == name:
                return table
        return None

    def get(self, table_id: str, *, expand_schema: bool = True) -> dict[str, Any]:
        """One data table."""
        params = {"expand": "schema"} if expand_schema else {}
        return dict(
            self._transport.json(
                "GET", _table(table_id), params=params, endpoint=f"GET {TABLES}/{{datatableId}}"
            )
        )

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a table (`name`, `schema`); after an ambiguous failure, find it by name first."""
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("a data table body needs a non-empty `name`")

        def create() -> dict[str, Any]:
            return dict(self._transport.json("POST", TABLES, json=dict(body), idempotent=False))

        return create_or_recover(self._transport.retry, create, lambda: self.find(name))

    def update(self, table_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Replace a table's definition (properties can be added, not removed)."""
        return dict(
            self._transport.json(
                "PUT",
                _table(table_id),
                params={"expand": "schema"},
                json=dict(body),
                endpoint=f"PUT {TABLES}/{{datatableId}}",
            )
        )

    def delete(self, table_id: str) -> None:
        """Delete a table and its rows."""
        self._transport.request(
            "DELETE", _table(table_id), endpoint=f"DELETE {TABLES}/{{datatableId}}"
        )

    def rows(self, table_id: str) -> Iterator[dict[str, Any]]:
        """Every full row of a table (`showbrief=false`), all pages."""
        return iter_pages(
            self._transport,
            f"{_table(table_id)}/rows",
            {"showbrief": False},
            page_size=100,
            endpoint=f"GET {_ROWS}",
        )

    def row_keys(self, table_id: str) -> Iterator[str]:
        """The key of every row (`showbrief=true`: the server sends keys only)."""
        for row in iter_pages(
            self._transport,
            f"{_table(table_id)}/rows",
            {"showbrief": True},
            page_size=100,
            endpoint=f"GET {_ROWS}",
        ):
            yield str(row[KEY])

    def get_row(self, table_id: str, key: str) -> dict[str, Any]:
        """One full row by key."""
        return dict(
            self._transport.json(
                "GET", _row(table_id, key), params={"showbrief": False}, endpoint=f"GET {_ROW}"
            )
        )

    def create_row(self, table_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """Create one row (fails if the key exists)."""
        return dict(
            self._transport.json(
                "POST",
                f"{_table(table_id)}/rows",
                json=dict(row),
                endpoint=f"POST {_ROWS}",
                idempotent=False,
            )
        )

    def update_row(self, table_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """Replace one existing row (404 if the key does not exist)."""
        return dict(
            self._transport.json(
                "PUT", _row(table_id, _key(row)), json=dict(row), endpoint=f"PUT {_ROW}"
            )
        )

    def upsert_row(self, table_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace the row with this key; safe to retry and to re-run."""
        try:
            return self.update_row(table_id, row)
        except GenesysNotFoundError:
            return self._create_or_update(table_id, row)

    def delete_row(self, table_id: str, key: str) -> None:
        """Delete one row by key."""
        self._transport.request("DELETE", _row(table_id, key), endpoint=f"DELETE {_ROW}")

    def replace_rows(self, table_id: str, rows: Iterable[Mapping[str, Any]]) -> ReplaceResult:
        """Make the table hold exactly `rows`: create new keys, update others, delete the rest."""
        wanted = {_key(row): row for row in rows}
        present = set(self.row_keys(table_id))
        deleted = 0
        for key in sorted(present - wanted.keys()):
            self.delete_row(table_id, key)
            deleted += 1
        created = updated = 0
        for key, row in wanted.items():
            if key in present:
                self.update_row(table_id, row)
                updated += 1
            else:
                self._create_or_update(table_id, row)
                created += 1
        return ReplaceResult(created=created, updated=updated, deleted=deleted)

    def _create_or_update(self, table_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """POST a row we believe new. After an ambiguous failure, look before posting again; if the
        key turns out to exist (an earlier attempt or another writer made it), PUT instead."""
        key = _key(row)

        def find() -> dict[str, Any] | None:
            try:
                self.get_row(table_id, key)
            except GenesysNotFoundError:
                return None
            return self.update_row(table_id, row)

        try:
            return create_or_recover(
                self._transport.retry, lambda: self.create_row(table_id, row), find
            )
        except GenesysError as exc:
            if exc.status not in (400, 409):
                raise
            try:  # a duplicate key: 409 in the emulator; the real code is UNCONFIRMED
                return self.update_row(table_id, row)
            except GenesysNotFoundError:
                raise exc from None


def _table(table_id: str) -> str:
    return f"{TABLES}/{quote(table_id, safe='')}"


def _row(table_id: str, key: str) -> str:
    return f"{_table(table_id)}/rows/{quote(key, safe='')}"


def _key(row: Mapping[str, Any]) -> str:
    value = row.get(KEY)
    if value is None or value == "":
        raise ValueError("a data table row needs a non-empty `key`")
    return str(value)
