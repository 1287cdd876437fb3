"""render_markdown: the HTML page's facts as Markdown, safe from names that look like markup."""

from __future__ import annotations

import re

import pytest

from sanitizer.report import render_markdown
from sanitizer.report.model import ScrubReport

from .hostile import hostile


@pytest.mark.parametrize(
    ("which", "verdict"),
    [
        ("vouched", "> **✓ VERIFIED CLEAN.**"),
        ("verified", "> **⚠ VERIFIED; 2 COLUMNS PASSED THROUGH UNREVIEWED.**"),
        ("failed", "> **✗ NOT VERIFIED.**"),
    ],
)
def test_render_markdown_verdict_is_the_first_thing_said(
    request: pytest.FixtureRequest, which: str, verdict: str
) -> None:
    text = render_markdown(request.getfixturevalue(which))
    assert text.splitlines()[2].startswith(verdict)


def test_render_markdown_holds_the_same_key_facts_as_html(failed: ScrubReport) -> None:
    text = render_markdown(failed)
    for fact in (
        failed.run.id,
        failed.key.fingerprint,
        failed.rules.hash,
        "rules/company.yaml:8",
        "| 1,090 |",
        "a phone number outside the safe (fictional) ranges",
        "**✗ FAILED** (3)",
        "dt\\_customers · `address`: ADDRESS, confidence 0.55",
    ):
        assert fact in text, fact


def _cells(line: str) -> int:
    """Cells in a GFM table row, not counting escaped pipes."""
    return len(re.split(r"(?<!\\)\|", line.strip())) - 2


def test_render_markdown_tables_have_even_rows_despite_pipes_in_names(
    verified: ScrubReport,
) -> None:
    text = render_markdown(hostile(verified))
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            assert len({_cells(row) for row in block}) == 1, block
        block = []


def test_render_markdown_hostile_names_cannot_become_markup(verified: ScrubReport) -> None:
    text = render_markdown(hostile(verified))
    prose = re.sub(r"``.*?``|`[^`]*`", "", text)  # code spans show their text literally
    assert not re.search(r"(?<!\\)<[A-Za-z/]", prose)  # every tag opener is escaped
    assert not re.search(r"(?<!\\)\]\(", prose)  # no live link
    # Column names are code spans, where Markdown shows text literally.
    assert "`<script>alert(1)</script>`" in text


def test_render_markdown_verified_run_says_no_findings(verified: ScrubReport) -> None:
    assert "No findings" in render_markdown(verified)


def test_render_markdown_ends_with_one_newline(verified: ScrubReport) -> None:
    text = render_markdown(verified)
    assert text.endswith("\n") and not text.endswith("\n\n")
