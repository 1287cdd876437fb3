"""Findings of the flow and variable checks (rule, severity, place), the rule catalogue, text, JSON.

A finding never quotes a flow value that could be personal data or a secret: it names the file,
line, column, the JSON/YAML path and the rule, and describes the value (a host, a variable name, a
kind)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    note = "note"


@dataclass(frozen=True)
class Rule:
    """One check: its id (as in reports and SARIF), default severity and a one-line explanation."""

    id: str
    severity: Severity
    summary: str
    stage: str  # read, validate, lint or vars: which command reports it


_E, _W, _N = Severity.error, Severity.warning, Severity.note

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "yaml-syntax",
            _E,
            "The file is not valid YAML, even with placeholders set aside.",
            "read",
        ),
        Rule(
            "json-syntax",
            _E,
            "The file (or the JSON inside an .i3 export) is not valid JSON.",
            "read",
        ),
        Rule("invalid-base64", _E, "An .i3 export holds characters that are not base64.", "read"),
        Rule(
            "truncated-export",
            _E,
            "An .i3 export ends early: its base64 or its JSON is cut off.",
            "read",
        ),
        Rule(
            "export-encoding",
            _E,
            "An .i3 export does not decode to URL-encoded UTF-8 JSON.",
            "read",
        ),
        Rule(
            "unknown-format",
            _E,
            "The file is none of Archy YAML, an .i3 export or a JSON flow.",
            "read",
        ),
        Rule(
            "schema",
            _E,
            "The document does not have the shape its JSON Schema requires.",
            "validate",
        ),
        Rule(
            "duplicate-key",
            _E,
            "A mapping has the same key twice; only the last one would count.",
            "validate",
        ),
        Rule(
            "startup-ref",
            _E,
            "startUpRef names a refId that no menu, task or state has.",
            "validate",
        ),
        Rule(
            "malformed-placeholder",
            _E,
            "A {{...}} or ${...} placeholder is unclosed or empty.",
            "validate",
        ),
        Rule(
            "unknown-placeholder",
            _E,
            "A placeholder names a variable that no org mapping defines.",
            "validate",
        ),
        Rule(
            "undeclared-variable",
            _E,
            "A ${NAME} is used but not listed in environmentVariables.",
            "validate",
        ),
        Rule(
            "unused-variable",
            _W,
            "environmentVariables lists a name the document never uses.",
            "validate",
        ),
        Rule(
            "hardcoded-url",
            _E,
            "A URL is written into the flow instead of coming from a placeholder.",
            "lint",
        ),
        Rule("hardcoded-phone", _E, "A phone number is written into the flow.", "lint"),
        Rule("hardcoded-email", _E, "An email address is written into the flow.", "lint"),
        Rule(
            "org-literal",
            _N,
            "A value of the linted org itself is written in; its placeholder reads better.",
            "lint",
        ),
        Rule("other-org-endpoint", _E, "The flow points at another org's endpoint host.", "lint"),
        Rule("other-org-did", _E, "The flow holds a number in another org's DID range.", "lint"),
        Rule("other-org-trunk", _E, "The flow names another org's trunk.", "lint"),
        Rule(
            "other-org-value",
            _E,
            "The flow holds another org's value of a configuration variable.",
            "lint",
        ),
        Rule(
            "missing-value", _E, "A placeholder has no value in the linted org's mapping.", "lint"
        ),
        Rule("var-undefined", _E, "A variable a flow uses is not defined for every org.", "vars"),
        Rule("var-partial", _E, "A variable is defined for some orgs but not all.", "vars"),
        Rule(
            "var-cross-org",
            _E,
            "An org's value points at another org's endpoint, DID or trunk.",
            "vars",
        ),
        Rule(
            "var-unlisted-host", _W, "A URL value's host is not among the org's endpoints.", "vars"
        ),
        Rule(
            "var-secret-unresolved",
            _E,
            "A secret's env var is unset or its file unreadable.",
            "vars",
        ),
        Rule("var-unused", _N, "A variable is defined but no checked flow uses it.", "vars"),
    )
}


@dataclass(frozen=True)
class Finding:
    """One problem at one place; `path` is a JSON path ($.inboundCall.menus[0]...)."""

    source: str
    line: int | None
    column: int | None
    rule: str
    severity: Severity
    message: str
    path: str | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown rule id {self.rule!r}")

    @property
    def location(self) -> str:
        """file:line:column, as far as known."""
        parts = [self.source]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sort_key(f: Finding) -> tuple[str, int, int, str, str]:
    """Findings sort by file, line, column, rule."""
    return (f.source, f.line or 0, f.column or 0, f.rule, f.path or "")


def finding(
    rule: str,
    message: str,
    source: str,
    *,
    line: int | None = None,
    column: int | None = None,
    path: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    """A finding with the rule's default severity unless one is given."""
    return Finding(
        source=source,
        line=line,
        column=column,
        rule=rule,
        severity=severity or RULES[rule].severity,
        message=message,
        path=path,
    )


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.error for f in findings)


def summarize(findings: Sequence[Finding], files: int) -> str:
    """'2 errors, 1 warning in 3 files' (one line, for the end of the text output)."""
    counts = Counter(f.severity for f in findings)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    parts = [plural(counts[Severity.error], "error"), plural(counts[Severity.warning], "warning")]
    if counts[Severity.note]:
        parts.append(plural(counts[Severity.note], "note"))
    return f"{', '.join(parts)} in {plural(files, 'file')}"


def render_text(findings: Sequence[Finding], files: int) -> str:
    """One line per finding (file:line:col: severity rule: message [path]) and a summary line."""
    lines = []
    for f in sorted(findings, key=sort_key):
        where = f" [{f.path}]" if f.path else ""
        lines.append(f"{f.location}: {f.severity} {f.rule}: {f.message}{where}")
    lines.append(summarize(findings, files))
    return "\n".join(lines)


def render_json(findings: Sequence[Finding], files: int) -> str:
    """A JSON object: the findings, and counts per severity."""
    counts = Counter(str(f.severity) for f in findings)
    body = {
        "files": files,
        "summary": {str(s): counts.get(str(s), 0) for s in Severity},
        "findings": [f.to_dict() for f in sorted(findings, key=sort_key)],
    }
    return json.dumps(body, indent=2)
