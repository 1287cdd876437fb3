"""Scrub tables: replace every PII value with a deterministic keyed safe value, verify, report, publish.

`scrub()` is the library entry point behind `sanitize scrub`; the refresh pipeline calls it too.
"""

from __future__ import annotations

import hashlib
import os
import platform
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sanitizer import __version__
from sanitizer.errors import ConfigError, VerificationError
from sanitizer.keyring import Keyring
from sanitizer.memory import bulk_work, settled
from sanitizer.outputs import output_name
from sanitizer.ranges import SafeRanges
from sanitizer.report import write_reports
from sanitizer.report.figures import holds_personal_data, note_unreviewed
from sanitizer.report.model import (
    ColumnCounts,
    ColumnReport,
    ColumnVerification,
    KeyInfo,
    OrgInfo,
    RulesFile,
    RulesInfo,
    RunInfo,
    SafeRangesInfo,
    ScrubReport,
    Summary,
    TableReport,
    Timings,
    ToolInfo,
    VerificationReport,
)
from sanitizer.rules import RuleSet, shown_path
from sanitizer.scrub.engine import Progress, Scrubbed, run_scrub
from sanitizer.scrub.mapping import Mapper
from sanitizer.tables import BATCH_ROWS, Format, TableSource
from sanitizer.verify import verify


@dataclass
class ScrubResult:
    """A finished, verified scrub: the report, where it was written, and the published outputs."""

    report: ScrubReport
    report_dir: Path
    outputs: list[Path]
    # The run's replacement maps (in memory only) when asked for (`keep_mapper`): a refresh scrubs its
    # flows with them.
    mapper: Mapper | None


def default_workers() -> int:
    """Worker processes (free-text scan, phone replacement, verification): $SANITIZER_WORKERS, else
    the CPU count (at most 4)."""
    configured = os.environ.get("SANITIZER_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(4, os.cpu_count() or 1))


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id such as 20261127T031500Z-3f9a1c."""
    moment = now or datetime.now(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@bulk_work()
def scrub(
    sources: Sequence[TableSource],
    rules: RuleSet,
    keyring: Keyring,
    out_dir: Path,
    *,
    report_dir: Path | None = None,
    output_format: Format | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
    command: str = "scrub",
    run_id: str | None = None,
    source_org: OrgInfo | None = None,
    target_org: OrgInfo | None = None,
    workers: int | None = None,
    unique: dict[str, set[str]] | None = None,
    extra_originals: dict[str, set[str]] | None = None,
    config: Path | None = None,
    config_hash: str | None = None,
    keep_mapper: bool = False,
) -> ScrubResult:
    """Scrub `sources` into `out_dir`. Outputs appear only if verification passed; the report always does.

    Raises VerificationError (after writing the report) when the leak scan finds anything.
    """
    _refuse_to_overwrite_inputs(sources, out_dir, output_format)
    started_at = datetime.now(UTC)
    workers = workers if workers is not None else default_workers()
    started = time.perf_counter()
    run_id = run_id or new_run_id(started_at)
    report_dir = report_dir or out_dir
    scrubbed = run_scrub(
        sources,
        rules,
        keyring,
        out_dir,
        output_format=output_format,
        batch_rows=batch_rows,
        progress=progress,
        workers=workers,
        unique=unique,
        extra_originals=extra_originals,
    )
    if not keep_mapper:
        scrubbed.mapper.release()  # its memory goes to the verifier's search sets
    try:
        mark = time.perf_counter()
        ranges = rules.safe_ranges()
        regions = [
            rules.policy.default_region,
            *(r for r in rules.policy.regions if r != rules.policy.default_region),
        ]
        with settled():  # the originals' search sets are built: later collections skip them
            verification, per_column = verify(
                scrubbed.verify_tables,
                scrubbed.originals,
                ranges,
                regions=regions,
                batch_rows=batch_rows,
                workers=workers,
                consume=not keep_mapper,  # nothing reads the originals after a standalone scrub
            )
        verification.safe_ranges = safe_ranges_info(rules, ranges)
        scrubbed.timings["verify_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        withdrawn: list[Path] = []
        if verification.status == "passed":
            outputs = scrubbed.staging.publish()
        else:
            outputs, withdrawn = [], scrubbed.staging.withdraw()
        scrubbed.timings["write_s"] = time.perf_counter() - mark
    finally:
        scrubbed.staging.discard()
    scrubbed.timings["total_s"] = time.perf_counter() - started
    report = build_report(
        scrubbed,
        verification,
        per_column,
        rules,
        keyring,
        run=RunInfo(
            id=run_id,
            command=command,
            started_at=started_at,
            finished_at=datetime.now(UTC),
            duration_s=round(time.perf_counter() - started, 3),
            source_org=source_org,
            target_org=target_org,
            host=platform.node() or None,
            config=str(config) if config else None,
            config_hash=config_hash,
        ),
        outputs={p.stem: p for p in outputs},
    )
    write_reports(report, report_dir)
    if verification.status != "passed":
        earlier = (
            f" and the {len(withdrawn)} earlier output(s) it would have replaced in {out_dir} were "
            "removed"
            if withdrawn
            else ""
        )
        raise VerificationError(
            f"verification found {verification.findings_total} problem(s); nothing was published"
            + earlier,
            hint=f"see the findings (table, column, row) in {report_dir / 'scrub-report.html'}",
        )
    return ScrubResult(
        report=report,
        report_dir=report_dir,
        outputs=outputs,
        mapper=scrubbed.mapper if keep_mapper else None,
    )


def _refuse_to_overwrite_inputs(
    sources: Sequence[TableSource], out_dir: Path, output_format: Format | None
) -> None:
    """An output is published as DIR/<input stem>.<ext>: never over the input it was made from (the
    production extract would be gone, and a second run would scrub scrubbed data)."""
    for source in sources:
        output = out_dir / output_name(source, output_format or source.format)
        if source.path.exists() and output.resolve() == source.path.resolve():
            raise ConfigError(
                f"--out {out_dir}: the output {output.name} would replace the input {source.path}",
                hint="write the outputs to another folder",
            )


def safe_ranges_info(rules: RuleSet, ranges: SafeRanges) -> SafeRangesInfo:
    """What the verifier counted as safe, for the report."""
    path = rules.safe_ranges_file()
    phones = ranges.phones
    return SafeRangesInfo(
        source=shown_path(path),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        email_domains=list(ranges.emails.domains),
        reserved_tlds=list(ranges.emails.reserved_tlds),
        sink_domain=ranges.emails.sink_domain,
        phone_countries=sorted(
            {r.country for r in phones.ranges} | ({"US", "CA"} if phones.nanp else set())
        ),
        phone_blocks=len(phones.ranges) + len(phones.pool) + (1 if phones.nanp else 0),
    )


def build_report(
    scrubbed: Scrubbed,
    verification: VerificationReport,
    per_column: dict[tuple[str, str], int],
    rules: RuleSet,
    keyring: Keyring,
    *,
    run: RunInfo,
    outputs: dict[str, Path],
) -> ScrubReport:
    """The report model of a scrub (no values: names, counts, scores, rule locations)."""
    tables: list[TableReport] = []
    for table in scrubbed.tables:
        columns = []
        for column in table.columns.values():
            stats = scrubbed.stats.get((table.name, column.path))
            found = per_column.get((table.name, column.path), 0)
            columns.append(
                ColumnReport(
                    name=column.path,
                    entity=column.entity,
                    operator=column.operator,
                    params={
                        k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
                        for k, v in column.params.model_dump(exclude_defaults=True).items()
                    },
                    rule=column.rule,
                    detection=column.detection,
                    counts=ColumnCounts(
                        values=stats.values if stats else 0,
                        non_empty=stats.non_empty if stats else 0,
                        unique=stats.unique if stats else 0,
                        changed=stats.changed if stats else 0,
                        spans=dict(stats.spans) if stats else {},
                        collisions_avoided=stats.collisions_avoided if stats else 0,
                        unread=stats.unread if stats else 0,
                    ),
                    verification=ColumnVerification(
                        status="failed"
                        if found
                        else ("skipped" if column.operator == "drop" else "passed"),
                        findings=found,
                    ),
                )
            )
        output = outputs.get(table.source.stem)
        persona = table.persona
        tables.append(
            TableReport(
                name=table.name,
                source=str(table.source.path),
                format=table.source.format,
                output=str(output) if output else None,
                rows=scrubbed.rows.get(table.name, 0),
                columns=columns,
                persona=[persona.first_name, persona.last_name, persona.email] if persona else None,
            )
        )
    all_columns = [c for t in tables for c in t.columns]
    report = ScrubReport(
        status="verified" if verification.status == "passed" else "failed",
        tool=ToolInfo(version=__version__),
        run=run,
        key=KeyInfo(fingerprint=keyring.fingerprint, source=keyring.source),
        rules=RulesInfo(
            hash=rules.hash,
            files=[RulesFile(path=p, sha256=s) for p, s in rules.files],
            unknown_columns=rules.policy.unknown_columns,
            nlp=rules.nlp.model or "none",
        ),
        summary=Summary(
            tables=len(tables),
            rows=sum(t.rows for t in tables),
            columns=len(all_columns),
            pii_columns=sum(1 for c in all_columns if holds_personal_data(c)),
            values_changed=sum(c.counts.changed for c in all_columns),
            findings=verification.findings_total,
        ),
        tables=tables,
        verification=verification,
        timings=Timings(**{k: round(v, 3) for k, v in scrubbed.timings.items()}),
    )
    return note_unreviewed(report)


__all__ = ["ScrubResult", "new_run_id", "scrub"]
