"""`flows validate`: a flow's structure (JSON Schema per format), its placeholders and its encoding.

The schemas ship as `rules/schemas/flow-archy.schema.json`, `flow-architect.schema.json` and
`flow-json.schema.json`. Schema messages are rebuilt from the failing keyword so that they never
quote a value of the document."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from sanitizer.errors import ConfigError
from sanitizer.flows.documents import FlowDocument, FlowFormat, find_flow_files, try_read_flow
from sanitizer.flows.findings import Finding
from sanitizer.flows.tree import Path_, format_path
from sanitizer.shipped import rules_dir
from sanitizer.variables import OrgMapping

# The flow types of GET /api/v2/flows (reference/genesys-api.md §5); Archy's top-level key is one of
# them in camelCase (inboundCall, inQueueCall ...), compared here case-insensitively.
FLOW_TYPES = frozenset(
    [
        "bot",
        "commonmodule",
        "digitalbot",
        "emailsend",
        "inboundcall",
        "inboundchat",
        "inboundemail",
        "inboundshortmessage",
        "outboundcall",
        "inqueuecall",
        "inqueueemail",
        "inqueueshortmessage",
        "speech",
        "securecall",
        "surveyinvite",
        "voice",
        "voicemail",
        "voicesurvey",
        "workflow",
        "workitem",
    ]
)
SCHEMA_FILES = {
    FlowFormat.archy: "flow-archy.schema.json",
    FlowFormat.architect: "flow-architect.schema.json",
    FlowFormat.json: "flow-json.schema.json",
}
_REF_TARGET = re.compile(r"\[([^\[\]]+)\]\s*$")


@cache
def schema_validator(fmt: FlowFormat) -> Draft202012Validator:
    """The JSON Schema validator of a format, from the shipped rules/schemas/."""
    path = rules_dir() / "schemas" / SCHEMA_FILES[fmt]
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot load the flow schema ({type(exc).__name__})") from None
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate(doc: FlowDocument, mappings: Sequence[OrgMapping] = ()) -> list[Finding]:
    """Structure, placeholder and reference checks of one parsed flow."""
    findings = _schema_findings(doc)
    findings += _placeholder_findings(doc, mappings)
    for path, offset in doc.duplicates:
        findings.append(
            doc.at(
                "duplicate-key",
                "this key appears twice in its mapping",
                offset=offset,
                path=format_path(path),
            )
        )
    if doc.format is FlowFormat.archy:
        findings += _archy_findings(doc)
    if doc.format is FlowFormat.json:
        findings += _declared_variables(doc)
    return findings


def validate_files(paths: Sequence[Path], mappings: Sequence[OrgMapping] = ()) -> list[Finding]:
    """validate() over files; a file that cannot be read becomes a finding, not an abort."""
    findings: list[Finding] = []
    for path in find_flow_files(paths):
        read = try_read_flow(path)
        findings.extend([read] if isinstance(read, Finding) else validate(read, mappings))
    return findings


def _offset_of(doc: FlowDocument, path: Path_) -> int | None:
    """Where a path starts: its key when it has one, else its value."""
    for scalar in doc.scalars:
        if scalar.path == path and scalar.is_key:
            return scalar.start
    for scalar in doc.scalars:
        if scalar.path[: len(path)] == path:
            return scalar.start
    return None


def _explain(error: ValidationError) -> str:
    keyword: str = str(error.validator)
    expected: Any = error.validator_value
    if keyword == "required":
        return str(error.message)  # "'name' is a required property": names the key, not a value
    if keyword == "type":
        return f"expected {' or '.join(expected) if isinstance(expected, list) else expected}"
    if keyword == "enum":
        return f"expected one of: {', '.join(map(str, expected))}"
    if keyword in ("minProperties", "maxProperties"):
        return (
            f"expected {'at least' if keyword == 'minProperties' else 'at most'} {expected} key(s)"
        )
    if keyword in ("minLength", "minItems"):
        return (
            f"expected at least {expected} {'character' if keyword == 'minLength' else 'item'}(s)"
        )
    if keyword == "pattern":
        return f"expected text matching {expected}"
    if keyword == "additionalProperties":
        return "unexpected key(s)"
    if keyword == "oneOf":
        return "expected a list of names or an object of names to descriptions"
    return f"does not satisfy {keyword}"


def _schema_findings(doc: FlowDocument) -> list[Finding]:
    findings = []
    errors: list[Any] = sorted(
        schema_validator(doc.format).iter_errors(doc.data),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    for error in errors:
        path: Path_ = tuple(error.absolute_path)
        findings.append(
            doc.at("schema", _explain(error), offset=_offset_of(doc, path), path=format_path(path))
        )
    if doc.format is FlowFormat.archy and isinstance(doc.data, dict) and len(doc.data) == 1:
        key = next(iter(doc.data))
        if str(key).lower() not in FLOW_TYPES:
            findings.append(
                doc.at(
                    "schema",
                    "the top-level key is not a flow type such as inboundCall or workflow",
                    offset=_offset_of(doc, (key,)),
                    path=format_path((key,)),
                )
            )
    return findings


def _placeholder_findings(doc: FlowDocument, mappings: Sequence[OrgMapping]) -> list[Finding]:
    findings = [
        doc.at_position("malformed-placeholder", bad.reason, bad.line, bad.column)
        for bad in doc.malformed
    ]
    if mappings:
        defined = {name for m in mappings for name in m.variables}
        orgs = ", ".join(m.org for m in mappings)
        seen: set[str] = set()
        for placeholder in doc.placeholders:
            if placeholder.name in defined or placeholder.name in seen:
                continue
            seen.add(placeholder.name)
            offset = doc.placeholder_offset(placeholder)
            scalar = doc.scalar_at(offset)
            findings.append(
                doc.at(
                    "unknown-placeholder",
                    f"{placeholder.raw} is defined in no org mapping ({orgs})",
                    offset=offset,
                    path=format_path(scalar.path) if scalar else None,
                )
            )
    return findings


def _archy_findings(doc: FlowDocument) -> list[Finding]:
    if not isinstance(doc.data, dict) or len(doc.data) != 1:
        return []
    key = next(iter(doc.data))
    body = doc.data[key]
    if not isinstance(body, dict) or not isinstance(body.get("startUpRef"), str):
        return []
    target = _REF_TARGET.search(body["startUpRef"])
    if target is None or "{{" in target.group(1) or "${" in target.group(1):
        return []
    ref_ids = {s.value for s in doc.scalars if not s.is_key and s.path and s.path[-1] == "refId"}
    if target.group(1) in ref_ids:
        return []
    path = (key, "startUpRef")
    return [
        doc.at(
            "startup-ref",
            "startUpRef names a refId that no menu, task or state has",
            offset=_offset_of(doc, path),
            path=format_path(path),
        )
    ]


def _declared_variables(doc: FlowDocument) -> list[Finding]:
    declared = doc.data.get("environmentVariables") if isinstance(doc.data, dict) else None
    if not isinstance(declared, (list, dict)):
        return []
    names = {str(n) for n in declared}
    used = {p.name for p in doc.placeholders if p.style == "env"}
    findings = []
    reported: set[str] = set()
    for placeholder in doc.placeholders:
        if placeholder.style != "env" or placeholder.name in names or placeholder.name in reported:
            continue
        reported.add(placeholder.name)
        offset = doc.placeholder_offset(placeholder)
        scalar = doc.scalar_at(offset)
        findings.append(
            doc.at(
                "undeclared-variable",
                f"{placeholder.raw} is not listed in environmentVariables",
                offset=offset,
                path=format_path(scalar.path) if scalar else None,
            )
        )
    for name in sorted(names - used):
        path: Path_ = ("environmentVariables",)
        findings.append(
            doc.at(
                "unused-variable",
                f"environmentVariables lists {name}, which is never used",
                offset=_offset_of(doc, path),
                path=format_path(path),
            )
        )
    return findings
