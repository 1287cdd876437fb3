"""figures: the shared numbers and words of both renderers."""

from __future__ import annotations

import pytest

from sanitizer.report import figures, render_html, render_markdown
from sanitizer.report.model import Detection, RuleRef, ScrubReport


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "0.0–0.2"),  # the lowest score lands in the first band
        (0.2, "0.2–0.4"),  # a boundary belongs to the band above
        (0.59, "0.4–0.6"),  # just under the low-confidence line
        (0.6, "0.6–0.8"),  # the low-confidence line itself is not low
        (1.0, "0.8–1.0"),  # a perfect score is counted, in the last band
    ],
)
def test_confidence_bins_score_lands_in_its_band(
    verified: ScrubReport, score: float, band: str
) -> None:
    for table in verified.tables:
        for column in table.columns:
            column.detection = None
    verified.tables[0].columns[1].detection = Detection(
        method="sample", entity="PERSON", confidence=score, sample_size=10
    )
    bins = dict(figures.confidence_bins(verified))
    assert bins[band] == 1
    assert sum(bins.values()) == 1


def test_low_confidence_lists_only_columns_below_the_line(verified: ScrubReport) -> None:
    low = figures.low_confidence(verified)
    assert [(item.table, item.column) for item in low] == [("dt_customers", "address")]


def test_kept_unvouched_lists_keeps_without_a_reason_review_marks_and_type_keeps(
    verified: ScrubReport,
) -> None:
    # A compliance officer signing "verified" must see the columns nothing proves clean.
    for table in verified.tables:
        for column in table.columns:
            column.operator = "fake"
    columns = verified.tables[0].columns
    columns[0].operator = "keep"
    columns[0].rule = RuleRef(kind="table", source="rules.yaml:7", match="a")  # no reason
    columns[1].operator = "keep"
    columns[1].rule = RuleRef(
        kind="pattern", source="rules.yaml:9", match="b", reason="review: confirm it is safe"
    )
    columns[2].operator = "keep"
    columns[2].rule = RuleRef(kind="type", reason="no rule; non-text values")
    columns[2].detection = Detection(method="type", entity=None, sample_size=40)
    columns[3].operator = "keep"
    columns[3].rule = RuleRef(kind="table", source="rules.yaml:11", match="d", reason="a code")
    listed = figures.kept_unvouched(verified)
    table = verified.tables[0].name
    assert [(item.table, item.column) for item in listed] == [
        (table, columns[0].name),
        (table, columns[1].name),
        (table, columns[2].name),
    ]
    assert "rules.yaml:7, which states no reason" in listed[0].why
    assert "rules.yaml:9, which is still marked REVIEW:" in listed[1].why
    assert "none of 40 sampled held PII" in listed[2].why


@pytest.mark.parametrize(
    ("which", "title", "note", "count"),
    [
        ("vouched", "Verified clean", None, 0),
        (
            "verified",
            "Verified; 2 columns passed through unreviewed",
            "verified; 2 columns passed through unreviewed",
            2,
        ),
    ],
)
def test_headline_and_json_status_are_qualified_by_unreviewed_kept_columns(
    request: pytest.FixtureRequest, which: str, title: str, note: str | None, count: int
) -> None:
    report: ScrubReport = request.getfixturevalue(which)
    figures.note_unreviewed(report)
    head = figures.headline(report)
    assert (head.is_verified, head.title, head.tone) == (True, title, "warn" if count else "ok")
    assert (report.status, report.status_note, report.summary.kept_unreviewed) == (
        "verified",
        note,
        count,
    )
    assert ("cannot prove those columns clean" in head.sentence) == bool(count)


def test_detection_words_say_when_names_bear_out_a_rule_by_their_shape(
    verified: ScrubReport,
) -> None:
    column = verified.tables[0].columns[0]
    column.detection = Detection(
        method="header+sample",
        entity="LAST_NAME",
        confidence=1.0,
        sample_size=4,
        matched=4,
        recognizers=["NameShape"],
    )
    assert figures.detection_words(column).endswith(
        "(4 of 4 values matched); values written as names, not all in the name lists"
    )


def test_unread_words_count_the_cells_an_operator_could_not_read(verified: ScrubReport) -> None:
    column = verified.tables[0].columns[0]
    column.entity, column.counts.unread = "PHONE_NUMBER", 2
    assert figures.unread_words(column) == (
        "2 values not read as PHONE_NUMBER: scanned as free text, redacted where nothing was found"
    )
    assert "2 values not read as PHONE" in render_markdown(verified)
    assert "2 values not read as PHONE_NUMBER" in render_html(verified)


def test_headline_failed_without_outputs_says_nothing_was_published(failed: ScrubReport) -> None:
    head = figures.headline(failed)
    assert not head.is_verified
    assert "Nothing was published." in head.sentence


def test_operators_used_most_used_first(verified: ScrubReport) -> None:
    used = figures.operators_used(verified)
    assert used[0] == ("fake", 6)
    assert [n for _, n in used] == sorted((n for _, n in used), reverse=True)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.4213, "0.42 s"), (12.34, "12.3 s"), (245, "4 min 05 s"), (3600, "60 min 00 s")],
)
def test_fmt_seconds_reads_at_a_glance(seconds: float, shown: str) -> None:
    assert figures.fmt_seconds(seconds) == shown
