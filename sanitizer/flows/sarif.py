"""Findings as SARIF 2.1.0, which CI systems (GitHub code scanning, GitLab, Azure DevOps) annotate.

One run, one tool driver (`sanitizer`) with the whole rule catalogue; each finding is a result with
the file (a URI relative to the working directory when it lies under it), the line and column when
known, and the JSON path as a logical location.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sanitizer import __version__
from sanitizer.flows.findings import RULES, Finding, Severity, sort_key

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.note: "note"}


def artifact_uri(source: str, base: Path | None = None) -> str:
    """A relative POSIX path if the file is under `base` (default: the cwd), else a file URI."""
    path = Path(source)
    base = (base or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.resolve().as_uri() if path.is_absolute() or path.exists() else source


def to_sarif(findings: Sequence[Finding], base: Path | None = None) -> dict[str, Any]:
    """The SARIF log of these findings."""
    rule_ids = list(RULES)
    rules = [
        {
            "id": rule.id,
            "name": rule.id,
            "shortDescription": {"text": rule.summary},
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"stage": rule.stage},
        }
        for rule in RULES.values()
    ]
    results = []
    for f in sorted(findings, key=sort_key):
        physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(f.source, base)}}
        if f.line is not None:
            region: dict[str, int] = {"startLine": f.line}
            if f.column is not None:
                region["startColumn"] = f.column
            physical["region"] = region
        location: dict[str, Any] = {"physicalLocation": physical}
        if f.path:
            location["logicalLocations"] = [{"fullyQualifiedName": f.path, "kind": "object"}]
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rule_ids.index(f.rule),
                "level": _LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [location],
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sanitizer",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(findings: Sequence[Finding], base: Path | None = None) -> str:
    return json.dumps(to_sarif(findings, base), indent=2)
