"""Outbound contact lists: definitions, contents (export to CSV, add in batches), clear, delete.

Endpoints and shapes: reference §2 (SDK `OutboundApi`). The export is asynchronous: `POST
.../export`, poll `GET .../export` (404 or 400 while not ready, as the Terraform provider handles
it) until it names a `uri`, then download that URI with the bearer token. The CSV starts with a
UTF-8 BOM, its first header cell reads `""inin-outbound-id""`, and system columns
(`ContactCallable`, `Callable-<col>`...) follow the list's own columns; `read_export` undoes all of
that.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from sanitizer.errors import GenesysError, GenesysNotFoundError, InputError
from sanitizer.genesys.paging import iter_pages
from sanitizer.genesys.polling import PollPolicy, poll
from sanitizer.genesys.transport import Transport
from sanitizer.genesys.writes import batched, create_or_recover

LISTS = "/api/v2/outbound/contactlists"
CONTACT_ID_COLUMN = "inin-outbound-id"
# The most contacts one `POST .../contacts` accepts (community figure; reference §2, UNCONFIRMED).
MAX_CONTACTS_PER_REQUEST = 1000


class OutboundApi:
    """`client.outbound`."""

    def __init__(self, transport: Transport, poll_policy: PollPolicy) -> None:
        self._transport = transport
        self._poll = poll_policy

    def list_contact_lists(
        self, *, name: str | None = None, include_size: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Every contact list (optionally those whose name starts with `name`), all pages."""
        params: dict[str, Any] = {"includeSize": include_size}
        if name is not None:
            params["name"] = name
        return iter_pages(self._transport, LISTS, params, page_size=100)

    def find_contact_list(self, name: str) -> dict[str, Any] | None:
        """The contact list with exactly this name, or None."""
        for entity in self.list_contact_lists(name=name):
            if entity.get("name") == name:
                return entity
        return None

    def get_contact_list(self, list_id: str, *, include_size: bool = False) -> dict[str, Any]:
        """One contact list definition."""
        return dict(
            self._transport.json(
                "GET",
                f"{LISTS}/{quote(list_id, safe='')}",
                params={"includeSize": include_size},
                endpoint=f"GET {LISTS}/{{contactListId}}",
            )
        )

    def create_contact_list(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a contact list; after an ambiguous failure, find it by name, never duplicate."""
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("a contact list body needs a non-empty `name`")

        def create() -> dict[str, Any]:
            return dict(self._transport.json("POST", LISTS, json=dict(body), idempotent=False))

        return create_or_recover(
            self._transport.retry, create, lambda: self.find_contact_list(name)
        )

    def update_contact_list(self, list_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Replace a contact list definition (`body` must carry the current `version`)."""
        return dict(
            self._transport.json(
                "PUT",
                f"{LISTS}/{quote(list_id, safe='')}",
                json=dict(body),
                endpoint=f"PUT {LISTS}/{{contactListId}}",
            )
        )

    def delete_contact_list(self, list_id: str) -> None:
        """Delete a contact list and its contacts."""
        self._transport.request(
            "DELETE",
            f"{LISTS}/{quote(list_id, safe='')}",
            endpoint=f"DELETE {LISTS}/{{contactListId}}",
        )

    def clear_contacts(self, list_id: str) -> None:
        """Delete every contact of a list (clearing twice is harmless, so it is retried)."""
        self._transport.request(
            "POST",
            f"{LISTS}/{quote(list_id, safe='')}/clear",
            endpoint=f"POST {LISTS}/{{contactListId}}/clear",
            idempotent=True,
        )

    def add_contacts(
        self,
        list_id: str,
        contacts: Iterable[Mapping[str, Any]],
        *,
        batch_size: int = MAX_CONTACTS_PER_REQUEST,
    ) -> int:
        """Add or update contacts in batches; returns how many were written.

        Each contact needs the `id` we choose and its `data` (column → string). Posting a contact
        whose id exists updates it, so a retried batch cannot duplicate anything.
        """
        if not 1 <= batch_size <= MAX_CONTACTS_PER_REQUEST:
            raise ValueError(f"batch_size must be 1..{MAX_CONTACTS_PER_REQUEST}")
        path = f"{LISTS}/{quote(list_id, safe='')}/contacts"
        written = 0
        for number, batch in enumerate(batched(contacts, batch_size)):
            body = []
            for offset, contact in enumerate(batch):
                if not contact.get("id") or not isinstance(contact.get("data"), Mapping):
                    raise ValueError(
                        f"contact {number * batch_size + offset} needs an `id` and a `data` mapping"
                    )
                body.append({**contact, "contactListId": list_id})
            self._transport.request(
                "POST",
                path,
                json=body,
                endpoint=f"POST {LISTS}/{{contactListId}}/contacts",
                idempotent=True,
            )
            written += len(body)
        return written

    def export_contacts(self, list_id: str) -> bytes:
        """The list's contents as the org exports them (CSV bytes with BOM and system columns)."""
        path = f"{LISTS}/{quote(list_id, safe='')}/export"
        label = f"{LISTS}/{{contactListId}}/export"
        previous = self._export_uri(path, label)
        self._transport.request("POST", path, json={}, endpoint=f"POST {label}", idempotent=True)

        def ready() -> dict[str, Any] | None:
            current = self._export_uri(path, label)
            return current if current is not None and current != previous else None

        export = poll(ready, self._poll, what="the contact list export", endpoint=f"GET {label}")
        response = self._transport.request(
            "GET",
            export["uri"],
            endpoint="GET {contact list export download uri}",
            follow_redirects=True,
        )
        return response.content

    def _export_uri(self, path: str, label: str) -> dict[str, Any] | None:
        try:
            body = self._transport.json("GET", path, endpoint=f"GET {label}")
        except GenesysNotFoundError:
            return None
        except GenesysError as exc:
            if (
                exc.status == 400
            ):  # "not ready" is sometimes a 400 (Terraform provider handles both)
                return None
            raise
        if isinstance(body, dict) and isinstance(body.get("uri"), str) and body["uri"]:
            return {"uri": body["uri"], "exportTimestamp": body.get("exportTimestamp")}
        return None


def read_export(data: bytes, column_names: Sequence[str], *, source: str) -> list[dict[str, str]]:
    """Rows of an export: `inin-outbound-id` and the list's own columns; system columns dropped.

    `source` names the list in errors (never a value). Raises InputError when a column is missing.
    """
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(reader)
    except StopIteration:
        raise InputError(f"the export of {source} is empty (no header row)") from None
    header = [_clean_header(cell) for cell in raw_header]
    wanted = [CONTACT_ID_COLUMN, *column_names]
    missing = [name for name in wanted if name not in header]
    if missing:
        raise InputError(
            f"the export of {source} lacks column(s) {', '.join(missing)}",
            hint="the list definition and its export disagree; export again",
        )
    positions = [header.index(name) for name in wanted]
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            raise InputError(
                f"the export of {source} has {len(cells)} cells on line {line}; "
                f"expected {len(header)}"
            )
        rows.append({name: cells[pos] for name, pos in zip(wanted, positions, strict=True)})
    return rows


def _clean_header(cell: str) -> str:
    # The first header cell comes as BOM + `""inin-outbound-id""`; strip invisible marks and stray
    # quotes.
    return cell.replace("\ufeff", "").strip().strip('"').strip()
