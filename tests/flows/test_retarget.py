"""`flows retarget`: placeholders filled for the target org, every other org's value swapped or refused."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.errors import FindingsError, FlowError
from sanitizer.flows.documents import FlowFormat, encode_flow, parse_flow, read_flow
from sanitizer.flows.lint import lint
from sanitizer.flows.orgvalues import is_substring_value
from sanitizer.flows.retarget import retarget, retarget_result
from sanitizer.variables import OrgMapping, Variable, find_mapping

from .helpers import FIXTURES, ORG_FLOWS, SAMPLE_VARIABLES

CUSTOMER_LOOKUP = FIXTURES / "archy" / "customer-lookup.yaml"


@pytest.fixture(autouse=True)
def _crm_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGING_CRM_API_KEY", "stg-synthetic-key")
    monkeypatch.setenv("PRODUCTION_CRM_API_KEY", "prod-synthetic-key")


def _other_org_findings(doc: object, org: OrgMapping, mappings: list[OrgMapping]) -> list[str]:
    findings = lint(doc, org, mappings)  # type: ignore[arg-type]
    return [f.rule for f in findings if f.rule.startswith("other-org") or f.rule == "missing-value"]


def _production_literals(mappings: list[OrgMapping]) -> list[str]:
    production = find_mapping(mappings, "production")
    staging = find_mapping(mappings, "staging")
    values = [
        str(v.value)
        for name, v in production.variables.items()
        if isinstance(v.value, str) and v.org_specific and v.value != staging.variables[name].value
    ]
    return values + list(production.trunks.values()) + list(production.endpoints.values())


@pytest.mark.parametrize("org", ["staging", "production"])
def test_retarget_placeholder_flow_renders_every_value_for_the_org(
    org: str, mappings: list[OrgMapping]
) -> None:
    target = find_mapping(mappings, org)
    doc = retarget(read_flow(CUSTOMER_LOOKUP), target, mappings)
    body = yaml.safe_load(doc.text)["inboundCall"]
    task = body["tasks"][0]["task"]
    assert body["division"] == "Home"
    assert task["variables"][0]["stringVariable"]["initialValue"]["lit"] == (
        target.variables["CRM_ENDPOINT"].value + "/customers/lookup"
    )
    assert list(task["actions"][0]["dataTableLookup"]["dataTable"]) == [
        target.variables["ANI_TABLE"].value
    ]
    assert list(task["actions"][1]["callData"]["category"]) == [
        target.variables["CRM_INTEGRATION"].value
    ]
    assert (
        task["actions"][2]["transferToAcd"]["targetQueue"]["lit"]["name"]
        == target.variables["SUPPORT_QUEUE"].value
    )
    assert "{{" not in doc.text.split("\n", 3)[3]  # only the header comment mentions {{...}}
    assert doc.placeholders == ()
    assert _other_org_findings(doc, target, mappings) == []


def test_retarget_keeps_comments_and_untouched_lines_byte_for_byte(
    mappings: list[OrgMapping],
) -> None:
    original = read_flow(CUSTOMER_LOOKUP)
    rendered = retarget(original, find_mapping(mappings, "staging"), mappings)
    before, after = original.text.splitlines(), rendered.text.splitlines()
    assert len(before) == len(after)
    changed = [i + 1 for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [7, 9, 20, 27, 39, 46, 51, 60]  # exactly the lines holding placeholders


def test_retarget_production_export_to_staging_leaves_no_production_value(
    mappings: list[OrgMapping],
) -> None:
    staging = find_mapping(mappings, "staging")
    for name in ("production-customer-lookup.yaml", "production-blocklist.i3WorkFlow"):
        result = retarget_result(read_flow(FIXTURES / "exports" / name), staging, mappings)
        assert result.literals > 0
        scalars = {s.value for s in result.doc.scalars}
        for literal in _production_literals(mappings):
            if literal == "ANI Block List":  # the refresh copies data tables by name: shared value
                continue
            if is_substring_value(literal):
                assert literal.lower() not in result.doc.text.lower(), literal
            else:
                assert literal not in scalars, literal
        assert _other_org_findings(result.doc, staging, mappings) == []


def test_retarget_architect_export_stays_a_valid_export(mappings: list[OrgMapping]) -> None:
    path = FIXTURES / "exports" / "production-blocklist.i3WorkFlow"
    doc = retarget(read_flow(path), find_mapping(mappings, "staging"), mappings)
    again = parse_flow(encode_flow(doc), "x.i3WorkFlow")
    assert again.format is FlowFormat.architect
    action = again.data["flowSequenceItemList"][0]["actionList"][0]
    assert action["category"]["name"] == "CRM Sandbox"
    assert action["inputs"][0]["value"]["text"] == "https://crm.staging.example.net/api/v2"


def test_retarget_round_trip_production_staging_production_restores_the_export(
    mappings: list[OrgMapping],
) -> None:
    original = read_flow(FIXTURES / "exports" / "production-customer-lookup.yaml")
    there = retarget(original, find_mapping(mappings, "staging"), mappings)
    back = retarget(there, find_mapping(mappings, "production"), mappings)
    assert back.text == original.text


def test_retarget_bytes_of_an_export_job_yaml(mappings: list[OrgMapping]) -> None:
    # The refresh pipeline hands over the bytes an export job downloaded, with no file name.
    content = (ORG_FLOWS / "main-ivr.yaml").read_bytes()
    doc = retarget(content, find_mapping(mappings, "staging"), mappings, source="export:Main IVR")
    assert doc.source == "export:Main IVR" and doc.format is FlowFormat.archy
    lookup = yaml.safe_load(encode_flow(doc))["inboundCall"]["tasks"][0]["task"]["actions"][1]
    inputs = lookup["callData"]["category"]["CRM Sandbox"]["dataAction"][
        "Lookup Customer By Phone"
    ]["inputs"]
    assert inputs["crmBaseUrl"]["lit"] == "https://crm.staging.example.net/api/v2"
    assert inputs["fallbackUrl"]["lit"] == "https://crm.staging.example.net/api/v2/customers/lookup"


def test_retarget_json_document_renders_bare_numbers_as_numbers(mappings: list[OrgMapping]) -> None:
    doc = retarget(
        read_flow(FIXTURES / "json" / "payment.json"), find_mapping(mappings, "staging"), mappings
    )
    action = json.loads(doc.text)["definition"]["tasks"][0]["task"]["actions"][0]["callData"]
    assert action == {
        "name": "Open session",
        "url": "https://pay.staging.example.net/v1/sessions",
        "timeout": 30,
    }


def test_retarget_missing_value_is_a_finding_not_a_blank(mappings: list[OrgMapping]) -> None:
    doc = parse_flow(
        'workflow:\n  name: A\n  url: "{{LEGACY_URL}}"\n  b: "{{OTHER}}"\n', "legacy.yaml"
    )
    with pytest.raises(FindingsError) as caught:  # lint's missing-value, and exit 8 like lint
        retarget(doc, find_mapping(mappings, "staging"), mappings)
    assert "LEGACY_URL (line 3)" in str(caught.value) and "OTHER (line 4)" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ('"+1 317 555 0120"', "a number in production's DID range cannot be mapped"),
        ("https://legacy.prod.example.com/x", "no: web endpoint maps it"),
    ],
)
def test_retarget_other_org_value_without_counterpart(
    value: str, why: str, mappings: list[OrgMapping], write_mappings: object
) -> None:
    doc = parse_flow(f"workflow:\n  name: A\n  target: {value}\n", "x.yaml")
    staging = find_mapping(mappings, "staging")
    if why.startswith("no:"):
        rendered = retarget(
            doc, staging, mappings
        )  # the subdomain keeps its label, the domain swaps
        assert (
            yaml.safe_load(rendered.text)["workflow"]["target"]
            == "https://legacy.staging.example.net/x"
        )
        return
    with pytest.raises(FindingsError) as caught:  # lint's other-org-did, and exit 8 like lint
        retarget(doc, staging, mappings)
    message = str(caught.value)
    assert "line 3" in message and "DID range main" in message and "317" not in message


def test_retarget_endpoint_without_counterpart_is_refused(write_mappings: object) -> None:
    orgs = write_mappings(  # type: ignore[operator]
        {
            "production": {
                "role": "production",
                "endpoints": {"crm": "crm.prod.example.com", "ftp": "ftp.prod.example.com"},
            },
            "staging": {"role": "staging", "endpoints": {"crm": "crm.staging.example.net"}},
        }
    )
    doc = parse_flow("workflow:\n  name: A\n  a: sftp://ftp.prod.example.com/in\n", "x.yaml")
    with pytest.raises(FindingsError, match=r"endpoint ftp .* has no counterpart in staging"):
        retarget(doc, find_mapping(orgs, "staging"), orgs)


def test_retarget_comment_placeholders_stay_and_comment_hosts_swap(
    mappings: list[OrgMapping],
) -> None:
    text = "# calls {{CRM_ENDPOINT}} at crm.prod.example.com\nworkflow:\n  name: A\n"
    doc = retarget(parse_flow(text, "x.yaml"), find_mapping(mappings, "staging"), mappings)
    assert doc.text.splitlines()[0] == "# calls {{CRM_ENDPOINT}} at crm.staging.example.net"


def test_retarget_public_samples_render_to_valid_yaml_with_values_escaped(
    samples: Path, sample_mappings: list[OrgMapping]
) -> None:
    for org, index in (("production", 0), ("staging", 1)):
        target = find_mapping(sample_mappings, org)
        blacklist = retarget(read_flow(samples / "blacklist.yaml"), target, sample_mappings)
        lookup = yaml.safe_load(blacklist.text)["workflow"]["states"][0]["state"]["actions"][1]
        table = lookup["decision"]["outputs"]["no"]["actions"][0]["dataTableLookup"]["dataTable"]
        assert list(table) == [SAMPLE_VARIABLES["data_table"][index]]
        outbound = retarget(
            read_flow(samples / "outboundcall_flow_example.yaml"), target, sample_mappings
        )
        settings_ = yaml.safe_load(outbound.text)["outboundCall"]["settingsOutboundCall"]
        assert (
            settings_["contactList"]["lit"]["name"] == SAMPLE_VARIABLES["contact_list_name"][index]
        )
        inbound = retarget(
            read_flow(samples / "inboundcall_flow_example_substitutions.yaml"),
            target,
            sample_mappings,
        )
        assert (
            yaml.safe_load(inbound.text)["inboundCall"]["initialGreeting"]["tts"]
            == SAMPLE_VARIABLES["greeting"][index]
        )


_TEMPLATE = """\
workflow:
  name: "{{V}}"
  single: '{{V}} x'
  plain: {{V}}
  {{V}}:
    inner: 1
  list:
    - pre {{V}} post
"""


_VALUES = st.text(
    alphabet=string.printable.replace("\r", "").replace("\x0b", "").replace("\x0c", ""),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(value=_VALUES)
def test_retarget_any_value_round_trips_through_every_scalar_style(value: str) -> None:
    # Whatever the value, the rendered YAML parses and holds exactly the value where the placeholder
    # was, or retarget refuses with a FlowError; it never writes a flow that means something else.
    org = OrgMapping(role="staging", variables={"V": Variable(description="v", value=value)})
    orgs = [org.with_identity("a")]
    doc = parse_flow(_TEMPLATE, "x.yaml")
    try:
        rendered = retarget(doc, orgs[0], orgs)
    except FlowError:
        return
    body = yaml.safe_load(rendered.text)["workflow"]
    assert body["name"] == value
    assert body["single"] == f"{value} x"
    assert body["list"] == [f"pre {value} post"]
    key = list(body)[3]
    if isinstance(key, str):
        assert key == value
    else:  # a whole placeholder written plain is typed, as Archy's substitution makes it
        assert yaml.safe_load(f"{value}: 0") == {key: 0}
    plain = body["plain"]
    assert plain == value or (
        not isinstance(plain, str) and yaml.safe_load(f"k: {value}") == {"k": plain}
    )
