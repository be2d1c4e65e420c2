"""An incident run from its alert to its close through the web UI, in headless Chromium.

A real server with the demo data, a real SMTP server for stakeholder email, pages and role notices,
and a local HTTP receiver standing in for the #incidents Slack webhook. Screenshots land in
test-artifacts/screenshots/ (incident-running.png, incident-composer.png, incident-closed.png,
incident-responders.png).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LOOPBACK_ALLOWED
from tests.e2e.peers import HttpSink, SmtpSink, http_sink, smtp_sink, wait_for
from tests.e2e.web.test_browser import (
    DEMO_EMAIL,
    FIREBELL,
    SHOTS,
    UI_TIMEOUT_MS,
    DemoServer,
    _free_port,
    _log_in,
    _shot,
)

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def peers() -> Iterator[tuple[SmtpSink, HttpSink]]:
    with smtp_sink() as smtp, http_sink() as hooks:
        yield smtp, hooks


@pytest.fixture(scope="module")
def comms_server(tmp_path_factory: pytest.TempPathFactory, peers: tuple[SmtpSink, HttpSink]) -> Iterator[DemoServer]:
    smtp, hooks = peers
    base = tmp_path_factory.mktemp("incident-flow")
    port = _free_port()
    env = {
        **LOOPBACK_ALLOWED,
        **os.environ,
        "FIREBELL_DATABASE_URL": f"sqlite:///{base / 'fb.db'}",
        "FIREBELL_PORT": str(port),
        "FIREBELL_SMTP__HOST": smtp.host,
        "FIREBELL_SMTP__PORT": str(smtp.port),
        "FIREBELL_SLACK__INCIDENTS_WEBHOOK_URL": f"{hooks.url}/slack/incidents",
        "FIREBELL_COMMS__STAKEHOLDER_EMAILS": "exec@example.com",
        "FIREBELL_DEMO_HISTORY_WEEKS": "0",  # these tests count incidents and action items
    }
    log = base / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as handle:
        process = subprocess.Popen([str(FIREBELL), "serve", "--demo"], env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited early:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        made = subprocess.run(
            [str(FIREBELL), "token", "create", "--name", "e2e", "--scope", "admin"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        yield DemoServer(url=url, env=env, log=log, token=made.stdout.strip().splitlines()[-1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def _submit(page: Page, button: object) -> None:
    with page.expect_navigation():
        button.click()  # type: ignore[attr-defined]


def test_an_incident_runs_from_alert_to_close_in_the_browser(
    page: Page, comms_server: DemoServer, peers: tuple[SmtpSink, HttpSink]
) -> None:
    smtp, hooks = peers
    server = comms_server
    _log_in(page, server)
    server.send_alert(service="notifications", summary="Push notifications failing for iOS", severity="critical")
    row = page.locator("#incident-rows tr", has_text="Push notifications failing for iOS")
    expect(row).to_have_count(1, timeout=UI_TIMEOUT_MS)
    with page.expect_navigation():
        row.locator("a").first.click()
    number = int(re.search(r"/incidents/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Push notifications failing for iOS")
    expect(page.locator(".lifecycle li.here")).to_have_text("detected")
    expect(page.get_by_role("status").filter(has_text="Unfilled required role(s)")).to_contain_text("Scribe")
    expect(page.locator("#timeline")).to_contain_text("alert fired")

    # Acknowledge, then staff the incident: the four roles a SEV-1 needs.
    _submit(page, page.get_by_role("button", name=re.compile(r"^\s*Acknowledge")))
    expect(page.locator(".lifecycle li.here")).to_have_text("acknowledged")
    for role, person in (
        ("Incident Commander", "Alice Moreau"),
        ("Technical Lead", "Bob Okafor"),
        ("Communications Lead", "Carol Tanaka"),
        ("Scribe", "Erin Lead"),
    ):
        tool = page.locator("#tool-roles")
        tool.get_by_label("Role").select_option(label=role)
        tool.get_by_label("Person").select_option(label=person)
        _submit(page, tool.get_by_role("button", name="Assign"))
        expect(page.locator("#roles tr", has_text=role)).to_contain_text(person)
    expect(page.get_by_text("Unfilled required role(s)")).to_have_count(0)
    # Each person given a role is told, by email here (the demo's contact methods).
    wait_for(
        lambda: any("You are Technical Lead" in str(m.message["Subject"]) for m in smtp.mails),
        what="Bob's role notice",
    )
    notice = next(m for m in smtp.mails if "You are Technical Lead" in str(m.message["Subject"]))
    assert notice.recipients == ["bob@firebell.local"]
    assert "Review monitoring and logs" in notice.text

    # Investigate: a checklist tick and a Scribe's note, both on the timeline.
    dashboards = page.locator("#checklists li", has_text="Dashboards checked")
    _submit(page, dashboards.get_by_role("button"))
    expect(page.locator("#checklists li.done", has_text="Dashboards checked")).to_have_count(1)
    expect(page.locator("#checklists li.done", has_text="IC assigned")).to_have_count(1)
    page.locator("#tool-note textarea").fill("Errors began with the APNs certificate rotation at 09:40")
    _submit(page, page.locator("#tool-note").get_by_role("button", name="Add note"))
    expect(page.locator("#timeline li.tl-note")).to_contain_text("APNs certificate rotation")
    _submit(page, page.get_by_role("button", name=re.compile(r"^\s*Investigating")))

    # The mitigation tree: a recent change, so roll back; it worked.
    tree = page.locator("#tool-mitigation")
    tree.locator("fieldset").first.get_by_label("yes").check()
    _submit(page, tree.get_by_role("button", name="Choose the strategy"))
    plan = page.locator("#mitigation .mitigation")
    expect(plan).to_contain_text("Roll back the deployment")
    _submit(page, plan.get_by_role("button", name="Resolved the issue"))
    expect(plan).to_contain_text("next: Monitor and verify")
    _submit(page, page.get_by_role("button", name=re.compile(r"^\s*Identified")))

    # Customers read only what is published: a public title and the reviewed text.
    public = page.locator("#tool-status-page")
    expect(public.locator("select[name=state]")).to_have_value("identified")
    expect(public.locator("textarea[name=body]")).to_have_value(re.compile(r"^We have identified the cause"))
    public.get_by_label("Public title").fill("Delayed push notifications")
    public.locator("textarea[name=body]").fill(
        "We found the cause of delayed push notifications; a fix is rolling out."
    )
    _submit(page, public.get_by_role("button", name="Publish"))
    expect(page.locator(".facts")).to_contain_text("Delayed push notifications")
    expect(page.locator("#checklists li.done", has_text="Status page updated")).to_have_count(1)
    status_page = httpx.get(f"{server.url}/status", timeout=10).text
    assert "Delayed push notifications" in status_page
    assert "a fix is rolling out" in status_page
    assert "Push notifications failing for iOS" not in status_page
    _shot(page, "incident-running.png")

    # A status update: the composer previews the template as it is filled in, then sends it.
    composer = page.locator("#tool-comms")
    composer.get_by_label("Template").select_option(label="Status update (Slack)")
    # The fields are those of the chosen template once its preview is in; typing before that would
    # go into the fields being replaced.
    expect(composer.locator("textarea[name=body]")).to_have_value(re.compile(r"STATUS UPDATE"))
    progress = composer.get_by_label("Progress (what we have learned or done)")
    # The preview follows typing; a keystroke that lands while a live refresh of the page is in
    # flight can be missed by the preview (the next one brings it up to date), so type again if so.
    body = composer.locator("textarea[name=body]")
    for attempt in range(3):
        progress.fill("Rolled back the certificate rotation; error rate falling" + " " * attempt)
        try:
            expect(body).to_have_value(re.compile("Rolled back the certificate"), timeout=3000)
            break
        except AssertionError:
            continue
    expect(body).to_have_value(re.compile("Rolled back the certificate"))
    expect(composer.locator("textarea[name=body]")).to_have_value(re.compile(r"\*Current status\*: Identified"))
    _shot(page, "incident-composer.png")
    _submit(page, composer.get_by_role("button", name="Send"))
    expect(page.get_by_role("heading", name="Communications (1)")).to_be_visible()
    wait_for(lambda: len(hooks.on("/slack/incidents")) == 1, what="the update in #incidents")
    assert "Rolled back the certificate rotation" in hooks.on("/slack/incidents")[0].body.decode()
    expect(page.locator(".targets-panel [data-deadline]")).to_contain_text(re.compile(r"due in (14|15)m"))

    # The resolution notice by email, then resolve and close (each asks first).
    composer.get_by_label("Template").select_option(label="Resolution notice (email)")
    composer.get_by_label("Resolution (the fix, briefly)").fill("Rolled back the certificate rotation")
    expect(composer.get_by_label("Subject")).to_have_value(re.compile(r"RESOLVED$"))
    _submit(page, composer.get_by_role("button", name="Send"))
    wait_for(
        lambda: any(str(m.message["Subject"]).endswith(" - RESOLVED") for m in smtp.mails),
        what="the resolution email",
    )
    resolution = next(m for m in smtp.mails if str(m.message["Subject"]).endswith(" - RESOLVED"))
    assert resolution.message["Subject"].endswith("Push notifications failing for iOS - RESOLVED")
    page.once("dialog", lambda dialog: dialog.accept())
    _submit(page, page.get_by_role("button", name=re.compile(r"^\s*Resolve\b")))
    expect(page.locator(".lifecycle li.here")).to_have_text("resolved")
    page.once("dialog", lambda dialog: dialog.accept())
    _submit(page, page.get_by_role("button", name=re.compile(r"^\s*Close\b")))
    expect(page.locator(".lifecycle li.here")).to_have_text("closed")
    expect(page.locator("#checklists li.done", has_text="Incident closed")).to_have_count(1)
    expect(page.locator("#checklists li.done", has_text="Stakeholders notified")).to_have_count(1)
    expect(page.locator("#checklists li.done", has_text="Post resolution notice")).to_have_count(1)
    timeline = page.locator("#timeline")
    for text in (
        "Alice Moreau is Incident Commander",
        "Ticked “Dashboards checked”",
        "Roll back the deployment",
        "Status update (Slack) sent to #incidents",
        "identified → resolved",
        "resolved → closed",
    ):
        expect(timeline).to_contain_text(text)
    expect(timeline).to_contain_text(f"by {DEMO_EMAIL}")
    _shot(page, "incident-closed.png")

    # The timeline exports as the postmortem template's table.
    table = httpx.get(
        f"{server.url}/api/v1/incidents/{number}/timeline?format=markdown",
        headers={"authorization": f"Bearer {server.token}"},
        timeout=10,
    ).text
    assert "| Note: Errors began with the APNs certificate rotation at 09:40 | demo@firebell.local |" in table


def test_declaring_by_hand_from_the_severity_wizard(page: Page, comms_server: DemoServer) -> None:
    _log_in(page, comms_server)
    page.goto(f"{comms_server.url}/classify?service_down=no&many_users_blocked=yes")
    verdict = page.get_by_role("status")
    expect(verdict).to_contain_text("SEV-2")
    with page.expect_navigation():
        page.get_by_role("link", name="Declare a SEV-2 incident").click()
    expect(page.get_by_label("Severity")).to_have_value("SEV-2")
    page.get_by_role("button", name="Declare").click()  # no title yet: the browser refuses to send it
    expect(page).to_have_url(re.compile(r"/incidents/declare\?sev=SEV-2$"))
    page.get_by_label("What is wrong, briefly").fill("Checkout coupons rejected")
    page.get_by_label("Main service (its escalation policy is paged)").select_option("checkout")
    page.get_by_role("checkbox", name="search").check()
    page.get_by_label("Impact on users").fill("Customers cannot apply coupons at checkout")
    page.get_by_label("Reported by").select_option(label="support ticket")
    _shot(page, "declare.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Declare").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("[SEV-2] Checkout coupons rejected")
    expect(page.locator(".facts")).to_contain_text("Customers cannot apply coupons at checkout")
    expect(page.locator(".facts")).to_contain_text("from support ticket by demo@firebell.local")
    expect(page.locator("#timeline")).to_contain_text("Declared at SEV-2 from a support ticket")


def test_a_postmortem_is_written_from_a_resolved_incident_to_final_in_the_browser(
    page: Page, comms_server: DemoServer
) -> None:
    server = comms_server
    _log_in(page, server)
    made = server.api(
        "POST", "/api/v1/incidents", json={"title": "Search results stale", "severity": "SEV-2", "service": "search"}
    )
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    for role, user in (("ic", "alice"), ("tech_lead", "bob"), ("postmortem_owner", "carol")):
        assert server.api("POST", f"/api/v1/incidents/{number}/roles", json={"role": role, "user": user}).is_success
    assert server.api("POST", f"/api/v1/incidents/{number}/resolve", json={"note": "reindexed"}).is_success

    # The incident page links to its postmortem, which Firebell drafts by itself for a SEV-2.
    page.goto(f"{server.url}/incidents/{number}")
    link = page.get_by_role("link", name=re.compile("Postmortem"))
    expect(link.first).to_be_visible()
    wait_for(
        lambda: server.api("GET", f"/api/v1/incidents/{number}/postmortem").status_code == 200,
        what="the drafted postmortem",
        timeout=60,
    )
    page.goto(f"{server.url}/incidents/{number}/postmortem")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"INC-{number:04d}")
    expect(page.locator(".pm-facts")).to_contain_text("Carol Tanaka")  # the Postmortem Owner
    expect(page.locator("#team")).to_contain_text("Alice Moreau")
    expect(page.locator(".pm-review .notice")).to_contain_text("write the Executive Summary section")

    # Write it: the summary, what happened (first with blame, which the check flags), a root cause.
    form = page.locator("form.pm-form")
    form.locator("textarea[name=s__executive_summary]").fill(
        "For 40 minutes search returned stale results after an index rebuild stalled. Reindexing restored it."
    )
    form.locator("textarea[name=s__what_happened]").fill("Bob forgot to watch the rebuild. The job stalled.")
    form.locator("input[name=t__root_causes__0__0]").fill("Primary")
    form.locator("input[name=t__root_causes__0__1]").fill("Index rebuild has no progress alert")
    form.locator("input[name=t__root_causes__0__2]").fill("Monitoring")
    form.get_by_label("Postmortem owner").select_option(label="Demo admin")  # the owner signs as owner
    _submit(page, form.get_by_role("button", name="Save"))
    expect(page.locator("#blameless")).to_contain_text("names a person as the cause")
    page.locator("form.pm-form textarea[name=s__what_happened]").fill(
        "The rebuild job stalled on a full disk and nothing alerted on its progress."
    )
    _submit(page, page.locator("form.pm-form").get_by_role("button", name="Save"))
    expect(page.locator("#blameless")).to_have_count(0)

    # The 5 whys as an outline, drawn beside it; a fault tree with its cut sets.
    whys = page.locator("#rca-five_whys")
    whys.locator("textarea").fill(
        "Search returned stale results\n"
        "  The index was not rebuilt\n"
        "    The rebuild job stalled\n"
        "      The disk was full\n"
        "        Nothing alerted on disk use of the index volume"
    )
    _submit(page, whys.get_by_role("button", name="Save 5 whys"))
    expect(page.locator("#rca-five_whys figure svg")).to_have_count(1)
    tree = page.locator("#rca-fault_tree")
    tree.locator("textarea").fill(
        "Stale results [OR]\n  Rebuild stalled [AND]\n    Disk full (root cause)\n    No disk alert\n  Cache not purged"
    )
    _submit(page, tree.get_by_role("button", name="Save fault tree"))
    expect(page.locator("#rca-fault_tree")).to_contain_text("2 minimal cut set(s)")

    # An action item with an owner and a due date, then review, sign-offs and final.
    items = page.locator("form.pm-item-form")
    items.get_by_label("Action").fill("Alert when the index volume passes 80 %")
    items.get_by_label("Kind").select_option(label="Detection")
    items.get_by_label("Owner").select_option(label="Bob Okafor")
    items.get_by_label("Due date").fill("2030-01-15")
    _submit(page, items.get_by_role("button", name="Add"))
    expect(page.locator("#action-items")).to_contain_text("Alert when the index volume passes 80 %")
    _submit(page, page.get_by_role("button", name="Send for review"))
    for label in ("Postmortem Owner", "Engineering Manager", "Service Owner"):
        _submit(page, page.get_by_role("button", name=f"Sign as {label}"))
    expect(page.locator(".pm-review")).to_contain_text("Ready to be final")
    _shot(page, "postmortem-review.png")
    _submit(page, page.get_by_role("button", name="Make final"))
    expect(page.locator(".pm-status")).to_contain_text("Final")
    expect(page.locator("textarea[name=s__executive_summary]")).to_have_attribute("readonly", "")

    exported = server.api("GET", f"/api/v1/incidents/{number}/postmortem/export?format=markdown").text
    assert exported.startswith("# Incident Postmortem: [SEV-2] Search results stale")
    assert "**Status**: Final" in exported
    assert "Nothing alerted on disk use of the index volume" in exported
    printable = page.context.new_page()
    printable.goto(f"{server.url}/incidents/{number}/postmortem/print")
    expect(printable.get_by_role("heading", level=1)).to_contain_text("Search results stale")
    expect(printable.locator("figure.diagram svg")).to_have_count(2)
    printable.screenshot(path=str(SHOTS / "postmortem-print.png"), full_page=True)
    printable.close()
    _shot(page, "postmortem-final.png")
    page.goto(f"{server.url}/postmortems")
    expect(page.locator("table.grid")).to_contain_text(f"INC-{number:04d} [SEV-2] Search results stale")
    page.goto(f"{server.url}/action-items")
    card = page.locator(".card", has_text="Alert when the index volume passes 80 %")
    expect(card).to_contain_text("Bob Okafor")
    card.get_by_label(re.compile("Status of AI-")).select_option("in_progress")
    _submit(page, card.get_by_role("button", name="Move"))
    expect(page.locator(".board-col", has_text="In progress").locator(".card")).to_contain_text("index volume")
    _shot(page, "action-items.png")


def test_a_paging_drill_is_fired_from_the_drills_page_and_reports_each_step(
    page: Page, comms_server: DemoServer, peers: tuple[SmtpSink, HttpSink]
) -> None:
    smtp, _hooks = peers
    server = comms_server
    _log_in(page, server)
    page.goto(f"{server.url}/drills")
    fire = page.locator("#fire")
    fire.get_by_label("Service").select_option("checkout")
    fire.get_by_label("People to page").select_option(label="Alice Moreau")
    fire.get_by_label("What it proves").fill("checkout pages reach the on-call")
    _submit(page, fire.get_by_role("button", name="Fire the drill"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("paging · checkout: checkout pages reach the on-call")
    ref = re.search(r"/drills/(DR-\d+)", page.url).group(1)  # type: ignore[union-attr]
    wait_for(
        lambda: server.api("GET", f"/api/v1/drills/{ref}").json()["missing_steps"] == [],
        what="every pipeline step of the drill",
        timeout=60,
    )
    page.reload()
    steps = page.locator(".drill-steps")
    expect(steps.locator("tr", has_text="First notification delivered")).to_contain_text(" ms")
    expect(page.locator("#drill-notified")).to_contain_text("Alice Moreau")
    wait_for(lambda: any("[DRILL]" in str(m.message["Subject"]) for m in smtp.mails), what="the drill's page by email")
    _shot(page, "drill-report.png")
    _submit(page, page.get_by_role("button", name="End the drill"))
    expect(page.locator(".badge.drill-passed")).to_have_count(1)


def test_more_people_are_paged_in_from_the_incident_page(
    page: Page, comms_server: DemoServer, peers: tuple[SmtpSink, HttpSink]
) -> None:
    smtp, _hooks = peers
    server = comms_server
    _log_in(page, server)
    body = {"title": "Card payments declined", "severity": "SEV-2", "service": "checkout"}
    made = server.api("POST", "/api/v1/incidents", json=body)
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    page.goto(f"{server.url}/incidents/{number}")
    tool = page.locator("#tool-responders")
    tool.get_by_label("People, schedules or teams to page").select_option(["user:bob", "team:platform"])
    tool.get_by_label("Message to the people paged").fill("Declines spiked after the PSP failover")
    _submit(page, tool.get_by_role("button", name="Page more people"))
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("paged Bob Okafor (responder request): Declines spiked after the PSP failover")
    expect(timeline).to_contain_text("paged Alice Moreau (responder request, team platform)")
    expect(page.locator(".responder-page", has_text="Bob Okafor")).to_contain_text("paged until they acknowledge")
    expect(page.locator("#incident-body .lifecycle li.here")).to_have_text("detected")  # still the on-call's to answer

    def asked(mail: object) -> bool:
        text = mail.text  # type: ignore[attr-defined]
        return "asks you to join this incident: Declines spiked after the PSP failover" in text

    wait_for(
        lambda: any(m.recipients == ["bob@firebell.local"] and asked(m) for m in smtp.mails),
        what="Bob's page to join",
    )
    _shot(page, "incident-responders.png")
