"""A later refresh mirrors what changed in production (gone there, gone from staging) and leaves what
staging's own people created alone: only objects sanitizer loaded are replaced or removed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from sanitizer.load import UPSERT_HOST
from sanitizer.pipeline import refresh

from .helpers import (
    Orgs,
    api_client,
    leaks,
    phones_in,
    production_originals,
    read_org,
    readings,
    strings_of,
)

TESTER = {
    "firstName": "Quinn",
    "lastName": "Tester",
    "workEmail": "quinn.tester@example.com",
    "workPhone": {"display": "+1 415 555 0199", "e164": "+14155550199"},
}
TESTER_TABLE: dict[str, Any] = {
    "name": "Staging Only Flags",
    "description": "made by hand in staging",
    "schema": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["key"],
        "properties": {
            "key": {"$id": "/properties/key", "type": "string", "title": "Flag"},
            "On": {"$id": "/properties/On", "type": "boolean", "title": "On"},
        },
        "additionalProperties": False,
    },
}


@pytest.mark.slow
def test_refresh_again_mirrors_production_deletions_and_keeps_staging_own_objects(
    orgs: Orgs,
) -> None:
    refresh(orgs.loaded())
    with api_client(orgs.production) as production:
        gone = next(iter(production.external_contacts.scan()))
        production.external_contacts.delete(str(gone["id"]))
        ani = production.datatables.find("ANI Block List")
        assert ani is not None
        gone_key = next(iter(production.datatables.row_keys(str(ani["id"]))))
        production.datatables.delete_row(str(ani["id"]), gone_key)
    with api_client(orgs.staging) as staging:
        own = staging.external_contacts.create(TESTER)
        table = staging.datatables.create(TESTER_TABLE)
        staging.datatables.create_row(str(table["id"]), {"key": "dark-launch", "On": True})

    refresh(orgs.loaded())

    staged = read_org(orgs.staging)
    assert UPSERT_HOST + str(gone["id"]) not in staged.external_contacts
    loaded = [k for k in staged.external_contacts if k.startswith(UPSERT_HOST)]
    assert len(loaded) == 199
    assert staged.external_contacts[str(own["id"])]["firstName"] == "Quinn"
    assert staged.data_tables["ANI Block List"]["row_count"] == 109
    assert staged.data_tables["Staging Only Flags"]["rows"] == {
        "dark-launch": {"key": "dark-launch", "On": True}
    }
    # The fixture's "real" values are fictional, like the replacements: once deleted from production a
    # value is no longer an original the run avoids, and a replacement may come out equal to it. Real
    # numbers and mailboxes lie outside the safe ranges, so this cannot happen with real data.
    deleted = {t for _, t in strings_of(gone, "")}
    deleted_phones = {r for t in deleted for p in phones_in(t) for r in readings(p)}
    originals = production_originals()
    current = replace(
        originals,
        emails=originals.emails - {t.casefold() for t in deleted},
        phones_by_source={"current": originals.phones - deleted_phones - {"+" + gone_key}},
        full_names=originals.full_names - {f"{gone['firstName']} {gone['lastName']}".casefold()},
    )
    assert leaks(staged, current) == []
