"""Objects whose names read alike as file names ("VIP List" and "VIP-List"; an inbound and an in-queue
flow both named "Main") each keep their own file, load step and staging copy, run after run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanitizer.pipeline import RunResult, refresh
from sanitizer.snapshot import read_clean_manifest

from .helpers import Orgs, read_org, running_orgs

ORG = {"id": "4f1c2a9e-0c1d-4e6b-9a53-00000000a001", "name": "Example Retail"}
PHONE, EMAIL = {"columnName": "Phone", "type": "cell"}, {"columnName": "Email", "type": "personal"}
# Two lists per slug "vip-list", with other columns, so an overwritten definition shows in staging.
LISTS: dict[str, tuple[str, list[str], list[dict[str, str]]]] = {
    "VIP List": (
        "0b7a7c1e-1111-4c3e-9a53-00000000c001",
        ["FirstName", "LastName", "Phone", "Email"],
        [
            {"id": "c1", "FirstName": "Avery", "LastName": "Quill", "Phone": "(212) 555-0101"},
            {"id": "c2", "FirstName": "Blake", "LastName": "Rowe", "Phone": "(212) 555-0102"},
        ],
    ),
    "VIP-List": (
        "0b7a7c1e-2222-4c3e-9a53-00000000c002",
        ["FirstName", "LastName", "Phone"],
        [{"id": "c3", "FirstName": "Casey", "LastName": "Stone", "Phone": "(212) 555-0103"}],
    ),
}
TABLES = {
    "Opening Hours": ("0b7a7c1e-3333-4c3e-9a53-00000000d001", [("mon", "09-17"), ("tue", "09-17")]),
    "Opening-Hours": ("0b7a7c1e-4444-4c3e-9a53-00000000d002", [("sat", "10-14")]),
}
FLOWS = {
    "inboundCall": ("0b7a7c1e-5555-4c3e-9a53-00000000e001", "Front door of the retail line."),
    "inQueueCall": ("0b7a7c1e-6666-4c3e-9a53-00000000e002", "Hold music of the retail line."),
}
RULES = {
    "version": 1,
    "extends": ["default", "genesys"],
    "tables": {
        "data-table:Opening?Hours": {
            "columns": {
                "key": {"operator": "keep", "reason": "a weekday"},
                "Hours": {"operator": "keep", "reason": "opening hours"},
            }
        }
    },
}


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def _seed(folder: Path) -> Path:
    """A production org holding two contact lists, two data tables and two flows that slug alike."""
    _write(folder / "org.json", ORG)
    for number, (name, (list_id, columns, rows)) in enumerate(LISTS.items()):
        definition = {
            "id": list_id,
            "name": name,
            "columnNames": columns,
            "phoneColumns": [PHONE],
            "emailColumns": [EMAIL] if "Email" in columns else [],
        }
        _write(folder / "contact-lists" / f"list-{number}.json", definition)
        lines = [",".join(["inin-outbound-id", *columns])]
        for row in rows:
            email = f"{row['FirstName'].lower()}@example.org"
            lines.append(",".join([row["id"], *(row.get(c, email) for c in columns)]))
        _write(folder / "contact-lists" / f"list-{number}.csv", "\n".join(lines) + "\n")
    for number, (name, (table_id, rows)) in enumerate(TABLES.items()):
        schema = {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "required": ["key"],
            "properties": {
                "key": {"$id": "/properties/key", "type": "string", "displayOrder": 0},
                "Hours": {"$id": "/properties/Hours", "type": "string", "displayOrder": 1},
            },
            "additionalProperties": False,
        }
        table = {"id": table_id, "name": name, "description": "", "schema": schema}
        _write(folder / "datatables" / f"table-{number}.json", table)
        text = "".join(json.dumps({"key": k, "Hours": h}) + "\n" for k, h in rows)
        _write(folder / "datatables" / f"table-{number}.rows.jsonl", text)
    index = []
    for archy_type, (flow_id, description) in FLOWS.items():
        flow = {archy_type: {"name": "Main", "description": description, "division": "Home"}}
        _write(folder / "flows" / f"{archy_type}.yaml", yaml.safe_dump(flow, sort_keys=False))
        index.append({"id": flow_id, "file": f"{archy_type}.yaml"})
    _write(folder / "flows" / "flows.json", index)
    return folder


@pytest.fixture
def alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Orgs]:
    """Production holding only the look-alike objects, an empty staging, and a run config for them."""
    seed = _seed(tmp_path / "seed")
    with running_orgs(tmp_path, production_seed=seed) as pair:
        rules = tmp_path / "rules.yaml"
        rules.write_text(yaml.safe_dump(RULES), encoding="utf-8")
        pair.write_config(rules=str(rules), extract={"external_contacts": False})
        for name, value in pair.env().items():
            monkeypatch.setenv(name, value)
        yield pair


def _steps(result: RunResult) -> dict[str, str]:
    assert result.load is not None
    return {s.step: s.status for s in result.load.steps}


def test_refresh_names_alike_each_reach_staging(alike: Orgs) -> None:
    result = refresh(alike.loaded())
    staging = read_org(alike.staging)
    assert sorted(staging.contact_list_names) == ["VIP List", "VIP-List"]
    for name, (_, columns, rows) in LISTS.items():
        contact_list = staging.contact_lists[name]
        assert contact_list["definition"]["columnNames"] == columns, name
        assert sorted(contact_list["contacts"]) == sorted(r["id"] for r in rows), name
    assert sorted(staging.data_table_names) == ["Opening Hours", "Opening-Hours"]
    for name, (_, rows) in TABLES.items():
        assert sorted(staging.data_tables[name]["rows"]) == sorted(k for k, _ in rows), name
    with alike.staging.emulator.store.transaction():
        flows = alike.staging.emulator.store.all("flow")
    assert sorted((f["name"], f["type"]) for f in flows) == [
        ("Main", "INBOUNDCALL"),
        ("Main", "INQUEUECALL"),
    ]
    assert set(_steps(result).values()) == {"done"}
    assert len(_steps(result)) == 6


def test_refresh_names_alike_keep_their_own_files_and_report_lines(alike: Orgs) -> None:
    result = refresh(alike.loaded())
    manifest = read_clean_manifest(result.snapshot_dir / "clean")
    files = [t.file for t in manifest.tables] + [f.file for f in manifest.flows]
    assert len(set(files)) == len(files) == 6
    assert sorted(t.name for t in manifest.tables) == [
        "contact-list:VIP List",
        "contact-list:VIP-List",
        "data-table:Opening Hours",
        "data-table:Opening-Hours",
    ]
    assert result.report is not None
    assert sorted(t.name for t in result.report.tables) == sorted(t.name for t in manifest.tables)
    assert all(t.output for t in result.report.tables)
    assert sorted((f.name, f.type) for f in manifest.flows) == [
        ("Main", "INBOUNDCALL"),
        ("Main", "INQUEUECALL"),
    ]


def test_refresh_names_alike_twice_is_clean_and_names_files_the_same(alike: Orgs) -> None:
    first = refresh(alike.loaded())
    second = refresh(alike.loaded())
    assert set(_steps(second).values()) == {"done"}
    files = [
        sorted(t.file for t in read_clean_manifest(r.snapshot_dir / "clean").tables)
        for r in (first, second)
    ]
    assert files[0] == files[1]
    assert sorted(read_org(alike.staging).contact_list_names) == ["VIP List", "VIP-List"]
