"""The UI under its Content-Security-Policy, in Chromium: the main pages load without a single
violation, and their scripts (HTMX, the live stream, the page scripts) still do their work.

A violation is caught two ways: the page's `securitypolicyviolation` event (recorded by a script
Playwright adds before any of the page's own) and Chromium's console message for it. The detector
is shown to work first, on a style the policy refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect

from tests.e2e.web.test_browser import UI_TIMEOUT_MS, DemoServer, _log_in, _shot, start_demo

pytestmark = pytest.mark.timeout(240)

RECORD_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.documentURI}`);
});
"""


@pytest.fixture(scope="module")
def csp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from start_demo(tmp_path_factory, {"FIREBELL_DEMO_HISTORY_WEEKS": "0"})


class Watched:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.violations: list[str] = []
        self.errors: list[str] = []
        self.policy: str | None = None
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            self.violations.append(text)

    def _response(self, response: Response) -> None:
        if response.request.resource_type == "document":
            self.policy = response.headers.get("content-security-policy")

    def clean(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        # The page was served under the policy: no violation only counts then.
        assert self.policy is not None, f"{where}: no Content-Security-Policy"
        assert "default-src 'self'" in self.policy, f"{where}: {self.policy}"
        assert "'unsafe-inline'" not in self.policy, f"{where}: {self.policy}"
        assert self.violations == [], f"{where}: {self.violations}"
        assert self.errors == [], f"{where}: {self.errors}"


@pytest.fixture(scope="module")
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.add_init_script(RECORD_VIOLATIONS)
    context.add_init_script("document.addEventListener('htmx:sseOpen', () => { window.__sseOpen = true })")
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


def test_the_detector_sees_a_refused_inline_style(watched: Watched, csp_server: DemoServer) -> None:
    page = watched.page
    page.goto(f"{csp_server.url}/login")
    page.evaluate("() => document.head.insertAdjacentHTML('beforeend', '<style>body { color: red }</style>')")
    page.wait_for_timeout(300)
    assert any("style-src" in v for v in watched.violations), watched.violations
    watched.violations.clear()


def test_the_main_pages_load_without_a_violation(watched: Watched, csp_server: DemoServer) -> None:
    page = watched.page
    page.goto(f"{csp_server.url}/login")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    watched.clean("login")
    _log_in(page, csp_server)
    expect(page.locator("#incident-rows tr").first).to_be_visible()
    page.wait_for_function("() => window.__sseOpen === true")  # the live stream is connected
    watched.clean("incidents")
    for path in (
        "/alerts",
        "/oncall",
        "/policies",
        "/services",
        "/postmortems",
        "/metrics-dashboard",
        "/status-page/admin",
        "/action-items",
        "/access",
    ):
        page.goto(f"{csp_server.url}{path}")
        expect(page.locator("main")).to_be_visible()
        watched.clean(path)
    page.goto(f"{csp_server.url}/oncall")
    page.locator("main a[href^='/oncall/']").first.click()
    expect(page).to_have_url(re.compile(r"/oncall/[^/]+$"))
    watched.clean("a schedule")


def test_an_incident_page_and_its_htmx_actions_work_under_the_policy(watched: Watched, csp_server: DemoServer) -> None:
    page = watched.page
    _log_in(page, csp_server)
    page.goto(f"{csp_server.url}/incidents/1")
    composer = page.locator("#tool-comms")
    # The preview is fetched by HTMX as the page loads, and again when another template is chosen.
    expect(composer.locator("#compose-preview")).not_to_contain_text("Loading the preview")
    page.evaluate("() => { window.__sameDocument = true }")
    composer.get_by_label("Template").select_option(label="Status update (Slack)")
    expect(composer.locator("textarea[name=body]")).to_have_value(re.compile(r"STATUS UPDATE"))
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded: HTMX did not swap"
    _shot(page, "csp-incident.png")
    watched.clean("incident")


def test_a_filter_still_applies_on_change(watched: Watched, csp_server: DemoServer) -> None:
    page = watched.page
    _log_in(page, csp_server)
    page.goto(f"{csp_server.url}/deliveries")
    status = page.locator("select[name=status]")
    value = status.locator("option").nth(1).get_attribute("value")
    with page.expect_navigation():
        status.select_option(value)
    expect(page).to_have_url(re.compile(rf"status={value}"))
    watched.clean("deliveries")


def test_the_public_status_page_loads_without_a_violation(watched: Watched, csp_server: DemoServer) -> None:
    page = watched.page
    page.goto(f"{csp_server.url}/status")
    expect(page.locator("body")).to_be_visible()
    # status.js ran: it rewrites the UTC times into the reader's own.
    times = page.locator("time[datetime]")
    if times.count():
        expect(times.first).to_have_attribute("title", re.compile(r"."))
    watched.clean("status")


def test_a_postmortem_and_its_printable_page_load_without_a_violation(watched: Watched, csp_server: DemoServer) -> None:
    drafted = csp_server.api("POST", "/api/v1/incidents/1/postmortem")
    assert drafted.status_code in (200, 201), drafted.text
    page = watched.page
    _log_in(page, csp_server)
    page.goto(f"{csp_server.url}/incidents/1/postmortem")
    expect(page.locator("main")).to_be_visible()
    watched.clean("postmortem")
    page.goto(f"{csp_server.url}/incidents/1/postmortem/print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    watched.clean("printable postmortem")
    # Its one inline style (a page saved as one file) is allowed by its hash, so it applies.
    assert page.evaluate("() => getComputedStyle(document.body).maxWidth") == "960px"
