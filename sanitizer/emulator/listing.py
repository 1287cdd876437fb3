"""Numbered listings in the real `*EntityListing` shape.

Fields: `entities, pageSize, pageNumber, total, pageCount, firstUri, lastUri, selfUri, nextUri,
previousUri`. The exact URI format is not documented (reference §2, UNCONFIRMED); the emulator uses
the request path with `pageSize` and `pageNumber` set, other query parameters kept.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from sanitizer.emulator.problems import bad_request


def check_page(page_number: int, page_size: int, *, max_size: int) -> tuple[int, int]:
    """Validated paging parameters; a page size above `max_size` is clamped, as Genesys does."""
    if page_number < 1 or page_size < 1:
        raise bad_request(
            "pageNumber and pageSize must be positive.", fields=["pageNumber", "pageSize"]
        )
    return page_number, min(page_size, max_size)


def listing(
    request: Request, entities: list[Any], total: int, page_number: int, page_size: int
) -> dict[str, Any]:
    """One page of a listing with its paging fields and URIs."""
    page_count = math.ceil(total / page_size) if total else 0

    def uri(number: int) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k not in _PAGING]
        query += [("pageSize", str(page_size)), ("pageNumber", str(number))]
        return f"{request.url.path}?{urlencode(query)}"

    body: dict[str, Any] = {
        "entities": entities,
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": uri(1),
        "selfUri": uri(page_number),
        "lastUri": uri(max(page_count, 1)),
    }
    if page_number < page_count:
        body["nextUri"] = uri(page_number + 1)
    if page_number > 1:
        body["previousUri"] = uri(page_number - 1)
    return body


def paged(request: Request, items: list[Any], page_number: int, page_size: int) -> dict[str, Any]:
    """A listing page cut from a full list."""
    start = (page_number - 1) * page_size
    return listing(request, items[start : start + page_size], len(items), page_number, page_size)


_PAGING = frozenset({"pageSize", "pageNumber"})
