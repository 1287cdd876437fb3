"""Load: push a clean, verified snapshot into the staging org, idempotently and resumably.

Every step converges the org to the snapshot, so running it twice, or again after a crash, ends in the
same state: contact lists are created or updated to production's structure and their contacts
replaced; external contacts are upserted by a stable key; data tables get production's schema and
their rows replaced; flows are imported as new versions, unless staging already holds exactly the
rendered flow. Finished steps go into the run's journal so `--resume` skips them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from sanitizer.config import OrgProfileConfig
from sanitizer.errors import ConfigError, GenesysError, InterlockError
from sanitizer.extract import CONTACT_ID, LIST_FIELDS
from sanitizer.flows.refresh import RenderedFlow, recorded_digest, render_for_target
from sanitizer.genesys.client import GenesysClient
from sanitizer.ranges import SafeRanges
from sanitizer.runs import Journal
from sanitizer.snapshot import CleanFlow, CleanManifest, CleanTable
from sanitizer.variables import OrgMapping

log = logging.getLogger("sanitizer.load")
Progress = Callable[[str, str, int], None]
UPSERT_HOST = "https://sanitizer.invalid/external-contacts/"
# ExternalContact fields that belong to the production org (ids, dates, links to its other objects).
_ORG_FIELDS = (
    "id",
    "selfUri",
    "createDate",
    "modifyDate",
    "division",
    "externalOrganization",
    "externalDataSources",
    "identifiers",
    "mergeSet",
    "mergedFrom",
    "mergedTo",
    "mergeOperation",
    "canonicalContact",
)


@dataclass
class LoadStep:
    """One thing the load does (or would do, in a dry run).

    existing_rows is what staging holds of it: before the load in a plan, after it once the step is done.
    """

    step: str
    kind: str
    name: str
    action: Literal["create", "update", "replace", "upsert", "import", "unchanged"]
    rows: int
    existing_rows: int | None = None
    is_done: bool = False
    is_skipped: bool = False  # done by an earlier attempt of the run (its journal says so)

    @property
    def status(self) -> str:
        if self.is_skipped:
            return "done before (skipped)"
        return "done" if self.is_done else "planned"

    def to_dict(self) -> dict[str, Any]:
        """The step as plan.json and summary.json show it."""
        return {**asdict(self), "status": self.status}


@dataclass
class FlowTarget:
    """Where flows are retargeted to when loaded: the target org's mapping, and every org's."""

    mapping: OrgMapping
    mappings: list[OrgMapping]
    # The run's safe ranges: the numbers and emails scrubbing wrote into flows are not warned about.
    safe_ranges: SafeRanges | None = None


@dataclass
class LoadResult:
    steps: list[LoadStep] = field(default_factory=list)
    flow_warnings: dict[str, list[str]] = field(default_factory=dict)  # by flow step

    @property
    def written(self) -> int:
        return sum(s.rows for s in self.steps if not s.is_skipped)


def interlock(
    client: GenesysClient, target: OrgProfileConfig, source_org_id: str, allow_list: list[str]
) -> dict[str, Any]:
    """Read the target's GET /organizations/me and refuse any org that is not an allow-listed staging org."""
    org = client.organization.me()
    org_id = str(org.get("id", ""))
    name = str(org.get("name", ""))
    if org_id == source_org_id:
        raise InterlockError(
            f"target {target.name!r} is org {org_id} ({name}), the production source org: nothing was written"
        )
    if org_id not in allow_list:
        raise InterlockError(
            f"target {target.name!r} is org {org_id} ({name}), which is not in staging_org_ids: nothing was written"
        )
    if org_id != target.expected_org_id:
        raise InterlockError(
            f"target {target.name!r} is org {org_id} ({name}), but expected_org_id is {target.expected_org_id}: "
            "nothing was written"
        )
    return org


def _definition(folder: Path, table: CleanTable) -> dict[str, Any]:
    assert table.definition is not None
    data: dict[str, Any] = json.loads((folder / table.definition).read_text(encoding="utf-8"))
    return data


def _records(folder: Path, table: CleanTable) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = pq.read_table(folder / table.file).to_pylist()
    return records


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


def staging_contact(record: dict[str, Any]) -> dict[str, Any]:
    """An external contact as staging receives it: no production ids, plus its stable upsert key."""
    contact = {k: v for k, v in _without_nulls(record).items() if k not in _ORG_FIELDS}
    contact["externalSystemUrl"] = UPSERT_HOST + str(record.get("id", ""))
    return contact


def upsert_key(contact: dict[str, Any] | Any) -> str | None:
    url = contact.get("externalSystemUrl") if hasattr(contact, "get") else None
    return url if isinstance(url, str) and url.startswith(UPSERT_HOST) else None


def flow_step(flow: CleanFlow) -> str:
    """The load step of a flow: its type is part of it, as flow names are unique per type only."""
    return f"flow:{flow.type}:{flow.name}"


def _done_before(journal: Journal | None, step: str) -> dict[str, bool]:
    """A planned step the journal records as done is done already, and a load would skip it."""
    is_done = journal is not None and journal.is_done(step)
    return {"is_done": is_done, "is_skipped": is_done}


def plan_load(
    client: GenesysClient,
    folder: Path,
    manifest: CleanManifest,
    journal: Journal | None = None,
    flow_target: FlowTarget | None = None,
) -> LoadResult:
    """What a load would do to the target, from read-only calls: nothing is written."""
    result = LoadResult()
    for table in manifest.tables:
        step = f"{table.kind}:{table.source_name}"
        done_before = _done_before(journal, step)
        if table.kind == "contact_list":
            existing = client.outbound.find_contact_list(table.source_name)
            size = None
            if existing is not None:
                size = client.outbound.get_contact_list(str(existing["id"]), include_size=True).get(
                    "size"
                )
            action: Literal["create", "update", "replace", "upsert", "import"] = (
                "replace" if existing else "create"
            )
            result.steps.append(
                LoadStep(
                    step, table.kind, table.source_name, action, table.rows, size, **done_before
                )
            )
        elif table.kind == "data_table":
            found = client.datatables.find(table.source_name)
            rows = sum(1 for _ in client.datatables.rows(str(found["id"]))) if found else None
            result.steps.append(
                LoadStep(
                    step,
                    table.kind,
                    table.source_name,
                    "replace" if found else "create",
                    table.rows,
                    rows,
                    **done_before,
                )
            )
        else:
            # existing_rows: the contacts an earlier refresh loaded (upserted, or removed when gone from production)
            ours = sum(1 for c in client.external_contacts.scan() if upsert_key(c))
            result.steps.append(
                LoadStep(
                    step, table.kind, table.source_name, "upsert", table.rows, ours, **done_before
                )
            )
    for flow in manifest.flows:
        step = flow_step(flow)
        done_before = _done_before(journal, step)
        flow_action: Literal["import", "unchanged"] = "import"
        # A flow that would not render for the target fails the plan too.
        if flow_target is not None:
            rendered = _render(folder, flow, flow_target)
            result.flow_warnings[step] = rendered.warnings
            flow_action = "unchanged" if _is_in_staging(client, rendered) else "import"
        result.steps.append(LoadStep(step, "flow", flow.name, flow_action, 1, None, **done_before))
    return result


def load(
    client: GenesysClient,
    folder: Path,
    manifest: CleanManifest,
    journal: Journal,
    progress: Progress | None = None,
    flow_target: FlowTarget | None = None,
) -> LoadResult:
    """Converge the target org to the snapshot, step by step; finished steps are skipped on resume."""
    result = LoadResult()
    for table in manifest.tables:
        step = f"{table.kind}:{table.source_name}"
        if journal.is_done(step):
            result.steps.append(
                LoadStep(
                    step,
                    table.kind,
                    table.source_name,
                    "replace",
                    table.rows,
                    table.rows,
                    is_done=True,
                    is_skipped=True,
                )
            )
            continue
        action: Literal["create", "update", "replace", "upsert", "import"]
        if table.kind == "contact_list":
            action = _contact_list(client, folder, table, progress)
        elif table.kind == "data_table":
            action = _data_table(client, folder, table)
        else:
            action = _external_contacts(client, folder, table)
        journal.mark(step, rows=table.rows)
        result.steps.append(
            LoadStep(
                step, table.kind, table.source_name, action, table.rows, table.rows, is_done=True
            )
        )
        log.info("loaded", extra={"step": step, "rows": table.rows, "action": action})
    for flow in manifest.flows:
        step = flow_step(flow)
        if journal.is_done(step):
            result.steps.append(
                LoadStep(step, "flow", flow.name, "import", 1, 1, is_done=True, is_skipped=True)
            )
            continue
        if flow_target is None:
            raise ConfigError(
                "the snapshot holds flows but the config names no flow mappings to retarget them"
            )
        rendered = _render(folder, flow, flow_target)
        result.flow_warnings[step] = rendered.warnings
        if _is_in_staging(client, rendered):
            # An import publishes a new version even when nothing changed: leave the flow as it is.
            journal.mark(step)
            result.steps.append(LoadStep(step, "flow", flow.name, "unchanged", 1, 1, is_done=True))
            log.info("flow unchanged", extra={"flow": flow.name})
            continue
        state = client.flows.import_flow(rendered.content)
        if str(state.get("status", "Success")) not in {"Success", "Succeeded"}:
            raise GenesysError(
                f"importing flow {flow.name!r} ended with status {state.get('status')}"
            )
        journal.mark(step)
        result.steps.append(LoadStep(step, "flow", flow.name, "import", 1, 1, is_done=True))
        log.info("imported flow", extra={"flow": flow.name})
    return result


def _render(folder: Path, flow: CleanFlow, target: FlowTarget) -> RenderedFlow:
    content = (folder / flow.file).read_bytes()
    mapping, mappings = target.mapping, target.mappings
    return render_for_target(content, flow.name, mapping, mappings, target.safe_ranges)


def _is_in_staging(client: GenesysClient, rendered: RenderedFlow) -> bool:
    """True when staging's published flow of this name and type carries the rendered flow's digest.

    Staging's flows are assumed to be the refresh's: an edit made in staging that keeps the
    description is not seen (change the description or delete the flow to have it imported again).
    """
    for flow in client.flows.list(types=[rendered.type], name=rendered.name):
        if flow.get("name") == rendered.name and str(flow.get("type")) == rendered.type:
            is_published = bool(flow.get("publishedVersion"))
            digest = recorded_digest(flow.get("description"))
            return is_published and digest is not None and digest == rendered.digest
    return False


def _contact_list(
    client: GenesysClient, folder: Path, table: CleanTable, progress: Progress | None
) -> Literal["create", "update", "replace"]:
    definition = _definition(folder, table)
    body = {k: definition[k] for k in LIST_FIELDS if k in definition}
    existing = client.outbound.find_contact_list(table.source_name)
    current = (
        client.outbound.get_contact_list(str(existing["id"])) if existing is not None else None
    )
    if current is not None and current.get("columnNames") != body.get("columnNames"):
        # Genesys cannot change a list's columns in place: the staging copy is recreated.
        stale_id = str(current["id"])
        _recreate(
            lambda: client.outbound.delete_contact_list(stale_id),
            "contact list",
            table.source_name,
        )
        current = None
    if current is None:
        created = client.outbound.create_contact_list(body)
        list_id, action = str(created["id"]), "create"
    else:
        list_id = str(current["id"])
        if any(current.get(k) != v for k, v in body.items()):
            client.outbound.update_contact_list(list_id, {**current, **body})
        action = "replace"
        client.outbound.clear_contacts(list_id)
    columns = [str(c) for c in definition.get("columnNames", [])]
    contacts = (
        {
            "id": str(row[CONTACT_ID]),
            "data": {c: "" if row.get(c) is None else str(row[c]) for c in columns},
        }
        for row in _records(folder, table)
    )
    written = client.outbound.add_contacts(list_id, contacts)
    if progress:
        progress("load", f"contact list {table.source_name}", written)
    return "create" if action == "create" else "replace"


def _data_table(
    client: GenesysClient, folder: Path, table: CleanTable
) -> Literal["create", "replace"]:
    definition = _definition(folder, table)
    existing = client.datatables.find(table.source_name)
    if existing is not None:
        have = (client.datatables.get(str(existing["id"])).get("schema") or {}).get(
            "properties", {}
        )
        wanted_props = (definition.get("schema") or {}).get("properties", {})
        if any(k in have and have[k].get("type") != v.get("type") for k, v in wanted_props.items()):
            # A property's type cannot change in place: the staging copy is recreated.
            stale_table = str(existing["id"])
            _recreate(
                lambda: client.datatables.delete(stale_table),
                "data table",
                table.source_name,
            )
            existing = None
    if existing is None:
        created = client.datatables.create(
            {
                "name": definition["name"],
                "description": definition.get("description") or "",
                "schema": definition["schema"],
            }
        )
        table_id, action = str(created["id"]), "create"
    else:
        table_id = str(existing["id"])
        current = client.datatables.get(table_id)
        wanted = (definition.get("schema") or {}).get("properties", {})
        have = (current.get("schema") or {}).get("properties", {})
        missing = {k: v for k, v in wanted.items() if k not in have}
        if missing:
            # Properties can be added but never removed (reference §4): staging keeps any extra ones.
            schema = dict(current.get("schema") or {})
            schema["properties"] = {**have, **missing}
            client.datatables.update(table_id, {**current, "schema": schema})
        action = "replace"
    rows = [_without_nulls(r) for r in _records(folder, table)]
    client.datatables.replace_rows(table_id, rows)
    return "create" if action == "create" else "replace"


def _recreate(delete: Callable[[], None], kind: str, name: str) -> None:
    """Delete a staging object whose structure drifted from production's, so it can be created again."""
    try:
        delete()
    except GenesysError as exc:
        raise GenesysError(
            f"staging {kind} {name!r} has another structure than production's and cannot be changed in place; "
            f"deleting it to recreate it failed ({exc.code or exc.status})",
            hint="it may be in use (a campaign, a flow); delete or rename it in staging, then run again",
        ) from None
    log.warning(
        "recreated staging object whose structure drifted", extra={"kind": kind, "object": name}
    )


def _external_contacts(client: GenesysClient, folder: Path, table: CleanTable) -> Literal["upsert"]:
    contacts = [staging_contact(r) for r in _records(folder, table)]
    client.external_contacts.upsert(contacts, upsert_key)
    # Contacts an earlier refresh loaded whose production contact is gone: staging mirrors production.
    # Only contacts carrying sanitizer's upsert key are touched, never staging's own.
    current = {upsert_key(c) for c in contacts}
    for stale in [
        c for c in client.external_contacts.scan() if (k := upsert_key(c)) and k not in current
    ]:
        client.external_contacts.delete(str(stale["id"]))
    return "upsert"
