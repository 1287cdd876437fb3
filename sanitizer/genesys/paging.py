"""Walk every page of a listing: numbered pages (`pageNumber`/`pageCount`) and cursors
(`cursors.after`).

Numbered listings (`*EntityListing`) carry `entities, pageSize, pageNumber, total, pageCount,
nextUri...`. We step `pageNumber` ourselves rather than follow `nextUri`, whose exact format is not
documented (reference §2, UNCONFIRMED), and stop at `pageCount`, at an empty page, or when `nextUri`
is absent. The external-contacts scan is cursor-paged (`cursors.after`, reference §3).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sanitizer.errors import GenesysError
from sanitizer.genesys.transport import Params, Transport

# A guard against a server that never reports the last page.
_MAX_PAGES = 100_000


def iter_pages(
    transport: Transport,
    path: str,
    params: Params | None = None,
    *,
    page_size: int = 100,
    endpoint: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every entity of a numbered listing, in server order, each page fetched once."""
    label = endpoint or f"GET {path}"
    for number in range(1, _MAX_PAGES + 1):
        query = {**(params or {}), "pageNumber": number, "pageSize": page_size}
        body = _listing(transport.json("GET", path, params=query, endpoint=label), label)
        entities = body["entities"]
        yield from entities
        page_count = body.get("pageCount")
        if not entities:
            return
        if isinstance(page_count, int):
            if number >= page_count:
                return
        elif not body.get("nextUri"):
            return
    raise GenesysError(f"gave up after {_MAX_PAGES} pages", endpoint=label)


def iter_cursor(
    transport: Transport,
    path: str,
    params: Params | None = None,
    *,
    limit: int = 200,
    endpoint: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every entity of a cursor-paged listing (`cursor` in, `cursors.after` or `nextUri` out)."""
    label = endpoint or f"GET {path}"
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        query: dict[str, Any] = {**(params or {}), "limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        body = _listing(transport.json("GET", path, params=query, endpoint=label), label)
        yield from body["entities"]
        cursor = _next_cursor(body)
        if cursor is None or not body["entities"]:
            return
    raise GenesysError(f"gave up after {_MAX_PAGES} pages", endpoint=label)


def _next_cursor(body: dict[str, Any]) -> str | None:
    cursors = body.get("cursors")
    if isinstance(cursors, dict) and isinstance(cursors.get("after"), str) and cursors["after"]:
        return str(cursors["after"])
    next_uri = body.get("nextUri")
    if isinstance(next_uri, str) and next_uri:
        values = parse_qs(urlsplit(next_uri).query).get("cursor")
        if values:
            return values[0]
    return None


def _listing(body: Any, label: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("entities", []), list):
        raise GenesysError(
            "the API answered with something that is not a listing",
            endpoint=label,
            hint="expected a JSON object with an `entities` list",
        )
    body.setdefault("entities", [])
    return body
