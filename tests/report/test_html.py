"""render_html: one self-contained page whose key facts a compliance officer can find and trust."""

from __future__ import annotations

import re

import pytest

from sanitizer.report import render_html
from sanitizer.report.model import Detection, Finding, RuleRef, ScrubReport

from .hostile import SCRIPT, hostile


@pytest.mark.parametrize(
    ("which", "words", "css_class"),
    [
        ("vouched", "Verified clean", "banner ok"),  # good news, in words and green
        # Verified, but columns passed through that nobody vouched for: said first, in orange.
        ("verified", "Verified; 2 columns passed through unreviewed", "banner warn"),
        ("failed", "NOT verified", "banner bad"),  # bad news, in words and red
    ],
)
def test_render_html_banner_states_status_in_words_and_colour(
    request: pytest.FixtureRequest, which: str, words: str, css_class: str
) -> None:
    report: ScrubReport = request.getfixturevalue(which)
    page = render_html(report)
    banner = page[page.index('<header class="banner') : page.index("</header>")]
    assert words in banner
    assert css_class in banner


def test_render_html_failed_run_says_nothing_was_published(failed: ScrubReport) -> None:
    assert "Nothing was published." in render_html(failed)


def test_render_html_failed_run_that_still_lists_outputs_warns(failed: ScrubReport) -> None:
    failed.tables[0].output = "out/spring_campaign.csv"
    assert "1 table(s) still list a published output" in render_html(failed)


def test_render_html_holds_the_key_facts(failed: ScrubReport) -> None:
    page = render_html(failed)
    facts = [
        failed.run.id,
        failed.tool.version,
        failed.key.fingerprint,
        failed.rules.hash,
        failed.run.source_org.id if failed.run.source_org else "",
        failed.run.target_org.name if failed.run.target_org else "",
        "rules/default.yaml:22",  # a rule's file:line
        "2026-11-26 03:15:05 UTC",
        *(t.name for t in failed.tables),
        *(c.name for t in failed.tables for c in t.columns),
        *(f.path for f in failed.rules.files),
    ]
    for fact in facts:
        assert fact in page, fact


def test_render_html_lists_every_finding_by_table_column_row(failed: ScrubReport) -> None:
    page = render_html(failed)
    table = page[
        page.index('id="findings-table"') : page.index(
            "</table>", page.index('id="findings-table"')
        )
    ]
    assert table.count("<tr>") == 1 + len(failed.verification.findings)
    assert ">1,090<" in table and ">56<" in table


def test_render_html_truncated_findings_say_how_many_are_listed(failed: ScrubReport) -> None:
    failed.verification.findings_total = 5000
    assert "The first 4 of 5,000 findings are listed." in render_html(failed)


def test_render_html_verified_run_has_no_findings_table(verified: ScrubReport) -> None:
    page = render_html(verified)
    assert 'id="findings-table"' not in page
    assert "No findings" in page


def test_render_html_failed_column_is_marked_in_words_not_only_colour(failed: ScrubReport) -> None:
    page = render_html(failed)
    row = re.search(r'<tr class="failed-row">.*?</tr>', page, re.S)
    assert row is not None
    assert "FAILED (3 findings)" in row.group(0)


def test_render_html_low_confidence_columns_are_listed(verified: ScrubReport) -> None:
    page = render_html(verified)
    box = page[page.index('id="low-confidence"') :]
    assert "address" in box[: box.index("</div>")]


def test_render_html_unvouched_keeps_are_listed(verified: ScrubReport) -> None:
    column = verified.tables[0].columns[0]
    column.operator = "keep"
    column.rule = RuleRef(kind="table", source="rules.yaml:7", match=column.name)
    page = render_html(verified)
    box = page[page.index('id="kept-unvouched"') :]
    assert (
        f"<code>{column.name}</code>: kept by the rule at rules.yaml:7"
        in box[: box.index("</div>")]
    )
    column.rule = RuleRef(kind="table", source="rules.yaml:7", match=column.name, reason="an id")
    assert "kept by the rule at rules.yaml:7" not in render_html(verified)


def test_render_html_no_low_confidence_no_warning(verified: ScrubReport) -> None:
    for table in verified.tables:
        for column in table.columns:
            if column.detection and column.detection.confidence is not None:
                column.detection.confidence = 0.9
    assert 'id="low-confidence"' not in render_html(verified)


@pytest.mark.parametrize("which", ["verified", "failed"])
def test_render_html_is_self_contained(request: pytest.FixtureRequest, which: str) -> None:
    page = render_html(request.getfixturevalue(which))
    for forbidden in ("<script", "<link", "<img", "<iframe", "@import", "src="):
        assert forbidden not in page, forbidden
    assert set(re.findall(r'href="([^"]*)"', page)) <= {
        f"#{m}" for m in re.findall(r'id="([^"]+)"', page)
    }
    assert set(re.findall(r"url\(([^)]*)\)", page)) <= {
        f"#{m}" for m in re.findall(r'id="([^"]+)"', page)
    }
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "default-src 'none'" in page  # the browser itself refuses to load anything


@pytest.mark.parametrize("which", ["verified", "failed"])
def test_render_html_draws_the_charts(request: pytest.FixtureRequest, which: str) -> None:
    page = render_html(request.getfixturevalue(which))
    for chart in ("chart-entities", "chart-operators", "chart-confidence"):
        assert f'id="{chart}"' in page
    assert ('id="chart-findings"' in page) is (which == "failed")


def test_render_html_hostile_names_are_escaped(verified: ScrubReport) -> None:
    page = render_html(hostile(verified))
    assert SCRIPT not in page
    assert "<img" not in page
    assert "<b>ENTITY</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_render_html_no_detected_columns_skips_confidence_chart(verified: ScrubReport) -> None:
    for table in verified.tables:
        for column in table.columns:
            column.detection = Detection(method="none", entity=None) if column.detection else None
    assert 'id="chart-confidence"' not in render_html(verified)


def test_render_html_is_deterministic(failed: ScrubReport) -> None:
    assert render_html(failed) == render_html(failed.model_copy(deep=True))


def test_render_html_finding_kind_is_explained_in_words(failed: ScrubReport) -> None:
    failed.verification.findings = [
        Finding(table="t", column="c", row=7, kind="email-outside-allowed-domains", entity=None)
    ]
    page = render_html(failed)
    assert "an email address outside the allowed domains" in page
