"""`flows validate`: JSON Schema per format, placeholders, references, duplicate keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanitizer.flows.documents import parse_flow, read_flow
from sanitizer.flows.findings import Finding
from sanitizer.flows.validate import validate, validate_files
from sanitizer.variables import OrgMapping

from .helpers import FIXTURES, ORG_FLOWS, SAMPLE_FLOWS


def _summary(findings: list[Finding]) -> list[tuple[str, str, int | None]]:
    return sorted((Path(f.source).name, f.rule, f.line) for f in findings)


@pytest.mark.parametrize("name", SAMPLE_FLOWS)
def test_validate_public_sample_has_no_findings(samples: Path, name: str) -> None:
    # The schemas must accept what Genesys' own blueprints contain.
    assert validate(read_flow(samples / name)) == []


def test_validate_public_samples_with_their_mappings_have_no_findings(
    samples: Path, sample_mappings: list[OrgMapping]
) -> None:
    paths = [samples / name for name in SAMPLE_FLOWS]
    assert validate_files(paths, sample_mappings) == []


def test_validate_shipped_good_fixtures_have_no_findings(mappings: list[OrgMapping]) -> None:
    folders = [FIXTURES / "archy", FIXTURES / "json", FIXTURES / "exports", ORG_FLOWS]
    assert validate_files(folders, mappings) == []


def test_validate_broken_fixtures_each_give_their_finding(mappings: list[OrgMapping]) -> None:
    findings = validate_files([FIXTURES / "broken"], mappings)
    assert _summary(findings) == [
        ("bad-base64.i3WorkFlow", "invalid-base64", 1),
        ("bad-placeholder.yaml", "malformed-placeholder", 3),  # "{{flow_name" is never closed
        ("bad-placeholder.yaml", "malformed-placeholder", 4),  # "{{}}" is empty
        ("bad-placeholder.yaml", "startup-ref", 5),
        ("duplicate-key.yaml", "duplicate-key", 4),
        ("malformed.yaml", "yaml-syntax", 13),
        ("not-a-flow.json", "schema", 1),  # definition is missing
        ("not-a-flow.json", "schema", 1),  # name is empty
        ("not-a-flow.json", "schema", 1),  # environmentVariables is a string
        ("production-only.yaml", "unknown-placeholder", 13),
        ("truncated.i3InboundFlow", "truncated-export", None),
        ("undeclared.json", "undeclared-variable", 7),
        ("undeclared.json", "unused-variable", 4),
    ]


@pytest.mark.parametrize(
    ("text", "name", "rule", "path"),
    [
        # why: an Archy file needs exactly one flow-type key
        ("inboundCall:\n  name: A\noutboundCall:\n  name: B\n", "x.yaml", "schema", "$"),
        # why: the single key must be a flow type
        ("inboundcalls:\n  name: A\n", "x.yaml", "schema", "$.inboundcalls"),
        # why: a flow needs a name
        ("workflow:\n  description: no name\n", "x.yaml", "schema", "$.workflow"),
        # why: menus is a list of one-key items
        (
            "inboundCall:\n  name: A\n  menus: {menu: 1}\n",
            "x.yaml",
            "schema",
            "$.inboundCall.menus",
        ),
        # why: an export's type is a flow type in lower case
        (
            '{"name":"A","type":"INBOUNDCALL","manifest":{},"flowSequenceItemList":[]}',
            "x.i3InboundFlow",
            "schema",
            "$.type",
        ),
        # why: the JSON flow document keys
        (
            '{"name":"A","type":"x","environmentVariables":["bad name"],"definition":{}}',
            "x.json",
            "schema",
            "$.environmentVariables",
        ),
    ],
)
def test_validate_shape_errors_name_the_path(text: str, name: str, rule: str, path: str) -> None:
    content = text if not name.endswith("InboundFlow") else _export(text)
    findings = validate(parse_flow(content, name))
    errors = [(f.rule, f.path) for f in findings if f.severity == "error"]
    assert errors == [(rule, path)]


def _export(json_text: str) -> str:
    from sanitizer.flows.documents import encode_export

    return encode_export(json_text)


def test_validate_schema_messages_never_quote_values() -> None:
    value = "+1 212 555 0187 jane.doe@example.org"
    findings = validate(
        parse_flow(f"inboundCall:\n  name: A\n  startUpRef: [{value!r}]\n", "x.yaml")
    )
    assert [f.rule for f in findings] == ["schema"]
    assert "555" not in findings[0].message and "jane" not in findings[0].message


def test_validate_unknown_placeholder_reported_once_per_name(mappings: list[OrgMapping]) -> None:
    text = 'inboundCall:\n  name: "{{NOPE}}"\n  description: "{{NOPE}} {{DIVISION}}"\n'
    findings = validate(parse_flow(text, "x.yaml"), mappings)
    assert [(f.rule, f.line, f.column) for f in findings] == [("unknown-placeholder", 2, 10)]
    assert "{{NOPE}}" in findings[0].message


def test_validate_startup_ref_with_placeholder_is_not_checked() -> None:
    text = 'inboundCall:\n  name: A\n  startUpRef: "/inboundCall/menus/menu[{{REF}}]"\n'
    assert validate(parse_flow(text, "x.yaml")) == []
