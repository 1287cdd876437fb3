"""The scrub report: what was done to which column, by which rule, with what evidence, and the proof.

This model is the contract between the engine and every renderer (JSON, HTML, Markdown, history, the
review notebook). It never holds a record value: only names, counts, scores, rule locations, row numbers.
`scrub-report.json` is `ScrubReport.model_dump_json()`; its JSON Schema ships as
`rules/schemas/scrub-report.schema.json` (regenerate with `sanitize report schema`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolInfo(_Model):
    name: str = "sanitizer"
    version: str


class OrgInfo(_Model):
    """A Genesys org as identified by GET /api/v2/organizations/me."""

    role: Literal["production", "staging", "other"]
    id: str
    name: str
    profile: str = Field(description="The org profile name in the run config.")


class RunInfo(_Model):
    id: str = Field(description="Run id, e.g. 20261127T031500Z-3f9a1c.")
    command: str = Field(description="scrub, refresh, demo ...")
    started_at: datetime
    finished_at: datetime
    duration_s: float
    source_org: OrgInfo | None = None
    target_org: OrgInfo | None = None
    host: str | None = None
    config: str | None = Field(default=None, description="Run config file (refresh runs).")
    config_hash: str | None = Field(
        default=None,
        description="sha256 of the run config: a changed allow list or profile shows as drift.",
    )


class KeyInfo(_Model):
    fingerprint: str = Field(
        description="Public fingerprint of the scrub key; the key itself is never shown."
    )
    source: str = Field(
        description="Where the key came from: $SANITIZER_KEY, a key file, or generated."
    )


class RulesFile(_Model):
    path: str
    sha256: str


class RulesInfo(_Model):
    hash: str = Field(description="sha256 over the rules files in load order.")
    files: list[RulesFile]
    unknown_columns: Literal["detect", "fail"]
    nlp: str = Field(
        description="'none' (pattern and gazetteer recognizers only) or the spaCy pipeline used."
    )


class RuleRef(_Model):
    """Which rule decided a column, and where it is written."""

    kind: Literal["table", "pattern", "definition", "detected", "type"] = Field(
        description="table: a rule naming this table and column; pattern: a column-name pattern; "
        "definition: declared by the source (a Genesys contact list's phoneColumns/emailColumns); "
        "detected: no rule, classified by content; type: no rule, non-text type kept."
    )
    source: str | None = Field(
        default=None, description="file:line of the rule, when a rule applied."
    )
    match: str | None = Field(default=None, description="The column name or pattern that matched.")
    reason: str | None = Field(
        default=None, description="The rule's stated reason (e.g. why a column is kept)."
    )


# The evidence of values written as names, listed in the name lists or not ("Quillbrook"): a
# recognizer name in `Detection.recognizers` that the report explains in words.
NAME_SHAPE = "NameShape"


class Detection(_Model):
    """Evidence for a column's entity from its header and from a sample of its values.

    `confidence` is the share of the sampled distinct values in which the entity was found (for a column
    classified as that entity, the share where it covered the whole value); `scores` are the recognizers'
    own mean scores. A rule's entity is checked against a sample when a recognizer exists for it
    (`header+sample`: the share of sampled values holding it whole); otherwise `header`, confidence None.
    """

    method: Literal["header", "sample", "header+sample", "type", "none"]
    entity: str | None
    confidence: float | None = Field(default=None, ge=0, le=1)
    sample_size: int = 0
    matched: int = Field(default=0, description="Sampled values in which the entity was found.")
    scores: dict[str, float] = Field(
        default_factory=dict, description="Mean score per entity seen in the sample."
    )
    recognizers: list[str] = Field(default_factory=list)


class ColumnCounts(_Model):
    values: int = Field(description="Cells in the column (list paths count every element).")
    non_empty: int
    unique: int = Field(description="Distinct non-empty original values.")
    changed: int = Field(description="Cells whose output differs from the input.")
    spans: dict[str, int] = Field(
        default_factory=dict,
        description="Free text: PII spans replaced, per entity, counted in every cell that holds them.",
    )
    unread: int = Field(
        default=0,
        description="Phone or email column: cells its operator could not read as the entity (an "
        "address in a phone column, a word): scanned as free text, their PII replaced, and redacted "
        "where the scan found nothing. Placeholders without personal data (N/A, unknown) are not "
        "counted and stay as they are.",
    )
    collisions_avoided: int = Field(
        default=0,
        description="Key column: values whose run-wide replacement collided with another value's and was re-drawn to keep the column's values distinct (these keep no cross-table consistency).",
    )


class ColumnVerification(_Model):
    status: Literal["passed", "failed", "skipped"] = Field(
        description="passed: checked, nothing found; failed: findings in this column; skipped: the column "
        "was dropped from the output, so there is nothing to check."
    )
    findings: int = 0


class ColumnReport(_Model):
    name: str = Field(
        description="Column name, or a nested path such as cellPhone.e164 or identifiers[].value."
    )
    entity: str | None = Field(description="The entity the column holds; None when it holds none.")
    operator: str
    params: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    rule: RuleRef
    detection: Detection | None = None
    counts: ColumnCounts
    verification: ColumnVerification


class TableReport(_Model):
    name: str
    source: str = Field(description="Input file (or Genesys object) the table came from.")
    format: str
    output: str | None = Field(
        description="Published output file; None when nothing was published."
    )
    rows: int
    columns: list[ColumnReport]
    persona: list[str] | None = Field(
        default=None, description="Columns forming one coherent fake persona."
    )


Check = Literal["original-values", "email-domains", "phone-ranges"]


class Finding(_Model):
    """One verification finding: where it is and what kind, never the value."""

    table: str
    column: str
    row: int = Field(description="1-based data row number in the output (header excluded).")
    kind: Literal["original-value", "email-outside-allowed-domains", "phone-outside-safe-ranges"]
    entity: str | None = None


class SafeRangesInfo(_Model):
    """What counted as safe when the verifier checked emails and phone numbers."""

    source: str = Field(
        description="The safe-ranges file (rules/safe-ranges.yaml unless overridden)."
    )
    sha256: str
    email_domains: list[str] = Field(description="Reserved domains allowed for output emails.")
    reserved_tlds: list[str] = Field(
        description="Top-level domains reserved for testing (.test, .invalid...)."
    )
    sink_domain: str | None = Field(
        default=None, description="A catch-all domain the operator owns, if any."
    )
    phone_countries: list[str] = Field(
        description="Countries with fiction ranges; others use the pool."
    )
    phone_blocks: int = Field(
        description="Fiction blocks and pool blocks configured (NANP counts once)."
    )


class VerificationReport(_Model):
    status: Literal["passed", "failed"]
    checks: list[Check]
    originals_checked: int = Field(description="Distinct original PII values searched for.")
    cells_scanned: int
    findings_total: int
    findings: list[Finding] = Field(description="At most the first 1,000 findings.")
    safe_ranges: SafeRangesInfo | None = None
    coincidences: int = Field(
        default=0,
        description="Name words in free text that equal some customer's name but were put there by a "
        "replacement (fake names come from the same public pool as real ones): not a leak. A name word "
        "that stayed in place is a finding.",
    )


class FlowReport(_Model):
    """A flow copied from production: what was replaced in it, and its verification."""

    name: str
    type: str
    source_id: str
    replaced: dict[str, int] = Field(
        default_factory=dict,
        description="Hard-coded customer values replaced, per entity (phones, emails).",
    )
    verification: ColumnVerification


class Timings(_Model):
    read_s: float = 0.0
    detect_s: float = 0.0
    scrub_s: float = 0.0
    verify_s: float = 0.0
    write_s: float = 0.0
    total_s: float = 0.0


class Summary(_Model):
    tables: int
    rows: int
    columns: int
    pii_columns: int = Field(description="Columns that hold an entity (personal data).")
    values_changed: int
    findings: int
    kept_unreviewed: int = Field(
        default=0,
        description="Columns passed through unchanged that no person has vouched for: a keep rule "
        "without a reason or still marked REVIEW:, or no rule (non-text values). Verification "
        "cannot prove them clean.",
    )


class ScrubReport(_Model):
    schema_version: int = SCHEMA_VERSION
    status: Literal["verified", "failed"]
    status_note: str | None = Field(
        default=None,
        description="The status as the report's headline qualifies it, e.g. 'verified; 4 column(s) "
        "passed through unreviewed'; None when there is nothing to add.",
    )
    tool: ToolInfo
    run: RunInfo
    key: KeyInfo
    rules: RulesInfo
    summary: Summary
    tables: list[TableReport]
    verification: VerificationReport
    timings: Timings
    flows: list[FlowReport] = Field(
        default_factory=list,
        description="Flows scrubbed in a refresh (retargeted to staging when loaded).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ScrubReport:
        """A report whose parts disagree (edited by hand, or damaged) is refused: a page that says
        "verified" over failed columns must never reach a person who signs it."""
        v = self.verification
        failed = [
            f"{t.name}.{c.name}"
            for t in self.tables
            for c in t.columns
            if c.verification.status == "failed"
        ] + [f"flow {f.name}" for f in self.flows if f.verification.status == "failed"]
        problems = []
        if (self.status == "verified") != (v.status == "passed"):
            problems.append(f"status is {self.status} but verification.status is {v.status}")
        if self.status == "verified" and (v.findings_total or failed):
            problems.append(
                f"status is verified but it counts {v.findings_total} finding(s) and "
                f"{len(failed)} failed column(s) or flow(s)"
            )
        if self.summary.findings != v.findings_total:
            problems.append(
                f"summary.findings is {self.summary.findings} but verification.findings_total "
                f"is {v.findings_total}"
            )
        if len(v.findings) > v.findings_total:
            problems.append(
                f"verification lists {len(v.findings)} finding(s) but counts {v.findings_total}"
            )
        if problems:
            raise ValueError("the report contradicts itself: " + "; ".join(problems))
        return self
