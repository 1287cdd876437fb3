"""`flows lint`: hard-coded URLs, phones and emails, other orgs' values, placeholders without a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanitizer.flows.documents import parse_flow, read_flow
from sanitizer.flows.findings import Finding, Severity
from sanitizer.flows.lint import lint, lint_files, url_host
from sanitizer.flows.retarget import retarget
from sanitizer.variables import OrgMapping, find_mapping

from .helpers import FIXTURES, ORG_FLOWS, SAMPLE_FLOWS

HARDCODED = FIXTURES / "archy" / "after-hours-hardcoded.yaml"


def _rules(findings: list[Finding]) -> list[tuple[str, int | None]]:
    return sorted((f.rule, f.line) for f in findings)


@pytest.mark.parametrize("name", SAMPLE_FLOWS)
def test_lint_public_sample_has_no_false_positives(
    samples: Path, name: str, mappings: list[OrgMapping]
) -> None:
    # UUIDs, tracking numbers and JSON Schema ids in real exports must not read as phones or URLs.
    assert lint(read_flow(samples / name), None, mappings) == []


def test_lint_hardcoded_fixture_for_staging_flags_every_trap(mappings: list[OrgMapping]) -> None:
    findings = lint(read_flow(HARDCODED), find_mapping(mappings, "staging"), mappings)
    assert _rules(findings) == [
        ("hardcoded-email", 27),
        ("hardcoded-phone", 27),  # (212) 555-0187 in a prompt: nobody's DID, still hard-coded
        ("other-org-did", 31),  # +1 317 555 0123 is in production's DID range
        ("other-org-trunk", 33),
        ("other-org-value", 18),  # the data action category key is production's CRM_INTEGRATION
        ("other-org-value", 23),  # production's CRM_ENDPOINT inside a longer URL
        ("other-org-value", 38),  # production's support queue name
    ]
    assert all(f.severity is Severity.error for f in findings)


def test_lint_hardcoded_fixture_for_production_notes_its_own_values(
    mappings: list[OrgMapping],
) -> None:
    findings = lint(read_flow(HARDCODED), find_mapping(mappings, "production"), mappings)
    assert _rules(findings) == [
        ("hardcoded-email", 27),  # nobody's: still an error
        ("hardcoded-phone", 27),
        ("org-literal", 18),
        ("org-literal", 23),  # production's CRM_ENDPOINT inside a URL: its own, not hard-coded
        ("org-literal", 31),  # a number in production's own DID range
        ("org-literal", 33),
        ("org-literal", 38),
    ]
    notes = {f.line for f in findings if f.severity is Severity.note}
    assert notes == {18, 23, 31, 33, 38}
    url = next(f for f in findings if f.line == 23)
    assert "{{CRM_ENDPOINT}}" in url.message  # tells which placeholder to use


def test_lint_flow_retargeted_for_an_org_has_no_errors_for_that_org(
    mappings: list[OrgMapping], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `flows retarget --to staging` then `flows lint --org staging`: staging's own values are notes.
    monkeypatch.setenv("STAGING_CRM_API_KEY", "stg-synthetic-key")
    staging = find_mapping(mappings, "staging")
    for source in sorted((FIXTURES / "exports").iterdir()):
        rendered = retarget(read_flow(source), staging, mappings)
        findings = lint(rendered, staging, mappings)
        assert findings and {f.severity for f in findings} == {Severity.note}, source.name
        assert {
            f.severity for f in lint(rendered, find_mapping(mappings, "production"), mappings)
        } >= {Severity.error}  # for another org, staging's values stay errors


def test_lint_messages_never_quote_phone_numbers_or_email_addresses(
    mappings: list[OrgMapping],
) -> None:
    findings = lint(read_flow(HARDCODED), find_mapping(mappings, "staging"), mappings)
    text = " ".join(f.message for f in findings)
    for value in ("555-0187", "555 0123", "help.desk", "317 555"):
        assert value not in text


def test_lint_fixture_org_flows_for_staging_find_the_production_traps(
    mappings: list[OrgMapping],
) -> None:
    findings = lint_files([ORG_FLOWS], find_mapping(mappings, "staging"), mappings)
    by_file = sorted((Path(f.source).name, f.rule) for f in findings)
    assert by_file == [
        ("ani-block-check.yaml", "hardcoded-phone"),  # an Ofcom drama number, +44
        ("ani-block-check.yaml", "other-org-endpoint"),  # fraud.prod.example.com
        ("main-ivr.yaml", "hardcoded-phone"),
        ("main-ivr.yaml", "other-org-value"),  # production's CRM URL as a fallback
        ("renewal-outbound.yaml", "hardcoded-phone"),  # 1-212-555-0188 read out in a prompt
        (
            "renewal-outbound.yaml",
            "other-org-endpoint",
        ),  # renew.prod.example.com: a production subdomain
    ]


def test_lint_good_fixture_is_clean_for_both_orgs(mappings: list[OrgMapping]) -> None:
    doc = read_flow(FIXTURES / "archy" / "customer-lookup.yaml")
    for org in ("staging", "production"):
        assert lint(doc, find_mapping(mappings, org), mappings) == []


def test_lint_missing_value_for_the_org_is_an_error_at_the_placeholder(
    mappings: list[OrgMapping],
) -> None:
    doc = parse_flow('workflow:\n  name: A\n  lit: "x {{LEGACY_URL}}"\n', "x.yaml")
    findings = lint(doc, find_mapping(mappings, "staging"), mappings)
    assert [(f.rule, f.line, f.column, f.path) for f in findings] == [
        ("missing-value", 3, 11, "$.workflow.lit")
    ]


@pytest.mark.parametrize(
    ("value", "rules"),
    [
        ("Call +1 317-555-0142 now", ["other-org-did"]),  # why: national format inside a prompt
        ("tel:+13175550142", ["other-org-did"]),  # why: a tel: URI (not an http URL)
        ("+44 20 7946 0321", ["hardcoded-phone"]),  # why: UK drama number, any org's? none
        ("07700 900123", ["hardcoded-phone"]),  # why: UK mobile drama range, national form
        ("ceec818a-3784-4a6a-a2b2-1f881e499f38", []),  # why: a UUID is not a phone
        ("order 20240101-3175550142x", []),  # why: digits glued to letters are an identifier
        # why: the host comes from a placeholder (which staging does not define)
        ("https://{{CRM_HOST}}/customers", ["missing-value"]),
        ("http://json-schema.org/draft-04/schema#", []),  # why: a spec id, not a service
        ("see https://crm.staging.example.net/x", ["org-literal"]),  # why: staging's own endpoint
        ("+1 463 555 0150", ["org-literal"]),  # why: a number in staging's own DID range
        (
            "mailto:escalations@prod.example.com",
            ["other-org-value"],
        ),  # why: production's email value
        ("Prod SIP Trunk B", ["other-org-trunk"]),  # why: whole-scalar trunk name
        ("We use Prod SIP Trunk B today", []),  # why: trunk names only match a whole scalar
        ("Home", []),  # why: the same value in every org identifies none
        ("en-us", []),  # why: org_specific: false
    ],
)
def test_lint_one_value_for_staging(
    value: str, rules: list[str], mappings: list[OrgMapping]
) -> None:
    doc = parse_flow(f"workflow:\n  name: A\n  v: {value!r}\n".replace("'", '"'), "x.yaml")
    findings = lint(doc, find_mapping(mappings, "staging"), mappings)
    assert sorted(f.rule for f in findings) == rules


def test_lint_json_number_phone_is_found(mappings: list[OrgMapping]) -> None:
    doc = parse_flow('{"name": "A", "number": 13175550142}', "x.json")
    findings = lint(doc, find_mapping(mappings, "staging"), mappings)
    assert [f.rule for f in findings] == ["other-org-did"]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://crm.example.com/api", "crm.example.com"),
        ("https://user:pw@CRM.example.com:8443/x?y#z", "crm.example.com"),
        ("sftp://files.example.net", "files.example.net"),
    ],
)
def test_url_host_strips_userinfo_port_and_path(url: str, host: str) -> None:
    assert url_host(url) == host
