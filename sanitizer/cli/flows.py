"""`sanitize flows validate|lint|retarget|promote` and `sanitize vars check`."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sanitizer.cli.app import app, report_errors, stdout
from sanitizer.errors import FindingsError, FlowError

# sanitizer.flows (jsonschema), sanitizer.variables (pydantic) and promote's Genesys client (httpx) are
# imported by the commands themselves: `sanitize --help` and the other commands start without them.
if TYPE_CHECKING:
    from sanitizer.flows.findings import Finding
    from sanitizer.flows.promote import FlowPromotion

flows_app = typer.Typer(
    help="Validate, lint, retarget and promote Architect flows.", no_args_is_help=True
)
vars_app = typer.Typer(help="Check the per-org configuration variables.", no_args_is_help=True)
app.add_typer(flows_app, name="flows")
app.add_typer(vars_app, name="vars")


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


FILES = typer.Argument(
    ...,
    help="Flow files (Archy .yaml/.yml, Architect .i3* exports, JSON .json) or folders of them.",
    show_default=False,
)
MAPPINGS = typer.Option(
    None,
    "--mappings",
    help="Folder of per-org mapping files "
    "(default: $SANITIZER_MAPPINGS, else the shipped rules/mappings).",
)
FORMAT = typer.Option(ReportFormat.text, "--format", help="Findings as text, JSON or SARIF 2.1.0.")
OUTPUT = typer.Option(None, "--output", help="Write the findings to this file instead of stdout.")
OUT_DIR = typer.Option(..., "--out", help="Folder for the rendered flows (same file names).")
FLOW_NAMES = typer.Option(
    None, "--flow", help="Name of a flow to promote (repeatable; default: every flow of the org)."
)
USED_BY = typer.Argument(
    None,
    help="Flow files or folders whose placeholders must be defined for every org.",
    show_default=False,
)


def _emit(findings: Sequence[Finding], files: int, fmt: ReportFormat, output: Path | None) -> None:
    """Render the findings, then exit 4 if a file could not be read, 8 if there are errors."""
    from sanitizer.flows.findings import RULES, Severity, render_json, render_text
    from sanitizer.flows.sarif import render_sarif

    if fmt is ReportFormat.sarif:
        text = render_sarif(findings)
    elif fmt is ReportFormat.json:
        text = render_json(findings, files)
    else:
        text = render_text(findings, files)
    if output is None:
        stdout.print(text, markup=False, highlight=False)
    else:
        output.write_text(text + "\n", encoding="utf-8")
    unreadable = sum(1 for f in findings if RULES[f.rule].stage == "read")
    if unreadable:
        raise FlowError(f"{unreadable} file(s) could not be read as flows (see the findings above)")
    errors = sum(1 for f in findings if f.severity is Severity.error)
    if errors:
        raise FindingsError(f"{errors} error finding(s) in {files} file(s)")


@flows_app.command("validate")
@report_errors
def validate_command(
    files: list[Path] = FILES,
    mappings: Path | None = MAPPINGS,
    fmt: ReportFormat = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Check structure (JSON Schema), placeholders and encodings of flow files."""
    from sanitizer.flows.documents import find_flow_files
    from sanitizer.flows.validate import validate_files
    from sanitizer.variables import read_mappings

    findings = validate_files(files, read_mappings(mappings))
    _emit(findings, len(find_flow_files(files)), fmt, output)


@flows_app.command("lint")
@report_errors
def lint_command(
    files: list[Path] = FILES,
    org: str | None = typer.Option(
        None, "--org", help="The org the flows are meant for; other orgs' values become errors."
    ),
    mappings: Path | None = MAPPINGS,
    fmt: ReportFormat = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Find hard-coded URLs, phones, emails and other orgs' values written into flows."""
    from sanitizer.flows.documents import find_flow_files
    from sanitizer.flows.lint import lint_files
    from sanitizer.variables import find_mapping, read_mappings

    all_mappings = read_mappings(mappings)
    target = find_mapping(all_mappings, org) if org else None
    findings = lint_files(files, target, all_mappings)
    _emit(findings, len(find_flow_files(files)), fmt, output)


@flows_app.command("retarget")
@report_errors
def retarget_command(
    files: list[Path] = FILES,
    to: str = typer.Option(
        ..., "--to", help="The org to render the flows for (a mapping file name)."
    ),
    out: Path = OUT_DIR,
    mappings: Path | None = MAPPINGS,
) -> None:
    """Render flows for one org: fill placeholders, swap other orgs' values, check none remain."""
    from sanitizer.flows.documents import find_flow_files
    from sanitizer.flows.retarget import retarget_files
    from sanitizer.variables import find_mapping, read_mappings

    all_mappings = read_mappings(mappings)
    target = find_mapping(all_mappings, to)
    written = retarget_files(find_flow_files(files), target, all_mappings, out)
    for item in written:
        stdout.print(
            f"{item.output}: {item.placeholders} placeholder(s) filled, "
            f"{item.literals} other-org value(s) replaced",
            markup=False,
            highlight=False,
        )


def _show(promotion: FlowPromotion) -> None:
    """Print one flow's diff and findings before anything is imported."""
    from sanitizer.flows.findings import render_text

    kind = "new flow" if promotion.is_new else "new version"
    stdout.print(
        f"== {promotion.name} ({promotion.type.lower()}, {kind})", markup=False, highlight=False
    )
    stdout.print(promotion.diff.rstrip("\n") or "(no change)", markup=False, highlight=False)
    if promotion.findings:
        stdout.print(render_text(promotion.findings, 1), markup=False, highlight=False)


@flows_app.command("promote")
@report_errors
def promote_command(
    from_org: str = typer.Option(..., "--from", help="The org to export the flows from."),
    to_org: str = typer.Option(..., "--to", help="The org to import them into."),
    flow: list[str] | None = FLOW_NAMES,
    approve: bool = typer.Option(
        False, "--approve", help="Really publish into an org whose role is production."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Export, check, retarget and diff; import nothing."
    ),
    mappings: Path | None = MAPPINGS,
) -> None:
    """Export, validate, retarget, diff and import flows from one org into another."""
    from sanitizer.variables import find_mapping, read_mappings

    all_mappings = read_mappings(mappings)
    source, target = find_mapping(all_mappings, from_org), find_mapping(all_mappings, to_org)
    from sanitizer.flows.promote import connect, promote

    with connect(source) as source_client, connect(target) as target_client:
        result = promote(
            source_client,
            target_client,
            source,
            target,
            all_mappings,
            flow_names=flow or (),
            approve=approve,
            dry_run=dry_run,
            review=_show,
        )
    for item in result.flows:
        state = "dry run: not imported" if item.status == "dry-run" else item.status
        stdout.print(f"{item.name}: {state}", markup=False, highlight=False)
    if any(item.status == "needs-approval" for item in result.flows):
        raise FindingsError(
            f"{to_org} is a production org: nothing was imported",
            hint="review the diff above, then run again with --approve",
        )


@vars_app.command("check")
@report_errors
def vars_check_command(
    files: list[Path] | None = USED_BY,
    mappings: Path | None = MAPPINGS,
    resolve_secrets: bool = typer.Option(
        False,
        "--resolve-secrets",
        help="Also check that every secret's env var is set or file readable.",
    ),
    fmt: ReportFormat = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Every variable used is defined for every org; no org's value points at another org."""
    from sanitizer.flows.documents import read_flows
    from sanitizer.variables import check_variables, read_mappings

    all_mappings = read_mappings(mappings)
    docs, problems = read_flows(files) if files else ([], [])
    findings = problems + check_variables(docs, all_mappings, resolve_secrets=resolve_secrets)
    _emit(findings, len(docs) + len(problems) + len(all_mappings), fmt, output)
