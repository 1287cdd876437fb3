"""External contacts: listing (1,000-record ceiling), cursor scan, single and bulk calls (reference
§3).

Validation: `firstName` and `lastName` are required (SDK model; the UI says the same), phone fields
are PhoneNumber objects, e-mail fields look like addresses. A phone without `e164` gets one computed
from `display` (Genesys normalises numbers; the exact rules are UNCONFIRMED). Bulk requests carry at
most 200 entities (UNCONFIRMED: Genesys documents no figure) and answer per entity, in request
order.
"""

from __future__ import annotations

import base64
import re
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response

from sanitizer.emulator.listing import check_page, paged
from sanitizer.emulator.oauth import emulator_of, require_token
from sanitizer.emulator.problems import ApiProblem, bad_request, not_found
from sanitizer.emulator.state import Emulator, home_division, new_id, now_iso

router = APIRouter(dependencies=[Depends(require_token)])

CONTACTS = "/api/v2/externalcontacts/contacts"
SCAN = "/api/v2/externalcontacts/scan/contacts"
BULK = "/api/v2/externalcontacts/bulk/contacts"
KIND = "externalcontact"
PHONE_FIELDS = ("workPhone", "cellPhone", "homePhone", "otherPhone")
EMAIL_FIELDS = ("workEmail", "personalEmail", "otherEmail")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SERVER_FIELDS = ("id", "selfUri", "createDate", "modifyDate")


def create_contact(
    emulator: Emulator, entity: Any, *, contact_id: str | None = None
) -> dict[str, Any]:
    """Validate and store a new external contact; the stored entity."""
    contact = _validated(entity)
    contact_id = contact_id or new_id()
    stamp = now_iso()
    contact.update(
        id=contact_id, createDate=stamp, modifyDate=stamp, selfUri=f"{CONTACTS}/{contact_id}"
    )
    contact.setdefault("division", home_division())
    contact.setdefault("type", "Curated")
    emulator.store.put(KIND, contact_id, contact)
    return contact


def update_contact(emulator: Emulator, contact_id: str, entity: Any) -> dict[str, Any]:
    """Validate and replace an external contact; the stored entity."""
    current = emulator.store.get(KIND, contact_id)
    if current is None:
        raise not_found("external contact")
    contact = _validated(entity)
    for name in ("id", "selfUri", "createDate", "division", "type"):
        if name in current:
            contact[name] = current[name]
    contact["modifyDate"] = now_iso()
    emulator.store.put(KIND, contact_id, contact)
    return contact


@router.get(CONTACTS)
async def list_contacts(
    request: Request,
    pageSize: int = 20,
    pageNumber: int = 1,
    q: str | None = None,
) -> dict[str, Any]:
    """Contacts page by page; only the first 1,000 records can be reached."""
    number, size = check_page(pageNumber, pageSize, max_size=100)
    if number * size > 1000:
        raise bad_request(
            "pageNumber * pageSize must be less than or equal to 1000; use the scan endpoint.",
            fields=["pageNumber", "pageSize"],
        )
    contacts = emulator_of(request).store.all(KIND)
    if q:
        needle = q.lower()
        contacts = [c for c in contacts if needle in _searchable(c)]
    return paged(request, contacts, number, size)


@router.get(SCAN)
async def scan_contacts(
    request: Request, limit: int = 100, cursor: str | None = None
) -> dict[str, Any]:
    """Every contact, `limit` (10..200) at a time, with an opaque `cursors.after`."""
    if not 10 <= limit <= 200:
        raise bad_request("limit must be between 10 and 200.", fields=["limit"])
    position = _position(cursor)
    rows = emulator_of(request).store.after(KIND, "", position, limit + 1)
    page = rows[:limit]
    body: dict[str, Any] = {
        "entities": [entity for _, entity in page],
        "selfUri": f"{SCAN}?limit={limit}" + (f"&cursor={cursor}" if cursor else ""),
    }
    if len(rows) > limit:
        after = base64.urlsafe_b64encode(str(page[-1][0]).encode()).decode()
        body["cursors"] = {"after": after}
        body["nextUri"] = f"{SCAN}?limit={limit}&cursor={after}"
    return body


@router.post(CONTACTS)
async def post_contact(request: Request, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    """Create one contact."""
    return create_contact(emulator_of(request), body)


@router.get(CONTACTS + "/{contact_id}")
async def get_contact(request: Request, contact_id: str) -> dict[str, Any]:
    """One contact."""
    contact = emulator_of(request).store.get(KIND, contact_id)
    if contact is None:
        raise not_found("external contact")
    return contact


@router.put(CONTACTS + "/{contact_id}")
async def put_contact(
    request: Request, contact_id: str, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Replace one contact."""
    return update_contact(emulator_of(request), contact_id, body)


@router.delete(CONTACTS + "/{contact_id}")
async def delete_contact(request: Request, contact_id: str) -> Response:
    """Delete one contact."""
    if not emulator_of(request).store.delete(KIND, contact_id):
        raise not_found("external contact")
    return Response(status_code=204)


@router.post(BULK + "/{operation}")
async def bulk(
    request: Request, operation: str, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Bulk add, update, remove (or fetch, as `/bulk/contacts` below) with per-entity results."""
    emulator = emulator_of(request)
    entities = body.get("entities") if isinstance(body, dict) else None
    if operation not in ("add", "update", "remove") or not isinstance(entities, list):
        raise bad_request('The body must be {"entities": [...]}.', fields=["entities"])
    limit = emulator.config.max_bulk_entities
    if len(entities) > limit:
        raise bad_request(
            f"A bulk request may carry at most {limit} entities.", fields=["entities"]
        )
    results: list[dict[str, Any]] = []
    with emulator.store.transaction():
        for entity in entities:
            results.append(_one(emulator, operation, entity))
    failed = [i for i, result in enumerate(results) if not result["success"]]
    return {"results": results, "errorCount": len(failed), "errorIndexes": failed}


@router.post(BULK)
async def bulk_fetch(request: Request, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    """Fetch contacts by id in bulk."""
    entities = body.get("entities") if isinstance(body, dict) else None
    if not isinstance(entities, list):
        raise bad_request('The body must be {"entities": [{"id": ...}]}.', fields=["entities"])
    emulator = emulator_of(request)
    results = []
    for entity in entities:
        contact_id = str(entity.get("id")) if isinstance(entity, dict) else ""
        found = emulator.store.get(KIND, contact_id)
        results.append(
            {"id": contact_id, "success": True, "entity": found}
            if found
            else _failure(contact_id, ApiProblem(404, "not.found", "Not found."))
        )
    failed = [i for i, result in enumerate(results) if not result["success"]]
    return {"results": results, "errorCount": len(failed), "errorIndexes": failed}


def _one(emulator: Emulator, operation: str, entity: Any) -> dict[str, Any]:
    contact_id = str(entity.get("id") or "") if isinstance(entity, dict) else ""
    try:
        if operation == "add":
            stored = create_contact(emulator, entity)
        elif operation == "update":
            if not contact_id:
                raise bad_request("An update needs the contact id.", fields=["id"])
            stored = update_contact(emulator, contact_id, entity)
        else:
            if not emulator.store.delete(KIND, contact_id):
                raise not_found("external contact")
            return {"id": contact_id, "success": True}
    except ApiProblem as problem:
        return _failure(contact_id, problem)
    return {"id": stored["id"], "success": True, "entity": stored}


def _failure(contact_id: str, problem: ApiProblem) -> dict[str, Any]:
    # The real error also echoes the entity; the emulator leaves it out so nothing echoes values.
    return {
        "id": contact_id or None,
        "success": False,
        "error": {
            "code": problem.code,
            "message": problem.message,
            "status": problem.status,
            "retryable": problem.status >= 500,
            "details": [{"fieldName": name, "message": problem.message} for name in problem.fields],
        },
    }


def _validated(entity: Any) -> dict[str, Any]:
    if not isinstance(entity, dict):
        raise bad_request("The body must be an external contact object.")
    contact = {k: v for k, v in entity.items() if k not in _SERVER_FIELDS and v is not None}
    missing = [k for k in ("firstName", "lastName") if not str(contact.get(k) or "").strip()]
    if missing:
        raise bad_request("firstName and lastName are required.", fields=missing)
    for name in PHONE_FIELDS:
        if name in contact:
            contact[name] = _phone(contact[name], name)
    for name in EMAIL_FIELDS:
        if name in contact and not (isinstance(contact[name], str) and _EMAIL.match(contact[name])):
            raise bad_request(f"{name} is not a valid e-mail address.", fields=[name])
    return contact


def _phone(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be a PhoneNumber object.", fields=[name])
    phone = dict(value)
    if not phone.get("e164") and phone.get("display"):
        try:
            parsed = phonenumbers.parse(str(phone["display"]), phone.get("countryCode") or "US")
        except phonenumbers.NumberParseException:
            return phone
        phone["e164"] = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        phone.setdefault("countryCode", phonenumbers.region_code_for_number(parsed) or "US")
    return phone


def _position(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The cursor is not valid.", fields=["cursor"]) from None


def _searchable(contact: dict[str, Any]) -> str:
    parts = [str(contact.get(k, "")) for k in ("firstName", "lastName", *EMAIL_FIELDS)]
    parts += [str((contact.get(k) or {}).get("e164", "")) for k in PHONE_FIELDS]
    return " ".join(parts).lower()
