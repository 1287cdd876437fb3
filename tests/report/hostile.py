"""A report whose names try to break out of HTML and Markdown (names come from input files)."""

from __future__ import annotations

from sanitizer.report.model import ScrubReport

SCRIPT = "<script>alert(1)</script>"
PIPE = "a|b`c"
LINK = "[click](http://evil.example)"


def hostile(report: ScrubReport) -> ScrubReport:
    """The report with a table, a column and a rule reason named to inject markup."""
    bad = report.model_copy(deep=True)
    table = bad.tables[0]
    table.name = '"><img src=x onerror=alert(1)>'
    table.columns[0].name = SCRIPT
    table.columns[1].name = PIPE
    table.columns[0].rule.reason = LINK
    table.columns[1].entity = "<b>ENTITY</b>"
    return bad
