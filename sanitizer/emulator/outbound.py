"""Outbound contact lists: definitions, contacts, export to CSV, clear (reference §2).

What the emulator refuses, with a 400 ErrorBody, because the real API does too or very likely does:
- a list without name or columns, a phone/email column that is not one of `columnNames`, no
  contactable column at all (the Terraform provider requires one), a name already in use
  (UNCONFIRMED code);
- an update that changes `columnNames` or `phoneColumns` (real code `cannot.update.phone.columns`,
  quoted in terraform-provider-genesyscloud PR #412) or carries a stale `version`;
- more than 1,000 contacts in one add (the community figure, UNCONFIRMED) or contact data with a
  column the list does not have (whole request refused; code UNCONFIRMED).
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import RedirectResponse, Response
from phonenumbers import timezone as phone_timezone

from sanitizer.emulator.downloads import download_uri, keep_download
from sanitizer.emulator.listing import check_page, paged
from sanitizer.emulator.oauth import emulator_of, require_token
from sanitizer.emulator.problems import ApiProblem, bad_request, not_found
from sanitizer.emulator.state import Emulator, home_division, new_id, now_iso

router = APIRouter(dependencies=[Depends(require_token)])

LISTS = "/api/v2/outbound/contactlists"
LIST_KIND = "contactlist"
CONTACT_KIND = "contact"
EXPORT_KIND = "contactlistexport"
_FIELDS = (
    "name",
    "columnNames",
    "phoneColumns",
    "emailColumns",
    "whatsAppColumns",
    "previewModeColumnName",
    "previewModeAcceptedValues",
    "attemptLimits",
    "automaticTimeZoneMapping",
    "zipCodeColumnName",
    "columnDataTypeSpecifications",
    "trimWhitespace",
)


def create_contact_list(
    emulator: Emulator, body: Any, *, list_id: str | None = None
) -> dict[str, Any]:
    """Validate and store a new contact list; the stored definition."""
    definition = _validated(body)
    if any(other["name"] == definition["name"] for other in emulator.store.all(LIST_KIND)):
        raise bad_request("A contact list with this name already exists.", code="duplicate.name")
    stamp = now_iso()
    list_id = list_id or new_id()
    definition.update(
        id=list_id,
        version=1,
        dateCreated=stamp,
        dateModified=stamp,
        division=home_division(),
        selfUri=f"{LISTS}/{list_id}",
    )
    emulator.store.put(LIST_KIND, list_id, definition)
    return definition


def add_contacts(emulator: Emulator, list_id: str, contacts: Any) -> list[dict[str, Any]]:
    """Validate and upsert contacts by id (all or none); the stored DialerContacts."""
    definition = _list(emulator, list_id)
    limit = emulator.config.max_contacts_per_request
    if not isinstance(contacts, list):
        raise bad_request("The body must be a list of contacts.")
    if len(contacts) > limit:
        raise bad_request(
            f"A request may add at most {limit} contacts; it had {len(contacts)}.",
            code="contact.list.batch.size.exceeded",
        )
    columns = set(definition["columnNames"])
    stored = []
    for index, contact in enumerate(contacts):
        if not isinstance(contact, dict) or not isinstance(contact.get("data"), dict):
            raise bad_request(f"Contact {index} needs a data object.", fields=["data"])
        if contact.get("contactListId", list_id) != list_id:
            raise bad_request(
                f"Contact {index} names another contact list.", fields=["contactListId"]
            )
        unknown = sorted(set(contact["data"]) - columns)
        if unknown:
            raise bad_request(
                f"Contact {index} has data for columns the contact list does not define: "
                + ", ".join(unknown),
                code="invalid.contact.column",
                fields=unknown,
            )
        contact_id = str(contact.get("id") or new_id())
        stored.append(
            (
                contact_id,
                {
                    "id": contact_id,
                    "contactListId": list_id,
                    "data": {k: _text(v) for k, v in contact["data"].items()},
                    "callable": contact.get("callable", True),
                    "phoneNumberStatus": contact.get("phoneNumberStatus") or {},
                    "contactableStatus": contact.get("contactableStatus") or {},
                    "dateCreated": now_iso(),
                    "selfUri": f"{LISTS}/{list_id}/contacts/{contact_id}",
                },
            )
        )
    emulator.store.put_many(CONTACT_KIND, stored, parent=list_id)
    return [body for _, body in stored]


def export_csv(definition: dict[str, Any], contacts: list[dict[str, Any]]) -> bytes:
    """The export file: BOM, the oddly quoted id header, the list's columns, then system columns.

    Header and system columns as in the Terraform provider's test fixture (reference §2); the line
    ending and the system columns of several phone columns are UNCONFIRMED.
    """
    phones = [c["columnName"] for c in definition.get("phoneColumns") or []]
    system = ["ContactCallable"]
    for prefix in (
        "AutomaticTimeZone",
        "Callable",
        "CallRecordLastAttempt",
        "CallRecordLastResult",
    ):
        system += [f"{prefix}-{p}" for p in phones]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = io.StringIO()
    csv.writer(header, lineterminator="").writerow([*definition["columnNames"], *system])
    out.write('\ufeff""inin-outbound-id"",' + header.getvalue() + "\n")
    for contact in contacts:
        data = contact["data"]
        row = [contact["id"], *(data.get(c, "") for c in definition["columnNames"])]
        row.append("true" if contact.get("callable", True) else "false")
        row += [_time_zone(data.get(p, "")) for p in phones]
        row += ["true" for _ in phones] + ["" for _ in phones] + ["" for _ in phones]
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


@router.get(LISTS)
async def list_contact_lists(
    request: Request,
    pageSize: int = 25,
    pageNumber: int = 1,
    name: str | None = None,
    filterType: str = "Prefix",
    includeSize: bool = False,
) -> dict[str, Any]:
    """Contact lists, filtered by name (Prefix or Equals), 100 per page at most."""
    emulator = emulator_of(request)
    number, size = check_page(pageNumber, pageSize, max_size=100)
    lists = emulator.store.all(LIST_KIND)
    if name is not None:
        wanted = name.lower()
        if filterType == "Equals":
            lists = [c for c in lists if c["name"].lower() == wanted]
        else:
            lists = [c for c in lists if c["name"].lower().startswith(wanted)]
    lists = sorted(lists, key=lambda c: c["name"].lower())
    return paged(request, [_shown(emulator, c, includeSize) for c in lists], number, size)


@router.post(LISTS)
async def post_contact_list(
    request: Request, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Create a contact list."""
    return create_contact_list(emulator_of(request), body)


@router.get(LISTS + "/{list_id}")
async def get_contact_list(
    request: Request, list_id: str, includeSize: bool = False
) -> dict[str, Any]:
    """One contact list."""
    emulator = emulator_of(request)
    return _shown(emulator, _list(emulator, list_id), includeSize)


@router.put(LISTS + "/{list_id}")
async def put_contact_list(
    request: Request, list_id: str, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Update a contact list (same columns, current version)."""
    emulator = emulator_of(request)
    current = _list(emulator, list_id)
    definition = _validated(body)
    if body.get("version") != current["version"]:
        raise ApiProblem(409, "version.mismatch", "The version does not match the current one.")
    if definition["columnNames"] != current["columnNames"]:
        raise bad_request(
            "An attempt was made to update a ContactList in an invalid way. "
            "Details: Column names are different",
            code="cannot.update.column.names",
        )
    if _column_set(definition, "phoneColumns") != _column_set(current, "phoneColumns"):
        raise bad_request(
            "An attempt was made to update a ContactList in an invalid way. "
            "Details: Phone number columns are different",
            code="cannot.update.phone.columns",
        )
    updated = {**current, **definition}
    updated.update(version=current["version"] + 1, dateModified=now_iso())
    emulator.store.put(LIST_KIND, list_id, updated)
    return updated


@router.delete(LISTS + "/{list_id}", status_code=204)
async def delete_contact_list(request: Request, list_id: str) -> Response:
    """Delete a contact list and its contacts."""
    emulator = emulator_of(request)
    _list(emulator, list_id)
    with emulator.store.transaction():
        emulator.store.delete_all(CONTACT_KIND, parent=list_id)
        emulator.store.delete(EXPORT_KIND, list_id)
        emulator.store.delete(LIST_KIND, list_id)
    return Response(status_code=204)


@router.post(LISTS + "/{list_id}/contacts")
async def post_contacts(
    request: Request, list_id: str, body: Annotated[Any, Body()] = None
) -> list[dict[str, Any]]:
    """Add contacts (an existing id is updated). Query flags are accepted and ignored."""
    return add_contacts(emulator_of(request), list_id, body)


@router.get(LISTS + "/{list_id}/contacts/{contact_id}")
async def get_contact(request: Request, list_id: str, contact_id: str) -> dict[str, Any]:
    """One contact."""
    emulator = emulator_of(request)
    _list(emulator, list_id)
    contact = emulator.store.get(CONTACT_KIND, contact_id, parent=list_id)
    if contact is None:
        raise not_found("contact")
    return contact


@router.post(LISTS + "/{list_id}/clear", status_code=204)
async def clear_contacts(request: Request, list_id: str) -> Response:
    """Delete every contact of the list."""
    emulator = emulator_of(request)
    _list(emulator, list_id)
    emulator.store.delete_all(CONTACT_KIND, parent=list_id)
    return Response(status_code=204)


@router.post(LISTS + "/{list_id}/export")
async def start_export(
    request: Request, list_id: str, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Start an export; the file is ready after `job_polls` polls of `GET .../export`."""
    emulator = emulator_of(request)
    definition = _list(emulator, list_id)
    content = export_csv(definition, emulator.store.all(CONTACT_KIND, parent=list_id))
    blob_id = keep_download(emulator, content, "text/csv; charset=utf-8")
    job = {"id": new_id(), "blobId": blob_id, "pollsLeft": emulator.config.job_polls}
    job["exportTimestamp"] = now_iso()
    emulator.store.put(EXPORT_KIND, list_id, job)
    return {"id": job["id"], "selfUri": f"{LISTS}/{list_id}/export"}


@router.get(LISTS + "/{list_id}/export")
async def get_export(request: Request, list_id: str, download: str = "false") -> Any:
    """The export's URI once ready; 404 before (the real API answers 404 or 400 while not ready)."""
    emulator = emulator_of(request)
    _list(emulator, list_id)
    job = emulator.store.get(EXPORT_KIND, list_id)
    if job is None:
        raise ApiProblem(404, "no.available.list.export.uri", "No export is available.")
    if job["pollsLeft"] > 0:
        job["pollsLeft"] -= 1
        emulator.store.put(EXPORT_KIND, list_id, job)
        raise ApiProblem(404, "no.available.list.export.uri", "The export is not ready yet.")
    uri = download_uri(request, job["blobId"])
    if download.lower() == "true":
        return RedirectResponse(uri, status_code=303)
    return {"uri": uri, "exportTimestamp": job["exportTimestamp"]}


def _list(emulator: Emulator, list_id: str) -> dict[str, Any]:
    definition = emulator.store.get(LIST_KIND, list_id)
    if definition is None:
        raise not_found("contact list")
    return definition


def _shown(emulator: Emulator, definition: dict[str, Any], include_size: bool) -> dict[str, Any]:
    if not include_size:
        return definition
    return {**definition, "size": emulator.store.count(CONTACT_KIND, parent=definition["id"])}


def _validated(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("The body must be a contact list object.")
    definition = {k: body[k] for k in _FIELDS if k in body and body[k] is not None}
    name = definition.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("A contact list needs a name.", fields=["name"])
    columns = definition.get("columnNames")
    if (
        not isinstance(columns, list)
        or not columns
        or not all(isinstance(c, str) and c for c in columns)
        or len(set(columns)) != len(columns)
    ):
        raise bad_request(
            "columnNames must be a non-empty list of distinct names.", fields=["columnNames"]
        )
    contactable = 0
    for group, time_key in (
        ("phoneColumns", "callableTimeColumn"),
        ("emailColumns", "contactableTimeColumn"),
        ("whatsAppColumns", "contactableTimeColumn"),
    ):
        for column in definition.get(group) or []:
            if not isinstance(column, dict) or column.get("columnName") not in columns:
                raise bad_request(
                    f"Every entry of {group} must name one of columnNames.", fields=[group]
                )
            if column.get(time_key) not in (None, "") and column[time_key] not in columns:
                raise bad_request(f"{time_key} must name one of columnNames.", fields=[group])
            contactable += 1
    if contactable == 0:
        raise bad_request(
            "A contact list needs at least one phone, email or WhatsApp column.",
            fields=["phoneColumns", "emailColumns"],
        )
    return definition


def _column_set(definition: dict[str, Any], group: str) -> list[tuple[str, str]]:
    return sorted(
        (str(c.get("columnName")), str(c.get("type"))) for c in definition.get(group) or []
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _time_zone(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return ""
    zones = [z for z in phone_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    return zones[0] if zones else ""
