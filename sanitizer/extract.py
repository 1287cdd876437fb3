"""Extract: read contact lists, external contacts, data tables and flows from the production org.

Everything extracted goes straight into the encrypted vault of the raw snapshot. Contact history,
recordings, conversations and analytics are never read: no code path here can reach them.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import pyarrow as pa

from sanitizer.config import ExtractConfig
from sanitizer.errors import InputError
from sanitizer.genesys.client import GenesysClient
from sanitizer.snapshot import RawFlow, RawManifest, RawTable, Vault, slug

log = logging.getLogger("sanitizer.extract")
CONTACT_ID = "inin-outbound-id"
Progress = Callable[[str, str, int], None]

# The parts of a contact list definition that describe its structure (ids of prod-only objects are left out).
LIST_FIELDS = (
    "name",
    "columnNames",
    "phoneColumns",
    "emailColumns",
    "whatsAppColumns",
    "previewModeColumnName",
    "previewModeAcceptedValues",
    "automaticTimeZoneMapping",
    "zipCodeColumnName",
    "columnDataTypeSpecifications",
    "trimWhitespace",
)


def _wanted(name: str, object_id: str, names: list[str], ids: list[str], everything: bool) -> bool:
    return (
        everything
        or object_id in ids
        or any(fnmatch.fnmatchcase(name, pattern) for pattern in names)
    )


def file_stems(prefix: str, objects: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The vault file stem of each (id, name): `<prefix>-<slug>`, unique among `objects`.

    Names that slug alike ("VIP List", "VIP-List") each get a short hash of their object id as well:
    neither overwrites the other, and a re-run names every file the same, whatever order the org
    lists them in.
    """
    plain = {object_id: f"{prefix}-{slug(name)}" for object_id, name in objects}
    counts = Counter(plain.values())
    stems = {i: _tagged(s, i) if counts[s] > 1 else s for i, s in plain.items()}
    # A name may spell another's tagged stem ("VIP List 1a2b3c4d"): it is tagged too.
    tagged = {s for i, s in stems.items() if s != plain[i]}
    stems = {i: _tagged(s, i) if s in tagged and s == plain[i] else s for i, s in stems.items()}
    if len(set(stems.values())) != len(stems):
        raise InputError(f"two {prefix} objects would share a snapshot file; nothing was extracted")
    return stems


def _tagged(stem: str, object_id: str) -> str:
    return f"{stem}-{hashlib.sha256(object_id.encode()).hexdigest()[:8]}"


def user_columns(
    export_csv: bytes, definition: dict[str, Any], list_name: str
) -> tuple[bytes, int]:
    """The export reduced to the contact id and the list's own columns (system columns are the dialer's).

    Re-importing system columns fails with CONTACT_COLUMNS_LIMIT_EXCEEDED (reference §2), and they
    describe dialing, not the contact, so the snapshot never holds them.
    """
    text = export_csv.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().strip('"').strip("\ufeff\u200b") for name in next(reader, [])]
    columns = [CONTACT_ID, *[str(c) for c in definition.get("columnNames", [])]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            f"contact list {list_name!r}: the export has no column {missing[0]!r} (expected {CONTACT_ID} "
            "and the list's columnNames)"
        )
    positions = [header.index(c) for c in columns]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    rows = 0
    for number, row in enumerate(reader, start=1):
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(
                f"contact list {list_name!r}: export row {number} has {len(row)} fields, the header {len(header)}"
            )
        writer.writerow([row[p] for p in positions])
        rows += 1
    return out.getvalue().encode("utf-8"), rows


def _store(
    vault: Vault,
    manifest: RawManifest,
    kind: Literal["contact_list", "data_table"],
    name: str,
    source_id: str,
    file: str,
    data: bytes,
    definition: str,
) -> None:
    """Put an extracted table and its definition into the vault, and list them in the manifest."""
    definition_file = file.rsplit(".", 1)[0] + ".definition.json"
    vault.put(file, data)
    vault.put(definition_file, definition.encode())
    prefix = "contact-list" if kind == "contact_list" else "data-table"
    manifest.tables.append(
        RawTable(
            name=f"{prefix}:{name}",
            kind=kind,
            source_id=source_id,
            source_name=name,
            file=file,
            format="csv" if file.endswith(".csv") else "jsonl",
            definition=definition_file,
        )
    )


# Arrow types of the property types a data table's JSON schema declares (reference §4).
_PROPERTY_TYPES = {"boolean": pa.bool_(), "integer": pa.int64(), "number": pa.float64()}


def row_schema(definition: dict[str, Any]) -> pa.Schema:
    """The columns of a data table's rows, in display order, from the definition the extract stores
    (its rows tell them too, but a table may have none)."""
    properties = (definition.get("schema") or {}).get("properties") or {}
    names = sorted(properties, key=lambda n: properties[n].get("displayOrder", len(properties)))
    return pa.schema(
        [(n, _PROPERTY_TYPES.get(properties[n].get("type"), pa.string())) for n in names]
    )


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
    ).encode()


def extract(
    client: GenesysClient,
    config: ExtractConfig,
    vault: Vault,
    run_id: str,
    org: dict[str, Any],
    progress: Progress | None = None,
) -> RawManifest:
    """Read what the config asks for into the vault; the manifest lists it (names and ids only)."""
    manifest = RawManifest(
        run_id=run_id,
        created_at=datetime.now(UTC),
        source_org_id=str(org.get("id", "")),
        source_org_name=str(org.get("name", "")),
    )
    if config.contact_lists is not None:
        _contact_lists(client, config, vault, manifest, progress)
    if config.external_contacts:
        records = []
        for record in client.external_contacts.scan():
            records.append(record)
            if progress and len(records) % 1000 == 0:
                progress("extract", "external contacts", len(records))
        vault.put("external-contacts.jsonl", _jsonl(records))
        manifest.tables.append(
            RawTable(
                name="external-contacts",
                kind="external_contacts",
                source_id="externalcontacts",
                source_name="External contacts",
                file="external-contacts.jsonl",
                format="jsonl",
            )
        )
        log.info("extracted external contacts", extra={"rows": len(records)})
    if config.data_tables is not None:
        _data_tables(client, config, vault, manifest, progress)
    if config.flows is not None:
        _flows(client, config, vault, manifest)
    return manifest


def _contact_lists(
    client: GenesysClient,
    config: ExtractConfig,
    vault: Vault,
    manifest: RawManifest,
    progress: Progress | None,
) -> None:
    assert config.contact_lists is not None
    wanted = config.contact_lists
    lists = [
        (str(entity.get("id", "")), str(entity.get("name", "")))
        for entity in client.outbound.list_contact_lists()
    ]
    lists = [(i, n) for i, n in lists if _wanted(n, i, wanted.names, wanted.ids, wanted.all)]
    stems = file_stems("contact-list", lists)
    for list_id, name in lists:
        definition = client.outbound.get_contact_list(list_id)
        stem = stems[list_id]
        data, rows = user_columns(client.outbound.export_contacts(list_id), definition, name)
        definition_json = json.dumps({k: definition[k] for k in LIST_FIELDS if k in definition})
        _store(vault, manifest, "contact_list", name, list_id, f"{stem}.csv", data, definition_json)
        if progress:
            progress("extract", f"contact list {name}", rows)
        log.info("extracted contact list", extra={"list": name, "rows": rows})


def _data_tables(
    client: GenesysClient,
    config: ExtractConfig,
    vault: Vault,
    manifest: RawManifest,
    progress: Progress | None,
) -> None:
    assert config.data_tables is not None
    tables = [
        (str(entity.get("id", "")), str(entity.get("name", "")), entity)
        for entity in client.datatables.list(expand_schema=True)
    ]
    tables = [t for t in tables if _wanted(t[1], t[0], config.data_tables.names, [], False)]
    stems = file_stems("data-table", [(table_id, name) for table_id, name, _ in tables])
    for table_id, name, entity in tables:
        rows = list(client.datatables.rows(table_id))
        stem = stems[table_id]
        definition = {
            "name": name,
            "description": entity.get("description"),
            "schema": entity.get("schema"),
        }
        _store(
            vault,
            manifest,
            "data_table",
            name,
            table_id,
            f"{stem}.jsonl",
            _jsonl(rows),
            json.dumps(definition),
        )
        if progress:
            progress("extract", f"data table {name}", len(rows))
        log.info("extracted data table", extra={"table": name, "rows": len(rows)})


def _flows(
    client: GenesysClient, config: ExtractConfig, vault: Vault, manifest: RawManifest
) -> None:
    assert config.flows is not None
    flows = [
        f
        for f in client.flows.list(types=config.flows.types or None)
        if any(fnmatch.fnmatchcase(str(f.get("name", "")), p) for p in config.flows.names)
    ]
    if not flows:
        return
    exported = client.flows.export([str(f["id"]) for f in flows])
    # Flow names are unique per flow type, not across types: the type is part of the file name.
    stems = file_stems(
        "flow",
        [(str(f["id"]), f"{f.get('type', '')} {f.get('name', '')}") for f in flows],
    )
    for flow in flows:
        name, flow_id = str(flow.get("name", "")), str(flow["id"])
        file = f"{stems[flow_id]}.yaml"
        vault.put(file, exported[flow_id])
        manifest.flows.append(
            RawFlow(name=name, type=str(flow.get("type", "")), source_id=flow_id, file=file)
        )
    log.info("extracted flows", extra={"flows": len(flows)})
