"""`sanitize report ...`: compare runs, list a run history, re-render a report, print the schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sanitizer.cli.app import app, report_errors
from sanitizer.errors import FindingsError

# sanitizer.report (pydantic models, jinja2 templates) is imported by the commands themselves, so that
# `sanitize --help` and the other commands start without it.
if TYPE_CHECKING:
    from sanitizer.report.diff import Change, ReportDiff
    from sanitizer.report.history import RunEntry

report_app = typer.Typer(
    help="Read scrub reports: compare two runs, list a run history, re-render, print the schema.",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="Plain text for people, or JSON for machines.")
]
# The value of sanitizer.report.diff.DEFAULT_THRESHOLD, written out because `--help` shows it and
# importing it would load the whole report package; tests/cli/test_startup.py keeps the two equal.
DEFAULT_THRESHOLD = 50.0  # percent

ThresholdOption = Annotated[
    float,
    typer.Option(
        "--threshold",
        min=0,
        help="Percent change, in a table's rows or in the share of a column's cells that were "
        "changed, beyond which a swing needs a human decision.",
    ),
]


@report_app.command("diff")
@report_errors
def diff_command(
    run_a: Annotated[Path, typer.Argument(help="The earlier run: a run directory or its JSON.")],
    run_b: Annotated[Path, typer.Argument(help="The later run: a run directory or its JSON.")],
    threshold: ThresholdOption = DEFAULT_THRESHOLD,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Show what changed between two runs; exit 8 when a change needs a human decision."""
    from sanitizer.report import read_report
    from sanitizer.report.diff import diff_reports

    diff = diff_reports(read_report(run_a), read_report(run_b), threshold=threshold)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(diff.to_dict(), indent=2))
    else:
        typer.echo(_diff_text(diff))
    if diff.has_decisions:
        raise FindingsError(
            f"{len(diff.decisions)} change(s) from run {diff.before.run.id} to "
            f"{diff.after.run.id} need a human decision",
            hint="review them, then sign off the later run",
        )


@report_app.command("history")
@report_errors
def history_command(
    runs_dir: Annotated[Path, typer.Argument(help="The directory holding one folder per run.")],
    threshold: ThresholdOption = DEFAULT_THRESHOLD,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """One line per run, oldest first: date, status, staging, tables, rows, findings, drift."""
    from sanitizer.report.history import read_history

    entries = read_history(runs_dir, threshold=threshold)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps([e.to_dict() for e in entries], indent=2))
    elif not entries:
        typer.echo(f"no runs under {runs_dir}", err=True)
    else:
        typer.echo(_history_text(entries))


@report_app.command("render")
@report_errors
def render_command(
    report_json: Annotated[Path, typer.Argument(help="A scrub-report.json, or a run directory.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the report files into.")],
) -> None:
    """Write scrub-report.json, .html and .md again from a report's JSON."""
    from sanitizer.report import read_report, write_reports

    paths = write_reports(read_report(report_json), out)
    for path in (paths.html, paths.markdown, paths.json):
        typer.echo(str(path))


@report_app.command("schema")
@report_errors
def schema_command() -> None:
    """Print the JSON Schema of scrub-report.json."""
    from sanitizer.report import report_schema_text

    typer.echo(report_schema_text(), nl=False)


def _diff_text(diff: ReportDiff) -> str:
    a, b = diff.before, diff.after
    lines = [
        f"from {a.run.id} ({a.run.started_at:%Y-%m-%d %H:%M} UTC, {a.status})",
        f"  to {b.run.id} ({b.run.started_at:%Y-%m-%d %H:%M} UTC, {b.status})",
    ]
    if not diff.changes:
        return "\n".join([*lines, "no changes"])
    decisions = diff.decisions
    info = [c for c in diff.changes if not c.needs_decision]
    if decisions:
        lines += [
            "",
            f"needs a decision ({len(decisions)}):",
            *(_change(c, "!") for c in decisions),
        ]
    if info:
        lines += ["", f"for information ({len(info)}):", *(_change(c, "-") for c in info)]
    return "\n".join(lines)


def _change(change: Change, mark: str) -> str:
    before = change.before if change.before is not None else "(none)"
    after = change.after if change.after is not None else "(none)"
    return f"  {mark} {change.subject}: {change.what}: {before} -> {after}"


def _utc(moment: datetime) -> str:
    """'YYYY-MM-DD HH:MM UTC' (naive times are taken as UTC already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _history_text(entries: list[RunEntry]) -> str:
    header = ("date (UTC)", "run", "status", "staging", "tables", "rows", "findings", "drift")
    rows = [header]
    for e in entries:
        r = e.report
        date = _utc(e.started_at).removesuffix(" UTC") if e.started_at else "?"
        staging = e.staging or "-"
        if r is None:
            rows.append((date, e.run_id, e.status, staging, "", "", "", e.problem or ""))
            continue
        drift = (
            "-" if e.decisions is None else f"{e.decisions} to decide" if e.decisions else "none"
        )
        status = {"verified": "verified", "failed": "FAILED"}.get(e.status, e.status)
        rows.append(
            (
                date,
                e.run_id,
                status,
                staging,
                f"{r.summary.tables:,}",
                f"{r.summary.rows:,}",
                f"{r.summary.findings:,}",
                drift,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(7)]
    right = {4, 5, 6}
    out = []
    for row in rows:
        cells = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row[:7])
        ]
        out.append("  ".join([*cells, row[7]]).rstrip())
    return "\n".join(out)
