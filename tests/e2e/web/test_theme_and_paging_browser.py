"""The metrics charts in the page's theme under either colour scheme, readable on a phone; the alerts page
a few alerts a page at phone width, its filters kept by "Older" and by the HTMX filter update."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.web.test_browser import PAGE_ERRORS, SHOTS, DemoServer, _log_in, _shot, start_demo

TEXT_CLASSES = ("chart-tick", "chart-bucket", "chart-legend-label", "chart-label", "chart-value")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from start_demo(tmp_path_factory, {})


def _page(browser: Browser, scheme: str, viewport: dict[str, int]) -> Page:
    context = browser.new_context(viewport=viewport, color_scheme=scheme, locale="en-GB", timezone_id="UTC")  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: PAGE_ERRORS.append(str(exc)))
    return page


def _rgb(css: str) -> tuple[float, float, float]:
    found = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", css)
    assert found, f"not a colour: {css}"
    assert found[4] in (None, "1"), f"a see-through colour: {css}"
    return float(found[1]), float(found[2]), float(found[3])


def _luminance(css: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(css))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _style(page: Page, selector: str, prop: str) -> list[str]:
    found: list[str] = page.eval_on_selector_all(
        selector, f"(els) => els.filter(e => e.getClientRects().length).map(e => getComputedStyle(e).{prop})"
    )
    return found


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_charts_follow_the_theme_with_readable_text(browser: Browser, server: DemoServer, scheme: str) -> None:
    page = _page(browser, scheme, {"width": 1280, "height": 900})
    try:
        _log_in(page, server)
        page.goto(f"{server.url}/metrics-dashboard")
        expect(page.locator("figure.chart .chart-wide svg")).to_have_count(8)
        expect(page.locator("figure.chart .chart-narrow svg").first).to_be_hidden()
        card = _style(page, "figure.chart", "backgroundColor")[0]
        panel = _style(page, "section.scorecard article", "backgroundColor")[0]
        page_bg = _style(page, "body", "backgroundColor")[0]
        # The app has one theme (dark) in both schemes: a chart is a panel of it, not a white card.
        assert _luminance(card) < 0.05, f"{scheme}: the chart card is light ({card}) on the dark theme"
        assert card == panel, f"{scheme}: the chart card {card} is not the theme's panel {panel}"
        assert _contrast(card, page_bg) < 1.5
        for cls in TEXT_CLASSES:
            fills = set(_style(page, f"svg.chart .{cls}:not(.none)", "fill"))
            assert fills, f"no visible .{cls}"
            for fill in fills:
                assert _contrast(fill, card) >= 4.5, f"{scheme}: .{cls} {fill} on {card}"
        for caption in set(_style(page, "figure.chart figcaption", "color")):
            assert _contrast(caption, card) >= 4.5
        strokes = set(_style(page, "svg.chart path.chart-line", "stroke"))
        assert len(strokes) >= 3  # the series differ
        for stroke in strokes | set(_style(page, "svg.chart .chart-bar", "fill")):
            assert _contrast(stroke, card) >= 3, f"{scheme}: a series {stroke} on {card}"
        target = _style(page, "svg.chart .chart-target-label", "fill")[0]
        assert _contrast(target, card) >= 4.5
        _shot(page, f"metrics-{scheme}.png")
    finally:
        page.context.close()


def test_charts_on_a_phone_are_drawn_narrow_and_the_page_does_not_scroll_sideways(
    browser: Browser, server: DemoServer
) -> None:
    page = _page(browser, "dark", PHONE)
    try:
        _log_in(page, server)
        page.goto(f"{server.url}/metrics-dashboard")
        narrow = page.locator("figure.chart .chart-narrow svg")
        expect(narrow.first).to_be_visible()
        expect(page.locator("figure.chart .chart-wide svg").first).to_be_hidden()
        # Drawn at about the size shown, so its 13 px text stays near 13 px.
        scale = narrow.first.evaluate("(svg) => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width")
        assert scale >= 0.9, f"the chart is shrunk to {scale:.2f} of its size"
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        _shot(page, "metrics-390.png")
        page.locator("figure.chart").nth(3).screenshot(path=str(SHOTS / "metrics-chart-390.png"))
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('main *')]
              .filter(e => e.getBoundingClientRect().right > 391)
              .filter(e => e.parentElement.getBoundingClientRect().right <= 391)
              .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).slice(0, 8)"""
        )
        assert wide <= PHONE["width"], f"the page scrolls sideways: {wide}px, from {culprits}"
    finally:
        page.context.close()
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"


def _ids(page: Page) -> list[str]:
    found: list[str] = page.eval_on_selector_all("#alert-rows [id^=verdict-]", "(els) => els.map(e => e.id)")
    return found


def test_alerts_page_by_page_on_a_phone(browser: Browser, server: DemoServer) -> None:
    page = _page(browser, "dark", PHONE)
    try:
        _log_in(page, server)
        page.goto(f"{server.url}/alerts?size=2")
        first = _ids(page)
        assert len(first) == 2
        expect(page.locator("nav.pager")).to_contain_text("more are older")
        with page.expect_navigation():
            page.get_by_role("link", name="Older →").click()
        assert "before=" in page.url
        assert "size=2" in page.url
        second = _ids(page)
        assert len(second) >= 1
        assert not set(first) & set(second)
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        _shot(page, "alerts-paging-390.png")
        assert wide <= PHONE["width"], f"the page scrolls sideways: {wide}px"
        with page.expect_navigation():
            page.get_by_role("link", name="← Newer").click()
        assert _ids(page) == first
        # A filter through HTMX: the list is swapped in place, the address says the filters, the size stays.
        service = page.locator("#alert-rows td.title .phone").last.inner_text()
        page.locator("select[name=service]").select_option(service)
        expect(page).to_have_url(re.compile(rf"service={service}.*size=2|size=2.*service={service}"))
        expect(page.locator("#alert-rows td.title .phone").first).to_have_text(service)
        for cell in page.locator("#alert-rows td.title .phone").all_inner_texts():
            assert cell == service
        older = page.get_by_role("link", name="Older →")
        if older.count():
            assert f"service={service}" in (older.get_attribute("href") or "")
        # A damaged link is said, not an error page.
        page.goto(f"{server.url}/alerts?before=garbage")
        expect(page.get_by_role("alert")).to_contain_text("page link is not valid")
    finally:
        page.context.close()
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"
