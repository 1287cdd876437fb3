"""Per-org mapping files: reading, validation errors with locations, secrets, and `vars check`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sanitizer.errors import ConfigError
from sanitizer.flows.documents import parse_flow, read_flow
from sanitizer.variables import (
    DidRange,
    check_variables,
    find_mapping,
    read_mapping,
    read_mappings,
    resolve,
)

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "rules" / "mappings"
FLOWS = REPO / "fixtures" / "flows"


def _write(folder: Path, org: str, body: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{org}.yaml"
    path.write_text(
        body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False), encoding="utf-8"
    )
    return path


def test_read_mappings_shipped_files_are_valid_and_named_by_file() -> None:
    mappings = read_mappings(SHIPPED)
    assert [(m.org, m.role) for m in mappings] == [
        ("production", "production"),
        ("staging", "staging"),
    ]
    assert set(mappings[0].variables) == set(mappings[1].variables)
    assert mappings[0].variables["CRM_API_KEY"].secret is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # why: a typo in a key must not be silently ignored
        ("role: staging\nvariabels: {}\n", ":2: variabels: unknown key"),
        # why: a variable needs a description
        (
            "role: staging\nvariables:\n  A:\n    value: x\n",
            ":3: variables.A.description: required key",
        ),
        # why: value and secret are exclusive
        (
            "role: staging\nvariables:\n  A:\n    description: d\n    value: x\n    secret: {env: A}\n",
            ":3: variables.A: a variable needs exactly one of `value` or `secret`",
        ),
        # why: a secret names an env var or a file, not both
        (
            "role: staging\nvariables:\n  A:\n    description: d\n    secret: {env: A, file: a.txt}\n",
            ":5: variables.A.secret: a secret needs exactly one of `env` or `file`",
        ),
        # why: unknown key inside a secret reference
        (
            "role: staging\nvariables:\n  A:\n    description: d\n    secret: {vault: x}\n",
            ":5: variables.A.secret.vault: unknown key",
        ),
        # why: endpoints are bare hosts so they can be matched inside URLs
        (
            "role: staging\nendpoints:\n  crm: https://crm.example.com\n",
            ":2: endpoints: endpoint 'crm' must be",
        ),
        # why: a DID range's ends must be comparable numbers
        (
            "role: staging\ndids:\n  main: {first: '+1 317 555 0199', last: '+1 317 555 0100'}\n",
            ":3: dids.main: `first` and `last` must be numbers",
        ),
        # why: the role decides the promote gate
        ("role: prod\n", ":1: role: Input should be 'production', 'staging' or 'other'"),
        ("", "the mapping file is empty"),  # why: an empty file is a mistake, not an empty org
        ("role: [unclosed\n", ":2: invalid YAML"),  # why: syntax errors name the line
    ],
)
def test_read_mapping_invalid_file_names_file_line_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, "staging", text)
    with pytest.raises(ConfigError) as caught:
        read_mapping(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message


def test_read_mappings_missing_or_empty_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mappings folder not found"):
        read_mappings(tmp_path / "nope")
    with pytest.raises(ConfigError, match="no mapping files"):
        read_mappings(tmp_path)


def test_find_mapping_unknown_org_lists_the_known_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"no mapping file for org 'qa' \(known orgs: production, staging\)"
    ):
        find_mapping(read_mappings(SHIPPED), "qa")


def test_resolve_secret_from_env_and_file_never_shows_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "key.txt").write_text("file-secret-value\nignored\n", encoding="utf-8")
    path = _write(
        tmp_path,
        "staging",
        {
            "role": "staging",
            "variables": {
                "FROM_ENV": {"description": "d", "secret": {"env": "TEST_SECRET_ENV"}},
                "FROM_FILE": {"description": "d", "secret": {"file": "key.txt"}},
                "MISSING_FILE": {"description": "d", "secret": {"file": "nope.txt"}},
                "FLAG": {"description": "d", "value": True},
            },
        },
    )
    mapping = read_mapping(path)
    monkeypatch.setenv("TEST_SECRET_ENV", "env-secret-value")
    assert resolve(mapping, "FROM_ENV") == "env-secret-value"
    assert resolve(mapping, "FROM_FILE") == "file-secret-value"
    assert resolve(mapping, "FLAG") == "true"
    monkeypatch.delenv("TEST_SECRET_ENV")
    with pytest.raises(ConfigError) as caught:
        resolve(mapping, "FROM_ENV")
    assert "TEST_SECRET_ENV is not set" in str(caught.value) and ":3:" in str(caught.value)
    with pytest.raises(ConfigError, match=r"cannot read .*nope\.txt"):
        resolve(mapping, "MISSING_FILE")
    with pytest.raises(ConfigError, match="'UNDEFINED' is not defined for org 'staging'"):
        resolve(mapping, "UNDEFINED")


@pytest.mark.parametrize(
    ("number", "inside"),
    [
        ("+13175550100", True),  # why: first number is inside
        ("+13175550149", True),  # why: last number is inside
        ("+13175550150", False),  # why: one past the end
        ("+443175550120", False),  # why: same digits, another length and country
    ],
)
def test_did_range_contains_is_inclusive_and_length_aware(number: str, inside: bool) -> None:
    assert DidRange(first="(317) 555-0100", last="317-555-0149").contains(number) is inside


def test_vars_check_variable_defined_for_one_org_only_is_one_error_at_the_flow(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "mappings"
    _write(
        folder,
        "production",
        {
            "role": "production",
            "variables": {
                "legacy_ivr_url": {"description": "d", "value": "https://ivr.prod.example.com"}
            },
            "endpoints": {"ivr": "ivr.prod.example.com"},
        },
    )
    _write(folder, "staging", {"role": "staging"})
    doc = read_flow(FLOWS / "broken" / "production-only.yaml")
    findings = check_variables([doc], read_mappings(folder))
    undefined = [f for f in findings if f.rule == "var-undefined"]
    assert len(undefined) == 1
    finding = undefined[0]
    assert (finding.line, finding.column) == (13, 23)
    assert (
        "{{legacy_ivr_url}} has no value for staging (defined for production only)"
        in finding.message
    )
    assert [f.rule for f in findings if f.rule != "var-undefined"] == []


def test_vars_check_unused_partial_variable_is_reported_in_the_mapping(tmp_path: Path) -> None:
    folder = tmp_path / "mappings"
    _write(
        folder,
        "production",
        {"role": "production", "variables": {"ONLY_HERE": {"description": "d", "value": "x"}}},
    )
    _write(folder, "staging", {"role": "staging"})
    findings = check_variables([], read_mappings(folder))
    assert [(Path(f.source).name, f.rule, f.line) for f in findings] == [
        ("production.yaml", "var-partial", 3)
    ]


def test_vars_check_cross_org_values_and_shared_endpoints_are_errors(tmp_path: Path) -> None:
    folder = tmp_path / "mappings"
    _write(
        folder,
        "production",
        {
            "role": "production",
            "endpoints": {"crm": "crm.prod.example.com"},
            "trunks": {"main": "Trunk P"},
            "dids": {"main": {"first": "+13175550100", "last": "+13175550149"}},
            "variables": {"CRM": {"description": "d", "value": "https://crm.prod.example.com/v1"}},
        },
    )
    _write(
        folder,
        "staging",
        {
            "role": "staging",
            "endpoints": {"crm": "crm.prod.example.com"},
            "trunks": {"main": "Trunk P"},
            "variables": {
                "CRM": {"description": "d", "value": "https://crm.prod.example.com/v1"},
                "AFTER_HOURS": {"description": "d", "value": "+1 317 555 0120"},
            },
        },
    )
    findings = check_variables([], read_mappings(folder))
    staging = sorted(
        (f.rule, f.path, f.message) for f in findings if Path(f.source).name == "staging.yaml"
    )
    rules = [(rule, path) for rule, path, _m in staging]
    assert (
        "var-cross-org",
        "$.variables.AFTER_HOURS",
    ) in rules  # a production DID as staging's value
    assert ("var-cross-org", "$.endpoints.crm") in rules  # both orgs list the same host
    assert ("var-cross-org", "$.trunks.main") in rules
    assert ("var-partial", "$.variables.AFTER_HOURS") in rules


def test_vars_check_unlisted_host_and_unresolved_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mappings"
    body = {
        "role": "staging",
        "endpoints": {"crm": "crm.staging.example.net"},
        "variables": {
            "CRM": {"description": "d", "value": "https://elsewhere.example.org/v1"},
            "KEY": {"description": "d", "secret": {"env": "VARS_TEST_KEY"}},
        },
    }
    _write(folder, "staging", body)
    monkeypatch.delenv("VARS_TEST_KEY", raising=False)
    findings = check_variables([], read_mappings(folder), resolve_secrets=True)
    assert sorted((f.rule, f.path) for f in findings) == [
        ("var-secret-unresolved", "$.variables.KEY"),
        ("var-unlisted-host", "$.variables.CRM"),
    ]
    assert all("VARS_TEST_KEY" in f.message for f in findings if f.rule == "var-secret-unresolved")


def test_vars_check_shipped_mappings_and_flows_have_no_errors() -> None:
    docs = [read_flow(p) for p in sorted((FLOWS / "archy").glob("*.yaml"))]
    docs.append(parse_flow((FLOWS / "json" / "payment.json").read_bytes(), "payment.json"))
    findings = check_variables(docs, read_mappings(SHIPPED))
    assert [f for f in findings if f.severity == "error"] == []


@pytest.mark.parametrize(
    ("where", "org_key"),
    [("base_url", "expected_org_id"), ("api_url", "org_id")],
    ids=["run-config spelling", "earlier spelling"],
)
def test_read_mapping_connection_spelled_like_the_run_config(
    tmp_path: Path, where: str, org_key: str
) -> None:
    body = yaml.safe_load((SHIPPED / "staging.yaml").read_text(encoding="utf-8"))
    body["connection"] = {
        where: "http://127.0.0.1:8080",
        "client_id_env": "STAGING_ID",
        "client_secret_env": "STAGING_SECRET",
        org_key: "org-b",
    }
    connection = read_mapping(_write(tmp_path, "staging", body)).connection
    assert connection is not None
    assert (connection.base_url, connection.expected_org_id) == ("http://127.0.0.1:8080", "org-b")


def test_read_mapping_connection_without_a_location_names_both_keys(tmp_path: Path) -> None:
    body = yaml.safe_load((SHIPPED / "staging.yaml").read_text(encoding="utf-8"))
    body["connection"] = {"client_id_env": "A", "client_secret_env": "B"}
    with pytest.raises(ConfigError, match="exactly one of `region` or `base_url`"):
        read_mapping(_write(tmp_path, "staging", body))
