"""`flows lint`: values written into a flow that should come from the org's configuration variables.

Every scalar (mapping keys too: Archy names data tables and data actions by key) is checked for
hard-coded URLs, email addresses and phone numbers, and against the org index: a value of another
org (endpoint host, DID, trunk, variable value) is an error; a value of the linted org is a note,
whatever its kind (a flow rendered for the org holds its values by design, and retarget swaps them
for another org's counterparts; a placeholder still reads better). Placeholders without a value in
the linted org's mapping are errors. Messages describe a value, never quote it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import phonenumbers

from sanitizer.flows.documents import FlowDocument, read_flows
from sanitizer.flows.findings import Finding
from sanitizer.flows.orgvalues import Occurrence, OrgIndex, OrgValue, find_phones
from sanitizer.flows.tree import Scalar, format_path
from sanitizer.variables import OrgMapping

if TYPE_CHECKING:
    from sanitizer.ranges import SafeRanges

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>\\]+", re.I)
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})\b")
_PLACEHOLDER_OPEN = ("{{", "${")
# URLs that name a specification, not a service a flow calls (JSON Schema ids in data actions).
_IDENTIFIER_HOSTS = frozenset({"json-schema.org", "www.w3.org"})
_IDENTIFIER_KEYS = frozenset({"$schema", "$id", "$ref"})

_OTHER_RULE = {
    "endpoint": "other-org-endpoint",
    "did": "other-org-did",
    "trunk": "other-org-trunk",
    "variable": "other-org-value",
}


def url_host(url: str) -> str:
    """The host of a URL (no userinfo, port or path), lower-cased."""
    rest = url.split("://", 1)[1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].lower()


def lint(
    doc: FlowDocument,
    org: OrgMapping | None,
    mappings: Sequence[OrgMapping],
    *,
    index: OrgIndex | None = None,
    rendered: bool = False,
    safe_ranges: SafeRanges | None = None,
) -> list[Finding]:
    """Findings for one flow linted for `org` (without an org, every org counts as its own).

    With an org, its own values are notes (`org-literal`), never errors: a flow rendered for it holds
    them by design. `rendered` lints a flow as exported or retargeted, whose substitutions are already
    filled in: the org's own values are then not reported at all, only other orgs' and unknown ones.
    Phones and emails in `safe_ranges` (what scrubbing writes) are not reported either.
    """
    index = index or OrgIndex(mappings)
    findings: list[Finding] = []
    for scalar in doc.scalars:
        findings.extend(_lint_scalar(doc, scalar, org, index, rendered, safe_ranges))
    if org is not None:
        findings.extend(_missing_values(doc, org))
    return findings


def lint_many(
    docs: Sequence[FlowDocument], org: OrgMapping | None, mappings: Sequence[OrgMapping]
) -> list[Finding]:
    """lint() over several flows, building the org index once."""
    index = OrgIndex(mappings)
    return [f for doc in docs for f in lint(doc, org, mappings, index=index)]


def lint_files(
    paths: Sequence[Path], org: OrgMapping | None, mappings: Sequence[OrgMapping]
) -> list[Finding]:
    """lint() over files and folders; a file that cannot be read is a finding, not an abort."""
    docs, problems = read_flows(paths)
    return problems + lint_many(docs, org, mappings)


def _owner_note(values: Sequence[OrgValue]) -> str:
    """Whose value a literal is, and the placeholder to use instead."""
    variables = sorted({v.key for v in values if v.kind == "variable"})
    if variables:
        return f": it is {values[0].org}'s value of {{{{{variables[0]}}}}}; use the placeholder"
    if values:
        return f": it is {values[0].describe()}; use a placeholder"
    return "; take it from a placeholder"


def _lint_scalar(
    doc: FlowDocument,
    scalar: Scalar,
    org: OrgMapping | None,
    index: OrgIndex,
    rendered: bool,
    safe_ranges: SafeRanges | None,
) -> list[Finding]:
    value = scalar.value
    path = format_path(scalar.path)
    findings: list[Finding] = []

    def add(rule: str, message: str) -> None:
        if not any(f.rule == rule and f.message == message for f in findings):
            findings.append(doc.at(rule, message, offset=scalar.start, path=path))

    occurrences = [o for o in index.find(value, is_string=scalar.is_string) if not index.shared(o)]
    other: list[Occurrence] = []
    own: list[Occurrence] = []
    for occurrence in occurrences:
        (own if org is None or org.org in occurrence.orgs else other).append(occurrence)
    for occurrence in other:
        first = occurrence.values[0]
        target = org.org if org else "?"
        add(
            _OTHER_RULE[first.kind],
            f"{first.describe()} is written in; this flow is linted for {target}",
        )
    # Without an org every org's value is the flow's own, and a hard-coded URL or number is still
    # reported as such (with the placeholder holding it); for a given org its own values are notes.
    taken = [(o.start, o.end) for o in (other if org is None and not rendered else other + own)]

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    def owned(start: int, end: int) -> list[OrgValue]:
        return [v for o in own if o.start < end and start < o.end for v in o.values]

    reported: list[tuple[int, int]] = []
    if scalar.is_string:
        for match in _URL.finditer(value):
            host = url_host(match.group())
            if any(mark in host for mark in _PLACEHOLDER_OPEN) or not free(
                match.start(), match.end()
            ):
                continue
            if host in _IDENTIFIER_HOSTS or (scalar.path and scalar.path[-1] in _IDENTIFIER_KEYS):
                continue
            reported.append((match.start(), match.end()))
            note = _owner_note(owned(match.start(), match.end()))
            add("hardcoded-url", f"hard-coded URL to host {host}{note}")
        for match in _EMAIL.finditer(value):
            if not free(match.start(), match.end()) or (
                safe_ranges is not None and safe_ranges.is_safe_email(match.group())
            ):
                continue
            reported.append((match.start(), match.end()))
            note = _owner_note(owned(match.start(), match.end()))
            add("hardcoded-email", f"hard-coded email address at {match.group(1).lower()}{note}")
    for start, end, e164 in find_phones(value, index.regions):
        if not free(start, end) or any(s < end and start < e for s, e in reported):
            continue
        if safe_ranges is not None and safe_ranges.is_safe_phone(e164):
            continue
        reported.append((start, end))
        note = _owner_note(owned(start, end))
        add(
            "hardcoded-phone",
            f"hard-coded phone number (country code +{_country_code(e164)}){note}",
        )
    for occurrence in [] if rendered else own:
        if any(s < occurrence.end and occurrence.start < e for s, e in reported):
            continue
        variables = sorted({v.key for v in occurrence.values if v.kind == "variable"})
        first = occurrence.values[0]
        if variables:
            message = (
                f"{first.org}'s value of {{{{{variables[0]}}}}} is written in; use the placeholder"
            )
        else:
            message = f"{first.describe()} is written in; use a placeholder"
        add("org-literal", message)
    return findings


def _country_code(e164: str) -> int:
    return int(phonenumbers.parse(e164).country_code or 0)


def _missing_values(doc: FlowDocument, org: OrgMapping) -> list[Finding]:
    findings = []
    for placeholder in doc.placeholders:
        if placeholder.name in org.variables:
            continue
        offset = doc.placeholder_offset(placeholder)
        scalar = doc.scalar_at(offset)
        findings.append(
            doc.at(
                "missing-value",
                f"placeholder {placeholder.raw} has no value for org {org.org} in {org.source}",
                offset=offset,
                path=format_path(scalar.path) if scalar else None,
            )
        )
    return findings
