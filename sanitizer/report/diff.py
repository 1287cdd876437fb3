"""Drift between two runs: compare two scrub reports and say which changes need a human decision.

A change needs a decision when a person must look before the later run is trusted like the earlier
one: a table or column appeared or vanished, the rules changed, a column's entity or operator
changed, the verification outcome changed, the source or target org changed, or a count swung
beyond the threshold. Everything else (tool version, key rotation, detection scores) is for
information.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sanitizer.errors import InputError
from sanitizer.report.model import ColumnReport, OrgInfo, ScrubReport, TableReport

DEFAULT_THRESHOLD = 50.0  # percent
CONFIDENCE_STEP = 0.1  # a detection confidence moving by at least this much is worth a line


@dataclass(frozen=True)
class Change:
    """One difference between two runs, in words; never a record value."""

    scope: str  # run, rules, table, column, verification
    subject: str  # what changed: "rules hash", "contacts", "contacts.Email"
    what: str  # the change in words
    before: str | None
    after: str | None
    needs_decision: bool


@dataclass(frozen=True)
class ReportDiff:
    """What changed from one run (before) to another (after)."""

    before: ScrubReport
    after: ScrubReport
    threshold: float
    changes: list[Change] = field(default_factory=list)

    @property
    def decisions(self) -> list[Change]:
        return [c for c in self.changes if c.needs_decision]

    @property
    def has_decisions(self) -> bool:
        return any(c.needs_decision for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: both runs' identity, the threshold, and every change."""
        return {
            "before": _identity(self.before),
            "after": _identity(self.after),
            "threshold_percent": self.threshold,
            "needs_decision": len(self.decisions),
            "changes": [asdict(c) for c in self.changes],
        }


def diff_reports(
    before: ScrubReport, after: ScrubReport, *, threshold: float = DEFAULT_THRESHOLD
) -> ReportDiff:
    """Every difference between two runs that a reviewer may care about, decisions first."""
    if not threshold >= 0:
        raise InputError(f"the swing threshold must be a percentage >= 0, got {threshold}")
    changes = [
        *_run_changes(before, after),
        *_rules_changes(before, after),
        *_table_changes(before, after, threshold),
    ]
    changes.sort(key=lambda c: not c.needs_decision)
    return ReportDiff(before=before, after=after, threshold=threshold, changes=changes)


def _identity(report: ScrubReport) -> dict[str, Any]:
    return {
        "run_id": report.run.id,
        "started_at": report.run.started_at.isoformat(),
        "status": report.status,
        "rules_hash": report.rules.hash,
    }


def _run_changes(a: ScrubReport, b: ScrubReport) -> list[Change]:
    out: list[Change] = []
    if a.status != b.status:
        out.append(
            Change("verification", "run", "verification status changed", a.status, b.status, True)
        )
    elif a.verification.findings_total != b.verification.findings_total:
        out.append(
            Change(
                "verification",
                "run",
                "number of findings changed",
                str(a.verification.findings_total),
                str(b.verification.findings_total),
                False,
            )
        )
    for label, org_a, org_b in (
        ("source org", a.run.source_org, b.run.source_org),
        ("target org", a.run.target_org, b.run.target_org),
    ):
        out += _org_changes(label, org_a, org_b)
    if a.tool.version != b.tool.version:
        out.append(
            Change("run", "tool", "tool version changed", a.tool.version, b.tool.version, False)
        )
    if a.key.fingerprint != b.key.fingerprint:
        out.append(
            Change(
                "run",
                "key",
                "key fingerprint changed (key rotated: every pseudonym changes)",
                a.key.fingerprint,
                b.key.fingerprint,
                False,
            )
        )
    if a.run.command != b.run.command:
        out.append(
            Change("run", "command", "different command", a.run.command, b.run.command, False)
        )
    return out


def _org_changes(label: str, a: OrgInfo | None, b: OrgInfo | None) -> list[Change]:
    if a is None and b is None:
        return []
    if a is None or b is None or a.id != b.id or a.role != b.role:
        return [Change("run", label, f"{label} changed", _org(a), _org(b), True)]
    if a.name != b.name or a.profile != b.profile:
        return [Change("run", label, f"{label} renamed", _org(a), _org(b), False)]
    return []


def _org(org: OrgInfo | None) -> str | None:
    return None if org is None else f"{org.name} ({org.role}, id {org.id}, profile {org.profile})"


def _rules_changes(a: ScrubReport, b: ScrubReport) -> list[Change]:
    out: list[Change] = []
    if a.rules.hash != b.rules.hash:
        out.append(
            Change("rules", "rules hash", "the rules changed", a.rules.hash, b.rules.hash, True)
        )
    if a.rules.unknown_columns != b.rules.unknown_columns:
        out.append(
            Change(
                "rules",
                "unknown columns policy",
                "policy for columns without a rule changed",
                a.rules.unknown_columns,
                b.rules.unknown_columns,
                True,
            )
        )
    if a.rules.nlp != b.rules.nlp:
        out.append(Change("rules", "nlp", "language model changed", a.rules.nlp, b.rules.nlp, True))
    files_a = {f.path: f.sha256 for f in a.rules.files}
    files_b = {f.path: f.sha256 for f in b.rules.files}
    for path in sorted(files_a.keys() | files_b.keys()):
        sha_a, sha_b = files_a.get(path), files_b.get(path)
        if sha_a == sha_b:
            continue
        what = (
            "rules file added"
            if sha_a is None
            else "rules file removed"
            if sha_b is None
            else "rules file edited"
        )
        out.append(Change("rules", path, what, sha_a, sha_b, False))
    return out


def _table_changes(a: ScrubReport, b: ScrubReport, threshold: float) -> list[Change]:
    tables_a = {t.name: t for t in a.tables}
    tables_b = {t.name: t for t in b.tables}
    out: list[Change] = []
    for name in [t.name for t in a.tables if t.name not in tables_b]:
        out.append(Change("table", name, "table vanished", _shape(tables_a[name]), None, True))
    for name in [t.name for t in b.tables if t.name not in tables_a]:
        out.append(Change("table", name, "new table", None, _shape(tables_b[name]), True))
    for t_b in b.tables:
        t_a = tables_a.get(t_b.name)
        if t_a is not None:
            out += _one_table(t_a, t_b, threshold)
    return out


def _shape(table: TableReport) -> str:
    return f"{table.rows:,} rows, {len(table.columns)} columns"


def _one_table(a: TableReport, b: TableReport, threshold: float) -> list[Change]:
    out: list[Change] = []
    if _swings(a.rows, b.rows, threshold):
        out.append(Change("table", a.name, "row count swing", f"{a.rows:,}", f"{b.rows:,}", True))
    if a.source != b.source or a.format != b.format:
        out.append(
            Change(
                "table",
                a.name,
                "source changed",
                f"{a.source} ({a.format})",
                f"{b.source} ({b.format})",
                False,
            )
        )
    if (a.persona or []) != (b.persona or []):
        out.append(
            Change(
                "table", a.name, "persona columns changed", _join(a.persona), _join(b.persona), True
            )
        )
    columns_a = {c.name: c for c in a.columns}
    columns_b = {c.name: c for c in b.columns}
    for c in a.columns:
        if c.name not in columns_b:
            out.append(
                Change("column", f"{a.name}.{c.name}", "column vanished", _column(c), None, True)
            )
    for c in b.columns:
        if c.name not in columns_a:
            out.append(Change("column", f"{a.name}.{c.name}", "new column", None, _column(c), True))
        else:
            out += _one_column(f"{a.name}.{c.name}", columns_a[c.name], c, threshold)
    return out


def _one_column(subject: str, a: ColumnReport, b: ColumnReport, threshold: float) -> list[Change]:
    out: list[Change] = []

    def add(what: str, before: object, after: object, needs_decision: bool) -> None:
        out.append(Change("column", subject, what, _text(before), _text(after), needs_decision))

    if a.entity != b.entity:
        add("entity changed", a.entity, b.entity, True)
    if a.operator != b.operator:
        add("operator changed", a.operator, b.operator, True)
    if a.params != b.params:
        add("operator parameters changed", _params(a), _params(b), True)
    if (a.rule.kind, a.rule.match) != (b.rule.kind, b.rule.match):
        add("a different rule decides the column", _rule(a), _rule(b), True)
    elif a.rule.source != b.rule.source:
        add("rule moved", a.rule.source, b.rule.source, False)
    if a.verification.status != b.verification.status:
        add("verification result changed", a.verification.status, b.verification.status, True)
    share_a, share_b = _share(a), _share(b)
    if _swings(share_a, share_b, threshold):
        add("share of changed cells swung", f"{share_a:.0%}", f"{share_b:.0%}", True)
    out += _detection_changes(subject, a, b)
    return out


def _detection_changes(subject: str, a: ColumnReport, b: ColumnReport) -> list[Change]:
    da, db = a.detection, b.detection
    if da is None or db is None:
        if (da is None) != (db is None):
            return [
                Change(
                    "column",
                    subject,
                    "detection evidence appeared or vanished",
                    _text(da and da.method),
                    _text(db and db.method),
                    False,
                )
            ]
        return []
    out: list[Change] = []
    if da.entity != db.entity or da.method != db.method:
        out.append(
            Change(
                "column",
                subject,
                "detection result changed",
                f"{da.entity} by {da.method}",
                f"{db.entity} by {db.method}",
                False,
            )
        )
    if (
        da.confidence is not None
        and db.confidence is not None
        and abs(da.confidence - db.confidence) >= CONFIDENCE_STEP
    ):
        out.append(
            Change(
                "column",
                subject,
                "detection confidence moved",
                f"{da.confidence:.2f}",
                f"{db.confidence:.2f}",
                False,
            )
        )
    spans_a, spans_b = set(a.counts.spans), set(b.counts.spans)
    if spans_a != spans_b:
        out.append(
            Change(
                "column",
                subject,
                "entities found in free text changed",
                _join(sorted(spans_a)),
                _join(sorted(spans_b)),
                False,
            )
        )
    return out


def _share(column: ColumnReport) -> float:
    """The share of a column's cells that were changed: it does not move when a table only grows."""
    return column.counts.changed / column.counts.values if column.counts.values else 0.0


def _swings(before: float, after: float, threshold: float) -> bool:
    """Whether a count moved by more than `threshold` percent of its earlier value (0 -> n does)."""
    if before == after:
        return False
    if before == 0:
        return True
    return abs(after - before) / before * 100 > threshold


def _column(c: ColumnReport) -> str:
    return f"entity {c.entity or 'none'}, operator {c.operator}, rule {_rule(c)}"


def _rule(c: ColumnReport) -> str:
    where = f" at {c.rule.source}" if c.rule.source else ""
    match = f" matching {c.rule.match}" if c.rule.match else ""
    return f"{c.rule.kind}{match}{where}"


def _params(c: ColumnReport) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(c.params.items())) or "none"


def _join(items: list[str] | None) -> str:
    return ", ".join(items) if items else "none"


def _text(value: object) -> str | None:
    return None if value is None else str(value)
