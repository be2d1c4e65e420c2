"""Browser tests of the web UI: a real server with the demo data, driven through Chromium.

The server runs in a subprocess on a fresh SQLite file; Playwright drives the system Chromium
(/usr/bin/chromium). Screenshots of every step land in test-artifacts/screenshots/.

The tests run in file order and share one server, so later ones see what earlier ones did:
the live-update test raises incident #2 and opens #3, the incident test resolves #1.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from tests.conftest import LOOPBACK_ALLOWED

pytestmark = pytest.mark.timeout(180)

FIREBELL = Path(sys.executable).parent / "firebell"
REPO = Path(__file__).resolve().parents[3]
SHOTS = REPO / "test-artifacts" / "screenshots"

DEMO_EMAIL = "demo@firebell.local"
DEMO_PASSWORD = "firebell-demo"
CHECKOUT_TITLE = "Checkout API 5xx rate above 5% for 5 minutes"
SEARCH_TITLE = "Search index disk 85% full"

LIVE_TIMEOUT_MS = 10_000  # well under the 30 s polling fallback, so only the SSE push can pass
UI_TIMEOUT_MS = 10_000
PAGE_ERRORS: list[str] = []  # uncaught JavaScript errors on the shared page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@dataclass
class DemoServer:
    url: str
    env: dict[str, str]
    log: Path
    token: str = ""

    def api(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]

    def send_alert(self, **body: str) -> None:
        response = self.api("POST", "/api/v1/alerts", json=body)
        assert response.status_code == 202, response.text


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """`firebell serve --demo` without its made-up past (these tests count alerts and incidents)."""
    yield from start_demo(tmp_path_factory, {"FIREBELL_DEMO_HISTORY_WEEKS": "0"})


def start_demo(tmp_path_factory: pytest.TempPathFactory, extra_env: dict[str, str]) -> Iterator[DemoServer]:
    """`firebell serve --demo` on a free port and a fresh SQLite file, plus an admin API token."""
    base = tmp_path_factory.mktemp("browser")
    port = int(extra_env.get("FIREBELL_PORT") or _free_port())
    env = {
        **LOOPBACK_ALLOWED,
        **os.environ,
        "FIREBELL_DATABASE_URL": f"sqlite:///{base / 'fb.db'}",
        "FIREBELL_PORT": str(port),
        **extra_env,
    }
    log = base / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as handle:
        process = subprocess.Popen([str(FIREBELL), "serve", "--demo"], env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited early ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer /healthz within 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        created = subprocess.run(
            [str(FIREBELL), "token", "create", "--name", "e2e", "--scope", "admin"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        server = DemoServer(url=url, env=env, log=log, token=created.stdout.strip().splitlines()[-1])
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def user_page(browser: Browser, demo_server: DemoServer) -> Iterator[Page]:
    """One desktop-sized page, shared by the tests that run after logging in."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(UI_TIMEOUT_MS)
    # Note when the page's live-update stream is open, so tests can wait for it.
    context.add_init_script("document.addEventListener('htmx:sseOpen', () => { window.__sseOpen = true })")
    page = context.new_page()
    page.on("pageerror", lambda exc: PAGE_ERRORS.append(str(exc)))
    try:
        yield page
    finally:
        context.close()


def _log_in(page: Page, server: DemoServer) -> None:
    page.goto(f"{server.url}/incidents")
    if "/login" in page.url:
        page.get_by_label("Email").fill(DEMO_EMAIL)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/incidents(\?|$)"))


def _row(page: Page, number: int) -> Locator:
    """The board row of incident `number`."""
    return page.locator("#incident-rows tr", has=page.locator(f'a[href="/incidents/{number}"]'))


# --- 1. login --------------------------------------------------------------------------------


def test_login_redirects_rejects_a_wrong_password_and_lands_on_the_board(
    user_page: Page, demo_server: DemoServer
) -> None:
    page = user_page
    page.goto(f"{demo_server.url}/incidents")
    expect(page).to_have_url(re.compile(r"/login\?next=/incidents$"))
    expect(page.get_by_role("heading", name="Log in to Firebell")).to_be_visible()

    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill("not-the-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).not_to_be_empty()
    expect(page.get_by_label("Email")).to_have_value(DEMO_EMAIL)  # kept, so only the password is retyped
    _shot(page, "login.png")

    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{demo_server.url}/incidents")
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    expect(_row(page, 1)).to_contain_text(CHECKOUT_TITLE)
    expect(_row(page, 1)).to_contain_text("SEV-1")
    expect(_row(page, 1).locator("td.num")).to_have_text("2")
    expect(_row(page, 2)).to_contain_text(SEARCH_TITLE)
    expect(_row(page, 2)).to_contain_text("SEV-3")
    # Worst first: #1 (SEV-1) heads the board although #2 (SEV-3) was opened after it.
    expect(page.locator("#incident-rows tr").first).to_contain_text(CHECKOUT_TITLE)
    expect(page.get_by_text(DEMO_EMAIL)).to_be_visible()
    _shot(page, "board-initial.png")


# --- 2. live updates over server-sent events -----------------------------------------------------


def test_board_and_alert_list_update_live_without_a_reload(user_page: Page, demo_server: DemoServer) -> None:
    page = user_page
    _log_in(page, demo_server)
    page.wait_for_load_state("load")
    # The stream must be open before the change, or the push has nothing to reach.
    page.wait_for_function("() => window.__sseOpen === true")
    page.evaluate("() => { window.__sameDocument = true }")
    expect(_row(page, 2).locator("td.num")).to_have_text("1")

    # The search alert fires again under a new key within the 5-minute window: the same alert, so it
    # joins incident #2 and raises it to SEV-1 rather than opening a new incident, and the row shows
    # the new count and severity.
    demo_server.send_alert(
        service="search", summary="Search index disk 85% full", severity="critical", dedup_key="live-update-check"
    )
    expect(_row(page, 2).locator("td.num")).to_have_text("2", timeout=LIVE_TIMEOUT_MS)
    expect(_row(page, 2)).to_contain_text("SEV-1", timeout=LIVE_TIMEOUT_MS)

    # The notifications service has no open incident, so a warning there opens #3 on the board.
    expect(_row(page, 3)).to_have_count(0)
    demo_server.send_alert(service="notifications", summary="Live update check: new incident", severity="warning")
    expect(_row(page, 3)).to_contain_text("Live update check: new incident", timeout=LIVE_TIMEOUT_MS)
    expect(_row(page, 3)).to_contain_text("SEV-3")
    expect(page.locator("#incident-rows")).to_contain_text("Live update check")
    # Severity first, then newest: #2 (now SEV-1, newer), #1 (SEV-1), #3 (SEV-3).
    numbers = page.locator("#incident-rows tr td:first-child")
    expect(numbers).to_have_text([re.compile(r"#?2\b"), re.compile(r"#?1\b"), re.compile(r"#?3\b")])
    assert page.evaluate("() => window.__sameDocument === true"), "the board reloaded instead of updating in place"
    _shot(page, "board.png")

    # The alert list shows every alert's own summary; a new one must appear there live too.
    page.goto(f"{demo_server.url}/alerts")
    page.wait_for_function("() => window.__sseOpen === true")
    page.evaluate("() => { window.__sameDocument = true }")
    expect(page.locator("#alert-rows")).to_contain_text("Live update check")
    demo_server.send_alert(service="notifications", summary="Live update check on the alert list", severity="warning")
    expect(page.locator("#alert-rows")).to_contain_text("Live update check on the alert list", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("() => window.__sameDocument === true"), "the alert list reloaded instead of updating in place"
    _shot(page, "alerts-live.png")


# --- 3. acknowledge by keyboard, resolve by button ------------------------------------------------


def test_incident_is_acknowledged_with_a_and_resolved_with_the_button(user_page: Page, demo_server: DemoServer) -> None:
    page = user_page
    _log_in(page, demo_server)
    page.goto(f"{demo_server.url}/incidents/1")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CHECKOUT_TITLE)
    status = page.locator(".facts dd .badge").first
    expect(status).to_have_text("detected")
    expect(page.get_by_role("heading", name="Alerts (2)")).to_be_visible()

    # The page follows the incident live: a repeat of one of its alerts bumps that alert's count.
    page.wait_for_function("() => window.__sseOpen === true")
    page.evaluate("() => { window.__sameDocument = true }")
    latency = page.locator("table.grid tbody tr", has_text="latency")
    expect(latency.locator("td.num")).to_have_text("1")
    # Another reader has just loaded it (its data is shared for a second): the refresh the change
    # brings still shows the change.
    assert page.request.get(f"{demo_server.url}/incidents/1?partial=1").status == 200
    demo_server.send_alert(
        service="checkout",
        summary="Checkout p99 latency above 2 s",
        severity="critical",
        dedup_key="demo-checkout-latency",
    )
    expect(latency.locator("td.num")).to_have_text("2", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("() => window.__sameDocument === true"), "the incident page reloaded instead of updating"

    page.locator("body").focus()
    with page.expect_navigation():
        page.keyboard.press("a")
    expect(status).to_have_text("acknowledged")
    expect(page.locator(".facts")).to_contain_text("Acknowledged")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    _shot(page, "incident-acknowledged.png")

    # A stray `r` asks before resolving; saying no leaves the incident as it was.
    asked: list[str] = []

    def decline(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.locator("body").focus()
    page.keyboard.press("r")
    expect(status).to_have_text("acknowledged")
    assert asked == ["Resolve incident #1?"]

    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^\s*Resolve\b")).click()
    expect(status).to_have_text("resolved")
    expect(page.locator(".facts")).to_contain_text("Resolved")
    timeline = page.locator("ol.timeline li")
    expect(timeline.filter(has_text="acknowledged → resolved")).to_have_count(1)
    expect(timeline.filter(has_text="detected → acknowledged")).to_have_count(1)
    expect(timeline.filter(has_text="acknowledged → resolved")).to_contain_text(f"by {DEMO_EMAIL}")
    expect(page.get_by_role("alert")).to_have_count(0)
    _shot(page, "incident.png")

    # A resolved incident leaves the open board.
    page.goto(f"{demo_server.url}/incidents")
    expect(_row(page, 1)).to_have_count(0)
    expect(_row(page, 2)).to_have_count(1)


# --- 4. alert filters ------------------------------------------------------------------------------


def test_alert_list_filters_by_service_and_status(user_page: Page, demo_server: DemoServer) -> None:
    page = user_page
    _log_in(page, demo_server)
    page.goto(f"{demo_server.url}/alerts")
    rows = page.locator("#alert-rows tr")
    service_cells = page.locator("#alert-rows tr td:nth-child(4)")
    expect(rows).to_have_count(7)  # four demo alerts and the three sent by the live-update test

    page.get_by_label("Service").select_option("checkout")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"service=checkout"))
    expect(page.get_by_label("Service")).to_have_value("checkout")
    expect(rows).to_have_count(2)
    expect(service_cells).to_have_text(["checkout", "checkout"])
    expect(page.locator("#alert-rows")).to_contain_text("Checkout p99 latency above 2 s")
    _shot(page, "alerts-service.png")

    # Resolve one alert at its source, then filter by status alone.
    demo_server.send_alert(
        service="search", summary=SEARCH_TITLE, severity="warning", action="resolve", dedup_key="demo-search-disk"
    )
    page.goto(f"{demo_server.url}/alerts")
    page.get_by_label("Status").select_option("resolved")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=resolved"))
    # The search alert, and checkout's two: resolving incident #1 (test 3) resolved its alerts.
    expect(rows).to_have_count(3)
    expect(page.locator("#alert-rows")).to_contain_text(SEARCH_TITLE)
    expect(page.locator("#alert-rows tr td:nth-child(2)")).to_have_text(["resolved"] * 3)
    _shot(page, "alerts.png")

    page.get_by_label("Status").select_option("resolved")
    page.get_by_label("Service").select_option("notifications")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No alerts match.")


def test_an_alert_is_marked_no_action_needed_and_filtered_by_its_verdict(
    user_page: Page, demo_server: DemoServer
) -> None:
    page = user_page
    _log_in(page, demo_server)
    page.goto(f"{demo_server.url}/alerts?service=checkout")
    row = page.locator("#alert-rows tr", has_text="Checkout p99 latency above 2 s")
    expect(row.locator(".badge.verdict-no-action")).to_have_count(0)
    url = page.url
    row.get_by_role("button", name="No action needed").click()
    # The button swaps in the verdict where it was: a badge in words, and the other choices.
    badge = row.locator(".badge.verdict-no-action")
    expect(badge).to_have_text("no action needed")
    expect(row.get_by_role("button", name="No action needed")).to_have_count(0)
    expect(row.get_by_role("button", name="Actionable")).to_be_visible()
    assert page.url == url  # no page load
    _shot(page, "alerts-verdict.png")

    page.get_by_label("Verdict").select_option("no_action")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"verdict=no_action"))
    rows = page.locator("#alert-rows tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Checkout p99 latency above 2 s")

    # The incident's page shows the badge on the alert and the entry on the timeline.
    with page.expect_navigation():
        rows.first.locator('a[href^="/incidents/"]').click()
    expect(page.locator("#incident-body .badge.verdict-no-action")).to_have_count(1)
    expect(page.locator("#timeline")).to_contain_text(f"marked no action needed by {DEMO_EMAIL}")
    # In one step, by id: a live refresh of the page may swap the section for a fresh copy meanwhile.
    page.evaluate("document.getElementById('alerts').scrollIntoView()")
    _shot(page, "incident-verdict.png")


# --- 5. phone -----------------------------------------------------------------------------------


def test_board_is_usable_on_a_phone(user_page: Page, demo_server: DemoServer) -> None:
    page = user_page
    _log_in(page, demo_server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo_server.url}/incidents")
    table = page.locator("table.grid")
    expect(table).to_be_visible()
    expect(_row(page, 2)).to_be_visible()
    expect(_row(page, 2)).to_contain_text(SEARCH_TITLE)
    expect(_row(page, 2)).to_contain_text("SEV-1")
    _shot(page, "phone.png")
    box = table.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390 + 1, f"table overflows: {box}"
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390, f"the page scrolls sideways on a phone: {overflow}px wide"
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"


# --- 6. on call ---------------------------------------------------------------------------------


def test_on_call_page_names_who_is_on_call_and_shows_gaps(user_page: Page, demo_server: DemoServer) -> None:
    page = user_page
    _log_in(page, demo_server)
    page.locator("body").focus()
    with page.expect_navigation():
        page.keyboard.press("g")
        page.keyboard.press("o")
    expect(page).to_have_url(f"{demo_server.url}/oncall")
    expect(page.get_by_role("heading", name="On call now")).to_be_visible()
    # The demo's weekly rotation always has someone; who depends on the week.
    primary = page.locator("table.grid tbody tr", has_text="checkout-primary")
    expect(primary).to_contain_text(re.compile(r"Alice Moreau|Bob Okafor|Carol Tanaka"))
    expect(primary).to_contain_text("checkout-primary")
    _shot(page, "oncall.png")

    # Office hours only: its nights and weekends in the next two weeks are gaps, and the page says so.
    with page.expect_navigation():
        page.get_by_role("link", name="notifications-office").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("notifications-office")
    expect(page).to_have_title("notifications-office · Firebell")
    expect(page.locator("#shifts tbody tr.gap").first).to_contain_text("nobody")
    expect(page.locator("#shifts tbody tr:not(.gap)").first).to_contain_text(re.compile(r"Alice Moreau|Bob Okafor"))
    expect(page.locator(".warning").first).to_contain_text("nobody is on call from")
    _shot(page, "oncall-schedule.png")

    # Carol covers a night that nobody covered: the override form fills the gap.
    night = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=1)).date()
    page.get_by_label("Who covers").select_option("carol")
    page.get_by_label("From").fill(f"{night}T02:00")
    page.get_by_label("Until").fill(f"{night}T04:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Add override").click()
    expect(page.get_by_role("status").first).to_contain_text("override added for carol")
    covered = page.locator("#shifts tbody tr", has_text="Carol Tanaka")
    expect(covered).to_have_count(1)
    expect(covered).to_contain_text("override")
    _shot(page, "oncall-override.png")
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"


# --- 7. paging ----------------------------------------------------------------------------------


def _ack_link(server: DemoServer, number: int) -> str:
    """The signed link in the page's email, read from the server's own delivery log."""
    import json
    import sqlite3

    path = server.env["FIREBELL_DATABASE_URL"].removeprefix("sqlite:///")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with sqlite3.connect(path) as db:
            row = db.execute(
                "select d.message from deliveries d join incidents i on i.id = d.incident_id where i.number = ?",
                (number,),
            ).fetchone()
        if row is not None:
            return str(json.loads(row[0])["ack_url"])
        time.sleep(0.2)
    raise AssertionError(f"no page was written for incident #{number}")


def test_policies_preview_delivery_log_and_the_link_in_a_page(user_page: Page, demo_server: DemoServer) -> None:
    page = user_page
    _log_in(page, demo_server)
    page.goto(f"{demo_server.url}/policies")
    row = page.locator("table.grid tbody tr", has_text="checkout-primary")
    expect(row).to_contain_text("checkout")
    _shot(page, "policies.png")

    with page.expect_navigation():
        row.get_by_role("link", name="checkout-primary").click()
    page.get_by_text("Advanced: the policy as YAML").click()
    editor = page.get_by_label("the policy, as YAML")
    original = editor.input_value()
    assert "timeout: 15m" in original
    editor.fill(original.replace("timeout: 15m", "timeout: soon"))
    with page.expect_navigation():
        page.get_by_role("button", name="Save YAML").click()
    expect(page.get_by_role("alert")).to_contain_text("levels[0].timeout")
    _shot(page, "policy-error.png")
    page.get_by_label("the policy, as YAML").fill(
        original.replace("timeout: 15m", "timeout: 10m\n  action: Roll back the last deploy")
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Save YAML").click()
    expect(page.get_by_role("status").first).to_contain_text("updated escalation policy checkout-primary")
    _shot(page, "policy-saved.png")

    page.goto(f"{demo_server.url}/services/checkout/page-preview")
    expect(page.get_by_role("heading", name=re.compile("Level 1"))).to_be_visible()
    expect(page.locator("section.level").first).to_contain_text("Roll back the last deploy")
    expect(page.locator("pre.payload").first).to_contain_text("Subject: [SEV-1] #0")
    _shot(page, "page-preview.png")

    demo_server.send_alert(service="checkout", severity="critical", summary="Payment provider timeouts")
    incidents = demo_server.api("GET", "/api/v1/incidents?status=open&service=checkout").json()
    number = next(i["number"] for i in incidents if i["title"] == "Payment provider timeouts")
    link = _ack_link(demo_server, number)
    page.goto(f"{demo_server.url}/deliveries")
    expect(page.locator("table.grid tbody tr", has_text=f"#{number}").first).to_contain_text("email")
    _shot(page, "deliveries.png")

    page.goto(link)
    expect(page.get_by_role("heading", name=f"Acknowledge incident #{number}?")).to_be_visible()
    _shot(page, "ack-link.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("heading", name="Acknowledged")).to_be_visible()
    _shot(page, "ack-link-done.png")
    status = demo_server.api("GET", f"/api/v1/incidents/{number}").json()["status"]
    assert status == "acknowledged"

    # Handed to Carol: escalation starts over and pages her.
    page.goto(f"{demo_server.url}/incidents/{number}")
    page.get_by_label("Reassign to").select_option("user:carol")
    with page.expect_navigation():
        page.get_by_role("button", name="Reassign").click()
    expect(page.locator("ol.timeline")).to_contain_text("Reassigned to Carol Tanaka; escalation restarts")
    # The engine pages Carol just after the page reloads; the page hears of it live, or on a reload
    # (the live stream may still be connecting when the page event lands).
    timeline = page.locator("ol.timeline")
    try:
        expect(timeline).to_contain_text("Level 1 paged: Carol Tanaka (email)", timeout=LIVE_TIMEOUT_MS)
    except AssertionError:
        page.reload()
        expect(timeline).to_contain_text("Level 1 paged: Carol Tanaka (email)")
    _shot(page, "incident-reassigned.png")

    made = demo_server.api(
        "POST", "/api/v1/heartbeats", json={"name": "nightly-backup", "service": "search", "interval": "1d"}
    )
    assert made.status_code == 201, made.text
    page.goto(f"{demo_server.url}/services")
    expect(page.locator("#heartbeats tbody tr", has_text="nightly-backup")).to_contain_text("waiting")
    _shot(page, "services-heartbeats.png")
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"


# --- 8. severity wizard -------------------------------------------------------------------------


def test_the_severity_wizard_asks_until_it_can_say(user_page: Page, demo_server: DemoServer) -> None:
    page = user_page
    _log_in(page, demo_server)
    page.goto(f"{demo_server.url}/incidents")
    with page.expect_navigation():
        page.get_by_role("link", name="What severity is it?").click()
    expect(page.locator(".question")).to_have_text("Is the service completely down?")
    for answer in ("No", "No", "Yes", "No"):
        with page.expect_navigation():
            page.get_by_role("button", name=answer, exact=True).click()
    expect(page.locator(".question")).to_have_text("Are only a few users affected?")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("SEV-3")
    expect(page.locator("ol.wizard li")).to_have_count(5)
    _shot(page, "severity-wizard.png")
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"


# --- 9. status page -----------------------------------------------------------------------------


def test_public_status_page_and_its_admin_page(user_page: Page, demo_server: DemoServer) -> None:
    for name, group, description in (
        ("Checkout API", "Checkout", "Card payments and orders"),
        ("Payment webhooks", "Checkout", ""),
        # Search is one of the demo's own components.
        ("Website", None, ""),
    ):
        made = demo_server.api(
            "POST", "/api/v1/status-page/components", json={"name": name, "group": group, "description": description}
        )
        assert made.status_code == 201, made.text
    published = demo_server.api(
        "POST",
        "/api/v1/incidents/2/status-updates",
        json={
            "state": "investigating",
            "name": "Slow search results",
            "components": {"Search": "degraded_performance"},
        },
    )
    assert published.status_code == 201, published.text
    start = datetime.now(ZoneInfo("UTC")).replace(second=0, microsecond=0) + timedelta(days=2)
    window = {"scheduled_for": start.isoformat(), "scheduled_until": (start + timedelta(hours=2)).isoformat()}
    scheduled = demo_server.api(
        "POST",
        "/api/v1/status-page/maintenances",
        json={"name": "Payment database upgrade", "components": ["Payment webhooks"], **window},
    )
    assert scheduled.status_code == 201, scheduled.text

    page = user_page
    _log_in(page, demo_server)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{demo_server.url}/status")
    expect(page.get_by_role("heading", level=1)).to_have_text("Minor Service Outage")
    expect(page.locator(".sp-incident", has_text="Slow search results")).to_contain_text("Investigating")
    expect(page.locator(".sp-incident", has_text="Slow search results")).to_contain_text("Search")
    expect(page.locator(".sp-component", has_text="Search")).to_contain_text("Degraded performance")
    expect(page.locator(".sp-group", has_text="Checkout")).to_contain_text("Operational")
    expect(page.locator(".sp-maint")).to_contain_text("Payment database upgrade")
    expect(page.locator("body")).not_to_contain_text(SEARCH_TITLE)  # the internal title stays internal
    _shot(page, "status-page.png")

    # The admin page, from the app's navigation: set a component's state and post an update with the forms.
    page.goto(f"{demo_server.url}/incidents")
    with page.expect_navigation():
        page.get_by_role("link", name="Status page").click()
    expect(page).to_have_url(f"{demo_server.url}/status-page/admin")
    page.get_by_label("State of Website").select_option("partial_outage")
    with page.expect_navigation():
        page.locator("#sp-components tr", has_text="Website").get_by_role("button", name="Set").click()
    expect(page.get_by_role("status").first).to_contain_text("Website is now partial outage")
    incident = page.locator(".sp-admin-incident", has_text="Slow search results")
    incident.get_by_label("New state").select_option("identified")
    incident.get_by_label("Update text").fill(
        "A full search index node is being replaced; results are slower meanwhile."
    )
    with page.expect_navigation():
        incident.get_by_role("button", name="Publish update").click()
    expect(page.get_by_role("status").first).to_contain_text("update published on “Slow search results”: identified")
    expect(page.locator(".sp-admin-incident", has_text="Slow search results")).to_contain_text("identified")
    _shot(page, "status-admin.png")

    page.goto(f"{demo_server.url}/status")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partial System Outage")
    updates = page.locator(".sp-incident", has_text="Slow search results").locator(".sp-updates li")
    expect(updates).to_have_count(2)
    expect(updates.first).to_contain_text("Identified — A full search index node is being replaced")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _shot(page, "status-page-phone.png")
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390, f"the status page scrolls sideways on a phone: {overflow}px wide"
    assert not PAGE_ERRORS, f"JavaScript errors: {PAGE_ERRORS}"
