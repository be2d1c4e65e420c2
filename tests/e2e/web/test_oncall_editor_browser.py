"""The escalation-policy form and the schedule timeline in Chromium, at phone width (390 px) and at
desktop width (1280 px): a level added, its target picked and saved; an error shown by its field; the
timeline read in one named zone, moved and switched, inside its own box on a phone."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.web.test_browser import UI_TIMEOUT_MS, DemoServer, _log_in, _shot, start_demo

pytestmark = pytest.mark.timeout(240)

WIDTHS = [390, 1280]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from start_demo(tmp_path_factory, {"FIREBELL_DEMO_HISTORY_WEEKS": "0"})


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def page(request: pytest.FixtureRequest, browser: Browser, server: DemoServer) -> Iterator[Page]:
    width = int(request.param)
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width < 500 else 900}, locale="en-GB", timezone_id="UTC"
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(opened, server)
    try:
        yield opened
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        context.close()


def _no_page_scroll(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    seen = page.evaluate("document.documentElement.clientWidth")
    assert wide <= seen, f"the page is {wide} px wide on a {seen} px screen"


def _levels(server: DemoServer) -> list[dict[str, object]]:
    """The policy's levels as stored, read from the demo's database file."""
    path = server.env["FIREBELL_DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        (levels,) = db.execute("SELECT levels FROM escalation_policies WHERE name = 'checkout-primary'").fetchone()
    return list(json.loads(levels))


def test_a_level_is_added_given_a_target_and_saved(page: Page, server: DemoServer) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.goto(f"{server.url}/policies/checkout-primary")
    levels = page.locator("fieldset.pf-level")
    before = levels.count()
    assert before >= 2
    expect(page.get_by_label("Level 1 target 1")).to_have_value("schedule:checkout-primary")
    expect(page.get_by_label("Level 2 target 1")).to_have_value("user:engineering_lead")
    _no_page_scroll(page)

    page.get_by_role("button", name="+ Add level").click()  # in the page: nothing is sent
    expect(levels).to_have_count(before + 1)
    new = levels.nth(before)
    expect(new.locator("legend").first).to_have_text(f"Level {before + 1}")
    page.get_by_label(f"Level {before + 1} target 1").select_option("team:payments")
    new.get_by_role("button", name="+ target").click()
    page.get_by_label(f"Level {before + 1} target 2").select_option(label="Carol Tanaka (carol)")
    new.get_by_label("Timeout (minutes)").fill("abc")
    new.get_by_label("First action").fill("Call the payment provider")
    new.get_by_label("SEV-1", exact=True).check()
    new.get_by_text("Urgency by severity").click()
    new.get_by_label("Urgency for SEV-3").select_option("page")
    _no_page_scroll(page)
    _shot(page, f"policy-editor-{width}-added.png")

    # A bad timeout: refused, shown by that field, and what was typed is still there.
    with page.expect_navigation():
        page.locator(".pf-foot").get_by_role("button", name="Save").click()
    problem = page.locator(f"#error-level-{before}-timeout")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("abc")
    timeout = page.locator(f"input[name='level-{before}-timeout']")
    expect(timeout).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(f"Level {before + 1} target 2")).to_have_value("user:carol")
    _shot(page, f"policy-editor-{width}-error.png")
    assert len(_levels(server)) == before

    timeout.fill("20")
    with page.expect_navigation():
        page.locator(".pf-foot").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("updated escalation policy checkout-primary")
    expect(levels).to_have_count(before + 1)
    expect(page.get_by_label(f"Level {before + 1} target 1")).to_have_value("team:payments")
    saved = _levels(server)
    assert len(saved) == before + 1
    assert saved[-1]["timeout_seconds"] == 1200
    assert saved[-1]["action"] == "Call the payment provider"
    assert saved[-1]["urgency"] == {"SEV-3": "page"}
    assert saved[-1]["severities"] == ["SEV-1"]
    _shot(page, f"policy-editor-{width}-saved.png")

    # Moved up, then removed again, in the page; saved, the policy is as it was.
    levels.nth(before).get_by_role("button", name="Move up").click()
    expect(page.get_by_label(f"Level {before} target 1")).to_have_value("team:payments")
    levels.nth(before - 1).get_by_role("button", name="Remove level").click()
    expect(levels).to_have_count(before)
    with page.expect_navigation():
        page.locator(".pf-foot").get_by_role("button", name="Save").click()
    assert len(_levels(server)) == before

    # The YAML stays, as the advanced view.
    page.get_by_text("Advanced: the policy as YAML").click()
    expect(page.get_by_label("the policy, as YAML")).to_contain_text("checkout-primary")


def test_the_schedule_timeline_in_one_zone(page: Page, server: DemoServer) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.goto(f"{server.url}/oncall/notifications-office")
    expect(page.locator("#zone")).to_contain_text("All times in Europe/Paris")
    rows = page.locator("#timeline .stl-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("office hours")
    expect(rows.nth(1)).to_contain_text("Overrides")
    final = page.locator("#timeline .stl-row[data-row=final]")
    expect(final.locator("svg.seg.gap").first).to_be_attached()  # its nights are gaps
    expect(final.locator("svg.seg:not(.gap)").first).to_be_attached()
    expect(page.locator("#timeline line.now").first).to_be_attached()
    box = page.locator("#timeline .stl-scroll")
    if width < 500:  # the timeline scrolls inside its box; the page does not
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    _no_page_scroll(page)
    _shot(page, f"schedule-{width}.png")

    with page.expect_navigation():
        page.get_by_role("link", name="UTC", exact=True).click()
    expect(page.locator("#zone")).to_contain_text("All times in UTC")
    with page.expect_navigation():
        page.get_by_role("link", name="14", exact=True).click()
    expect(page.locator("#shifts tbody tr").first).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Later →").click()
    expect(page.locator("#timeline line.now")).to_have_count(0)  # two weeks on: now is not in view
    with page.expect_navigation():
        page.get_by_role("link", name="1", exact=True).click()
    assert "days=1" in page.url
    _no_page_scroll(page)
    _shot(page, f"schedule-{width}-utc-day.png")


def test_without_javascript_the_form_still_adds_a_level_and_saves(browser: Browser, server: DemoServer) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", timezone_id="UTC", java_script_enabled=False
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    try:
        _log_in(page, server)
        page.goto(f"{server.url}/policies/checkout-primary")
        levels = page.locator("fieldset.pf-level")
        before = levels.count()
        with page.expect_navigation():  # the server shows the form again with one more level, unsaved
            page.get_by_role("button", name="+ Add level").click()
        expect(levels).to_have_count(before + 1)
        assert len(_levels(server)) == before
        page.get_by_label(f"Level {before + 1} target 1").select_option("user:bob")
        with page.expect_navigation():
            levels.nth(before).get_by_role("button", name="+ target").click()
        page.get_by_label(f"Level {before + 1} target 2").select_option("schedule:notifications-office")
        with page.expect_navigation():
            page.locator(".pf-foot").get_by_role("button", name="Save").click()
        expect(page.get_by_role("status").first).to_contain_text("updated escalation policy checkout-primary")
        assert len(_levels(server)) == before + 1
        _shot(page, "policy-editor-390-no-js.png")
        with page.expect_navigation():
            levels.nth(before).get_by_role("button", name="Remove level").click()
        with page.expect_navigation():
            page.locator(".pf-foot").get_by_role("button", name="Save").click()
        assert len(_levels(server)) == before
    finally:
        context.close()
