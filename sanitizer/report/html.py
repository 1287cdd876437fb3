"""Render a ScrubReport as one self-contained HTML page (inline CSS and SVG, no script, offline).

The page is written for a compliance officer: the verdict first, in words and colour, then the
findings, pictures of the run, every table and column with its rule, operator, evidence and counts,
and the run's metadata. It holds names, counts and scores only, never a record value; Jinja2 escapes
all text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from sanitizer.report import charts, figures
from sanitizer.report.model import ScrubReport

TEMPLATES = Path(__file__).resolve().parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters["int"] = figures.fmt_int
_env.filters["seconds"] = figures.fmt_seconds
_env.filters["time"] = figures.fmt_time
_env.globals.update(
    rule_words=figures.rule_words,
    params_words=figures.params_words,
    detection_words=figures.detection_words,
    spans_words=figures.spans_words,
    unread_words=figures.unread_words,
    finding_words=figures.FINDING_WORDS,
    check_words=figures.CHECK_WORDS,
    column_words=figures.COLUMN_VERIFICATION_WORDS,
    rule_kind_words=figures.RULE_KIND_WORDS,
    rule_kind_short=figures.RULE_KIND_SHORT,
    policy_words=figures.POLICY_WORDS,
    low_threshold=figures.LOW_CONFIDENCE,
)


def render_html(report: ScrubReport) -> str:
    """The report as a standalone HTML document (a str ready to write as UTF-8)."""
    template = _env.get_template("report.html.j2")
    return template.render(
        r=report,
        headline=figures.headline(report),
        charts=_charts(report),
        low=figures.low_confidence(report),
        unvouched=figures.kept_unvouched(report),
        is_truncated=report.verification.findings_total > len(report.verification.findings),
    )


def _charts(report: ScrubReport) -> list[dict[str, Any]]:
    """The pictures worth showing for this run, each with a caption stating its point in words."""
    shown: list[dict[str, Any]] = []
    tables, entities, counts = figures.entities_per_table(report)
    if entities:
        per_table = [
            f"{t}: {sum(n for (tt, _), n in counts.items() if tt == t)} PII column(s)"
            for t in tables
        ]
        shown.append(
            _chart(
                "Which tables hold which kinds of personal data",
                "Each cell counts the columns of a table (row) that hold an entity (column).",
                charts.heatmap(
                    "chart-entities",
                    "Personal-data columns per table and entity",
                    "; ".join(per_table),
                    tables,
                    entities,
                    counts,
                ),
            )
        )
    operators = figures.operators_used(report)
    if operators:
        shown.append(
            _chart(
                "How values were replaced",
                "Columns per operator. keep means the column passed through unchanged on purpose.",
                charts.bar_chart(
                    "chart-operators",
                    "Columns per operator",
                    "; ".join(f"{name}: {n} column(s)" for name, n in operators),
                    operators,
                ),
            )
        )
    bins = figures.confidence_bins(report)
    if any(n for _, n in bins):
        low_bins = [label for label, _ in bins if float(label[:3]) < figures.LOW_CONFIDENCE]
        shown.append(
            _chart(
                "How sure the detection was",
                "Columns with sample evidence (classified from their content, or a rule "
                "checked against sampled values), by detection confidence (0 to 1). "
                f"Hatched bands are below {figures.LOW_CONFIDENCE}: those columns are listed "
                "under the chart for a person to check.",
                charts.bar_chart(
                    "chart-confidence",
                    "Detected columns per confidence band",
                    "; ".join(f"confidence {label}: {n} column(s)" for label, n in bins),
                    bins,
                    highlight=low_bins,
                    highlight_note=f"below {figures.LOW_CONFIDENCE}: check these columns",
                ),
            )
        )
    failing = figures.findings_per_column(report)
    if failing:
        shown.append(
            _chart(
                "Where verification failed",
                "Findings per column. Every column shown here failed verification.",
                charts.bar_chart(
                    "chart-findings",
                    "Verification findings per column",
                    "; ".join(f"{name}: {n} finding(s)" for name, n in failing),
                    failing,
                    highlight=[name for name, _ in failing],
                    highlight_note="failed column",
                ),
            )
        )
    return shown


def _chart(heading: str, caption: str, svg: Markup) -> dict[str, Any]:
    return {"heading": heading, "caption": caption, "svg": svg}
