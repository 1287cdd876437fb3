"""External contacts: the cursor scan (no 1,000-record ceiling), single calls, and bulk add/update.

`GET /api/v2/externalcontacts/contacts` stops at pageNumber*pageSize ≤ 1,000, so extraction uses
`GET /api/v2/externalcontacts/scan/contacts` (limit 10..200, `cursors.after`). Bulk calls answer
`{results:[{id, success, entity?, error?}], errorCount, errorIndexes}` (reference §3). The server
picks contact ids, so a bulk add is never retried blindly: `upsert` matches contacts on a key of the
caller's choosing and, after an ambiguous failure, scans again to see what landed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sanitizer.errors import GenesysError
from sanitizer.genesys.paging import iter_cursor
from sanitizer.genesys.retry import Transient, call_with_retries
from sanitizer.genesys.transport import Transport
from sanitizer.genesys.writes import batched, is_ambiguous

CONTACTS = "/api/v2/externalcontacts/contacts"
SCAN = "/api/v2/externalcontacts/scan/contacts"
BULK = "/api/v2/externalcontacts/bulk/contacts"
# The largest bulk request the emulator accepts; Genesys does not document one (reference §3,
# UNCONFIRMED).
DEFAULT_BULK_SIZE = 100


@dataclass(frozen=True)
class BulkItem:
    """The outcome for one entity of a bulk request, by its position in the caller's sequence."""

    index: int
    entity: dict[str, Any] | None = None
    code: str | None = None
    status: int | None = None
    is_retryable: bool = False
    fields: tuple[str, ...] = ()

    @property
    def is_ok(self) -> bool:
        return self.entity is not None and self.code is None


class BulkWriteError(GenesysError):
    """Some entities of a bulk write were refused; `items` holds every outcome, successes too."""

    def __init__(self, operation: str, items: list[BulkItem]) -> None:
        failed = [item for item in items if not item.is_ok]
        codes = sorted({item.code or "unknown" for item in failed})
        fields = sorted({name for item in failed for name in item.fields})
        shown = ", ".join(str(item.index) for item in failed[:20])
        more = f" and {len(failed) - 20} more" if len(failed) > 20 else ""
        detail = f"; fields {', '.join(fields)}" if fields else ""
        super().__init__(
            f"{len(failed)} of {len(items)} external contact(s) were refused by bulk {operation} "
            f"at index(es) {shown}{more} (codes {', '.join(codes)}{detail})",
            endpoint=f"POST {BULK}/{operation}",
        )
        self.items = items


class ExternalContactsApi:
    """`client.external_contacts`."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def scan(self, *, limit: int = 200) -> Iterator[dict[str, Any]]:
        """Every external contact of the org (all divisions), each exactly once."""
        if not 10 <= limit <= 200:
            raise ValueError("the scan limit must be 10..200")
        return iter_cursor(self._transport, SCAN, limit=limit)

    def get(self, contact_id: str) -> dict[str, Any]:
        """One external contact."""
        return dict(
            self._transport.json(
                "GET", f"{CONTACTS}/{quote(contact_id, safe='')}", endpoint=f"GET {CONTACTS}/{{id}}"
            )
        )

    def create(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Create one contact (not retried after an ambiguous failure: the server picks the id)."""
        return dict(self._transport.json("POST", CONTACTS, json=dict(entity), idempotent=False))

    def update(self, contact_id: str, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Replace one contact."""
        return dict(
            self._transport.json(
                "PUT",
                f"{CONTACTS}/{quote(contact_id, safe='')}",
                json=dict(entity),
                endpoint=f"PUT {CONTACTS}/{{id}}",
            )
        )

    def delete(self, contact_id: str) -> None:
        """Delete one contact."""
        self._transport.request(
            "DELETE",
            f"{CONTACTS}/{quote(contact_id, safe='')}",
            endpoint=f"DELETE {CONTACTS}/{{id}}",
        )

    def bulk_add(
        self, entities: Sequence[Mapping[str, Any]], *, batch_size: int = DEFAULT_BULK_SIZE
    ) -> list[dict[str, Any]]:
        """Create contacts in bulk; the created entities in request order. Raises BulkWriteError."""
        return self._bulk("add", entities, batch_size, idempotent=False)

    def bulk_update(
        self, entities: Sequence[Mapping[str, Any]], *, batch_size: int = DEFAULT_BULK_SIZE
    ) -> list[dict[str, Any]]:
        """Update contacts (each with its `id`) in bulk; retried safely. Raises BulkWriteError."""
        if any(not entity.get("id") for entity in entities):
            raise ValueError("every entity of a bulk update needs its `id`")
        return self._bulk("update", entities, batch_size, idempotent=True)

    def upsert(
        self,
        entities: Sequence[Mapping[str, Any]],
        key: Callable[[Mapping[str, Any]], str | None],
        *,
        batch_size: int = DEFAULT_BULK_SIZE,
    ) -> list[dict[str, Any]]:
        """Make the org hold exactly one contact per key: update the ones it has, add the rest.

        `key` reads a stable key from a contact (for example an `externalIds` value or a custom
        field the loader sets). After an ambiguous bulk-add failure the org is scanned again and
        only the contacts that did not land are added, so nothing is ever duplicated. Returns
        entities in input order.
        """
        keys = [key(entity) for entity in entities]
        if any(k is None for k in keys) or len(set(keys)) != len(keys):
            raise ValueError("every entity needs a distinct, non-empty upsert key")
        existing = self._index(key)
        results: list[dict[str, Any] | None] = [None] * len(entities)
        updates = [i for i, k in enumerate(keys) if k in existing]
        if updates:
            updated = self.bulk_update(
                [{**entities[i], "id": existing[str(keys[i])]["id"]} for i in updates],
                batch_size=batch_size,
            )
            for i, entity in zip(updates, updated, strict=True):
                results[i] = entity
        adds = [i for i, k in enumerate(keys) if k not in existing]
        for batch in batched(adds, batch_size):
            self._add_landing_once(entities, keys, list(batch), key, results)
        return [entity for entity in results if entity is not None]

    def _add_landing_once(
        self,
        entities: Sequence[Mapping[str, Any]],
        keys: list[str | None],
        batch: list[int],
        key: Callable[[Mapping[str, Any]], str | None],
        results: list[dict[str, Any] | None],
    ) -> None:
        pending = batch

        def attempt(number: int) -> None:
            nonlocal pending
            if number > 1:  # the last try failed ambiguously: see what landed before adding again
                landed = self._index(key)
                for i in pending:
                    if keys[i] in landed:
                        results[i] = landed[str(keys[i])]
                pending = [i for i in pending if keys[i] not in landed]
                if not pending:
                    return
            try:
                added = self._bulk("add", [entities[i] for i in pending], len(pending), False)
            except GenesysError as exc:
                if is_ambiguous(exc):
                    raise Transient(exc) from exc
                raise
            for i, entity in zip(pending, added, strict=True):
                results[i] = entity

        call_with_retries(self._transport.retry, attempt)

    def _index(self, key: Callable[[Mapping[str, Any]], str | None]) -> dict[str, dict[str, Any]]:
        index: dict[str, dict[str, Any]] = {}
        for entity in self.scan():
            k = key(entity)
            if k is not None:
                index.setdefault(k, entity)
        return index

    def _bulk(
        self,
        operation: str,
        entities: Sequence[Mapping[str, Any]],
        batch_size: int,
        idempotent: bool,
    ) -> list[dict[str, Any]]:
        items: list[BulkItem] = []
        for number, batch in enumerate(batched(entities, batch_size)):
            body = self._transport.json(
                "POST",
                f"{BULK}/{operation}",
                json={"entities": [dict(entity) for entity in batch]},
                idempotent=idempotent,
            )
            items.extend(_items(body, batch, number * batch_size))
        if any(not item.is_ok for item in items):
            raise BulkWriteError(operation, items)
        return [item.entity for item in items if item.entity is not None]


def _items(body: Any, batch: Sequence[Mapping[str, Any]], offset: int) -> list[BulkItem]:
    """Per-entity outcomes in request order.

    Results may come back in any order: those with a known id go to that entity, failures go to the
    positions `errorIndexes` names, and the rest fill the remaining positions in server order.
    """
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or len(results) != len(batch):
        raise GenesysError("the bulk response does not have one result per entity", endpoint=BULK)
    ordered: list[dict[str, Any] | None] = [None] * len(batch)
    by_id = {str(entity["id"]): i for i, entity in enumerate(batch) if entity.get("id")}
    leftovers = []
    for result in results:
        i = by_id.get(_result_id(result))
        if i is not None and ordered[i] is None:
            ordered[i] = result
        else:
            leftovers.append(result)
    free = [i for i, result in enumerate(ordered) if result is None]
    failures = [r for r in leftovers if not r.get("success")]
    error_indexes = body.get("errorIndexes")
    slots = [i for i in error_indexes or [] if i in free] if isinstance(error_indexes, list) else []
    if failures and len(slots) == len(failures):
        for i, result in zip(slots, failures, strict=True):
            ordered[i] = result
        free = [i for i in free if i not in slots]
        leftovers = [r for r in leftovers if r.get("success")]
    for i, result in zip(free, leftovers, strict=True):
        ordered[i] = result
    return [_item(offset + i, result or {}) for i, result in enumerate(ordered)]


def _result_id(result: dict[str, Any]) -> str:
    entity = result.get("entity")
    entity_id = entity.get("id") if isinstance(entity, dict) else None
    return str(result.get("id") or entity_id or "")


def _item(index: int, result: dict[str, Any]) -> BulkItem:
    if result.get("success"):
        entity = result.get("entity")
        return BulkItem(
            index, entity=entity if isinstance(entity, dict) else {"id": result.get("id")}
        )
    error = result.get("error")
    error = error if isinstance(error, dict) else {}
    details = error.get("details")
    details = details if isinstance(details, list) else []
    fields = tuple(
        sorted({str(d["fieldName"]) for d in details if isinstance(d, dict) and d.get("fieldName")})
    )
    status = error.get("status")
    return BulkItem(
        index,
        code=str(error.get("code") or "unknown"),
        status=status if isinstance(status, int) else None,
        is_retryable=bool(error.get("retryable")),
        fields=fields,
    )
