"""The shipped JSON Schema of scrub-report.json is current and describes the reports we write."""

from __future__ import annotations

import json

import jsonschema
import pytest

from sanitizer.report import report_schema, report_schema_text
from sanitizer.shipped import rules_dir

from .conftest import FIXTURE_RUNS

SCHEMA_FILE = rules_dir() / "schemas" / "scrub-report.schema.json"


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == report_schema_text(), (
        "rules/schemas/scrub-report.schema.json is stale: "
        "run `sanitize report schema > rules/schemas/scrub-report.schema.json`"
    )


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(report_schema())


@pytest.mark.parametrize("run", sorted(p.name for p in FIXTURE_RUNS.iterdir()))
def test_schema_fixture_report_validates(run: str) -> None:
    report = json.loads((FIXTURE_RUNS / run / "scrub-report.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda r: r.update(surprise=1), "unknown top-level fields are refused (extra=forbid)"),
        (lambda r: r.update(status="probably"), "status is one of verified / failed"),
        (lambda r: r["verification"].pop("findings"), "findings are required"),
        (
            lambda r: (
                r["tables"][0]["columns"][0]["detection"]
                or r["tables"][0]["columns"][1]["detection"].update(confidence=1.5)
            ),
            "a confidence is between 0 and 1",
        ),
    ],
)
def test_schema_invalid_report_is_rejected(mutate: object, why: str) -> None:
    run = sorted(FIXTURE_RUNS.iterdir())[0]
    report = json.loads((run / "scrub-report.json").read_text(encoding="utf-8"))
    mutate(report)  # type: ignore[operator]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, report_schema())
