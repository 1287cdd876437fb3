"""`scan`: detection only, per table and column; `suggest_rules` writes rules a person can review,
that `rules check` accepts and that make a `fail`-policy scrub pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanitizer.keyring import Keyring
from sanitizer.rules import RuleSet, read_rules
from sanitizer.scan import scan, suggest_rules
from sanitizer.scrub import scrub
from sanitizer.tables import read_sources

ROWS = [
    {
        "id": "1",
        "Contact Info": "ada@example.com",
        "Reach": "+1 212 555 0185",
        "Memo text": "Mr Lovelace asked for mail to ada@example.com",
        "Segment": "gold",
        "FirstName": "Ada",
    },
    {
        "id": "2",
        "Contact Info": "grace@example.org",
        "Reach": "(415) 555-0101",
        "Memo text": "No answer",
        "Segment": "silver",
        "FirstName": "Grace",
    },
    {
        "id": "3",
        "Contact Info": "alan@example.net",
        "Reach": "+44 20 7946 0123",
        "Memo text": "Retry tomorrow",
        "Segment": "gold",
        "FirstName": "Alan",
    },
]
# Column names a YAML writer can get wrong: quotes, a colon, a hash, a leading dash, non-ASCII.
AWKWARD = {
    'Say "hi" now': "x",
    "Time: slot": "morning",
    "# of calls": "3",
    "- flag": "y",
    "Prénom client": "Zoë",
}


@pytest.fixture
def inputs(tmp_path: Path, write_rows: Any) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    write_rows(folder / "t.csv", ROWS)
    write_rows(folder / "odd.csv", [AWKWARD, AWKWARD])
    nested = [
        {
            "id": "x",
            "cellPhone": {"display": "+1 212 555 0185"},
            "extra": {"note": "call ada@example.com"},
            "tags[]": ["a"],
            "visits": 3,
        }
    ]
    (folder / "ext.json").write_text(json.dumps(nested), encoding="utf-8")
    return folder


def test_scan_reports_every_column_with_its_decision(shipped_rules: RuleSet, inputs: Path) -> None:
    results = scan(read_sources([inputs / "t.csv"]), shipped_rules)
    found = {r.column: r for r in results}
    assert list(found) == ["id", "Contact Info", "Reach", "Memo text", "Segment", "FirstName"]
    assert found["FirstName"].is_ruled and found["FirstName"].plan.entity == "FIRST_NAME"
    assert not found["Contact Info"].is_ruled
    assert found["Contact Info"].plan.entity == "EMAIL_ADDRESS"
    detection = found["Contact Info"].plan.detection
    assert detection is not None and detection.confidence == 1.0 and detection.sample_size == 3
    assert found["Reach"].plan.operator == "phone"
    assert found["Memo text"].plan.operator == "text"


def test_scan_detects_even_when_policy_is_fail(tmp_path: Path, inputs: Path) -> None:
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(
        "version: 1\nextends: [default]\npolicy: {unknown_columns: fail}\n", encoding="utf-8"
    )
    results = scan(read_sources([inputs / "t.csv"]), read_rules(rules_path))
    assert {r.column for r in results} >= {"Contact Info", "Segment"}


def test_scan_writes_nothing(shipped_rules: RuleSet, inputs: Path) -> None:
    before = sorted(p.name for p in inputs.parent.rglob("*"))
    scan(read_sources([inputs]), shipped_rules)
    assert sorted(p.name for p in inputs.parent.rglob("*")) == before


def test_suggest_rules_covers_unruled_columns_and_is_valid(
    shipped_rules: RuleSet, inputs: Path, tmp_path: Path
) -> None:
    sources = read_sources([inputs])
    out = tmp_path / "suggested.yaml"
    count = suggest_rules(scan(sources, shipped_rules), None, [inputs], out)
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["extends"] == ["default", "genesys"]
    assert data["policy"] == {"unknown_columns": "fail"}
    suggested = {(t, c) for t, spec in data["tables"].items() for c in spec["columns"]}
    assert len(suggested) == count
    assert ("t", "Contact Info") in suggested and ("t", "FirstName") not in suggested
    assert {("odd", name) for name in AWKWARD} <= suggested  # awkward names survive YAML quoting
    assert data["tables"]["t"]["columns"]["Contact Info"] == {"entity": "EMAIL_ADDRESS"}
    # No PII in the sample of a text column: scanned, as a run without the rule scans it.
    assert data["tables"]["t"]["columns"]["Segment"]["entity"] == "FREE_TEXT"
    assert data["tables"]["t"]["columns"]["Segment"]["reason"].startswith("REVIEW")
    assert data["tables"]["ext"]["columns"]["visits"]["operator"] == "keep"  # numbers
    assert data["tables"]["ext"]["columns"]["visits"]["reason"].startswith("REVIEW")
    read_rules(out)  # what `sanitize rules check` runs


def test_suggest_rules_are_no_weaker_than_the_run_without_them(
    shipped_rules: RuleSet, inputs: Path, tmp_path: Path
) -> None:
    sources = read_sources([inputs])
    out = tmp_path / "rules.yaml"
    default = scan(sources, shipped_rules)
    suggest_rules(default, None, [inputs], out)
    suggested = {(r.table, r.column): r.plan for r in scan(sources, read_rules(out))}
    for result in default:
        plan = suggested[(result.table, result.column)]
        where = f"{result.table}.{result.column}"
        assert plan.operator == result.plan.operator, where
        assert plan.entity == (result.plan.entity or plan.entity), where


def test_suggest_rules_then_fail_policy_scrub_passes(
    shipped_rules: RuleSet, inputs: Path, tmp_path: Path, keyring_a: Keyring
) -> None:
    sources = read_sources([inputs])
    out = tmp_path / "rules.yaml"
    suggest_rules(scan(sources, shipped_rules), None, [inputs], out)
    rules = read_rules(out)
    assert rules.policy.unknown_columns == "fail"
    result = scrub(sources, rules, keyring_a, tmp_path / "scrubbed")
    assert result.report.status == "verified"
    text = (tmp_path / "scrubbed" / "t.csv").read_text(encoding="utf-8")
    assert "ada@example.com" not in text and "+1 212 555 0185" not in text


@pytest.mark.parametrize(
    ("suggested", "extends"),
    [
        pytest.param("conf/suggested.yaml", "base.yaml", id="beside-the-rules"),
        pytest.param("conf/new/suggested.yaml", "../base.yaml", id="below-them"),
        # Not an absolute path of this machine: the pair is committed and read elsewhere.
        pytest.param("review/suggested.yaml", "../conf/base.yaml", id="in-another-folder"),
    ],
)
def test_suggest_rules_extends_the_given_rules_file_relatively(
    tmp_path: Path, inputs: Path, suggested: str, extends: str
) -> None:
    base = tmp_path / "conf" / "base.yaml"
    base.parent.mkdir()
    base.write_text("version: 1\nextends: [default]\n", encoding="utf-8")
    out = tmp_path / suggested
    out.parent.mkdir(parents=True, exist_ok=True)
    suggest_rules(
        scan(read_sources([inputs / "t.csv"]), read_rules(base)), base, [inputs / "t.csv"], out
    )
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["extends"] == [extends]
    read_rules(out)


def test_suggest_rules_when_everything_is_ruled_writes_empty_tables(
    shipped_rules: RuleSet, tmp_path: Path, write_rows: Any
) -> None:
    write_rows(tmp_path / "t.csv", [{"FirstName": "Ada", "Email": "ada@example.com"}])
    out = tmp_path / "rules.yaml"
    count = suggest_rules(
        scan(read_sources([tmp_path / "t.csv"]), shipped_rules), None, [tmp_path / "t.csv"], out
    )
    assert count == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["tables"] == {}
    read_rules(out)
