"""Access in the browser: an admin's Access page (a token made and revoked, a person's role changed),
the audit log showing it, and a viewer refused when they try to acknowledge."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.web.test_browser import FIREBELL, UI_TIMEOUT_MS, DemoServer, _free_port, _log_in, _shot, start_demo
from tests.integration.test_sso import oidc_provider

pytestmark = pytest.mark.timeout(180)
VIEWER = ("watcher@firebell.local", "watcher-password-1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from start_demo(tmp_path_factory, {"FIREBELL_DEMO_HISTORY_WEEKS": "0"})


def _page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context.new_page()


def test_an_admin_manages_access_and_reads_the_audit_log(browser: Browser, server: DemoServer) -> None:
    page = _page(browser)
    _log_in(page, server)
    page.goto(f"{server.url}/access")
    expect(page.locator("#me")).to_contain_text("admin")
    expect(page.locator("#teams")).to_contain_text("payments")

    tokens = page.locator("#tokens")
    tokens.get_by_label("Name").fill("laptop")
    tokens.get_by_label("Scope").select_option("read")
    with page.expect_navigation():
        tokens.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_have_text(re.compile(r"^fbt_\w+$"))
    _shot(page, "access.png")
    page.goto(f"{server.url}/access")
    with page.expect_navigation():
        page.locator("#tokens tr", has_text="laptop").get_by_role("button", name="Revoke").click()
    expect(page.locator(".notice")).to_contain_text("revoked token laptop")

    row = page.locator("#people tr", has_text="bob@firebell.local")
    row.get_by_label("role of bob@firebell.local").select_option("viewer")
    with page.expect_navigation():
        row.get_by_role("button", name="Set", exact=True).click()
    expect(page.locator(".notice")).to_contain_text("bob@firebell.local is now viewer")

    page.goto(f"{server.url}/audit")
    audit = page.locator("#audit")
    expect(audit).to_contain_text("api_tokens")
    expect(audit).to_contain_text("demo@firebell.local")
    expect(audit.locator("tr", has_text="users")).to_contain_text("viewer")
    _shot(page, "audit.png")
    page.context.close()


def test_a_viewer_reads_an_incident_but_cannot_acknowledge_it(browser: Browser, server: DemoServer) -> None:
    made = subprocess.run(
        [str(FIREBELL), "user", "create", VIEWER[0], "--role", "viewer", "--password", VIEWER[1]],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    server.send_alert(service="checkout", summary="Checkout down for the viewer test", severity="critical")
    incidents = server.api("GET", "/api/v1/incidents?status=open").json()
    number = next(i["number"] for i in incidents if i["title"] == "Checkout down for the viewer test")

    page = _page(browser)
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(VIEWER[0])
    page.get_by_label("Password").fill(VIEWER[1])
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.goto(f"{server.url}/incidents/{number}")
    expect(page.locator("h1")).to_contain_text("Checkout down for the viewer test")
    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge").first.click()
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator(".error")).to_contain_text("this needs the responder role on team payments; you are viewer")
    _shot(page, "viewer-not-allowed.png")
    assert server.api("GET", f"/api/v1/incidents/{number}").json()["status"] == "detected"
    page.context.close()


def test_single_sign_on_through_the_providers_own_pages(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The login page's button, the provider's login and consent pages, and back in, as a viewer."""
    port = _free_port()
    with oidc_provider(f"http://127.0.0.1:{port}/login/sso/callback") as issuer:
        env = {
            "FIREBELL_PORT": str(port),
            "FIREBELL_OIDC__ISSUER": issuer,
            "FIREBELL_OIDC__CLIENT_ID": "firebell",
            "FIREBELL_OIDC__CLIENT_SECRET": "provider-secret",
            "FIREBELL_OIDC__BUTTON_LABEL": "Log in with Example SSO",
        }
        for server in start_demo(tmp_path_factory, {"FIREBELL_DEMO_HISTORY_WEEKS": "0", **env}):
            page = _page(browser)
            page.goto(f"{server.url}/login?next=/access")
            _shot(page, "login-sso.png")
            page.get_by_role("link", name="Log in with Example SSO").click()
            page.locator("input[name=login]").fill("grace")
            page.locator("input[name=password]").fill("anything")
            page.locator("button[type=submit]").click()
            page.locator("button[type=submit]").click()  # the provider's consent page
            expect(page).to_have_url(f"{server.url}/access")
            expect(page.locator("#me")).to_contain_text("grace@example.com")
            expect(page.locator("#me")).to_contain_text("viewer")
            page.context.close()
