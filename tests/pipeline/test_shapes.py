"""Refreshes of production data shaped unlike the fixture org: tables without rows, and external
contacts whose fields differ from one contact to the next."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sanitizer.load import UPSERT_HOST
from sanitizer.pipeline import refresh
from sanitizer.snapshot import MANIFEST

from .helpers import PRODUCTION_SEED, STAGING_SEED, Orgs, is_reserved_email, read_org, running_orgs

ANI_TABLE = PRODUCTION_SEED / "datatables" / "ani-block-list.json"
CONTACTS = [
    json.loads(line)
    for line in (PRODUCTION_SEED / "external-contacts.jsonl").read_text("utf-8").splitlines()[:2]
]
# Fields the second contact has and the first lacks: optional fields of a real org.
LATER_FIELDS = ("personalEmail", "lineId", "identifiers", "externalIds", "address")


def _seed(folder: Path, contacts: list[dict[str, Any]], ani_rows: list[dict[str, Any]]) -> Path:
    """An org folder holding the fixture's ANI block list with `ani_rows`, and `contacts`."""
    (folder / "datatables").mkdir(parents=True)
    shutil.copyfile(PRODUCTION_SEED / "org.json", folder / "org.json")
    shutil.copyfile(ANI_TABLE, folder / "datatables" / ANI_TABLE.name)
    lines = "".join(json.dumps(row) + "\n" for row in ani_rows)
    (folder / "datatables" / "ani-block-list.rows.jsonl").write_text(lines, "utf-8")
    lines = "".join(json.dumps(contact) + "\n" for contact in contacts)
    (folder / "external-contacts.jsonl").write_text(lines, "utf-8")
    return folder


@pytest.fixture
def shaped_orgs(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Orgs]:
    """Production seeded from `request.param` (contacts, ANI rows); staging holding what an earlier
    refresh loaded: an external contact and ANI rows production no longer has."""
    contacts, ani_rows = request.param
    staging = _seed(
        tmp_path / "staging-seed",
        [{"firstName": "Old", "lastName": "Load", "externalSystemUrl": UPSERT_HOST + "gone"}],
        [{"key": "12015550100", "Reason": "Fraud", "Blocked Since": "2025-01-02", "Active": True}],
    )
    shutil.copyfile(STAGING_SEED / "org.json", staging / "org.json")
    production = _seed(tmp_path / "production-seed", contacts, ani_rows)
    with running_orgs(tmp_path, staging_seed=staging, production_seed=production) as orgs:
        for name, value in orgs.env().items():
            monkeypatch.setenv(name, value)
        # One record per batch: a field first seen in the second contact is first seen in batch 2.
        orgs.write_config(
            extract={"contact_lists": None, "flows": None, "data_tables": {"names": ["*"]}},
            batch_rows=1,
        )
        yield orgs


@pytest.mark.parametrize("shaped_orgs", [([], [])], indirect=True)
def test_refresh_empty_data_table_and_no_external_contacts_loads_them_empty(
    shaped_orgs: Orgs,
) -> None:
    result = refresh(shaped_orgs.loaded())

    assert result.report is not None
    assert {t.name: t.rows for t in result.report.tables} == {
        "external-contacts": 0,
        "data-table:ANI Block List": 0,
    }
    manifest = json.loads((result.snapshot_dir / "clean" / MANIFEST).read_text("utf-8"))
    ani = next(t for t in manifest["tables"] if t["kind"] == "data_table")
    # The clean table has the definition's columns, in their types, and no rows.
    assert (ani["rows"], [(c["name"], c["type"]) for c in ani["columns"]]) == (
        0,
        [
            ("key", "string"),
            ("Reason", "string"),
            ("Blocked Since", "string"),
            ("Active", "bool"),
            ("Notes", "string"),
        ],
    )
    staging = read_org(shaped_orgs.staging)
    production = read_org(shaped_orgs.production)
    assert staging.data_table_names == ["ANI Block List"]
    wanted = production.data_tables["ANI Block List"]["definition"]
    assert staging.data_tables["ANI Block List"]["definition"] == wanted
    assert staging.data_tables["ANI Block List"]["row_count"] == 0
    assert staging.external_contact_count == 0


def _without(contact: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in contact.items() if k not in fields}


@pytest.mark.parametrize(
    "shaped_orgs", [([_without(CONTACTS[0], LATER_FIELDS), CONTACTS[1]], [])], indirect=True
)
def test_refresh_fields_only_a_later_contact_has_reach_staging(shaped_orgs: Orgs) -> None:
    first, second = CONTACTS
    result = refresh(shaped_orgs.loaded())

    assert result.report is not None
    (table,) = [t for t in result.report.tables if t.name == "external-contacts"]
    reported = {c.name.split(".")[0].split("[")[0] for c in table.columns}
    manifest = json.loads((result.snapshot_dir / "clean" / MANIFEST).read_text("utf-8"))
    (contacts,) = [t for t in manifest["tables"] if t["kind"] == "external_contacts"]
    # Every column the report lists as scrubbed is in the clean snapshot.
    assert reported <= {c["name"] for c in contacts["columns"]}
    staging = read_org(shaped_orgs.staging).external_contacts
    later = staging[UPSERT_HOST + second["id"]]
    # identifiers belong to the production org and are not loaded (sanitizer.load._ORG_FIELDS).
    assert {"personalEmail", "lineId", "externalIds", "address"} <= set(later)
    assert later["personalEmail"] != second["personalEmail"]
    assert is_reserved_email(later["personalEmail"])
    assert later["lineId"]["displayName"] and later["lineId"]["ids"][0]["userId"]
    assert later["lineId"]["ids"][0]["userId"] != second["lineId"]["ids"][0]["userId"]
    assert later["address"]["postalCode"] and later["address"]["city"] != second["address"]["city"]
    # read_org leaves ids out (they differ between orgs).
    assert [e["externalSource"]["name"] for e in later["externalIds"]] == [
        e["externalSource"]["name"] for e in second["externalIds"]
    ]
    assert not set(LATER_FIELDS) & set(staging[UPSERT_HOST + first["id"]])
