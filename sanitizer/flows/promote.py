"""`flows promote`: move flows from one org to another through the real export and import jobs.

For each flow: export it from the source org (`POST /api/v2/flows/export/jobs`, Archy YAML), validate
it, retarget it to the target org's variables, lint the result as a rendered flow for the target
(another org's value or an unknown hard-coded phone, email or URL stops the promotion), diff it against
the flow the target has now (exported the same way), and import it as a new version
(`POST /api/v2/flows/jobs` + the presigned upload). Reference: reference/genesys-api.md §5.

Fail closed: every flow is checked before any is imported, and both orgs must be the ones their
mapping files name (`connection.expected_org_id`, via `GET /api/v2/organizations/me`). Publishing into an org
whose role is `production` needs `approve=True`: without it the diffs are shown and nothing is written.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sanitizer.errors import ConfigError, FindingsError, InterlockError
from sanitizer.flows.documents import FlowDocument, encode_flow, parse_flow
from sanitizer.flows.findings import Finding, Severity
from sanitizer.flows.lint import lint
from sanitizer.flows.retarget import retarget
from sanitizer.flows.validate import validate
from sanitizer.genesys.client import GenesysClient
from sanitizer.variables import OrgMapping

Status = Literal["imported", "unchanged", "needs-approval", "dry-run"]


@dataclass
class FlowPromotion:
    """One flow's promotion: its name and type, the diff against the target, what happened."""

    name: str
    type: str
    diff: str
    is_new: bool
    status: Status = "dry-run"
    findings: list[Finding] = field(default_factory=list)
    rendered: FlowDocument | None = field(default=None, repr=False)


@dataclass
class PromoteResult:
    source_org: str
    target_org: str
    flows: list[FlowPromotion]

    @property
    def imported(self) -> int:
        return sum(1 for f in self.flows if f.status == "imported")


def connect(mapping: OrgMapping, **options: Any) -> GenesysClient:
    """A client for the org a mapping file's `connection:` describes (credentials from env vars)."""
    connection = mapping.connection
    if connection is None:
        raise ConfigError(
            f"{mapping.source}: org {mapping.org} has no `connection:` section",
            hint="add region or api_url, client_id_env and client_secret_env (see docs/flows.md)",
        )
    missing = [
        n for n in (connection.client_id_env, connection.client_secret_env) if not os.environ.get(n)
    ]
    if missing:
        raise ConfigError(
            f"{mapping.source}: org {mapping.org}: environment variable(s) {', '.join(missing)} not set"
        )
    client_id = os.environ[connection.client_id_env]
    secret = os.environ[connection.client_secret_env]
    if connection.base_url:
        login = connection.login_url or connection.base_url
        return GenesysClient(connection.base_url, login, client_id, secret, **options)
    return GenesysClient.from_region(connection.region or "", client_id, secret, **options)


def check_identity(client: GenesysClient, mapping: OrgMapping) -> str:
    """The org's id from /organizations/me, refused if the mapping expects another org."""
    org_id = str(client.organization.me().get("id", ""))
    expected = mapping.connection.expected_org_id if mapping.connection else None
    if expected and org_id != expected:
        raise InterlockError(
            f"the org reached for {mapping.org} is not the one {mapping.source} names "
            f"(connection.expected_org_id); nothing was exported or imported"
        )
    return org_id


def promote(
    source: GenesysClient,
    target: GenesysClient,
    from_org: OrgMapping,
    to_org: OrgMapping,
    mappings: Sequence[OrgMapping],
    *,
    flow_names: Sequence[str] = (),
    approve: bool = False,
    dry_run: bool = False,
    review: Callable[[FlowPromotion], None] | None = None,
) -> PromoteResult:
    """Export, check, retarget, diff and (when allowed) import the flows named (default: all)."""
    if from_org.org == to_org.org:
        raise ConfigError("promote needs two different orgs (--from and --to are the same)")
    source_id = check_identity(source, from_org)
    if check_identity(target, to_org) == source_id:
        raise InterlockError(
            f"{from_org.org} and {to_org.org} reach the same org; nothing was imported"
        )
    flows = _select(source, flow_names, from_org.org)
    exported = source.flows.export([f["id"] for f in flows]) if flows else {}
    current = _current_versions(target, flows)
    promotions = []
    for flow in flows:
        label = f"{flow['name']} ({str(flow['type']).lower()})"
        doc = parse_flow(exported[flow["id"]], f"{from_org.org}: {label}")
        findings = validate(doc, mappings)
        rendered = retarget(doc, to_org, mappings, source=f"{to_org.org}: {label}")
        findings += lint(rendered, to_org, mappings, rendered=True)
        before = current.get((flow["name"], flow["type"]))
        diff = "".join(
            difflib.unified_diff(
                before.decode("utf-8-sig").splitlines(keepends=True) if before else [],
                rendered.text.splitlines(keepends=True),
                fromfile=f"{to_org.org}/{flow['name']} (now)" if before else "/dev/null",
                tofile=f"{to_org.org}/{flow['name']} (promoted from {from_org.org})",
            )
        )
        status: Status = "unchanged" if before is not None and not diff else "dry-run"
        promotions.append(
            FlowPromotion(
                flow["name"], str(flow["type"]), diff, before is None, status, findings, rendered
            )
        )
    errors = [f for p in promotions for f in p.findings if f.severity is Severity.error]
    for promotion in promotions:
        if review is not None:
            review(promotion)
    if errors:
        raise FindingsError(
            f"{len(errors)} error finding(s) in the flows to promote; nothing was imported",
            hint="fix the flows in the source org (see the findings above), then promote again",
        )
    pending = [p for p in promotions if p.status != "unchanged"]
    if to_org.role == "production" and not approve and not dry_run:
        for promotion in pending:
            promotion.status = "needs-approval"
    elif not dry_run:
        for promotion in pending:
            assert promotion.rendered is not None
            target.flows.import_flow(encode_flow(promotion.rendered))
            promotion.status = "imported"
    return PromoteResult(from_org.org, to_org.org, promotions)


def _select(client: GenesysClient, names: Sequence[str], org: str) -> list[dict[str, Any]]:
    flows = list(client.flows.list())
    if not names:
        return sorted(flows, key=lambda f: (str(f["name"]), str(f["type"])))
    chosen = [f for f in flows if f["name"] in names]
    missing = sorted(set(names) - {f["name"] for f in chosen})
    if missing:
        raise ConfigError(f"no flow named {', '.join(map(repr, missing))} in org {org}")
    return sorted(chosen, key=lambda f: (str(f["name"]), str(f["type"])))


def _current_versions(
    target: GenesysClient, flows: Sequence[dict[str, Any]]
) -> dict[tuple[str, str], bytes]:
    """The target's current YAML of each flow being promoted (by name and type), if it has one."""
    wanted = {(f["name"], f["type"]) for f in flows}
    existing = {
        (f["name"], f["type"]): f["id"]
        for f in target.flows.list()
        if (f["name"], f["type"]) in wanted
    }
    if not existing:
        return {}
    exported = target.flows.export(list(existing.values()))
    return {key: exported[flow_id] for key, flow_id in existing.items()}
