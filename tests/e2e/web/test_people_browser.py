"""People and integrations in the browser, at phone and desktop width: the people list, a contact
method added and a test notification sent through the real delivery engine to an SMTP server, and a
service's integration created, its URL copied and its key rotated."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.peers import SmtpSink, smtp_sink, wait_for
from tests.e2e.web.test_browser import DEMO_EMAIL, UI_TIMEOUT_MS, DemoServer, _log_in, _shot, start_demo

pytestmark = pytest.mark.timeout(180)
WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[DemoServer]:
    env = {"FIREBELL_DEMO_HISTORY_WEEKS": "0", "FIREBELL_SMTP__HOST": smtp.host, "FIREBELL_SMTP__PORT": str(smtp.port)}
    yield from start_demo(tmp_path_factory, env)


def _page(browser: Browser, width: int) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", timezone_id="UTC", is_mobile=width < 600
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda exc: pytest.fail(f"JavaScript error: {exc}"))
    return page


def _no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths[0]} px wide in a {widths[1]} px window"


@pytest.mark.parametrize("width", WIDTHS)
def test_people_page_contact_method_and_test_notification(
    browser: Browser, server: DemoServer, smtp: SmtpSink, width: int
) -> None:
    page = _page(browser, width)
    _log_in(page, server)
    page.goto(f"{server.url}/people")
    people = page.locator("#people")
    expect(people).to_contain_text(DEMO_EMAIL)
    _no_sideways_scroll(page)
    _shot(page, f"people-list-{width}.png")

    with page.expect_navigation():
        people.get_by_role("link", name=re.compile("demo", re.I)).first.click()
    address = f"pager-{width}@example.com"
    form = page.locator("#add-contact")
    form.get_by_label("Kind").select_option("email")
    form.get_by_label("Address").fill(address)
    with page.expect_navigation():
        form.get_by_role("button", name="Add contact method").click()
    expect(page.locator(".notice")).to_contain_text(f"added Email {address}")

    # Bad input: the message names the field, and what was typed stays.
    form = page.locator("#add-contact")
    form.get_by_label("Kind").select_option("sms")
    form.get_by_label("Address").fill("call me maybe")
    with page.expect_navigation():
        form.get_by_role("button", name="Add contact method").click()
    expect(page.locator(".error")).to_contain_text("address: 'call me maybe' is not a phone number")
    expect(page.locator("#add-contact").get_by_label("Address")).to_have_value("call me maybe")

    row = page.locator("#contacts tr", has_text=address)
    with page.expect_navigation():
        row.get_by_role("button", name="Send a test notification").click()
    status = page.locator("#test-status")
    expect(status).to_contain_text(f"Test notification to email {address}")
    expect(status.locator(".delivery-sent")).to_have_text("sent")  # the page follows the delivery by itself
    wait_for(lambda: any(address in mail.recipients for mail in smtp.mails), timeout=15, what="the test mail")
    mail = next(m for m in smtp.mails if address in m.recipients)
    assert "test notification" in mail.text
    _no_sideways_scroll(page)
    _shot(page, f"people-person-{width}.png")
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_integrations_created_copied_and_rotated(browser: Browser, server: DemoServer, width: int) -> None:
    page = _page(browser, width)
    _log_in(page, server)
    page.goto(f"{server.url}/services/checkout")
    section = page.locator("#integrations")
    name = f"grafana-{width}"
    section.get_by_label("Kind").select_option("webhook")
    section.get_by_label("Name").fill(name)
    with page.expect_navigation():
        section.get_by_role("button", name="Create integration").click()
    url = page.locator("#integration-url")
    expect(url).to_have_text(re.compile(rf"^{re.escape(server.url)}/integrations/webhook/\S+$"))
    key = page.locator("#integration-key").inner_text()
    assert url.inner_text().endswith(key)

    page.get_by_role("button", name="Copy URL").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url.inner_text()
    _no_sideways_scroll(page)
    _shot(page, f"integrations-created-{width}.png")

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name=f"rotate the key of {name}").click()
    expect(page.locator("#new-integration")).to_contain_text(f"Rotated the key of webhook integration {name}")
    new_key = page.locator("#integration-key").inner_text()
    assert new_key != key
    page.get_by_role("button", name="Copy key").click()
    assert page.evaluate("navigator.clipboard.readText()") == new_key
    _no_sideways_scroll(page)
    _shot(page, f"integrations-rotated-{width}.png")
    page.context.close()
