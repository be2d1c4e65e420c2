"""The incident page for the engineer woken at night who opens it on a phone.

A real server with the demo data and a real SMTP server, so the demo's checkout incident pages its
on-call person by email and the page is delivered. In Chromium at 360 and 390 px wide and at
1280 px: nothing wider than the screen, the summary on top names who is paged and that the page
was delivered, counts down to the next escalation level, and the Acknowledge and Resolve buttons are
in the first screenful and work. Screenshots land in test-artifacts/screenshots/
(incident-phone-360.png, incident-phone-390.png, incident-phone-390-acknowledged.png,
incident-phone-360-resolved.png, incident-phone-390-full.png, incident-desktop.png).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.peers import SmtpSink, smtp_sink, wait_for
from tests.e2e.web.test_browser import CHECKOUT_TITLE, SHOTS, UI_TIMEOUT_MS, DemoServer, _log_in, start_demo

pytestmark = pytest.mark.timeout(180)

PHONE_HEIGHT = 740


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[DemoServer]:
    extra = {
        "FIREBELL_DEMO_HISTORY_WEEKS": "0",
        "FIREBELL_SMTP__HOST": smtp.host,
        "FIREBELL_SMTP__PORT": str(smtp.port),
    }
    yield from start_demo(tmp_path_factory, extra)


def _page(browser: Browser, server: DemoServer, width: int, height: int, errors: list[str]) -> Page:
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
        locale="en-GB",
        timezone_id="UTC",
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, server)
    page.goto(f"{server.url}/incidents/1")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CHECKOUT_TITLE)
    return page


def _fits(page: Page, width: int) -> None:
    """Nothing scrolls the page sideways: wide tables scroll inside their own box."""
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
    assert scroll[2] == width
    assert max(scroll[0], scroll[1]) <= width, f"the page is {max(scroll[0], scroll[1])} px wide at {width} px"


def _in_first_screen(page: Page, name: str, width: int, height: int) -> None:
    button = page.locator("#summary").get_by_role("button", name=re.compile(rf"^\s*{name}\b"))
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None
    assert box["x"] >= 0, f"{name} sticks out sideways: {box}"
    assert box["x"] + box["width"] <= width, f"{name} sticks out sideways: {box}"
    assert box["y"] >= 0, f"{name} is above the first screen: {box}"
    assert box["y"] + box["height"] <= height, f"{name} is below the first screen: {box}"
    assert box["height"] >= 44, f"{name} is too small to tap: {box}"


def _seconds(text: str) -> int:
    """`in 1h 2m 3s` → 3723."""
    found = re.fullmatch(r"in (?:(\d+)h )?(?:(\d+)m )?(\d+)s", text.strip())
    assert found, f"not a countdown: {text!r}"
    h, m, s = (int(g or 0) for g in found.groups())
    return h * 3600 + m * 60 + s


def _summary_pages_alice(page: Page) -> None:
    summary = page.locator("#summary")
    expect(summary.locator("#summary-paged")).to_contain_text("Paged now")
    paged = summary.locator("#summary-paged li", has_text="Alice Moreau")
    expect(paged).to_contain_text("level 1 · checkout-primary")
    # Delivered: the badge comes from the delivery record, once the SMTP server took the mail.
    page.reload()
    expect(paged.locator(".badge.delivery-sent")).to_have_text("email sent")


def _counts_down(page: Page) -> None:
    countdown = page.locator("#summary-next .countdown")
    expect(page.locator("#summary-next")).to_contain_text("Next: level 2 of checkout-primary")
    expect(countdown).to_have_text(re.compile(r"^in (\d+h )?(\d+m )?\d+s$"))  # the script took over
    first = _seconds(countdown.inner_text())
    assert 0 < first <= 15 * 60
    time.sleep(2.2)
    later = _seconds(countdown.inner_text())
    assert first - 4 <= later < first, f"the countdown went from {first} to {later}"


def test_the_incident_page_on_a_phone_and_a_desktop(browser: Browser, server: DemoServer, smtp: SmtpSink) -> None:
    # The demo's checkout incident paged Alice (on call for checkout) by email.
    wait_for(lambda: any("alice@firebell.local" in m.recipients for m in smtp.mails), what="Alice's page")
    errors: list[str] = []

    for width in (360, 390):
        page = _page(browser, server, width, PHONE_HEIGHT, errors)
        _summary_pages_alice(page)
        _fits(page, width)
        for name in ("Acknowledge", "Resolve"):
            _in_first_screen(page, name, width, PHONE_HEIGHT)
        _counts_down(page)
        page.screenshot(path=str(SHOTS / f"incident-phone-{width}.png"))
        if width == 390:
            page.screenshot(path=str(SHOTS / "incident-phone-390-full.png"), full_page=True)
        page.context.close()

    desktop = _page(browser, server, 1280, 800, errors)
    _summary_pages_alice(desktop)
    _fits(desktop, 1280)
    for name in ("Acknowledge", "Resolve"):
        _in_first_screen(desktop, name, 1280, 800)
    _counts_down(desktop)
    desktop.screenshot(path=str(SHOTS / "incident-desktop.png"))

    # On the phone, acknowledge with a tap: the summary says who and when, and escalation stops.
    phone = _page(browser, server, 390, PHONE_HEIGHT, errors)
    with phone.expect_navigation():
        phone.locator("#summary").get_by_role("button", name=re.compile(r"^\s*Acknowledge\b")).tap()
    summary = phone.locator("#summary")
    expect(summary.locator(".badge").first).to_have_text("acknowledged")
    expect(summary.locator("#summary-ack")).to_contain_text("Acknowledged by Demo admin at")
    expect(summary.locator("#summary-next")).to_have_count(0)
    expect(summary.get_by_role("button", name=re.compile(r"^\s*Acknowledge\b"))).to_have_count(0)
    expect(summary.locator("#summary-paged")).to_contain_text("Alice Moreau")
    _fits(phone, 390)
    _in_first_screen(phone, "Resolve", 390, PHONE_HEIGHT)
    phone.screenshot(path=str(SHOTS / "incident-phone-390-acknowledged.png"))
    phone.context.close()

    # Resolved, at 360 px: the summary says so and counts down to nothing.
    small = _page(browser, server, 360, PHONE_HEIGHT, errors)
    small.once("dialog", lambda dialog: dialog.accept())
    with small.expect_navigation():
        small.locator("#summary").get_by_role("button", name=re.compile(r"^\s*Resolve\b")).tap()
    summary = small.locator("#summary")
    expect(summary.locator("#summary-ended")).to_contain_text("Resolved at")
    expect(summary.locator(".countdown")).to_have_count(0)
    _fits(small, 360)
    small.screenshot(path=str(SHOTS / "incident-phone-360-resolved.png"))
    small.context.close()

    # The desktop page, refreshed live, shows the resolution too.
    expect(desktop.locator("#summary-ended")).to_contain_text("Resolved at", timeout=UI_TIMEOUT_MS)
    desktop.context.close()
    assert errors == [], f"JavaScript errors: {errors}"
