"""The figures and plain words that both renderers (HTML and Markdown) show, from a ScrubReport.

Keeping them here means the HTML page and the Markdown file state the same facts in the same words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from sanitizer.report.model import NAME_SHAPE, ColumnReport, ScrubReport
from sanitizer.rules import unvouched_keep

# A column classified from its content below this confidence deserves a person's look.
LOW_CONFIDENCE = 0.6

CONFIDENCE_BINS: tuple[tuple[float, float], ...] = (
    (0.0, 0.2),
    (0.2, 0.4),
    (0.4, 0.6),
    (0.6, 0.8),
    (0.8, 1.0),
)

RULE_KIND_SHORT: dict[str, str] = {
    "table": "table rule",
    "pattern": "name-pattern rule",
    "definition": "the source's own definition",
    "detected": "no rule: detected from content",
    "type": "no rule: not text",
}

METHOD_WORDS: dict[str, str] = {
    "header": "column name",
    "sample": "sampled values",
    "header+sample": "column name and sampled values",
}

RULE_KIND_WORDS: dict[str, str] = {
    "table": "a rule written for this table and column",
    "pattern": "a rule that matches the column name by pattern",
    "definition": "declared by the source system itself (a contact list's phone and email columns)",
    "detected": "no rule: the tool classified the column from its content",
    "type": "no rule: not text (numbers, dates, booleans), passed through",
}

FINDING_WORDS: dict[str, str] = {
    "original-value": "an original value was found in the output",
    "email-outside-allowed-domains": "an email address outside the allowed domains",
    "phone-outside-safe-ranges": "a phone number outside the safe (fictional) ranges",
}

CHECK_WORDS: dict[str, str] = {
    "original-values": "searched every output cell for every original value that was detected "
    "or replaced, in its exact and normalised forms",
    "email-domains": "checked that every email address in the output is at a reserved or "
    "configured sink domain",
    "phone-ranges": "checked that every phone number in the output is in a fictional or "
    "configured safe range",
}

COLUMN_VERIFICATION_WORDS: dict[str, str] = {
    "passed": "passed",
    "failed": "FAILED",
    "skipped": "not checked on its own (no PII expected)",
}

ROLE_WORDS: dict[str, str] = {"production": "production", "staging": "staging", "other": "other"}

POLICY_WORDS: dict[str, str] = {
    "detect": "detect: columns without a rule are classified from their content",
    "fail": "fail: a column without a rule stops the run",
}


@dataclass(frozen=True)
class Headline:
    """The banner: one status word, one sentence, and whether it is good news (and whether only
    partly: verified, but with columns passed through that nobody vouched for)."""

    is_verified: bool
    title: str
    sentence: str
    is_qualified: bool = False

    @property
    def tone(self) -> str:
        """The banner's colour: ok, warn or bad."""
        return "bad" if not self.is_verified else ("warn" if self.is_qualified else "ok")


@dataclass(frozen=True)
class LowConfidence:
    table: str
    column: str
    entity: str | None
    confidence: float


def headline(report: ScrubReport) -> Headline:
    """The verdict in words a compliance officer can sign against."""
    verification = report.verification
    if report.status == "verified":
        checked = (
            f"The independent check scanned {fmt_int(verification.cells_scanned)} output cells "
            f"for {fmt_int(verification.originals_checked)} original values and found nothing: "
            "no original value survived and every email and phone number checked is in a "
            "safe range."
        )
        unreviewed = len(kept_unvouched(report))
        if unreviewed:
            return Headline(
                is_verified=True,
                is_qualified=True,
                title=f"Verified; {unreviewed_words(unreviewed)}",
                sentence=(
                    f"{checked} But {unreviewed_words(unreviewed)} unchanged with nobody vouching "
                    "for them: the check searches for the values the tool found, so it cannot "
                    "prove those columns clean. They are listed below."
                ),
            )
        return Headline(is_verified=True, title="Verified clean", sentence=checked)
    published = [t.name for t in report.tables if t.output is not None]
    outcome = (
        "Nothing was published."
        if not published
        else f"Warning: {len(published)} table(s) still list a published output."
    )
    return Headline(
        is_verified=False,
        title="NOT verified",
        sentence=(
            f"The independent check found {fmt_int(verification.findings_total)} problem(s) "
            f"in the output. {outcome} The findings below say where, without the values."
        ),
    )


def unreviewed_words(count: int) -> str:
    """'1 column passed through unreviewed', '4 columns passed through unreviewed'."""
    return f"{fmt_int(count)} column{'' if count == 1 else 's'} passed through unreviewed"


def note_unreviewed(report: ScrubReport) -> ScrubReport:
    """The report with its count of unreviewed kept columns, and its status qualified by them (what
    the headline says, for the readers of the JSON)."""
    count = len(kept_unvouched(report))
    report.summary.kept_unreviewed = count
    report.status_note = f"{report.status}; {unreviewed_words(count)}" if count else None
    return report


def holds_personal_data(column: ColumnReport) -> bool:
    """What "columns holding personal data" counts, in the summary and in the chart: an entity."""
    return column.entity is not None


def entities_per_table(
    report: ScrubReport,
) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    """Tables, entities, and the number of columns of each table holding each entity."""
    counts: Counter[tuple[str, str]] = Counter()
    entities: set[str] = set()
    for table in report.tables:
        for column in table.columns:
            if holds_personal_data(column) and column.entity is not None:
                counts[(table.name, column.entity)] += 1
                entities.add(column.entity)
    return [t.name for t in report.tables], sorted(entities), dict(counts)


def operators_used(report: ScrubReport) -> list[tuple[str, int]]:
    """Columns per operator, most used first."""
    counts = Counter(c.operator for t in report.tables for c in t.columns)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def detected_columns(report: ScrubReport) -> list[tuple[str, ColumnReport]]:
    """(table, column) for every column with a detection confidence."""
    return [
        (t.name, c)
        for t in report.tables
        for c in t.columns
        if c.detection is not None and c.detection.confidence is not None
    ]


def confidence_bins(report: ScrubReport) -> list[tuple[str, int]]:
    """How many columns fall in each confidence band (the last band includes 1.0)."""
    scores = [c.detection.confidence for _, c in detected_columns(report) if c.detection]
    bins = []
    for low, high in CONFIDENCE_BINS:
        is_last = high == CONFIDENCE_BINS[-1][1]
        n = sum(
            1
            for s in scores
            if s is not None and low <= s and (s < high or (is_last and s <= high))
        )
        bins.append((f"{low:.1f}–{high:.1f}", n))
    return bins


def low_confidence(report: ScrubReport) -> list[LowConfidence]:
    """Columns whose sampled values bore out their entity with a confidence below LOW_CONFIDENCE."""
    rows = []
    for table, column in detected_columns(report):
        score = column.detection.confidence if column.detection else None
        if score is not None and score < LOW_CONFIDENCE:
            rows.append(LowConfidence(table, column.name, column.entity, score))
    return rows


@dataclass(frozen=True)
class Unvouched:
    table: str
    column: str
    why: str


def kept_unvouched(report: ScrubReport) -> list[Unvouched]:
    """Columns passed through unchanged that no person has vouched for: a `keep` rule that states no
    reason or still the `REVIEW:` reason `scan --suggest-rules` proposed, or no rule at all (non-text
    values in which a sample found nothing). The check cannot prove such a column clean: it searches
    for the values the tool found."""
    rows = []
    for table in report.tables:
        for column in table.columns:
            if column.operator != "keep":
                continue
            rule = column.rule
            if rule.kind == "type":
                sample = column.detection.sample_size if column.detection else 0
                why = "no rule: kept for its non-text values (numbers, dates, booleans)"
                if sample:
                    why += f"; none of {sample} sampled held PII"
            elif unvouched := unvouched_keep(rule.reason):
                why = f"kept by the rule at {rule.source}, which {unvouched}"
            else:
                continue
            rows.append(Unvouched(table.name, column.name, why))
    return rows


def findings_per_column(report: ScrubReport) -> list[tuple[str, int]]:
    """'table.column' and its verification findings, for columns with any, most first."""
    rows = [
        (f"{t.name}.{c.name}", c.verification.findings)
        for t in report.tables
        for c in t.columns
        if c.verification.findings > 0
    ]
    return sorted(rows, key=lambda item: (-item[1], item[0]))


def rule_words(column: ColumnReport) -> str:
    """The rule that decided a column, in words, with its file:line when one applied."""
    words = RULE_KIND_SHORT.get(column.rule.kind, column.rule.kind)
    if column.rule.source:
        words += f", {column.rule.source}"
    return words


def params_words(column: ColumnReport) -> str:
    """An operator's parameters as `key=value` pairs (they are settings, never record values)."""
    return ", ".join(f"{k}={v}" for k, v in sorted(column.params.items()))


def detection_words(column: ColumnReport) -> str:
    """How the entity was found: method, confidence, and sample hits."""
    detection = column.detection
    if detection is None or detection.method == "none":
        return "not needed (decided by rule)"
    if detection.method == "type":
        return "not needed (not a text column)"
    words = METHOD_WORDS.get(detection.method, detection.method)
    if detection.confidence is not None:
        words += f"; confidence {detection.confidence:.2f}"
    if detection.sample_size:
        matched, size = fmt_int(detection.matched), fmt_int(detection.sample_size)
        words += f" ({matched} of {size} values matched)"
    if NAME_SHAPE in detection.recognizers:
        words += "; values written as names, not all in the name lists"
    return words


def unread_words(column: ColumnReport) -> str:
    """Cells a phone or email operator could not read as its entity, and what became of them."""
    count = column.counts.unread
    if not count:
        return ""
    return (
        f"{fmt_int(count)} value{'' if count == 1 else 's'} not read as {column.entity or 'the entity'}: "
        "scanned as free text, redacted where nothing was found"
    )


def spans_words(column: ColumnReport) -> str:
    """Free-text spans replaced per entity, e.g. 'PERSON 12, EMAIL_ADDRESS 3'."""
    return ", ".join(f"{entity} {fmt_int(n)}" for entity, n in sorted(column.counts.spans.items()))


def fmt_int(value: int) -> str:
    """12345 -> '12,345'."""
    return f"{value:,}"


def fmt_seconds(value: float) -> str:
    """A duration a person reads at a glance: '0.42 s', '12.3 s', '4 min 05 s'."""
    if value < 10:
        return f"{value:.2f} s"
    if value < 60:
        return f"{value:.1f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s"


def fmt_time(value: datetime) -> str:
    """A timestamp in UTC, 'YYYY-MM-DD HH:MM:SS UTC' (naive times are taken as UTC already)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")
