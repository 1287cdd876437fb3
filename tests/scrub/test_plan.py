"""Planning: per column, the rule that applies, or content detection, or a stop (policy fail)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sanitizer.detect import NameFinder, TextScanner
from sanitizer.errors import RulesError, UnknownColumnsError
from sanitizer.rules import RuleSet, read_rules
from sanitizer.scrub.plan import Planner, TablePlan
from sanitizer.tables import FrameBatch, RecordsBatch, TableSource


def _planner(rules: RuleSet) -> Planner:
    names = NameFinder()
    ranges = rules.safe_ranges()
    return Planner(rules, ranges, names, TextScanner(rules, ranges, names))


def _rules(tmp_path: Path, text: str) -> RuleSet:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return read_rules(path)


def _table(name: str = "contacts") -> TablePlan:
    return TablePlan(TableSource(name=name, path=Path(f"{name}.csv"), format="csv"))


def _batch(**columns: list[Any]) -> FrameBatch:
    return FrameBatch(pd.DataFrame(columns), 0)


def test_plan_ruled_column_records_rule_and_header_evidence(shipped_rules: RuleSet) -> None:
    table = _table()
    _planner(shipped_rules).plan(
        table, _batch(**{"Cust First Nm": ["Ada"], "inin-outbound-id": ["c-1"]})
    )
    first = table.columns["Cust First Nm"]
    assert (first.entity, first.operator, first.is_replacing, first.is_text) == (
        "FIRST_NAME",
        "fake",
        True,
        False,
    )
    assert first.rule.kind == "pattern"
    assert first.rule.source is not None and first.rule.source.startswith("rules/default.yaml:")
    assert first.detection is not None and first.detection.method == "header+sample"
    assert (first.detection.confidence, first.detection.sample_size) == (1.0, 1)
    kept = table.columns["inin-outbound-id"]
    assert (kept.operator, kept.is_replacing) == ("keep", False)
    assert kept.rule.reason
    assert (
        kept.detection is not None and kept.detection.method == "header"
    )  # kept: nothing to check


def test_plan_ruled_column_whose_values_disagree_has_low_confidence(
    shipped_rules: RuleSet,
) -> None:
    # A column named like emails that holds ticket codes: the rule stands, the report asks a person.
    table = _table()
    values = [f"T-{i:05d}" for i in range(40)] + [f"user{i}@example.com" for i in range(10)]
    _planner(shipped_rules).plan(table, _batch(Email=values, Phone=["+1 212 555 0142"] * 50))
    email = table.columns["Email"]
    assert email.operator == "email" and email.detection is not None
    assert email.detection.method == "header+sample"
    assert (email.detection.matched, email.detection.sample_size) == (10, 50)
    assert email.detection.confidence == 0.2
    assert "EmailRecognizer" in email.detection.recognizers
    phone = table.columns["Phone"].detection
    assert phone is not None and (phone.confidence, phone.sample_size) == (
        1.0,
        1,
    )  # distinct values


@pytest.mark.parametrize(
    ("values", "entity", "why"),
    [
        (["Ada", "Bob", "Priya", "Zed"], "FIRST_NAME", "first names alone: no context in prose"),
        (
            ["Grace Hopper", "Edsger Dijkstra"],
            "PERSON",
            "full names of ordinary and unlisted words",
        ),
    ],
)
def test_plan_free_text_rule_over_names_standing_alone_replaces_them_as_names(
    tmp_path: Path, values: list[str], entity: str, why: str
) -> None:
    rules = _rules(
        tmp_path,
        "version: 1\nextends: [default]\ntables:\n  l:\n    columns:\n"
        "      who: {entity: FREE_TEXT}\n",
    )
    table = _table("l")
    _planner(rules).plan(table, _batch(who=values))
    who = table.columns["who"]
    assert (who.entity, who.operator, who.is_text) == (entity, "fake", False), why
    assert who.rule.kind == "table" and who.rule.source and who.rule.source.endswith(":6")
    assert who.rule.reason and "names standing alone" in who.rule.reason
    assert who.detection is not None and "NameShape" in who.detection.recognizers


def test_plan_free_text_rule_over_notes_stands(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        "version: 1\nextends: [default]\ntables:\n  l:\n    columns:\n      who: {entity: FREE_TEXT}\n",
    )
    table = _table("l")
    notes = ["Spoke to Ada about the renewal.", "No answer.", "Called back Priya Raman."]
    _planner(rules).plan(table, _batch(who=notes))
    assert table.columns["who"].is_text


def test_plan_ruled_last_names_outside_the_name_lists_are_borne_out(
    shipped_rules: RuleSet,
) -> None:
    # Invented surnames are in no name list: written as names, they bear the header rule out.
    table = _table()
    _planner(shipped_rules).plan(
        table, _batch(last_name=["Quillbrook", "Zubrowski", "Okonkwo-Reyes", "Plimsoll"])
    )
    detection = table.columns["last_name"].detection
    assert detection is not None and detection.method == "header+sample"
    assert (detection.confidence, detection.matched) == (1.0, 4)
    assert "NameShape" in detection.recognizers


def test_plan_ruled_entity_without_a_recognizer_keeps_header_evidence(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        "version: 1\nextends: [default]\ntables:\n  contacts:\n    columns:\n"
        "      Town: {entity: LOCATION, operator: redact}\n",
    )
    table = _table()
    _planner(rules).plan(table, _batch(Town=["Springfield", "Shelbyville"]))
    detection = table.columns["Town"].detection
    assert detection is not None and detection.method == "header" and detection.confidence is None


@pytest.mark.parametrize(
    ("values", "entity", "operator", "kind", "why"),
    [
        (
            ["ada@example.com", "grace@example.org"],
            "EMAIL_ADDRESS",
            "email",
            "detected",
            "content says email",
        ),
        (
            ["+1 212 555 0185", "(415) 555-0101"],
            "PHONE_NUMBER",
            "phone",
            "detected",
            "content says phone",
        ),
        (
            ["Mail ada@example.com today", "nothing"],
            "FREE_TEXT",
            "text",
            "detected",
            "PII inside text",
        ),
        (
            ["open", "closed"],
            None,
            "text",
            "detected",
            "text without PII is still scanned (fail-closed)",
        ),
        ([1.5, 2.0], None, "keep", "type", "numbers without PII are kept"),
    ],
)
def test_plan_unknown_column_with_policy_detect_classifies_content(
    shipped_rules: RuleSet,
    values: list[object],
    entity: str | None,
    operator: str,
    kind: str,
    why: str,
) -> None:
    table = _table()
    _planner(shipped_rules).plan(table, _batch(Mystery=values))
    plan = table.columns["Mystery"]
    assert (plan.entity, plan.operator, plan.rule.kind) == (entity, operator, kind), why
    assert plan.rule.reason and plan.rule.reason.startswith("no rule")
    assert plan.detection is not None and plan.detection.method in {"sample", "type"}


def test_plan_unknown_columns_with_policy_fail_are_all_named(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "version: 1\nextends: [default]\npolicy: {unknown_columns: fail}\n")
    planner = _planner(rules)
    first, second = _table("a"), _table("b")
    planner.plan(first, _batch(Email=["x@example.com"], Segment=["gold"]))
    planner.plan(second, _batch(Tier=["1"], Colour=["red"]))
    assert "Segment" not in first.columns
    with pytest.raises(UnknownColumnsError) as caught:
        planner.finish([first, second])
    assert caught.value.columns == [("a", "Segment"), ("b", "Tier"), ("b", "Colour")]
    assert "3 column(s) have no rule and policy is 'fail': a.Segment, b.Tier, b.Colour" in str(
        caught.value
    )
    assert "sanitize scan --suggest-rules" in str(caught.value)


def test_unknown_columns_error_lists_ten_and_counts_the_rest() -> None:
    error = UnknownColumnsError([("t", f"c{i}") for i in range(13)])
    assert "t.c9 and 3 more" in str(error)
    assert "t.c10" not in str(error)


def test_finish_table_rule_naming_absent_column_raises(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        "version: 1\nextends: [default]\ntables:\n  contacts:\n    columns:\n      Emial: {operator: keep}\n",
    )
    planner = _planner(rules)
    table = _table()
    planner.plan(table, _batch(Email=["a@example.com"]))
    with pytest.raises(RulesError) as caught:
        planner.finish([table])
    message = str(caught.value)
    assert "rules.yaml:6" in message and "'Emial'" in message and "contacts" in message


@pytest.mark.parametrize(
    ("glob", "warned"),
    [
        pytest.param("contactz", True, id="a-misspelt-name"),
        pytest.param("other", True, id="a-table-this-run-does-not-have"),
        pytest.param("contacts", False, id="the-table"),
        pytest.param("'contact*'", False, id="a-glob-matching-it"),
    ],
)
def test_finish_table_rule_for_absent_table_warns_naming_the_rule_and_the_tables(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, glob: str, warned: bool
) -> None:
    # Not an error: a rules file shared by many runs names tables this run does not have. But a
    # misspelt table name was ignored silently, its columns left to patterns and detection.
    rules = _rules(
        tmp_path,
        f"version: 1\nextends: [default]\ntables:\n  {glob}:\n    columns:\n      Email: {{entity: EMAIL_ADDRESS}}\n",
    )
    planner = _planner(rules)
    tables = [_table(), _table("agents")]
    for table in tables:
        planner.plan(table, _batch(Email=["a@example.com"]))
    with caplog.at_level(logging.WARNING, logger="sanitizer.scrub.plan"):
        planner.finish(tables)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    if warned:
        assert messages == [
            f"{tmp_path / 'rules.yaml'}:4: tables.{glob}: no table of this run matches this rule; "
            "the tables are: contacts, agents"
        ]
    else:
        assert messages == []


def test_finish_persona_is_attached_to_matching_tables(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        "version: 1\nextends: [default]\ntables:\n  'contacts*':\n    persona: {first_name: FirstName, last_name: LastName, email: Email}\n",
    )
    planner = _planner(rules)
    table, other = _table("contacts_2026"), _table("orders")
    for t in (table, other):
        planner.plan(t, _batch(FirstName=["Ada"], LastName=["L"], Email=["a@example.com"]))
    planner.finish([table, other])
    assert table.persona is not None and table.persona.email == "Email"
    assert other.persona is None


def test_plan_nested_paths_first_seen_in_a_later_batch(shipped_rules: RuleSet) -> None:
    table = TablePlan(TableSource(name="ext", path=Path("ext.json"), format="json"))
    planner = _planner(shipped_rules)
    planner.plan(table, RecordsBatch([{"firstName": "Ada"}], 0))
    assert list(table.columns) == ["firstName"]
    planner.plan(
        table, RecordsBatch([{"firstName": "Grace", "cellPhone": {"e164": "+12125550185"}}], 1)
    )
    assert list(table.columns) == ["firstName", "cellPhone.e164"]
    assert table.columns["cellPhone.e164"].entity == "PHONE_NUMBER"
