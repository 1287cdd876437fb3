"""The refresh: extract from production → scrub → verify → load into staging, as one command or by stage.

refresh(config)          all stages, under the target's lock; the nightly job's command
extract_stage(config)    production → snapshots/<run>/raw (encrypted)
scrub_stage(config, dir) raw → snapshots/<run>/clean (Parquet + manifest.json), report in runs/<run>
verify_stage(config, dir) re-check a clean snapshot (checksums, safe ranges, and originals if raw is there)
load_stage(config, dir)  clean → staging (interlock first; --dry-run plans; --resume skips done steps)
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from sanitizer import __version__
from sanitizer.config import LoadedConfig, OrgProfileConfig
from sanitizer.entities import EMAIL_ADDRESS, PHONE_NUMBER
from sanitizer.errors import ConfigError, InputError, VerificationError
from sanitizer.extract import extract
from sanitizer.flows.refresh import FlowScrubber, check_flow
from sanitizer.genesys.client import GenesysClient
from sanitizer.genesys.retry import RetryPolicy
from sanitizer.keyring import Keyring, read_key
from sanitizer.load import FlowTarget, LoadResult, interlock, load, plan_load
from sanitizer.report import write_reports
from sanitizer.report.model import ColumnVerification, FlowReport, OrgInfo, ScrubReport
from sanitizer.rules import RuleSet, read_rules
from sanitizer.runs import (
    Journal,
    prune_snapshots,
    remove_stale_raw,
    run_dir,
    target_lock,
    write_summary,
)
from sanitizer.scrub import new_run_id, scrub
from sanitizer.snapshot import (
    MANIFEST,
    CleanColumn,
    CleanFlow,
    CleanManifest,
    CleanTable,
    RawManifest,
    Vault,
    check_clean,
    read_raw_manifest,
    sha256_file,
    write_json,
)
from sanitizer.tables import source_from_bytes
from sanitizer.variables import OrgMapping, find_mapping, read_mappings
from sanitizer.verify import Originals, check_text

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
    keyring = key_for(loaded)
    run_id = run_id or new_run_id()
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
    write_json(snapshot / "raw" / MANIFEST, manifest.model_dump_json(indent=2))
    return snapshot


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
    keyring = key_for(loaded)
    raw = read_raw_manifest(snapshot / "raw")
    rules = refresh_rules(loaded)
    folder = run_dir(loaded.runs_dir, raw.run_id)
    vault = Vault(snapshot / "raw", keyring)
    clean = snapshot / "clean"
    started = time.perf_counter()
    try:
        sources = [
            source_from_bytes(
                t.name, vault.get(t.file), t.format, label=f"raw:{t.file}", stem=Path(t.file).stem
            )
            for t in raw.tables
        ]
        unique = {t.name: {"key"} for t in raw.tables if t.kind == "data_table"}
        derive_rules(rules, raw, vault)
        flow_texts = {flow.file: vault.get(flow.file).decode("utf-8") for flow in raw.flows}
        scrubber = FlowScrubber(rules, keyring, mappings_for(loaded)) if raw.flows else None
        in_flows: dict[str, set[str]] = {}
        for text in flow_texts.values():
            for entity, value in scrubber.contacts(text) if scrubber else []:
                in_flows.setdefault(entity, set()).add(value)
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
                keep_mapper=scrubber is not None,
            )
        except VerificationError:
            shutil.rmtree(clean, ignore_errors=True)
            raise
        if scrubber is not None and result.mapper is not None:
            scrubber.mapper = result.mapper
        flows = _scrub_flows(raw, flow_texts, scrubber, rules, clean, result.report)
        write_reports(result.report, folder)
        if result.report.status != "verified":
            shutil.rmtree(clean, ignore_errors=True)
            raise VerificationError(
                "a flow still holds an original or unsafe value after scrubbing; nothing was published",
                hint=f"see the flows section of {folder / 'scrub-report.html'}",
            )
        manifest = _clean_manifest(
            raw, vault, clean, result.report, keyring, flows, time.perf_counter() - started
        )
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
    return FlowTarget(mapping=find_mapping(mappings, flows.target_mapping), mappings=mappings)


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
        scrubbed = scrubber.scrub(texts[flow.file])
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
    vault: Vault,
    clean: Path,
    report: ScrubReport,
    keyring: Keyring,
    flows: list[CleanFlow],
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
            (clean / definition).write_bytes(vault.get(table.definition))
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


def verify_stage(snapshot: Path) -> CleanManifest:
    """Re-check a clean snapshot before anyone loads it: verified, and its files match the manifest."""
    manifest = check_clean(snapshot / "clean")
    log.info("snapshot verified", extra={"run": manifest.run_id, "tables": len(manifest.tables)})
    return manifest


def load_stage(
    loaded: LoadedConfig,
    snapshot: Path,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Load a clean snapshot into the target, after the interlock; with dry_run, only plan."""
    manifest = check_clean(snapshot / "clean")
    folder = run_dir(loaded.runs_dir, manifest.run_id)
    result = RunResult(run_id=manifest.run_id, run_dir=folder, snapshot_dir=snapshot)
    config = loaded.config
    with (
        target_lock(loaded.runs_dir, config.target.expected_org_id),
        connect(config.target, loaded) as client,
    ):
        result.target_org = interlock(
            client, config.target, config.source.expected_org_id, config.staging_org_ids
        )
        journal = Journal(folder / "journal.jsonl")
        if dry_run:
            result.plan = plan_load(
                client, snapshot / "clean", manifest, journal, flow_target(loaded)
            )
            write_json(
                folder / "plan.json", json.dumps([s.__dict__ for s in result.plan.steps], indent=2)
            )
        else:
            result.load = load(
                client, snapshot / "clean", manifest, journal, progress, flow_target(loaded)
            )
    return result


def refresh(
    loaded: LoadedConfig,
    *,
    dry_run: bool = False,
    resume: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """The nightly job: all stages; the interlock is checked before anything is read or written."""
    config = loaded.config
    started = time.perf_counter()
    if resume is not None:
        snapshot = loaded.snapshots_dir / resume
        if not (snapshot / "clean" / MANIFEST).exists():
            raise InputError(f"{snapshot}: run {resume!r} has no clean snapshot to resume from")
        result = load_stage(loaded, snapshot, dry_run=dry_run, progress=progress)
        _finish(loaded, result, started, resumed=True)
        return result
    with target_lock(loaded.runs_dir, config.target.expected_org_id):
        with connect(config.target, loaded) as target:
            target_org = interlock(
                target, config.target, config.source.expected_org_id, config.staging_org_ids
            )
        snapshot = extract_stage(loaded, progress=progress)
        scrubbed = scrub_stage(loaded, snapshot, progress=progress, target_org=target_org)
        manifest = check_clean(snapshot / "clean")
        with connect(config.target, loaded) as target:
            interlock(target, config.target, config.source.expected_org_id, config.staging_org_ids)
            journal = Journal(scrubbed.run_dir / "journal.jsonl")
            if dry_run:
                scrubbed.plan = plan_load(
                    target, snapshot / "clean", manifest, journal, flow_target(loaded)
                )
                write_json(
                    scrubbed.run_dir / "plan.json",
                    json.dumps([s.__dict__ for s in scrubbed.plan.steps], indent=2),
                )
            else:
                scrubbed.load = load(
                    target, snapshot / "clean", manifest, journal, progress, flow_target(loaded)
                )
        scrubbed.target_org = target_org
    prune_snapshots(loaded.snapshots_dir, config.keep_snapshots, protect=scrubbed.run_id)
    _finish(loaded, scrubbed, started, resumed=False)
    return scrubbed


def _finish(loaded: LoadedConfig, result: RunResult, started: float, *, resumed: bool) -> None:
    result.timings["total_s"] = round(time.perf_counter() - started, 3)
    steps = (result.load or result.plan or LoadResult()).steps
    write_summary(
        result.run_dir,
        {
            "run_id": result.run_id,
            "finished_at": datetime.now(UTC).isoformat(),
            "config": str(loaded.path),
            "config_sha256": loaded.sha256,
            "resumed": resumed,
            "dry_run": result.plan is not None,
            "verified": result.report.status == "verified" if result.report else None,
            "target_org": result.target_org,
            "steps": [s.__dict__ for s in steps],
            "timings": result.timings,
        },
    )
