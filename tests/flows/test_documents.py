"""Reading, parsing and encoding the three flow formats, and the errors for files that cannot be read."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest

from sanitizer.errors import FlowError
from sanitizer.flows.documents import (
    FlowFormat,
    encode_export,
    encode_flow,
    find_flow_files,
    parse_flow,
    read_flow,
    try_read_flow,
)
from sanitizer.flows.findings import Finding
from sanitizer.flows.tree import format_path

from .helpers import FIXTURES, ORG_FLOWS, SAMPLE_FLOWS


@pytest.mark.parametrize("name", SAMPLE_FLOWS)
def test_read_flow_public_sample_round_trips_byte_for_byte(samples: Path, name: str) -> None:
    # The real exports are the ground truth for the .i3 encoding: decode + encode must give the file back.
    path = samples / name
    doc = read_flow(path)
    assert encode_flow(doc) == path.read_bytes()
    assert doc.name
    assert doc.flow_type


@pytest.mark.parametrize(
    ("name", "fmt", "flow_type", "flow_name"),
    [
        ("Blacklist.i3WorkFlow", FlowFormat.architect, "workflow", "Blacklist"),
        ("blacklist.yaml", FlowFormat.archy, "workflow", "{{flow_name}}"),
        ("SimpleFinancialIvr_v2-0.yaml", FlowFormat.archy, "inboundCall", "SimpleFinancialIvr"),
        (
            "Trigger_proactive callback workflow_v1-0.i3InboundFlow",
            FlowFormat.architect,
            "inboundcall",
            "Trigger proactive callback workflow",
        ),
    ],
)
def test_read_flow_public_sample_reports_format_type_and_name(
    samples: Path, name: str, fmt: FlowFormat, flow_type: str, flow_name: str
) -> None:
    doc = read_flow(samples / name)
    assert (doc.format, doc.flow_type, doc.name) == (fmt, flow_type, flow_name)


def test_read_flow_blacklist_sample_with_placeholder_keys_parses_and_locates_them(
    samples: Path,
) -> None:
    # `{{data_table}}:` makes the file invalid YAML until substituted; sentinels let it parse anyway.
    doc = read_flow(samples / "blacklist.yaml")
    keys = {s.value: s for s in doc.scalars if s.is_key and s.value.startswith("{{")}
    assert set(keys) == {"{{data_table}}", "{{data_action_category}}", "{{data_action_name}}"}
    line, column = doc.position(keys["{{data_table}}"].start)
    assert (line, column) == (60, 27)
    assert format_path(keys["{{data_table}}"].path).endswith('.dataTable["{{data_table}}"]')
    names = [p.name for p in doc.placeholders]
    assert names[:3] == ["flow_name", "division", "default_language"]
    assert [(p.line, p.column) for p in doc.placeholders][:2] == [(2, 10), (3, 14)]


def test_read_flow_placeholders_in_comments_are_not_the_flows() -> None:
    doc = read_flow(FIXTURES / "archy" / "customer-lookup.yaml")
    assert "substitution" not in {p.name for p in doc.placeholders}
    assert {p.name for p in doc.placeholders} >= {"ANI_TABLE", "CRM_INTEGRATION", "CRM_ENDPOINT"}


def test_read_flow_json_bare_placeholder_parses_as_its_raw_text() -> None:
    doc = read_flow(FIXTURES / "json" / "payment.json")
    action = doc.data["definition"]["tasks"][0]["task"]["actions"][0]["callData"]
    assert action == {
        "name": "Open session",
        "url": "${PAYMENT_GATEWAY_URL}",
        "timeout": "${TIMEOUT_SECONDS}",
    }


def test_read_flow_architect_fixture_decodes_and_round_trips() -> None:
    path = FIXTURES / "exports" / "production-blocklist.i3WorkFlow"
    doc = read_flow(path)
    assert doc.format is FlowFormat.architect and not doc.has_lines
    assert doc.data["manifest"]["dataTable"][0]["name"] == "ANI Block List"
    assert encode_flow(doc) == path.read_bytes()


def test_encode_export_matches_encode_uri_component() -> None:
    # encodeURIComponent keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ) and escapes the rest as UTF-8 %XX.
    text = json.dumps({"a": "b c/é!~*'()"}, separators=(",", ":"), ensure_ascii=False)
    encoded = base64.b64decode(encode_export(text)).decode()
    assert encoded == "%7B%22a%22%3A%22b%20c%2F%C3%A9!~*'()%22%7D"
    assert urllib.parse.unquote(encoded) == text


@pytest.mark.parametrize(
    ("path", "rule", "line", "column"),
    [
        # why: indentation breaks the YAML itself, not just a placeholder
        (FIXTURES / "broken" / "malformed.yaml", "yaml-syntax", 13, 10),
        # why: an interrupted download: base64 and JSON end early
        (FIXTURES / "broken" / "truncated.i3InboundFlow", "truncated-export", None, None),
        # why: characters that are not base64; the column points at the first one
        (FIXTURES / "broken" / "bad-base64.i3WorkFlow", "invalid-base64", 1, 121),
    ],
)
def test_try_read_flow_unreadable_file_gives_one_finding_with_location(
    path: Path, rule: str, line: int | None, column: int | None
) -> None:
    result = try_read_flow(path)
    assert isinstance(result, Finding)
    assert (result.rule, result.line, result.column) == (rule, line, column)


@pytest.mark.parametrize(
    ("content", "name", "rule"),
    [
        (b"\xff\xfe not utf-8", "x.yaml", "unknown-format"),  # why: binary, not text
        (b"just some words", "notes.txt", "unknown-format"),  # why: no extension and no flow shape
        (b"", "x.i3WorkFlow", "truncated-export"),  # why: an empty export
        (b"JTdC=JTdC", "x.i3WorkFlow", "invalid-base64"),  # why: padding in the middle
        (b"JTdCJTIy", "x.i3WorkFlow", "truncated-export"),  # why: decodes to '{"' and stops
        (
            base64.b64encode(b"%7B%22a%22%3A%2"),
            "x.i3WorkFlow",
            "truncated-export",
        ),  # why: cut in an escape
        (
            base64.b64encode(b"%7B%22a%22%3A1%2C"),
            "x.i3WorkFlow",
            "truncated-export",
        ),  # why: JSON ends early
        (
            base64.b64encode(b"%FF%FE"),
            "x.i3WorkFlow",
            "export-encoding",
        ),  # why: %-bytes are not UTF-8
        (
            base64.b64encode(b"%7B%22a%22%3A%5D%7D"),
            "x.i3WorkFlow",
            "json-syntax",
        ),  # why: broken JSON
        (b'{"a": }', "x.json", "json-syntax"),  # why: broken JSON document
        (b"a: [1, 2\nb: 3\n", "x.yaml", "yaml-syntax"),  # why: unclosed flow sequence
        (b"a: 1\n---\nb: 2\n", "x.yaml", "yaml-syntax"),  # why: two documents in one file
        (b"", "x.yaml", "unknown-format"),  # why: an empty file is no flow (exit 4 like the rest)
        (b"# only a comment\n", "x.yaml", "unknown-format"),  # why: no document at all
    ],
)
def test_parse_flow_bad_input_raises_flow_error_naming_rule(
    content: bytes, name: str, rule: str
) -> None:
    with pytest.raises(FlowError) as caught:
        parse_flow(content, name)
    message = str(caught.value)
    assert message.startswith(name) and f"({rule})" in message


@pytest.mark.parametrize(
    "content",
    [
        'workflow:\n  name: "Unterminated\n  description: x\n',  # why: the file ends inside it
        "workflow:\n  name: 'Unterminated\n",  # why: single quotes too, at the last line
    ],
)
def test_parse_flow_unterminated_quote_is_reported_where_it_starts(content: str) -> None:
    with pytest.raises(FlowError) as caught:
        parse_flow(content, "x.yaml")
    assert str(caught.value).startswith("x.yaml:2:9: unterminated quote")


def test_parse_flow_error_message_never_quotes_the_text() -> None:
    secretish = "caller-555-0123-secret"
    with pytest.raises(FlowError) as caught:
        parse_flow(f'{{"name": "{secretish}", }}'.encode(), "x.json")
    assert secretish not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (b"inboundCall:\n  name: X\n", FlowFormat.archy),  # why: export-job YAML has no file name
        (b'{"name": "X"}', FlowFormat.json),
        (encode_export('{"name":"X"}').encode(), FlowFormat.architect),
        ("\ufeffworkflow:\n  name: X\n".encode(), FlowFormat.archy),  # why: a BOM is tolerated
    ],
)
def test_parse_flow_without_name_sniffs_format(content: bytes, fmt: FlowFormat) -> None:
    assert parse_flow(content).format is fmt


def test_find_flow_files_folder_skips_index_json_and_other_files(tmp_path: Path) -> None:
    assert [p.name for p in find_flow_files([ORG_FLOWS])] == [
        "ani-block-check.yaml",
        "main-ivr.yaml",
        "renewal-outbound.yaml",
    ]
    with pytest.raises(FlowError, match="no such file"):
        find_flow_files([tmp_path / "missing.yaml"])
    with pytest.raises(FlowError, match="no flow files"):
        find_flow_files([tmp_path])


def test_read_flow_missing_file_raises_flow_error(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="cannot read"):
        read_flow(tmp_path / "nope.yaml")
