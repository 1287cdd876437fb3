"""`vars check`: the org mappings agree with each other and with the flows that use them.

- every variable a flow uses is defined for every org (`var-undefined`, at the flow's placeholder);
- every variable is defined for every org even if no checked flow uses it (`var-partial`);
- no org's value, endpoint or trunk points at another org's endpoint, DID range or trunk
  (`var-cross-org`);
- URL values point at hosts listed in the org's own `endpoints` (`var-unlisted-host`, a warning);
- with `resolve_secrets`, every secret reference resolves (`var-secret-unresolved`);
- variables no checked flow uses are noted (`var-unused`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sanitizer.errors import ConfigError
from sanitizer.flows.documents import FlowDocument
from sanitizer.flows.findings import Finding, finding
from sanitizer.flows.orgvalues import OrgIndex
from sanitizer.flows.tree import format_path
from sanitizer.variables import OrgMapping, resolve, try_resolve

_URL_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?([^:/?#]+)", re.I)


def _at(mapping: OrgMapping, rule: str, message: str, *path: str | int) -> Finding:
    return finding(
        rule,
        message,
        mapping.source,
        line=mapping.line_of(*path),
        path=format_path(tuple(path)) if path else None,
    )


def check(
    docs: Sequence[FlowDocument], mappings: Sequence[OrgMapping], *, resolve_secrets: bool = False
) -> list[Finding]:
    """All `vars check` findings for these flows and mappings."""
    findings = _undefined(docs, mappings)
    used = {p.name for doc in docs for p in doc.placeholders}
    every = sorted({name for m in mappings for name in m.variables})
    for name in every:
        having = [m for m in mappings if name in m.variables]
        if len(having) < len(mappings) and name not in used:
            lacking = ", ".join(m.org for m in mappings if name not in m.variables)
            for mapping in having:
                findings.append(
                    _at(
                        mapping,
                        "var-partial",
                        f"variable {name} is not defined for {lacking}",
                        "variables",
                        name,
                    )
                )
        if docs and name not in used:
            findings.append(
                _at(
                    having[0],
                    "var-unused",
                    f"no checked flow uses variable {name}",
                    "variables",
                    name,
                )
            )
    findings += _cross_org(mappings, resolve_secrets=resolve_secrets)
    if resolve_secrets:
        findings += _secrets(mappings)
    return findings


def _undefined(docs: Sequence[FlowDocument], mappings: Sequence[OrgMapping]) -> list[Finding]:
    findings = []
    for doc in docs:
        reported: set[str] = set()
        for placeholder in doc.placeholders:
            if placeholder.name in reported:
                continue
            lacking = [m.org for m in mappings if placeholder.name not in m.variables]
            if not lacking:
                continue
            reported.add(placeholder.name)
            having = [m.org for m in mappings if placeholder.name in m.variables]
            defined = f"defined for {', '.join(having)} only" if having else "defined for no org"
            offset = doc.placeholder_offset(placeholder)
            scalar = doc.scalar_at(offset)
            findings.append(
                doc.at(
                    "var-undefined",
                    f"{placeholder.raw} has no value for {', '.join(lacking)} ({defined})",
                    offset=offset,
                    path=format_path(scalar.path) if scalar else None,
                )
            )
    return findings


def _cross_org(mappings: Sequence[OrgMapping], *, resolve_secrets: bool) -> list[Finding]:
    # Endpoints, DIDs and trunks only: every value would otherwise match itself.
    index = OrgIndex(mappings, include_secrets=resolve_secrets, include_variables=False)
    findings = []
    for mapping in mappings:
        own_hosts = [h.removeprefix("*.") for h in mapping.endpoints.values()]
        candidates: list[tuple[str, str, str]] = []  # (text, section, key)
        for name, variable in mapping.variables.items():
            if variable.secret is not None and not resolve_secrets:
                continue
            text = try_resolve(mapping, name)
            if text is not None:
                candidates.append((text, "variables", name))
        candidates += [(host, "endpoints", key) for key, host in mapping.endpoints.items()]
        candidates += [(trunk, "trunks", key) for key, trunk in mapping.trunks.items()]
        for text, section, key in candidates:
            what = f"{section[:-1]} {key} of {mapping.org}"
            for occurrence in index.find(text):
                others = sorted(occurrence.orgs - {mapping.org})
                if not others:
                    continue
                if mapping.org not in occurrence.orgs:
                    value = next(v for v in occurrence.values if v.org == others[0])
                    message = f"{what} points at {value.describe()}"
                elif section != "variables":
                    message = f"{what} is also {others[0]}'s"
                else:
                    continue  # the same value in both orgs identifies neither
                findings.append(_at(mapping, "var-cross-org", message, section, key))
            match = _URL_HOST.match(text) if section == "variables" else None
            if match and not _is_listed(match.group(1).lower(), own_hosts):
                host = match.group(1).lower()
                message = (
                    f"variable {key} points at {host}, not one of the endpoints of {mapping.org} "
                    "(so lint cannot tell whose host it is)"
                )
                findings.append(_at(mapping, "var-unlisted-host", message, section, key))
    return findings


def _is_listed(host: str, hosts: Sequence[str]) -> bool:
    return any(host == h or host.endswith("." + h) for h in hosts)


def _secrets(mappings: Sequence[OrgMapping]) -> list[Finding]:
    findings = []
    for mapping in mappings:
        for name, variable in mapping.variables.items():
            if variable.secret is None:
                continue
            try:
                resolve(mapping, name)
            except ConfigError as exc:  # its message names the env var or file, never the value
                findings.append(
                    _at(
                        mapping,
                        "var-secret-unresolved",
                        str(exc).split(": ", 1)[-1],
                        "variables",
                        name,
                    )
                )
    return findings
