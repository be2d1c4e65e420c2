"""/docs (Swagger UI) and /redoc (ReDoc) in Chromium with every request to another origin refused:
both render the API from Firebell's own assets, under their Content-Security-Policy, without a
single violation. Screenshots at 1280 px: api-docs-swagger.png, api-docs-redoc.png."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from tests.e2e.web.test_browser import SHOTS, UI_TIMEOUT_MS, DemoServer, start_demo

pytestmark = pytest.mark.timeout(240)
RENDER_TIMEOUT_MS = 30_000

RECORD_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
});
"""


def _shot(page: Page, name: str) -> None:
    """The first screen only: both pages run to many thousands of pixels."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    yield from start_demo(tmp_path_factory, {"FIREBELL_DEMO_HISTORY_WEEKS": "0"})


class Offline:
    """A page that may reach the test server only: anything else is aborted and noted."""

    def __init__(self, page: Page, server: DemoServer) -> None:
        self.page = page
        self.origin = urlsplit(server.url).netloc
        self.refused: list[str] = []
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc == self.origin:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("CSP violation"):
            self.violations.append(message.text)

    def clean(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        assert self.refused == [], f"{where} asked another origin: {self.refused}"
        assert self.violations == [], f"{where}: {self.violations}"
        assert self.errors == [], f"{where}: {self.errors}"


@pytest.fixture
def offline(browser: Browser, docs_server: DemoServer) -> Iterator[Offline]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.add_init_script(RECORD_VIOLATIONS)
    try:
        yield Offline(context.new_page(), docs_server)
    finally:
        context.close()


def test_the_detector_sees_a_refused_inline_script(offline: Offline, docs_server: DemoServer) -> None:
    page = offline.page
    page.goto(f"{docs_server.url}/docs")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s) }")
    page.wait_for_timeout(300)
    assert any("script-src" in v for v in offline.violations), offline.violations


def test_swagger_ui_lists_the_operations_offline(offline: Offline, docs_server: DemoServer) -> None:
    page = offline.page
    answer = page.goto(f"{docs_server.url}/docs")
    assert answer is not None
    assert answer.status == 200
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy, policy
    assert "'unsafe-inline'" not in policy, policy
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Firebell", timeout=RENDER_TIMEOUT_MS)
    incidents = page.locator(".opblock-summary-path[data-path='/api/v1/incidents']")
    expect(incidents.first).to_be_visible()
    assert page.locator(".opblock").count() > 50
    # An operation opens and shows its parameters, rendered from the document.
    incidents.first.click()
    expect(page.locator(".opblock.is-open .parameters-container, .opblock.is-open .opblock-body").first).to_be_visible()
    offline.clean("/docs")
    _shot(page, "api-docs-swagger.png")


def test_redoc_renders_offline(offline: Offline, docs_server: DemoServer) -> None:
    page = offline.page
    answer = page.goto(f"{docs_server.url}/redoc")
    assert answer is not None
    assert answer.status == 200
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy, policy
    assert "https:" not in policy, policy
    # ReDoc lays out the whole document (a few hundred operations) before it shows anything.
    expect(page.locator("h1").first).to_contain_text("Firebell", timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("/api/v1/incidents").first).to_be_attached()
    expect(page.locator("[role='menuitem'], li[data-item-id]").first).to_be_visible()
    offline.clean("/redoc")
    _shot(page, "api-docs-redoc.png")
