"""The refresh: extract from production → scrub → verify → load into staging, as one command or by stage.

Every command keeps its run's runs/<run>/summary.json up to date from its first stage on, so refused,
failed and killed runs show in the history too.

refresh(config)          all stages, under the target's lock; the nightly job's command
extract_stage(config)    production → snapshots/<run>/raw (encrypted)
scrub_stage(config, dir) raw → snapshots/<run>/clean (Parquet + manifest.json), report in runs/<run>
verify_stage(config, dir) re-check a clean snapshot (checksums, safe ranges, and originals if raw is there)
load_stage(config, dir)  clean → staging (interlock first; --dry-run plans; --resume skips done steps)
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow.parquet as pq

from sanitizer import __version__
from sanitizer.config import LoadedConfig, OrgProfileConfig, read_config
from sanitizer.definitions import scrub_definition
from sanitizer.entities import EMAIL_ADDRESS, PERSON, PHONE_NUMBER
from sanitizer.errors import (
    ConfigError,
    InputError,
    KeyMaterialError,
    KeyMismatchError,
    PatternTimeoutError,
    SanitizerError,
    VerificationError,
)
from sanitizer.extract import extract, row_schema
from sanitizer.flows.refresh import FlowScrubber, check_flow
from sanitizer.genesys.client import GenesysClient
from sanitizer.genesys.retry import RetryPolicy
from sanitizer.keyring import Keyring, read_key
from sanitizer.load import FlowTarget, LoadResult, interlock, load, plan_load
from sanitizer.operators import get_operator
from sanitizer.report import write_reports
from sanitizer.report.model import (
    ColumnVerification,
    FlowReport,
    OrgInfo,
    ScrubReport,
    TableReport,
)
from sanitizer.rules import RuleSet, read_rules
from sanitizer.runs import (
    JOURNAL,
    Journal,
    RunRecord,
    prune_snapshots,
    read_summary,
    recorded_run,
    remove_stale_raw,
    run_dir,
    target_lock,
)
from sanitizer.scrub import new_run_id, scrub
from sanitizer.scrub.mapping import Mapper
from sanitizer.snapshot import (
    MANIFEST,
    CleanColumn,
    CleanFlow,
    CleanManifest,
    CleanTable,
    RawManifest,
    RawTable,
    Vault,
    check_clean,
    read_raw_manifest,
    sha256_file,
    write_json,
)
from sanitizer.tables import source_from_bytes
from sanitizer.variables import OrgMapping, find_mapping, read_mappings
from sanitizer.verify import Originals, check_text, full_names_in

log = logging.getLogger("sanitizer.pipeline")
Progress = Callable[[str, str, int], None]


@dataclass
class RunResult:
    """What a refresh (or one stage) did: where its files are, and the outcome of each stage."""

    run_id: str
    run_dir: Path
    snapshot_dir: Path
    report: ScrubReport | None = None
    load: LoadResult | None = None
    plan: LoadResult | None = None
    target_org: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)


def connect(profile: OrgProfileConfig, loaded: LoadedConfig) -> GenesysClient:
    """A client for an org profile, with the config's retry policy and credentials from the environment."""
    client_id, client_secret = profile.credentials()
    retry = loaded.config.retry
    policy = RetryPolicy(
        attempts=retry.max_attempts, wait_initial=retry.base_delay_s, wait_max=retry.max_delay_s
    )
    if profile.base_url:
        login = profile.login_url or profile.base_url
        return GenesysClient(
            profile.base_url,
            login,
            client_id,
            client_secret,
            retry=policy,
            timeout=profile.timeout_s,
        )
    assert profile.region is not None
    return GenesysClient.from_region(
        profile.region, client_id, client_secret, retry=policy, timeout=profile.timeout_s
    )


def key_for(loaded: LoadedConfig) -> Keyring:
    key = loaded.config.key
    if key.file is not None:
        return read_key(loaded.resolve(key.file))
    return read_key(
        None,
        env_var=key.env or "SANITIZER_KEY",
        how="name a key file under `key.file` in the run config",
    )


def refresh_rules(loaded: LoadedConfig) -> RuleSet:
    """The run's rules: policy `fail` for unknown columns whatever the file says (the nightly job)."""
    rules = read_rules(loaded.rules_path)
    rules = replace(rules, policy=rules.policy.model_copy(update={"unknown_columns": "fail"}))
    if loaded.config.safe_ranges is not None:
        rules.safe_ranges_path = loaded.resolve(loaded.config.safe_ranges)
    return rules


def check_source(client: GenesysClient, profile: OrgProfileConfig) -> dict[str, Any]:
    """The source must be the org the profile expects (a wrong credential must not scrub another org)."""
    org = client.organization.me()
    if str(org.get("id")) != profile.expected_org_id:
        raise ConfigError(
            f"source {profile.name!r} answered as org {org.get('id')} ({org.get('name')}), "
            f"but expected_org_id is {profile.expected_org_id}"
        )
    return org


def extract_stage(
    loaded: LoadedConfig, *, run_id: str | None = None, progress: Progress | None = None
) -> Path:
    """Extract production into an encrypted raw snapshot; returns the snapshot folder."""
    run_id = run_id or new_run_id()
    with _recorded(loaded, run_id, "extract") as record:
        record.stage("extract")
        return _extract(loaded, run_id, progress)


def _extract(loaded: LoadedConfig, run_id: str, progress: Progress | None) -> Path:
    keyring = key_for(loaded)
    snapshot = loaded.snapshots_dir / run_id
    remove_stale_raw(loaded.snapshots_dir, keep=run_id)
    vault = Vault(snapshot / "raw", keyring)
    try:
        with connect(loaded.config.source, loaded) as client:
            org = check_source(client, loaded.config.source)
            manifest = extract(client, loaded.config.extract, vault, run_id, org, progress)
    except BaseException:
        vault.destroy()
        raise
    manifest.key_fingerprint = keyring.fingerprint
    write_json(snapshot / "raw" / MANIFEST, manifest.model_dump_json(indent=2))
    return snapshot


def _recorded(
    loaded: LoadedConfig, run_id: str, command: str, **fields: Any
) -> AbstractContextManager[RunRecord]:
    """The summary of run `run_id` kept while `command` works on it."""
    return recorded_run(
        run_dir(loaded.runs_dir, run_id),
        run_id=run_id,
        command=command,
        config=str(loaded.path),
        config_sha256=loaded.sha256,
        **fields,
    )


def _org_info(
    role: Literal["production", "staging"], org: dict[str, Any] | None, profile: OrgProfileConfig
) -> OrgInfo | None:
    if not org:
        return None
    return OrgInfo(
        role=role, id=str(org.get("id", "")), name=str(org.get("name", "")), profile=profile.name
    )


def scrub_stage(
    loaded: LoadedConfig,
    snapshot: Path,
    *,
    progress: Progress | None = None,
    target_org: dict[str, Any] | None = None,
) -> RunResult:
    """Scrub and verify a raw snapshot into its clean snapshot; the raw data is destroyed either way."""
    raw = read_raw_manifest(snapshot / "raw")
    # Refused before anything is done: the raw snapshot and the run's summary stay as they were.
    check_raw_key(loaded, snapshot, raw)
    with _recorded(loaded, raw.run_id, "scrub") as record:
        record.stage("scrub")
        result = _scrub(loaded, snapshot, raw, progress, target_org)
        record.update(verified=True)
    return result


def check_raw_key(loaded: LoadedConfig, snapshot: Path, raw: RawManifest) -> None:
    """Scrub a raw snapshot only under the key it was encrypted with: under another, every file
    fails to decrypt, and the failed scrub would destroy the snapshot."""
    fingerprint = key_for(loaded).fingerprint
    if raw.key_fingerprint is not None and raw.key_fingerprint != fingerprint:
        raise KeyMismatchError(
            f"{snapshot / 'raw'}: the raw snapshot was extracted with key {raw.key_fingerprint}, but "
            f"the key configured now is {fingerprint}; nothing was changed",
            hint=f"scrub it under the key with fingerprint {raw.key_fingerprint}, or extract "
            f"again: sanitize extract --config {loaded.path}",
        )


def _scrub(
    loaded: LoadedConfig,
    snapshot: Path,
    raw: RawManifest,
    progress: Progress | None,
    target_org: dict[str, Any] | None,
) -> RunResult:
    keyring = key_for(loaded)
    rules = refresh_rules(loaded)
    folder = run_dir(loaded.runs_dir, raw.run_id)
    vault = Vault(snapshot / "raw", keyring)
    clean = snapshot / "clean"
    started = time.perf_counter()
    try:
        sources = [
            source_from_bytes(
                t.name,
                vault.get(t.file),
                t.format,
                label=f"raw:{t.file}",
                stem=Path(t.file).stem,
                is_extracted=True,
                schema=row_schema(json.loads(vault.get(t.definition)))
                if t.kind == "data_table" and t.definition
                else None,
            )
            for t in raw.tables
        ]
        unique = {t.name: {"key"} for t in raw.tables if t.kind == "data_table"}
        derive_rules(rules, raw, vault)
        flow_texts = {flow.file: vault.get(flow.file).decode("utf-8") for flow in raw.flows}
        # Flows and object definitions are scrubbed with the tables' replacements (the run's mapper).
        scrubber = FlowScrubber(rules, keyring, mappings_for(loaded))
        in_flows: dict[str, set[str]] = {}
        for file, text in flow_texts.items():
            try:
                for entity, value in scrubber.contacts(text):
                    in_flows.setdefault(entity, set()).add(value)
            except PatternTimeoutError as exc:
                raise exc.at(f"flow file {file}") from exc
        try:
            result = scrub(
                sources,
                rules,
                keyring,
                clean / "tables",
                report_dir=folder,
                output_format="parquet",
                batch_rows=loaded.config.batch_rows,
                progress=progress,
                command="refresh",
                run_id=raw.run_id,
                source_org=OrgInfo(
                    role="production",
                    id=raw.source_org_id,
                    name=raw.source_org_name,
                    profile=loaded.config.source.name,
                ),
                target_org=_org_info("staging", target_org, loaded.config.target),
                unique=unique,
                extra_originals=in_flows,
                config=loaded.path,
                config_hash="sha256:" + loaded.sha256,
                keep_mapper=True,
            )
        except BaseException:
            # A failed or stopped scrub leaves no clean folder, not even an empty one.
            shutil.rmtree(clean, ignore_errors=True)
            raise
        if result.mapper is not None:
            scrubber.mapper = result.mapper
        flows = _scrub_flows(raw, flow_texts, scrubber, rules, clean, result.report)
        definitions, unsafe = _scrub_definitions(raw, vault, clean, scrubber, rules, result.report)
        if unsafe:
            result.report.status = "failed"
            result.report.verification.status = "failed"
            result.report.verification.findings_total += sum(unsafe.values())
            result.report.summary.findings += sum(unsafe.values())
        write_reports(result.report, folder)
        if result.report.status != "verified":
            shutil.rmtree(clean, ignore_errors=True)
            if unsafe:
                first = next(iter(unsafe))
                raise VerificationError(
                    f"the definition of {first} still holds {unsafe[first]} original or unsafe "
                    f"value(s) after scrubbing{' (and more)' if len(unsafe) > 1 else ''}; nothing "
                    "was published",
                    hint="a definition's texts and column values are scrubbed; any other field "
                    "holding customer data (a name, a phone) must be cleaned in production",
                )
            raise VerificationError(
                "a flow still holds an original or unsafe value after scrubbing; nothing was published",
                hint=f"see the flows section of {folder / 'scrub-report.html'}",
            )
        manifest = _clean_manifest(
            raw, clean, result.report, keyring, flows, definitions, time.perf_counter() - started
        )
    except InputError as exc:
        # Raw data is never kept after a failed scrub: say so, and how to get it back.
        raise type(exc)(
            f"{exc.message}; the raw snapshot {vault.folder} was removed",
            hint=f"extract again: sanitize extract --config {loaded.path} (or run the refresh)",
        ) from exc
    finally:
        vault.destroy()
    write_json(clean / MANIFEST, manifest.model_dump_json(indent=2))
    shutil.copyfile(clean / MANIFEST, folder / MANIFEST)
    return RunResult(run_id=raw.run_id, run_dir=folder, snapshot_dir=snapshot, report=result.report)


def mappings_for(loaded: LoadedConfig) -> list[OrgMapping]:
    flows = loaded.config.extract.flows
    return read_mappings(loaded.resolve(flows.mappings) if flows and flows.mappings else None)


def flow_target(loaded: LoadedConfig) -> FlowTarget | None:
    """The mapping flows are retargeted to at load (None when the config copies no flows)."""
    flows = loaded.config.extract.flows
    if flows is None:
        return None
    mappings = mappings_for(loaded)
    return FlowTarget(
        mapping=find_mapping(mappings, flows.target_mapping),
        mappings=mappings,
        safe_ranges=read_rules(loaded.rules_path).safe_ranges(),
    )


def _scrub_flows(
    raw: RawManifest,
    texts: dict[str, str],
    scrubber: FlowScrubber | None,
    rules: RuleSet,
    clean: Path,
    report: ScrubReport,
) -> list[CleanFlow]:
    """Replace customer phones and emails written into the flows; verify each flow independently."""
    if not raw.flows or scrubber is None:
        return []
    ranges = rules.safe_ranges()
    regions = [
        rules.policy.default_region,
        *(r for r in rules.policy.regions if r != rules.policy.default_region),
    ]
    flows = []
    for flow in raw.flows:
        try:
            scrubbed = scrubber.scrub_names(scrubber.scrub(texts[flow.file]), flow.name)
        except PatternTimeoutError as exc:
            raise exc.at(f"flow file {flow.file}") from exc
        check_flow(scrubbed.text.encode(), flow.name)
        problems = check_text(
            scrubbed.text,
            Originals(
                {
                    e: set(scrubber.mapper.originals.get(e, ()))
                    for e in (PHONE_NUMBER, EMAIL_ADDRESS)
                }
            ),
            ranges,
            regions=regions,
            is_allowed=lambda value: scrubber.is_org_value(value),
        )
        names = full_names_in(scrubbed.text, scrubber.mapper.full_names)
        problems += [("original-value", PERSON)] * names
        report.flows.append(
            FlowReport(
                name=flow.name,
                type=flow.type,
                source_id=flow.source_id,
                replaced=scrubbed.replaced,
                verification=ColumnVerification(
                    status="failed" if problems else "passed", findings=len(problems)
                ),
            )
        )
        if problems:
            report.status = "failed"
            report.verification.status = "failed"
            report.verification.findings_total += len(problems)
            report.summary.findings += len(problems)
            continue
        path = clean / "flows" / f"{Path(flow.file).stem}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(scrubbed.text, encoding="utf-8")
        flows.append(
            CleanFlow(
                name=flow.name,
                type=flow.type,
                source_id=flow.source_id,
                file=str(path.relative_to(clean)),
                sha256=sha256_file(path),
            )
        )
    return flows


def _scrub_definitions(
    raw: RawManifest,
    vault: Vault,
    clean: Path,
    scrubber: FlowScrubber,
    rules: RuleSet,
    report: ScrubReport,
) -> tuple[dict[str, bytes], dict[str, int]]:
    """Each table's definition scrubbed (`sanitizer.definitions`) and verified on its own: the bytes
    to publish by table name, and the number of problems by definition (none when all passed)."""
    ranges = rules.safe_ranges()
    regions = [
        rules.policy.default_region,
        *(r for r in rules.policy.regions if r != rules.policy.default_region),
    ]
    originals = Originals(
        {e: set(scrubber.mapper.originals.get(e, ())) for e in (PHONE_NUMBER, EMAIL_ADDRESS)}
    )
    scrubbed: dict[str, bytes] = {}
    unsafe: dict[str, int] = {}
    for table in raw.tables:
        if not table.definition:
            continue
        definition = json.loads(vault.get(table.definition))
        rows = _RowValues(
            table,
            vault,
            clean / "tables" / f"{Path(table.file).stem}.parquet",
            next((t for t in report.tables if t.name == table.name), None),
            scrubber.mapper,
        )
        done = scrub_definition(table.kind, definition, rows.replacement, scrubber)
        text = json.dumps(done.data, indent=2, ensure_ascii=False) + "\n"
        # Originals anywhere in it (a list named after a customer fails too); the safe ranges where it
        # holds data (ids and counts elsewhere are no phone numbers).
        anywhere = check_text(
            text, originals, ranges, regions=regions, is_allowed=scrubber.is_org_value
        )
        written = check_text(
            "\n".join(done.written),
            Originals({}),
            ranges,
            regions=regions,
            is_allowed=scrubber.is_org_value,
        )
        problems = (
            sum(kind == "original-value" for kind, _ in anywhere)
            + len(written)
            + full_names_in(text, scrubber.mapper.full_names)
        )
        if problems:
            label = table.kind.replace("_", " ")
            unsafe[f"{label} {table.source_name!r}"] = problems
        scrubbed[table.name] = text.encode("utf-8")
    return scrubbed, unsafe


class _RowValues:
    """The replacement each original value of a column got in the table's rows (raw and clean rows
    pair by position: a scrub keeps row order), read per column when a definition asks; a value no
    row holds gets the column's operator, as the report shows it (None: a free-text column's)."""

    def __init__(
        self,
        table: RawTable,
        vault: Vault,
        clean_file: Path,
        report: TableReport | None,
        mapper: Mapper,
    ) -> None:
        self.table, self.vault, self.clean_file = table, vault, clean_file
        self.columns = {c.name: c for c in report.columns} if report else {}
        self.mapper = mapper
        self._pairs_of: dict[str, dict[str, str]] = {}
        self._raw: bytes | None = None  # the table's raw file, decrypted once for all its columns

    def replacement(self, column: str, value: str) -> str | None:
        if column not in self._pairs_of:
            self._pairs_of[column] = self._pairs(column)
        found = self._pairs_of[column].get(value)
        if found is not None:
            return found
        rule = self.columns.get(column)
        if rule is None or rule.operator == "text":
            return None
        if rule.operator == "keep":
            return value
        operator = get_operator(rule.operator)
        channel = self.mapper.channel(
            rule.operator, operator.Params.model_validate(rule.params), rule.entity
        )
        return self.mapper.replace(channel, [value])[0]

    def _pairs(self, column: str) -> dict[str, str]:
        if not self.clean_file.exists() or column not in pq.read_schema(self.clean_file).names:
            return {}
        after = pq.read_table(self.clean_file, columns=[column]).column(column).to_pylist()
        if self._raw is None:
            self._raw = self.vault.get(self.table.file)
        data = self._raw
        if self.table.format == "jsonl":
            before = [json.loads(line).get(column) for line in data.splitlines() if line.strip()]
        else:
            before = pd.read_csv(
                io.BytesIO(data), dtype=str, usecols=[column], keep_default_na=False
            )[column].tolist()
        pairs: dict[str, str] = {}
        for old, new in zip(before, after, strict=False):
            if isinstance(old, str) and isinstance(new, str):
                pairs.setdefault(old, new)
        return pairs


def derive_rules(rules: RuleSet, raw: RawManifest, vault: Vault) -> None:
    """A contact list declares its phone and email columns: that is a rule, shown as such in the report."""
    for table in raw.tables:
        if table.kind != "contact_list" or not table.definition:
            continue
        definition = json.loads(vault.get(table.definition))
        for key, entity in (("phoneColumns", PHONE_NUMBER), ("emailColumns", EMAIL_ADDRESS)):
            for column in definition.get(key) or []:
                name = column.get("columnName") if isinstance(column, dict) else None
                if isinstance(name, str):
                    rules.derive(
                        table.name,
                        name,
                        entity,
                        f"genesys: contact list {table.source_name!r} {key}",
                    )


def _clean_manifest(
    raw: RawManifest,
    clean: Path,
    report: ScrubReport,
    keyring: Keyring,
    flows: list[CleanFlow],
    definitions: dict[str, bytes],
    seconds: float,
) -> CleanManifest:
    tables = []
    for table in raw.tables:
        file = Path("tables") / f"{Path(table.file).stem}.parquet"
        schema = pq.read_schema(clean / file)
        definition = None
        definition_sha = None
        if table.definition:
            definition = str(Path("definitions") / Path(table.definition).name)
            (clean / "definitions").mkdir(parents=True, exist_ok=True)
            (clean / definition).write_bytes(definitions[table.name])
            definition_sha = sha256_file(clean / definition)
        if table.kind == "data_table":
            _check_unique_keys(clean / file, table.source_name)
        tables.append(
            CleanTable(
                name=table.name,
                kind=table.kind,
                source_id=table.source_id,
                source_name=table.source_name,
                file=str(file),
                rows=pq.read_metadata(clean / file).num_rows,
                columns=[CleanColumn(name=f.name, type=str(f.type)) for f in schema],
                sha256=sha256_file(clean / file),
                definition=definition,
                definition_sha256=definition_sha,
            )
        )
    return CleanManifest(
        run_id=raw.run_id,
        created_at=datetime.now(UTC),
        tool_version=__version__,
        source_org_id=raw.source_org_id,
        source_org_name=raw.source_org_name,
        rules_hash=report.rules.hash,
        key_fingerprint=keyring.fingerprint,
        verification="passed" if report.status == "verified" else "failed",
        findings=report.verification.findings_total,
        tables=tables,
        flows=flows,
        timings={"scrub_s": round(seconds, 3), **report.timings.model_dump()},
    )


def _check_unique_keys(path: Path, name: str) -> None:
    keys = (
        pq.read_table(path, columns=["key"]).column("key").to_pylist()
        if "key" in pq.read_schema(path).names
        else []
    )
    if len(set(keys)) != len(keys):
        raise VerificationError(
            f"data table {name!r}: {len(keys) - len(set(keys))} scrubbed key(s) collide; the table cannot be loaded",
            hint="the key column's operator needs `unique: true` (or a larger safe range)",
        )


def snapshot_of(path: Path) -> Path:
    """The snapshot folder `path` means: a snapshot folder, its clean/ folder, or the run's folder
    (runs/<run id>, which refresh prints; its summary names the config, so the snapshots folder)."""
    if path.name == "clean" and (path / MANIFEST).exists():
        return path.parent
    summary = read_summary(path) if not (path / "clean").exists() else None
    if summary is not None:
        try:
            candidate = read_config(Path(str(summary["config"]))).snapshots_dir / path.name
        except (SanitizerError, KeyError, OSError):
            candidate = None
        if candidate is not None and (candidate / "clean" / MANIFEST).exists():
            return candidate
        raise InputError(
            f"{path}: a run folder, and its clean snapshot was not found "
            f"(at {candidate or 'the snapshots folder of the config its summary names'})",
            hint="pass the snapshot folder, snapshots/<run id> under the run config's "
            "snapshots_dir; a run that failed or was pruned has none",
        )
    if not (path / "clean" / MANIFEST).exists():
        raise InputError(
            f"{path / 'clean' / MANIFEST}: no snapshot manifest here",
            hint="pass a snapshot folder that `sanitize scrub` finished (snapshots/<run id>), its "
            "clean/ folder, or the run's folder (runs/<run id>)",
        )
    return path


def verify_stage(snapshot: Path) -> CleanManifest:
    """Re-check a clean snapshot before anyone loads it: verified, and its files match the manifest."""
    manifest = check_clean(snapshot_of(snapshot) / "clean")
    log.info("snapshot verified", extra={"run": manifest.run_id, "tables": len(manifest.tables)})
    return manifest


def check_run_key(loaded: LoadedConfig, manifest: CleanManifest, *, is_required: bool) -> None:
    """Continue a run only under the key it was scrubbed with: staging would hold two keys' pseudonyms.

    A load itself needs no key, so without `is_required` (`sanitize load`) the check is made only
    when the config's key can be read; a resume is the nightly job's, which always has its key.
    """
    try:
        fingerprint = key_for(loaded).fingerprint
    except KeyMaterialError:
        if is_required:
            raise
        log.info(
            "no scrub key at hand: the snapshot's key is not compared",
            extra={"run": manifest.run_id},
        )
        return
    if fingerprint != manifest.key_fingerprint:
        raise KeyMismatchError(
            f"run {manifest.run_id} was scrubbed with key {manifest.key_fingerprint}, but the key "
            f"configured now is {fingerprint}: continuing it would mix two keys' pseudonyms in "
            "staging; nothing was done (the run's record is unchanged)",
            hint=f"start a new run instead: sanitize refresh --config {loaded.path}",
        )


def load_stage(
    loaded: LoadedConfig,
    snapshot: Path,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    resumed: bool = False,
) -> RunResult:
    """Load a clean snapshot into the target, after the interlock; with dry_run, only plan."""
    snapshot = snapshot_of(snapshot)
    manifest = check_clean(snapshot / "clean")
    # Refused before anything is done: the run's summary keeps what its last attempt recorded.
    check_run_key(loaded, manifest, is_required=resumed)
    folder = loaded.runs_dir / manifest.run_id  # made once the lock is held
    result = RunResult(run_id=manifest.run_id, run_dir=folder, snapshot_dir=snapshot)
    with (
        target_lock(loaded.lock_dir, loaded.config.target.expected_org_id),
        _recorded(
            loaded, manifest.run_id, "refresh --resume" if resumed else "load", resumed=resumed
        ) as record,
    ):
        _load_target(loaded, result, manifest, record, dry_run=dry_run, progress=progress)
    result.timings = dict(record.summary["timings"])
    return result


def _load_target(
    loaded: LoadedConfig,
    result: RunResult,
    manifest: CleanManifest,
    record: RunRecord,
    *,
    dry_run: bool,
    progress: Progress | None,
) -> None:
    """The interlock again, then the load (or its plan); the summary says what staging holds."""
    config = loaded.config
    clean = result.snapshot_dir / "clean"
    record.stage("interlock")
    with connect(config.target, loaded) as client:
        result.target_org = interlock(
            client, config.target, config.source.expected_org_id, config.staging_org_ids
        )
        record.update(target_org=result.target_org)
        record.stage("load")
        journal = Journal(result.run_dir / JOURNAL)
        if dry_run:
            result.plan = plan_load(client, clean, manifest, journal, flow_target(loaded))
            steps = [s.to_dict() for s in result.plan.steps]
            write_json(result.run_dir / "plan.json", json.dumps(steps, indent=2))
            staging = record.summary["staging"]
            record.update(
                dry_run=True, steps=steps, staging="dry run" if staging == "not loaded" else staging
            )
        else:
            record.update(dry_run=False, staging="load incomplete")
            result.load = load(client, clean, manifest, journal, progress, flow_target(loaded))
            record.update(staging="loaded", steps=[s.to_dict() for s in result.load.steps])


def refresh(
    loaded: LoadedConfig,
    *,
    dry_run: bool = False,
    resume: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """The nightly job: all stages; the interlock is checked before anything is read or written."""
    config = loaded.config
    if resume is not None:
        snapshot = loaded.snapshots_dir / resume
        if not (snapshot / "clean" / MANIFEST).exists():
            raise InputError(f"{snapshot}: run {resume!r} has no clean snapshot to resume from")
        return load_stage(loaded, snapshot, dry_run=dry_run, progress=progress, resumed=True)
    run_id = new_run_id()
    with (
        target_lock(loaded.lock_dir, config.target.expected_org_id),
        _recorded(loaded, run_id, "refresh", resumed=False, dry_run=dry_run) as record,
    ):
        record.stage("interlock")
        with connect(config.target, loaded) as target:
            target_org = interlock(
                target, config.target, config.source.expected_org_id, config.staging_org_ids
            )
        record.update(target_org=target_org)
        record.stage("extract")
        snapshot = _extract(loaded, run_id, progress)
        record.stage("scrub")
        raw = read_raw_manifest(snapshot / "raw")
        result = _scrub(loaded, snapshot, raw, progress, target_org)
        record.update(verified=True)
        manifest = check_clean(snapshot / "clean")
        _load_target(loaded, result, manifest, record, dry_run=dry_run, progress=progress)
        prune_snapshots(loaded.snapshots_dir, config.keep_snapshots, protect=run_id)
    result.timings = dict(record.summary["timings"])
    return result
