"""`sanitize refresh`, the stage commands `extract`, `verify` and `load`, and `sanitize demo`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sanitizer.cli.app import app, progress_printer, report_errors, stdout
from sanitizer.runs import private_files

if TYPE_CHECKING:
    from sanitizer.load import LoadResult
    from sanitizer.pipeline import RunResult

CONFIG = typer.Option(
    ..., "--config", help="The run config (YAML): orgs, what to extract, rules, key, folders."
)
SNAPSHOT = typer.Argument(
    ...,
    help="A snapshot folder (snapshots/<run id>), its clean/ folder, or the run's folder (runs/<run id>).",
    show_default=False,
)


def show_steps(result: LoadResult, heading: str) -> None:
    """One line per load step: what was (or would be) done, how many rows, and what staging holds now."""
    table = Table("step", "action", "rows", "in staging now", "status", title=heading)
    for step in result.steps:
        existing = "-" if step.existing_rows is None else f"{step.existing_rows:,}"
        table.add_row(step.step, step.action, f"{step.rows:,}", existing, step.status)
    stdout.print(table)
    for flow_step, rules in result.flow_warnings.items():
        if rules:
            stdout.print(f"{flow_step}: warnings {', '.join(rules)} (see `sanitize flows lint`)")


def show_run(result: RunResult) -> None:
    if result.report is not None:
        summary = result.report.summary
        stdout.print(
            f"verified: {summary.tables} table(s), {summary.rows:,} rows, {summary.values_changed:,} values replaced, "
            f"0 findings; key {result.report.key.fingerprint}"
        )
    if result.plan is not None:
        show_steps(
            result.plan, "dry run: nothing was written to staging; this is what a load would do"
        )
    if result.load is not None:
        show_steps(result.load, "loaded into staging")
    stdout.print(f"run {result.run_id}: {result.run_dir}")
    if (result.run_dir / "scrub-report.html").exists():
        stdout.print(f"report: {result.run_dir / 'scrub-report.html'}")
    if result.report is not None:
        from sanitizer.cli.scrub import note_unvouched

        note_unvouched(result.report)


@app.command("refresh")
@report_errors
def refresh_command(
    config: Path = CONFIG,
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help=(
            "Extract, scrub and verify, then print and save the load plan instead of loading: "
            "nothing is written to staging (the snapshot, reports and plan are written)."
        ),
    ),
    resume: str | None = typer.Option(
        None,
        "--resume",
        metavar="RUN_ID",
        help="Continue the load of an earlier run, skipping finished steps.",
    ),
) -> None:
    """Extract from production, scrub, verify and load into staging (the nightly job)."""
    from sanitizer.config import read_config
    from sanitizer.pipeline import refresh

    loaded = read_config(config)
    with private_files(), progress_printer() as progress:
        result = refresh(loaded, dry_run=dry_run, resume=resume, progress=progress)
    show_run(result)


@app.command("extract")
@report_errors
def extract_command(config: Path = CONFIG) -> None:
    """Extract production into an encrypted raw snapshot (then: sanitize scrub SNAPSHOT --config ...)."""
    from sanitizer.config import read_config
    from sanitizer.pipeline import extract_stage

    loaded = read_config(config)
    with private_files(), progress_printer() as progress:
        snapshot = extract_stage(loaded, progress=progress)
    stdout.print(f"raw snapshot (encrypted): {snapshot}")
    stdout.print(f"next: sanitize scrub {snapshot} --config {config}")


@app.command("verify")
@report_errors
def verify_command(snapshot: Path = SNAPSHOT) -> None:
    """Check a clean snapshot before loading it: it passed verification and its files match the manifest."""
    from sanitizer.pipeline import verify_stage

    manifest = verify_stage(snapshot)
    stdout.print(
        f"snapshot {manifest.run_id} verified: {len(manifest.tables)} table(s), {len(manifest.flows)} flow(s), "
        f"checksums match; key {manifest.key_fingerprint}, rules {manifest.rules_hash}"
    )


@app.command("load")
@report_errors
def load_command(
    snapshot: Path = SNAPSHOT,
    config: Path = CONFIG,
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help=(
            "Print and save (runs/<run id>/plan.json) what would be created or replaced: nothing "
            "is written to staging."
        ),
    ),
) -> None:
    """Load a clean snapshot into the staging org (after the interlock; finished steps are skipped)."""
    from sanitizer.config import read_config
    from sanitizer.pipeline import load_stage

    loaded = read_config(config)
    with private_files(), progress_printer() as progress:
        result = load_stage(loaded, snapshot, dry_run=dry_run, progress=progress)
    show_run(result)


@app.command("demo")
@report_errors
def demo_command(
    folder: Path = typer.Option(
        Path("sanitizer-demo"), "--dir", help="Where the demo keeps its orgs, runs and config."
    ),
) -> None:
    """Run the whole refresh between two emulated orgs seeded from the shipped fixtures (no credentials)."""
    from sanitizer.demo import run_demo

    with private_files(), progress_printer() as progress:
        demo = run_demo(folder, progress=progress)
    if demo.is_key_generated:
        stdout.print(
            "no $SANITIZER_KEY set: used a throwaway key generated for this run (outputs cannot be reproduced)"
        )
    show_run(demo.result)
    stdout.print(f"staging now holds: {demo.staging_summary}")
    stdout.print(f"config used: {demo.config}")
    stdout.print("look at staging (its state persists; start it again, get a token, then ask it):")
    for line in demo.how_to_look.splitlines():
        stdout.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
