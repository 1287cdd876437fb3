"""Render a ScrubReport as Markdown: the HTML page's facts, for a pull request, ticket or wiki.

Charts become small tables. Names from the data (tables, columns) are escaped so that they can never
turn into links, HTML or broken table cells.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sanitizer.report import figures
from sanitizer.report.model import ColumnReport, ScrubReport, TableReport

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~])")


def render_markdown(report: ScrubReport) -> str:
    """The report as one Markdown document."""
    lines: list[str] = []
    lines += _verdict(report)
    lines += _glance(report)
    lines += _findings(report)
    lines += _proof(report)
    lines += _pictures(report)
    for table in report.tables:
        lines += _table(table)
    lines += _flows(report)
    lines += _run_details(report)
    return "\n".join(lines).rstrip() + "\n"


def _verdict(report: ScrubReport) -> list[str]:
    head = figures.headline(report)
    mark = {"ok": "✓", "warn": "⚠", "bad": "✗"}[head.tone]
    run = report.run
    return [
        f"# Scrub report: run {_esc(run.id)}",
        "",
        f"> **{mark} {head.title.upper()}.** {head.sentence}",
        "",
        f"A {_code(run.command)} run started {figures.fmt_time(run.started_at)} and took "
        f"{figures.fmt_seconds(run.duration_s)}. This report holds names, counts and scores only, "
        "never a record value.",
        "",
    ]


def _glance(report: ScrubReport) -> list[str]:
    s = report.summary
    rows = [
        (
            "Status",
            _esc(report.status_note or "verified")
            if report.status == "verified"
            else "**NOT verified**",
        ),
        ("Tables", figures.fmt_int(s.tables)),
        ("Rows", figures.fmt_int(s.rows)),
        ("Columns", figures.fmt_int(s.columns)),
        ("Columns holding personal data", figures.fmt_int(s.pii_columns)),
        ("Values replaced", figures.fmt_int(s.values_changed)),
        ("Findings", figures.fmt_int(s.findings)),
    ]
    return ["## At a glance", "", *_grid(("", "Value"), rows, numeric={1}), ""]


def _findings(report: ScrubReport) -> list[str]:
    verification = report.verification
    lines = ["## Findings", ""]
    if not verification.findings:
        if verification.findings_total:
            lines.append(
                f"The check counted {figures.fmt_int(verification.findings_total)} finding(s) but "
                "the report lists none; see the columns marked FAILED below."
            )
        else:
            lines.append(
                "No findings: the check found no original value and no unsafe email or phone "
                "number in the output."
            )
        return [*lines, ""]
    lines.append(
        "Each finding names the table, the column and the output row (1-based, header excluded). "
        "The values themselves are never shown."
    )
    if verification.findings_total > len(verification.findings):
        lines.append(
            f"The first {figures.fmt_int(len(verification.findings))} of "
            f"{figures.fmt_int(verification.findings_total)} findings are listed."
        )
    lines.append("")
    rows = [
        (
            _esc(f.table),
            _code(f.column),
            figures.fmt_int(f.row),
            figures.FINDING_WORDS.get(f.kind, f.kind),
            _esc(f.entity or "–"),
        )
        for f in verification.findings
    ]
    lines += _grid(("Table", "Column", "Row", "What was found", "Entity"), rows, numeric={2})
    return [*lines, ""]


def _proof(report: ScrubReport) -> list[str]:
    v = report.verification
    lines = [
        "## What “verified” means here",
        "",
        "After replacing the data, a separate piece of code, independent of the one that made the "
        "replacements, examined the output:",
        "",
    ]
    lines += [f"- It {figures.CHECK_WORDS.get(check, check)}." for check in v.checks]
    lines += [
        "",
        f"It searched for {figures.fmt_int(v.originals_checked)} distinct original values across "
        f"{figures.fmt_int(v.cells_scanned)} output cells.",
    ]
    if v.coincidences:
        lines.append(
            f"{figures.fmt_int(v.coincidences)} name word(s) in free text equal some customer's "
            "name but were put there by a replacement (fake names come from the same public pool "
            "as real ones): not a leak. A name word that stayed in its place always fails."
        )
    if v.safe_ranges is not None:
        sr = v.safe_ranges
        sink = f", or the sink domain {sr.sink_domain}" if sr.sink_domain else ""
        lines.append(
            f"What counted as safe: emails at {', '.join(sr.email_domains)} or any "
            f"{', '.join('.' + t for t in sr.reserved_tlds)} domain{sink}; phone numbers in "
            f"{sr.phone_blocks} fiction or pool block(s) for {', '.join(sr.phone_countries)} (other "
            f"countries use the pool). Ranges file `{sr.source}`, sha256 `{sr.sha256[:16]}…`."
        )
    lines += [
        "",
        "**What it does not prove.** The search looks for the values the tool found or replaced. "
        "A column kept on purpose (operator `keep`) passes through by a person's decision, and a "
        "value that no rule and no detector recognised as personal data is not in the search list. "
        "Review the columns marked `keep` with their reasons, and any column detected with low "
        "confidence.",
        "",
    ]
    unvouched = figures.kept_unvouched(report)
    if unvouched:
        lines += [
            f"**Columns passed through unchanged that no person has vouched for "
            f"({len(unvouched)}).** Nothing in this report proves them clean: confirm each holds no "
            "personal data, and say why in its rule's `reason`.",
            "",
            *(
                f"- {_esc(item.table)} · {_code(item.column)}: {_esc(item.why)}"
                for item in unvouched
            ),
            "",
        ]
    return lines


def _pictures(report: ScrubReport) -> list[str]:
    lines = ["## Pictures of this run, as tables", ""]
    tables, entities, counts = figures.entities_per_table(report)
    if entities:
        lines += ["**Personal-data columns per table and entity**", ""]
        rows = [(_esc(t), *(str(counts.get((t, e), 0)) for e in entities)) for t in tables]
        lines += _grid(
            ("Table", *map(_esc, entities)), rows, numeric=set(range(1, len(entities) + 1))
        )
        lines.append("")
    lines += ["**Columns per operator**", ""]
    operators = [(_code(name), n) for name, n in figures.operators_used(report)]
    lines += _grid(("Operator", "Columns"), operators, numeric={1})
    bins = figures.confidence_bins(report)
    if any(n for _, n in bins):
        lines += ["", "**Detected columns per confidence band**", ""]
        lines += _grid(("Confidence", "Columns"), bins, numeric={1})
    low = figures.low_confidence(report)
    if low:
        lines += [
            "",
            f"**Columns to check: classified with confidence below {figures.LOW_CONFIDENCE}.**",
            "",
        ]
        lines += [
            f"- {_esc(item.table)} · {_code(item.column)}: {_esc(item.entity or 'no entity')}, "
            f"confidence {item.confidence:.2f}"
            for item in low
        ]
    return [*lines, ""]


def _table(table: TableReport) -> list[str]:
    output = _code(table.output) if table.output else "not published"
    lines = [
        f"## Table {_esc(table.name)}",
        "",
        f"- Source: {_code(table.source)} ({_esc(table.format)})",
        f"- Output: {output}",
        f"- Rows: {figures.fmt_int(table.rows)}",
    ]
    if table.persona:
        lines.append(
            f"- Persona: {', '.join(_code(c) for c in table.persona)} form one coherent fake "
            "person per row"
        )
    lines.append("")
    header = (
        "Column",
        "Entity",
        "Rule, and where it is written",
        "Operator",
        "Detection evidence",
        "Non-empty",
        "Unique",
        "Changed",
        "Verification",
    )
    lines += _grid(header, [_column_row(c) for c in table.columns], numeric={5, 6, 7})
    return [*lines, ""]


def _column_row(column: ColumnReport) -> tuple[str, ...]:
    rule = _esc(figures.rule_words(column))
    if column.rule.match:
        rule += f"; matched {_code(column.rule.match)}"
    if column.rule.reason:
        rule += f"; reason: {_esc(column.rule.reason)}"
    operator = _code(column.operator)
    if column.params:
        operator += f" ({_esc(figures.params_words(column))})"
    changed = figures.fmt_int(column.counts.changed)
    if column.counts.spans:
        changed += f" (spans: {_esc(figures.spans_words(column))})"
    if column.counts.unread:
        changed += f" ({_esc(figures.unread_words(column))})"
    status = column.verification.status
    if status == "failed":
        verdict = f"**✗ FAILED** ({figures.fmt_int(column.verification.findings)})"
    elif status == "passed":
        verdict = "✓ passed"
    else:
        verdict = f"– {figures.COLUMN_VERIFICATION_WORDS['skipped']}"
    return (
        _code(column.name),
        _esc(column.entity or "none"),
        rule,
        operator,
        _esc(figures.detection_words(column)),
        figures.fmt_int(column.counts.non_empty),
        figures.fmt_int(column.counts.unique),
        changed,
        verdict,
    )


def _flows(report: ScrubReport) -> list[str]:
    """Flows copied from production: what was replaced in each, and its own verification."""
    if not report.flows:
        return []
    rows = [
        (
            _esc(flow.name),
            _esc(flow.type),
            ", ".join(f"{n} {e}" for e, n in sorted(flow.replaced.items())) or "nothing to replace",
            figures.COLUMN_VERIFICATION_WORDS.get(
                flow.verification.status, flow.verification.status
            ),
        )
        for flow in report.flows
    ]
    return [
        "## Flows",
        "",
        "Phone numbers and email addresses written into production flows were replaced like any other "
        "value; the flows are retargeted to the staging org's configuration variables when loaded.",
        "",
        *_grid(("Flow", "Type", "Replaced", "Verification"), rows),
        "",
    ]


def _run_details(report: ScrubReport) -> list[str]:
    run, rules = report.run, report.rules
    facts = [
        (
            "Tool",
            f"{_esc(report.tool.name)} {_esc(report.tool.version)} "
            f"(report schema {report.schema_version})",
        ),
        ("Run id", _code(run.id)),
        ("Command", _code(run.command)),
        ("Started", figures.fmt_time(run.started_at)),
        ("Finished", figures.fmt_time(run.finished_at)),
        ("Duration", figures.fmt_seconds(run.duration_s)),
    ]
    if run.host:
        facts.append(("Host", _esc(run.host)))
    for label, org in (("Source org", run.source_org), ("Target org", run.target_org)):
        if org is not None:
            facts.append(
                (
                    label,
                    f"{_esc(org.name)} ({org.role}), id {_code(org.id)}, "
                    f"profile {_code(org.profile)}",
                )
            )
    facts += [
        ("Key fingerprint", f"{_code(report.key.fingerprint)} from {_esc(report.key.source)}"),
        ("Rules hash", _code(rules.hash)),
        (
            "Columns without a rule",
            figures.POLICY_WORDS.get(rules.unknown_columns, rules.unknown_columns),
        ),
        (
            "Language model",
            "none (pattern and name-list recognizers only)"
            if rules.nlp == "none"
            else _esc(rules.nlp),
        ),
    ]
    lines = [
        "## Run details",
        "",
        *_grid(("", ""), facts),
        "",
        "**Rules files** (in load order)",
        "",
    ]
    files = [(_code(f.path), _code(f.sha256)) for f in rules.files] or [("no rules file", "")]
    lines += _grid(("File", "sha256"), files)
    t = report.timings
    stages = [
        ("Read", t.read_s),
        ("Detect", t.detect_s),
        ("Scrub", t.scrub_s),
        ("Verify", t.verify_s),
        ("Write", t.write_s),
        ("Total", t.total_s),
    ]
    lines += ["", "**Timings**", ""]
    lines += _grid(("Stage", "Time"), [(s, figures.fmt_seconds(v)) for s, v in stages], numeric={1})
    return [*lines, ""]


def _grid(
    header: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int] | None = None
) -> list[str]:
    """A GitHub-flavoured Markdown table; `numeric` columns are right-aligned."""
    numeric = numeric or set()
    align = ["---:" if i in numeric else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _esc(text: str) -> str:
    """Escape Markdown and HTML specials so that a name from the data stays plain text."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _code(text: str) -> str:
    """Inline code that survives backticks and pipes inside the name."""
    clean = text.replace("\n", " ").replace("|", "\\|")
    fence = "``" if "`" in clean else "`"
    pad = " " if "`" in clean else ""
    return f"{fence}{pad}{clean}{pad}{fence}"
