"""diff_reports: which differences between two runs need a human decision, which are information."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sanitizer.errors import InputError
from sanitizer.report.diff import diff_reports
from sanitizer.report.model import ColumnReport, OrgInfo, RuleRef, ScrubReport, TableReport

Mutation = Callable[[ScrubReport], None]


def _table(r: ScrubReport, name: str = "spring_campaign") -> TableReport:
    return next(t for t in r.tables if t.name == name)


def _col(r: ScrubReport, name: str = "Email", table: str = "spring_campaign") -> ColumnReport:
    return next(c for c in _table(r, table).columns if c.name == name)


def _grow_table(r: ScrubReport) -> None:
    table = _table(r)
    table.rows *= 3
    for column in table.columns:
        for field in ("values", "non_empty", "unique", "changed"):
            setattr(column.counts, field, getattr(column.counts, field) * 3)


def _detection(r: ScrubReport, confidence: float) -> None:
    detection = _col(r).detection
    assert detection is not None
    detection.confidence = confidence


CASES: list[tuple[str, Mutation, str | None, bool]] = [
    # (why, change applied to the later run, expected 'what' (None: no change), needs a decision)
    ("the same report twice", lambda r: None, None, False),
    (
        "a failed run after a verified one",
        lambda r: setattr(r, "status", "failed"),
        "verification status changed",
        True,
    ),
    (
        "a table nobody reviewed appeared",
        lambda r: r.tables.append(_table(r).model_copy(update={"name": "new_list"})),
        "new table",
        True,
    ),
    (
        "a table vanished: is staging now missing data?",
        lambda r: r.tables.pop(),
        "table vanished",
        True,
    ),
    (
        "a column appeared",
        lambda r: _table(r).columns.append(_col(r).model_copy(update={"name": "Email 2"})),
        "new column",
        True,
    ),
    ("a column vanished", lambda r: _table(r).columns.remove(_col(r)), "column vanished", True),
    (
        "the entity of a column changed",
        lambda r: setattr(_col(r), "entity", "PERSON"),
        "entity changed",
        True,
    ),
    (
        "the operator of a column changed",
        lambda r: setattr(_col(r), "operator", "keep"),
        "operator changed",
        True,
    ),
    (
        "operator parameters changed",
        lambda r: setattr(_col(r), "params", {"domain": "example.net"}),
        "operator parameters changed",
        True,
    ),
    (
        "another rule now decides the column",
        lambda r: setattr(_col(r), "rule", RuleRef(kind="detected")),
        "a different rule decides the column",
        True,
    ),
    (
        "the same rule moved to another line",
        lambda r: setattr(_col(r).rule, "source", "rules/default.yaml:99"),
        "rule moved",
        False,
    ),
    (
        "the rules hash changed",
        lambda r: setattr(r.rules, "hash", "0" * 64),
        "the rules changed",
        True,
    ),
    (
        "a rules file was edited (its hash change is the decision)",
        lambda r: setattr(r.rules.files[0], "sha256", "1" * 64),
        "rules file edited",
        False,
    ),
    (
        "the unknown-columns policy changed",
        lambda r: setattr(r.rules, "unknown_columns", "fail"),
        "policy for columns without a rule changed",
        True,
    ),
    (
        "the language model changed",
        lambda r: setattr(r.rules, "nlp", "en_core_web_lg"),
        "language model changed",
        True,
    ),
    (
        "the key was rotated",
        lambda r: setattr(r.key, "fingerprint", "hmac-sha256:0000000000000000"),
        "key fingerprint changed (key rotated: every pseudonym changes)",
        False,
    ),
    (
        "a new tool version",
        lambda r: setattr(r.tool, "version", "0.2.0"),
        "tool version changed",
        False,
    ),
    (
        "the run now writes to another org",
        lambda r: setattr(
            r.run,
            "target_org",
            OrgInfo(
                role="staging",
                id="00000000-0000-4000-8000-000000000009",
                name="Other",
                profile="other",
            ),
        ),
        "target org changed",
        True,
    ),
    (
        "the target org was only renamed",
        lambda r: setattr(r.run.target_org, "name", "Renamed Staging"),
        "target org renamed",
        False,
    ),
    ("rows tripled: beyond the 50% threshold", _grow_table, "row count swing", True),
    (
        "rows grew 10%: within the threshold",
        lambda r: setattr(_table(r), "rows", int(_table(r).rows * 1.1)),
        None,
        False,
    ),
    (
        "half of a PII column is no longer replaced",
        lambda r: setattr(_col(r).counts, "changed", _col(r).counts.changed // 3),
        "share of changed cells swung",
        True,
    ),
    (
        "a column's verification failed",
        lambda r: setattr(_col(r).verification, "status", "failed"),
        "verification result changed",
        True,
    ),
    (
        "detection confidence dropped by 0.3",
        lambda r: _detection(r, 0.7),
        "detection confidence moved",
        False,
    ),
    ("detection confidence moved by a hair", lambda r: _detection(r, 0.98), None, False),
]


@pytest.mark.parametrize(
    ("why", "mutate", "what", "needs_decision"), CASES, ids=[c[0] for c in CASES]
)
def test_diff_reports_change_is_classified(
    verified: ScrubReport, why: str, mutate: Mutation, what: str | None, needs_decision: bool
) -> None:
    later = verified.model_copy(deep=True)
    mutate(later)

    diff = diff_reports(verified, later)

    if what is None:
        assert diff.changes == []
    else:
        assert what in [c.what for c in diff.changes]
    assert diff.has_decisions is needs_decision


def test_diff_reports_proportional_growth_does_not_swing_columns(verified: ScrubReport) -> None:
    later = verified.model_copy(deep=True)
    _grow_table(later)

    diff = diff_reports(verified, later)

    # One decision for the table; its columns were replaced in the same share as before.
    assert [(c.subject, c.what) for c in diff.decisions] == [("spring_campaign", "row count swing")]


def test_diff_reports_from_zero_rows_always_swings(verified: ScrubReport) -> None:
    earlier = verified.model_copy(deep=True)
    _table(earlier).rows = 0
    diff = diff_reports(earlier, verified, threshold=1000)
    assert "row count swing" in [c.what for c in diff.decisions]


def test_diff_reports_decisions_come_first(verified: ScrubReport) -> None:
    later = verified.model_copy(deep=True)
    later.tool.version = "9.9.9"
    later.status = "failed"
    flags = [c.needs_decision for c in diff_reports(verified, later).changes]
    assert flags == sorted(flags, reverse=True)


def test_diff_reports_fixture_drift_run_needs_decisions(runs: list[ScrubReport]) -> None:
    diff = diff_reports(runs[1], runs[2])
    assert {c.what for c in diff.decisions} == {
        "the rules changed",
        "row count swing",
        "new column",
        "operator changed",
    }


def test_diff_reports_to_dict_holds_identities_and_counts(runs: list[ScrubReport]) -> None:
    data = diff_reports(runs[2], runs[3]).to_dict()
    assert data["before"]["run_id"] == runs[2].run.id
    assert data["after"]["status"] == "failed"
    assert data["needs_decision"] == sum(1 for c in data["changes"] if c["needs_decision"])


def test_diff_reports_negative_threshold_raises(verified: ScrubReport) -> None:
    with pytest.raises(InputError, match="threshold"):
        diff_reports(verified, verified, threshold=-1)
