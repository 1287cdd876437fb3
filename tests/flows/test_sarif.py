"""SARIF 2.1.0 output: the shape CI systems read (driver, rules, results, locations)."""

from __future__ import annotations

import json
from pathlib import Path

from sanitizer.flows.findings import RULES, finding
from sanitizer.flows.sarif import artifact_uri, render_sarif, to_sarif
from sanitizer.flows.validate import validate_files

from .helpers import FIXTURES

# The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json) a result here uses: required keys
# and enums, checked by hand because the official schema is not shipped with any installed package.
_LEVELS = {"none", "note", "warning", "error"}


def test_to_sarif_findings_of_broken_fixtures_are_valid_results() -> None:
    findings = validate_files([FIXTURES / "broken"])
    log = json.loads(render_sarif(findings, base=FIXTURES.parent.parent))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sanitizer"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == list(RULES)
    assert all(rule["defaultConfiguration"]["level"] in _LEVELS for rule in driver["rules"])
    assert len(run["results"]) == len(findings)
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in _LEVELS and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("fixtures/flows/broken/")
        region = location.get("region", {})
        assert all(isinstance(v, int) and v >= 1 for v in region.values())
    truncated = next(r for r in run["results"] if r["ruleId"] == "truncated-export")
    assert "region" not in truncated["locations"][0]["physicalLocation"]  # no line in a base64 blob


def test_to_sarif_path_becomes_a_logical_location() -> None:
    log = to_sarif([finding("hardcoded-url", "m", "a.yaml", line=3, column=5, path="$.workflow.x")])
    location = log["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 5}
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "$.workflow.x", "kind": "object"}
    ]


def test_artifact_uri_relative_inside_base_and_file_uri_outside(tmp_path: Path) -> None:
    inside = tmp_path / "flows" / "a.yaml"
    assert artifact_uri(str(inside), base=tmp_path) == "flows/a.yaml"
    outside = Path("/elsewhere/b.yaml")
    assert artifact_uri(str(outside), base=tmp_path) == "file:///elsewhere/b.yaml"
