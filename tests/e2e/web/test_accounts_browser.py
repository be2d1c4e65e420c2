"""Someone leaves, in the browser: the admin sees where they are on call, disables them, and the
on-call page marks them; another person gets a reset link and sets a new password through it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.web.test_access_browser import _page
from tests.e2e.web.test_browser import DemoServer, _log_in, _shot, start_demo

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from start_demo(tmp_path_factory, {"FIREBELL_DEMO_HISTORY_WEEKS": "0"})


def test_an_admin_disables_someone_on_call_after_seeing_the_impact(browser: Browser, server: DemoServer) -> None:
    page = _page(browser)
    _log_in(page, server)
    page.goto(f"{server.url}/access")
    with page.expect_navigation():
        page.locator("#people tr", has_text="carol@firebell.local").get_by_role("link", name="Disable…").click()
    expect(page.locator("h1")).to_have_text("Disable carol@firebell.local")
    expect(page.locator("#impact")).to_contain_text("Schedule")
    _shot(page, "account-disable-impact.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Disable carol@firebell.local").click()
    expect(page.locator(".notice")).to_contain_text("disabled carol@firebell.local")
    expect(page.locator("#people tr", has_text="carol@firebell.local")).to_contain_text("disabled")
    _shot(page, "account-disabled.png")
    carol = next(u for u in server.api("GET", "/api/v1/users").json() if u["email"] == "carol@firebell.local")
    assert carol["disabled_at"] is not None
    # Delete asks first: dismissed, nothing is sent; accepted, it is refused while a schedule names her.
    delete = page.locator("#people tr", has_text="carol@firebell.local").get_by_role("button", name="Delete")
    asked: list[str] = []
    before = page.url
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    delete.click()
    page.wait_for_timeout(300)
    assert len(asked) == 1
    assert asked[0].startswith("Delete carol@firebell.local?")
    assert page.url == before
    expect(page.locator(".notice")).to_contain_text("disabled carol@firebell.local")  # the same page, unsent
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        delete.click()
    expect(page.locator("main")).to_contain_text("schedule")
    assert any(u["email"] == "carol@firebell.local" for u in server.api("GET", "/api/v1/users").json())
    page.context.close()


def test_a_reset_link_sets_a_new_password(browser: Browser, server: DemoServer) -> None:
    page = _page(browser)
    _log_in(page, server)
    page.goto(f"{server.url}/access")
    with page.expect_navigation():
        page.locator("#people tr", has_text="lead@firebell.local").get_by_role("button", name="Reset link").click()
    expect(page.locator(".notice")).to_contain_text("Reset link for lead@firebell.local")
    assert "fbr_" not in page.url  # the link is on the page, never in a URL
    link = re.search(r"https?://\S+/reset/fbr_[\w-]+", page.locator("#reset-link").inner_text())
    assert link is not None
    page.context.close()

    person = _page(browser)
    person.goto(link.group(0))
    expect(person.locator("h1")).to_have_text("Set a new password")
    person.get_by_label("New password").fill("lead-password-1")
    person.get_by_label("Again").fill("lead-password-1")
    _shot(person, "account-reset.png")
    with person.expect_navigation():
        person.get_by_role("button", name="Set password").click()
    expect(person).to_have_url(re.compile(r"/login"))
    person.get_by_label("Email").fill("lead@firebell.local")
    person.get_by_label("Password").fill("lead-password-1")
    with person.expect_navigation():
        person.get_by_role("button", name="Log in").click()
    expect(person).not_to_have_url(re.compile(r"/login"))
    person.goto(link.group(0))
    expect(person.locator(".error")).to_contain_text("unknown, used or expired")
    person.context.close()
