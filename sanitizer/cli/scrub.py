"""`sanitize scrub`, `sanitize scan` and `sanitize rules check`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sanitizer.cli.app import app, error_line, progress_printer, report_errors, stderr, stdout

if TYPE_CHECKING:
    from sanitizer.report.model import ScrubReport

# Library modules are imported inside the commands: `sanitize --help` must not load pandas or Presidio.

rules_app = typer.Typer(help="Validate scrub rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


class OutputFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"


INPUTS = typer.Argument(
    ...,
    help="CSV (separated by , ; tab or |), Parquet, JSON Lines or JSON files, or folders of them.",
    show_default=False,
)
RULES = typer.Option(None, "--rules", help="Rules file or folder (default: the shipped rules).")


@app.command("scrub")
@report_errors
def scrub_command(
    inputs: list[Path] = INPUTS,
    out: Path | None = typer.Option(
        None,
        "--out",
        help=(
            "Folder for the scrubbed files and the report; an output never replaces its input "
            "(the run stops with exit 3)."
        ),
    ),
    rules: Path | None = RULES,
    key_file: Path | None = typer.Option(
        None, "--key-file", help="File holding the scrub key (else $SANITIZER_KEY)."
    ),
    output_format: OutputFormat | None = typer.Option(
        None,
        "--format",
        help=(
            "Output format (default: each input's own format). JSON records as CSV: one column per "
            "leaf path (cellPhone.e164), lists, numbers and booleans as JSON text."
        ),
    ),
    batch_rows: int = typer.Option(
        50_000,  # tables.BATCH_ROWS: importing it would load pandas before a command runs
        "--batch-rows",
        min=1,
        help="Rows per streamed batch (bounds memory).",
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="Run config: scrub a raw snapshot folder (from `sanitize extract`) into its clean snapshot.",
    ),
) -> None:
    """Replace every PII value with deterministic keyed safe values, verify, then publish and report.

    Files: `sanitize scrub FILE... --out DIR`. A refresh stage: `sanitize scrub SNAPSHOT --config FILE`.
    """
    if config is not None:
        _scrub_snapshot(inputs, config)
        return
    if out is None:
        raise typer.BadParameter("give --out DIR (or --config FILE to scrub a raw snapshot folder)")
    from sanitizer.keyring import read_key
    from sanitizer.rules import read_rules
    from sanitizer.scrub import scrub
    from sanitizer.tables import read_sources

    keyring = read_key(key_file)
    rule_set = read_rules(rules)
    sources = read_sources(inputs)
    with progress_printer() as progress:
        result = scrub(
            sources,
            rule_set,
            keyring,
            out,
            output_format=output_format.value if output_format else None,
            batch_rows=batch_rows,
            progress=progress,
        )
    summary = result.report.summary
    stdout.print(
        f"verified: {summary.tables} table(s), {summary.rows} rows, {summary.values_changed} values replaced, "
        f"0 findings; key {result.report.key.fingerprint}"
    )
    for path in result.outputs:
        stdout.print(f"output: {path}")
    stdout.print(f"report: {result.report_dir / 'scrub-report.html'}")
    note_unvouched(result.report)


def note_unvouched(report: ScrubReport) -> None:
    """One line on stderr when columns passed through unchanged that nobody vouched for (see the
    report's list), so that an ad hoc run does not hide them behind "verified"."""
    from sanitizer.report.figures import kept_unvouched

    count = len(kept_unvouched(report))
    if count:
        stderr.print(
            f"note: {count} column(s) passed through unchanged with no stated reason; the report "
            "lists them for review",
            highlight=False,
        )


def _scrub_snapshot(inputs: list[Path], config: Path) -> None:
    from sanitizer.cli.refresh import show_run
    from sanitizer.config import read_config
    from sanitizer.errors import InputError
    from sanitizer.pipeline import scrub_stage

    if len(inputs) != 1 or not (inputs[0] / "raw" / "manifest.json").exists():
        raise InputError(
            f"{inputs[0]}: not a raw snapshot folder (expected raw/manifest.json from `sanitize extract`)"
        )
    with progress_printer() as progress:
        result = scrub_stage(read_config(config), inputs[0], progress=progress)
    show_run(result)
    stdout.print(f"clean snapshot: {inputs[0] / 'clean'}")


@app.command("scan")
@report_errors
def scan_command(
    inputs: list[Path] = INPUTS,
    rules: Path | None = RULES,
    suggest: Path | None = typer.Option(
        None,
        "--suggest-rules",
        help=(
            "Write a rules YAML covering the columns no rule covers, for review; never onto an "
            "input (the scan stops with exit 3), nor onto an existing file without --force, nor "
            "into a folder that does not exist (exit 2)."
        ),
    ),
    force: bool = typer.Option(
        False, "--force", help="Let --suggest-rules replace an existing file."
    ),
) -> None:
    """Detect only: per table and column, the entity, confidence and the operator that would apply."""
    from sanitizer.rules import read_rules
    from sanitizer.scan import refuse_to_overwrite_inputs, scan, suggest_rules
    from sanitizer.tables import read_sources

    rule_set = read_rules(rules)
    sources = read_sources(inputs)
    if suggest is not None:
        refuse_to_overwrite_inputs(suggest, inputs, sources)
        _check_suggest_target(suggest, is_forced=force)
    results = scan(sources, rule_set)
    table = Table("table", "column", "entity", "confidence", "operator", "decided by")
    for result in results:
        plan = result.plan
        detection = plan.detection
        confidence = (
            f"{detection.confidence:.2f}" if detection and detection.confidence is not None else "-"
        )
        decided = (
            plan.rule.source
            if result.is_ruled
            else f"{plan.rule.kind} ({_short(plan.rule.reason)})"
        )
        table.add_row(
            result.table,
            result.column,
            plan.entity or "-",
            confidence,
            plan.operator,
            decided or "-",
        )
    stdout.print(table)
    if suggest is not None:
        count = suggest_rules(results, rules, inputs, suggest)
        stdout.print(f"suggested rules for {count} column(s): {suggest}")


def _check_suggest_target(path: Path, *, is_forced: bool) -> None:
    """A usage error before the scan: a reviewed rules file is not replaced unless asked, and a
    mistyped folder is not created."""
    if path.is_dir():
        raise typer.BadParameter(
            f"{path} is a folder; name the rules file to write (a .yaml file)",
            param_hint="--suggest-rules",
        )
    if path.exists() and not is_forced:
        raise typer.BadParameter(
            f"{path} exists (a reviewed rules file would be lost); give --force to replace it, "
            "or name another file",
            param_hint="--suggest-rules",
        )
    if not path.parent.is_dir():
        raise typer.BadParameter(
            f"the folder {path.parent} does not exist; create it first, or name a file in an "
            "existing folder",
            param_hint="--suggest-rules",
        )


def _short(reason: str | None) -> str:
    return (reason or "").removeprefix("no rule; ").split(",")[0]


@rules_app.command("check")
@report_errors
def rules_check_command(
    path: Path | None = typer.Argument(
        None, help="Rules file or folder (default: the shipped rules)."
    ),
) -> None:
    """Validate rules: errors name the file, line, key path and what was expected (a recognizer regex
    that backtracks catastrophically is one); warnings name each `keep` that states no reason (or
    still `REVIEW:`)."""
    from sanitizer.errors import EXIT_CONFIG
    from sanitizer.rules import check_rules

    rule_set, problems = check_rules(path)
    for problem in problems:  # every broken file of a folder, one line each
        error_line(str(problem), type(problem).__name__, problem.exit_code)
    if rule_set is None:
        raise typer.Exit(EXIT_CONFIG)
    stdout.print(
        f"rules OK: {len(rule_set.files)} file(s), {len(rule_set.recognizers)} recognizer(s), "
        f"policy unknown_columns={rule_set.policy.unknown_columns}, {rule_set.hash}"
    )
    # Valid, but a column passed through unchanged that nobody vouched for: the reports list it too.
    for source, why in rule_set.undecided_keeps():
        stderr.print(
            f"warning: {source}: {why} (say why the column holds no personal data in `reason:`; "
            "the scrub report lists it for review)",
            highlight=False,
        )
