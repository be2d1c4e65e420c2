"""The Metrics pages in a browser, on the demo with its twelve weeks of past: the scorecard with its
charts, a filter by service, the weekly review and the monthly retrospective. Screenshots land beside
the other browser tests'."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.web.test_browser import PAGE_ERRORS, DemoServer, _log_in, _shot, start_demo


@pytest.fixture(scope="module")
def history_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from start_demo(tmp_path_factory, {})


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(15_000)
    found = context.new_page()
    found.on("pageerror", lambda exc: PAGE_ERRORS.append(str(exc)))
    try:
        yield found
    finally:
        context.close()


def test_metrics_page_scorecard_charts_and_filter(page: Page, history_server: DemoServer) -> None:
    _log_in(page, history_server)
    page.get_by_role("link", name="Metrics", exact=True).click()
    expect(page.locator("h1")).to_have_text("Metrics")
    tiles = page.locator("section.scorecard article")
    expect(tiles).to_have_count(10)
    expect(page.locator("#metric-mtta .figure")).to_contain_text(" min")
    expect(page.locator("#metric-mtta .badge")).to_have_text(re.compile("^(met|missed)$"))
    expect(page.locator("#metric-false_positives")).to_contain_text("target < 20.0 %")
    # Charts are inline SVG: three response-time trends, volume, false positives, three service bars.
    expect(page.locator("figure.chart .chart-wide svg")).to_have_count(8)
    expect(page.locator("figure.chart figcaption").first).to_have_text("MTTA per week")
    expect(page.locator("figure.chart svg .chart-point").first).to_be_attached()
    expect(page.locator("table.by-service tbody tr")).to_have_count(3)
    _shot(page, "metrics.png")

    page.locator("select[name=service]").select_option("search")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expect(page.locator("p.muted").first).to_contain_text("service search")
    expect(page.locator("table.by-service tbody tr")).to_have_count(1)
    expect(page.locator("table.by-service tbody")).to_contain_text("search")

    page.get_by_role("link", name="Weekly alert hygiene").click()
    expect(page.locator("h1")).to_contain_text("Alert hygiene review, week of")
    expect(page.locator("table.flagged")).to_be_visible()
    expect(page.locator("table.load tbody tr").first).to_be_visible()
    expect(page.locator("table.fairness")).to_contain_text("checkout-primary")
    _shot(page, "metrics-weekly.png")

    page.get_by_role("link", name="Metrics", exact=True).first.click()
    page.get_by_role("link", name="Monthly retrospective").click()
    expect(page.locator("h1")).to_contain_text("Incident retrospective,")
    expect(page.locator("table.incidents tbody tr").first).to_contain_text("#")
    _shot(page, "metrics-monthly.png")
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"


def test_a_bad_filter_is_said_on_the_page(page: Page, history_server: DemoServer) -> None:
    page.goto(f"{history_server.url}/metrics-dashboard?service=nope&start=someday")
    expect(page.get_by_role("alert")).to_contain_text("no service named 'nope'")
    expect(page.get_by_role("alert")).to_contain_text("'someday' is not a date")
    expect(page.locator("section.scorecard article")).to_have_count(10)
