"""Scrub reports: the model (model.py) and its renderers (JSON, HTML, Markdown), plus run history.

A run directory holds `scrub-report.json` (the model, the source of truth), `scrub-report.html` (one
self-contained page for a compliance officer) and `scrub-report.md` (the same facts as Markdown).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sanitizer.errors import InputError
from sanitizer.report.figures import note_unreviewed
from sanitizer.report.html import render_html
from sanitizer.report.markdown import render_markdown
from sanitizer.report.model import SCHEMA_VERSION, ScrubReport

REPORT_JSON = "scrub-report.json"
REPORT_HTML = "scrub-report.html"
REPORT_MARKDOWN = "scrub-report.md"


@dataclass(frozen=True)
class ReportPaths:
    """Where the three report files of one run were written."""

    json: Path
    html: Path
    markdown: Path


def write_reports(report: ScrubReport, out_dir: Path) -> ReportPaths:
    """Write scrub-report.json, .html and .md into `out_dir`, each atomically (temp + rename)."""
    # Checked again (`ScrubReport._consistent`): a refresh adds its flows' and definitions' findings
    # to a report after it was built, and a page must never say "verified" over them.
    report = ScrubReport.model_validate(report.model_dump())
    note_unreviewed(report)  # the status as the headline qualifies it, after those changes too
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(
        json=out_dir / REPORT_JSON, html=out_dir / REPORT_HTML, markdown=out_dir / REPORT_MARKDOWN
    )
    # Render all three before writing any, so a renderer failure leaves the previous set intact.
    texts = {
        paths.json: report.model_dump_json(indent=2) + "\n",
        paths.html: render_html(report),
        paths.markdown: render_markdown(report),
    }
    for path, text in texts.items():
        _write_atomically(path, text)
    return paths


def read_report(path: Path) -> ScrubReport:
    """Read a scrub report from its JSON file, or from a run directory holding scrub-report.json."""
    file = path / REPORT_JSON if path.is_dir() else path
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{file}: no such report file",
            hint=f"expected a {REPORT_JSON} or a run directory holding one",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read the report ({type(exc).__name__})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{file}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
        ) from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise InputError(
            f"{file}: report schema_version {version} is newer than this sanitizer reads "
            f"({SCHEMA_VERSION})",
            hint="upgrade sanitizer",
        )
    try:
        return ScrubReport.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{file}: not a valid scrub report: {_describe(exc)}") from None


def report_schema() -> dict[str, Any]:
    """The JSON Schema of scrub-report.json (shipped as rules/schemas/scrub-report.schema.json)."""
    schema = ScrubReport.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "sanitizer scrub report",
        "description": "scrub-report.json: what was done to which column, by which rule, with what "
        "evidence, and the verification result. It never holds a record value.",
    }


def report_schema_text() -> str:
    """`report_schema()` as the exact text of the shipped schema file."""
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


def _describe(exc: ValidationError, limit: int = 5) -> str:
    """Where and what, for the first few errors; never the offending input value."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in errors
    ]
    more = f"; and {len(parts) - limit} more" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def _write_atomically(path: Path, text: str) -> None:
    """Write a temp file beside `path`, then rename it over `path`: no reader sees half a file."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(0o644)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


__all__ = [
    "REPORT_HTML",
    "REPORT_JSON",
    "REPORT_MARKDOWN",
    "ReportPaths",
    "ScrubReport",
    "read_report",
    "render_html",
    "render_markdown",
    "report_schema",
    "report_schema_text",
    "write_reports",
]
