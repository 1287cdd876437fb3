"""Fill a new emulated org from a fixture directory (layout in docs/emulator.md and fixtures/orgs/).

    org.json                          {"id", "name", "thirdPartyOrgName"}
    contact-lists/<name>.json         a ContactList body with its "id"
    contact-lists/<name>.csv          header `inin-outbound-id` + the list's columnNames
    external-contacts.jsonl           one ExternalContact (with "id") per line
    datatables/<name>.json            {"id", "name", "description", "schema"}
    datatables/<name>.rows.jsonl      one row per line
    flows/flows.json                  [{"id", "file"}]; each file is Archy YAML in flows/

Everything goes through the same validation as the API, so a fixture the real API would refuse
fails here too, with the file (and line) named.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sanitizer.emulator import datatables, external_contacts, flows, outbound
from sanitizer.emulator.problems import ApiProblem
from sanitizer.emulator.state import Emulator
from sanitizer.errors import InputError


@dataclass(frozen=True)
class SeedSummary:
    """What a seed put into the org (all zero when the org already existed)."""

    is_seeded: bool
    contact_lists: int = 0
    contacts: int = 0
    external_contacts: int = 0
    datatables: int = 0
    rows: int = 0
    flows: int = 0


def seed_org(emulator: Emulator, fixture_dir: Path) -> SeedSummary:
    """Load a fixture org into an empty store; leave an existing org untouched."""
    if emulator.store.get("org", "me") is not None:
        return SeedSummary(is_seeded=False)
    if not fixture_dir.is_dir():
        raise InputError(f"the seed directory {fixture_dir} does not exist")
    org = _json(fixture_dir / "org.json")
    if not isinstance(org, dict) or not org.get("id") or not org.get("name"):
        raise InputError(f"{fixture_dir / 'org.json'}: expected an object with id and name")
    counts = {"contact_lists": 0, "contacts": 0, "external_contacts": 0, "datatables": 0}
    counts.update(rows=0, flows=0)
    with emulator.store.transaction():
        for path in sorted((fixture_dir / "contact-lists").glob("*.json")):
            counts["contacts"] += _contact_list(emulator, path)
            counts["contact_lists"] += 1
        for line, entity in _jsonl(fixture_dir / "external-contacts.jsonl"):
            where = f"{fixture_dir / 'external-contacts.jsonl'} line {line}"
            _apply(
                where,
                lambda e=entity: external_contacts.create_contact(
                    emulator, e, contact_id=e.get("id")
                ),
            )
            counts["external_contacts"] += 1
        for path in sorted((fixture_dir / "datatables").glob("*.json")):
            counts["rows"] += _datatable(emulator, path)
            counts["datatables"] += 1
        counts["flows"] = _flows(emulator, fixture_dir / "flows")
        emulator.store.put(
            "org", "me", {k: org[k] for k in ("id", "name", "thirdPartyOrgName") if k in org}
        )
    return SeedSummary(is_seeded=True, **counts)


def _contact_list(emulator: Emulator, path: Path) -> int:
    body = _json(path)
    _apply(str(path), lambda: outbound.create_contact_list(emulator, body, list_id=body.get("id")))
    list_id = body["id"]
    csv_path = path.with_suffix(".csv")
    if not csv_path.exists():
        return 0
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    contacts = [{"id": row.pop("inin-outbound-id", None), "data": row} for row in rows]
    for start in range(0, len(contacts), 1000):
        batch = contacts[start : start + 1000]
        _apply(
            f"{csv_path} rows {start + 2}..{start + 1 + len(batch)}",
            lambda b=batch: outbound.add_contacts(emulator, list_id, b),
        )
    return len(contacts)


def _datatable(emulator: Emulator, path: Path) -> int:
    body = _json(path)
    _apply(str(path), lambda: datatables.create_table(emulator, body, table_id=body.get("id")))
    rows_path = path.with_name(path.stem + ".rows.jsonl")
    count = 0
    for line, row in _jsonl(rows_path):
        _apply(
            f"{rows_path} line {line}",
            lambda r=row: datatables.put_row(emulator, body["id"], r, is_new=True),
        )
        count += 1
    return count


def _flows(emulator: Emulator, folder: Path) -> int:
    index_path = folder / "flows.json"
    if not index_path.exists():
        return 0
    entries = _json(index_path)
    for entry in entries:
        path = folder / entry["file"]
        try:
            flows.publish_flow(emulator, path.read_bytes(), flow_id=entry.get("id"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: {exc}") from exc
    return len(entries)


def _apply(where: str, action: Any) -> None:
    try:
        action()
    except ApiProblem as problem:
        raise InputError(
            f"{where}: the emulator refused it ({problem.code}: {problem.message})"
        ) from None


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read JSON ({type(exc).__name__})") from exc


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError:
                raise InputError(f"{path} line {number}: not a JSON object") from None
