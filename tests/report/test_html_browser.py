"""The HTML report in a real browser (Debian's chromium, driven by Playwright; no browser download).

It must render offline with no console error and no request other than the file itself, show its
key facts, keep the verdict visible in print, and print to PDF.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sanitizer.report import write_reports
from sanitizer.report.model import ScrubReport

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (no browser downloads)"
        )
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def _open(browser: Browser, path: Path) -> tuple[Page, list[str], list[str]]:
    """A page showing `path`, with the console errors and requests it produced."""
    page = browser.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems, requests


@pytest.mark.parametrize("which", ["verified", "failed"])
def test_html_report_renders_offline_with_its_key_facts(
    browser: Browser, tmp_path: Path, request: pytest.FixtureRequest, which: str
) -> None:
    report: ScrubReport = request.getfixturevalue(which)
    html = write_reports(report, tmp_path).html

    page, problems, requests = _open(browser, html)
    text = page.inner_text("body")

    assert problems == []
    assert requests == [html.as_uri()]
    banner = page.inner_text("#verdict")
    assert ("Verified" if which == "verified" else "NOT verified") in banner
    for fact in (
        report.key.fingerprint,
        report.rules.hash,
        report.run.id,
        *(t.name for t in report.tables),
        *(c.name for t in report.tables for c in t.columns),
    ):
        assert fact in text, fact
    findings = page.inner_text(".figures div:last-child dd")
    assert findings == str(report.summary.findings)
    # Six charts at most, each drawn with a size (an SVG that failed to parse has none).
    for box in page.locator("svg.chart").all():
        size = box.bounding_box()
        assert size is not None and size["width"] > 100 and size["height"] > 20


def test_html_report_banner_colour_differs_by_status(
    browser: Browser, tmp_path: Path, verified: ScrubReport, failed: ScrubReport
) -> None:
    colours = []
    for report in (verified, failed):
        page, _, _ = _open(browser, write_reports(report, tmp_path / report.status).html)
        colours.append(
            page.eval_on_selector("#verdict", "e => getComputedStyle(e).backgroundColor")
        )
    assert colours[0] != colours[1]


def test_html_report_prints_to_pdf_with_the_verdict(
    browser: Browser, tmp_path: Path, failed: ScrubReport
) -> None:
    page, problems, _ = _open(browser, write_reports(failed, tmp_path).html)
    page.emulate_media(media="print")

    assert page.is_visible("#verdict")
    assert page.is_visible("#findings-table")
    assert not page.is_visible("nav")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 2
    assert problems == []
