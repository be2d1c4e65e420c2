"""The service catalog in a browser: the Services page with SLOs and the dependency graph (a cycle
included), a click through to one service and on to what it depends on. Screenshots land beside the
other browser tests'."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.web import test_browser as shared
from tests.e2e.web.test_browser import PAGE_ERRORS, DemoServer, _log_in, _shot

demo_server = shared.demo_server  # the same fixtures: a demo server and a logged-in page of its own
user_page = shared.user_page

FACTS = {
    "slos": [{"kind": "availability", "target": "99.9%"}, {"kind": "latency_p99", "target": "< 500ms"}],
    "dashboards": [{"title": "Production Overview", "url": "https://grafana.example.com/d/prod-overview"}],
    "dependencies": ["search"],
}


def test_the_catalog_and_a_service_with_its_dependency_graph(user_page: Page, demo_server: DemoServer) -> None:
    page = user_page
    assert demo_server.api("PATCH", "/api/v1/services/checkout", json=FACTS).status_code == 200
    assert demo_server.api("PATCH", "/api/v1/services/search", json={"dependencies": ["checkout"]}).status_code == 200
    assert (
        demo_server.api("PATCH", "/api/v1/services/notifications", json={"dependencies": ["checkout"]}).status_code
        == 200
    )
    _log_in(page, demo_server)
    page.goto(f"{demo_server.url}/services")
    row = page.locator("table.catalog tbody tr", has_text="checkout").first
    expect(row).to_contain_text("Tier 1 - Business Critical")
    expect(row).to_contain_text("99.9% (30-day rolling)")
    expect(row.get_by_role("link", name="Production Overview")).to_have_attribute(
        "href", "https://grafana.example.com/d/prod-overview"
    )
    expect(page.get_by_role("status").filter(has_text="Dependency cycle")).to_contain_text("checkout ↔ search")
    expect(page.locator("#dependency-graph svg g.fb-node")).to_have_count(3)
    _shot(page, "services-catalog.png")

    with page.expect_navigation():
        row.get_by_role("link", name="checkout", exact=True).click()
    expect(page.locator("h1")).to_contain_text("checkout")
    expect(page.locator("#slos tbody tr").first).to_contain_text("99.9%")
    expect(page.locator("svg g.fb-accent")).to_contain_text("checkout")
    expect(page.locator("#dependencies")).to_contain_text("Depended on by")
    _shot(page, "service-checkout.png")
    with page.expect_navigation():
        page.locator("#dependencies ul").first.get_by_role("link", name="search").click()
    expect(page.locator("svg g.fb-accent")).to_contain_text("search")
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"
