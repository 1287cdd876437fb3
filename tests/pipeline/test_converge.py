"""A later refresh mirrors what changed in production (gone there, gone from staging), leaves what
staging's own people created alone, replaces every pseudonym after a key rotation, and converges
objects whose structure drifted since an earlier refresh."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sanitizer.genesys import GenesysClient
from sanitizer.load import UPSERT_HOST
from sanitizer.pipeline import load_stage, refresh

from .conftest import Baseline
from .helpers import (
    PRODUCTION_SEED,
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


def _list_with_other_columns(staging: GenesysClient) -> None:
    """Production recreated the list with other columns (they cannot change in place)."""
    staging.outbound.create_contact_list(
        {
            "name": "Collections Q3",
            "columnNames": ["Cust First Nm", "Primary Ph"],
            "phoneColumns": [{"columnName": "Primary Ph", "type": "cell"}],
        }
    )


def _table_with_another_type(staging: GenesysClient) -> None:
    """Production's table was recreated with `Active` as a boolean; staging's copy has a string."""
    definition = json.loads((PRODUCTION_SEED / "datatables" / "ani-block-list.json").read_text())
    definition["schema"]["properties"]["Active"]["type"] = "string"
    staging.datatables.create({"name": definition["name"], "schema": definition["schema"]})


@pytest.mark.parametrize(
    ("drift", "kind", "name"),
    [
        pytest.param(
            _list_with_other_columns,
            "contact_lists",
            "Collections Q3",
            id="list-columns",
        ),
        pytest.param(
            _table_with_another_type,
            "data_tables",
            "ANI Block List",
            id="table-property-type",
        ),
    ],
)
def test_refresh_converges_staging_objects_whose_structure_drifted(
    orgs: Orgs, drift: Callable[[GenesysClient], None], kind: str, name: str
) -> None:
    """Staging's copy from an earlier refresh has an older structure: the next refresh still converges."""
    with api_client(orgs.staging) as staging:
        drift(staging)
    refresh(orgs.loaded())
    staged = read_org(orgs.staging)
    production = read_org(orgs.production)
    staged_object = getattr(staged, kind)[name]
    production_object = getattr(production, kind)[name]
    assert staged_object["definition"] == production_object["definition"]


@pytest.mark.slow
def test_refresh_with_a_rotated_key_replaces_every_value_without_duplicates(
    orgs: Orgs, baseline: Baseline, clean_snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Key rotation: staging's pseudonyms all change at the next refresh; nothing doubles up."""
    load_stage(orgs.loaded(), clean_snapshot)  # staging as the old key left it
    monkeypatch.setenv("SANITIZER_KEY", "rotated-scrub-key-fedcba9876543210-0123")
    refresh(orgs.loaded())
    staged = read_org(orgs.staging)
    assert staged.external_contact_count == 200
    assert {n: len(c["contacts"]) for n, c in staged.contact_lists.items()} == {
        n: len(c["contacts"]) for n, c in baseline.staging.contact_lists.items()
    }
    assert {n: t["row_count"] for n, t in staged.data_tables.items()} == {
        "Holiday Schedule": 6,
        "ANI Block List": 110,
        "VIP Customers": 80,
    }
    before = baseline.staging.contact_lists["Spring Renewal Campaign"]["contacts"]
    after = staged.contact_lists["Spring Renewal Campaign"]["contacts"]
    changed = sum(after[i]["Email"] != row["Email"] for i, row in before.items())
    assert changed == len(before)
    assert leaks(staged, production_originals()) == []
