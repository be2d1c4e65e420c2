"""A person's account over its life: disabled (and skipped when paged), enabled, deleted; passwords
changed and reset; tokens that expire and say whose they are; calendar feeds revoked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_user, open_session, password_holder
from firebell.infra.db import transaction
from firebell.kernel.errors import Unauthenticated
from firebell.paging.messages import PageNotice, ShiftNotice
from tests.integration.conftest import App, PagingApp, apply_config
from tests.integration.principals import browser_session, open_incident, root_user, user_token
from tests.integration.test_paging import _fire


def _person(app: App, email: str, password: str, role: Role) -> None:
    with transaction(app.container.engine, write=True) as conn:
        create_user(repo=SqlIdentityRepo(conn), email=email, password=password, role=role, now=app.clock.now())


def _log_in(app: App, email: str, password: str) -> None:
    """A password login as the form's handler does it: check the password, then open a session."""
    with transaction(app.container.engine) as conn:
        found = SqlIdentityRepo(conn).user_by_email(email)
    user = password_holder(found, password)
    with transaction(app.container.engine, write=True) as conn:
        open_session(repo=SqlIdentityRepo(conn), user=user, now=app.clock.now(), lifetime=timedelta(hours=1))


def _paged(app: PagingApp) -> list[str]:
    return [notice.person for _address, notice in app.recorder.sent if isinstance(notice, PageNotice)]


def _timeline(app: App, number: int) -> list[str]:
    body = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()
    return [e["message"] for e in body["timeline"] if e["kind"] == "paged"]


def test_a_person_leaves_while_on_call_and_the_next_alert_pages_the_next_person(paging: PagingApp) -> None:
    # Alice is on call this week (checkout-primary, level 1); Carol is level 2. Alice works with a token
    # and a browser session.
    alice_token = user_token(paging, "alice@example.com", scope="respond")
    alice_browser = browser_session(paging, "alice@example.com")
    assert paging.client.get("/api/v1/me", headers=alice_token).status_code == 200
    assert paging.client.get("/api/v1/me", headers={"cookie": alice_browser.headers["cookie"]}).status_code == 200

    # Alice leaves the company. The admin tries to disable her and is shown where she is on call.
    refused = paging.client.post("/api/v1/users/alice@example.com/disable", json={}, headers=paging.auth())
    assert refused.status_code == 409, refused.text
    impact = refused.json()["error"]["details"][0]["impact"]
    assert impact["schedules"] == ["checkout-primary"]
    assert impact["shifts"]
    assert all(s["schedule"] == "checkout-primary" for s in impact["shifts"])
    assert paging.client.get("/api/v1/me", headers=alice_token).status_code == 200  # nothing changed yet

    done = paging.client.post("/api/v1/users/alice@example.com/disable", json={"force": True}, headers=paging.auth())
    assert done.status_code == 200, done.text
    assert done.json()["user"]["disabled_at"] is not None

    # Her token and her session stop working at the next request.
    assert paging.client.get("/api/v1/me", headers=alice_token).status_code == 401
    assert paging.client.get("/api/v1/me", headers={"cookie": alice_browser.headers["cookie"]}).status_code == 401

    # The next alert: level 1 reaches only Alice, so it is passed over at once and Carol is paged now.
    number = _fire(paging, "checkout is down")
    paging.tick()
    assert _paged(paging) == ["Carol"]
    assert _timeline(paging, number) == [
        "Level 1 paged nobody; skipped: Alice (disabled)",
        "Level 2 paged: Carol (webhook)",
    ]
    # The disabling is in the audit log, by the admin's token.
    audit = paging.client.get("/api/v1/audit?entity=users", headers=paging.auth()).json()
    assert any(e["actor"] == "token:tests" and "disabled_at" in (e["after"] or {}) for e in audit)


def test_the_impact_names_the_policies_that_page_someone_directly(paging: PagingApp) -> None:
    impact = paging.client.get("/api/v1/users/carol@example.com/impact", headers=paging.auth()).json()
    assert (impact["schedules"], impact["policies"], impact["shifts"]) == ([], ["carol-only", "checkout-primary"], [])
    kept = paging.client.delete("/api/v1/users/carol@example.com", headers=paging.auth())
    assert kept.status_code == 409
    assert "escalation policies carol-only, checkout-primary" in kept.json()["error"]["message"]


def test_a_disabled_person_enabled_again_is_paged_and_their_token_works(paging: PagingApp) -> None:
    token = user_token(paging, "alice@example.com", scope="read")
    paging.client.post("/api/v1/users/alice@example.com/disable", json={"force": True}, headers=paging.auth())
    assert paging.client.get("/api/v1/me", headers=token).status_code == 401
    enabled = paging.client.post("/api/v1/users/alice@example.com/enable", headers=paging.auth())
    assert (enabled.status_code, enabled.json()["disabled_at"]) == (200, None)
    assert paging.client.get("/api/v1/me", headers=token).status_code == 200
    _fire(paging, "checkout is slow")
    paging.tick()
    assert _paged(paging) == ["Alice"]


def test_a_disabled_person_cannot_log_in(app: App, caplog: pytest.LogCaptureFixture) -> None:
    root_user(app)
    _person(app, "d@example.com", "pw-123456", Role.VIEWER)
    assert app.client.post("/api/v1/users/d@example.com/disable", json={}, headers=app.auth()).status_code == 200
    # The right password gets the answer a wrong one gets: the refusal does not confirm the password.
    with caplog.at_level("WARNING", logger="firebell.security"), pytest.raises(Unauthenticated) as right:
        _log_in(app, "d@example.com", "pw-123456")
    with pytest.raises(Unauthenticated) as wrong:
        _log_in(app, "d@example.com", "not-the-password")
    assert right.value.message == wrong.value.message == "wrong email or password"
    assert [r.__dict__.get("reason") for r in caplog.records] == ["account_disabled"]


def test_only_a_site_admin_disables_and_the_last_admin_stays(app: App) -> None:
    root_user(app)
    apply_config(app, "users:\n  - {name: Dan, handle: dan, email: dan@example.com}\n")
    dan = user_token(app, "dan@example.com", scope="admin")
    assert app.client.post("/api/v1/users/root@example.com/disable", json={}, headers=dan).status_code == 403
    last = app.client.post("/api/v1/users/root@example.com/disable", json={}, headers=app.auth())
    assert (last.status_code, "last admin" in last.text) == (409, True)
    unknown = app.client.post("/api/v1/users/nobody@example.com/disable", json={}, headers=app.auth())
    assert (unknown.status_code, unknown.json()["error"]["details"][0]["field"]) == (404, "email")


DELETABLE = """\
users:
  - name: Dan Departed
    handle: dan
    email: dan@example.com
    contact_methods: [{type: email, address: dan@example.com}]
  - {name: Eve, handle: eve, email: eve@example.com}
teams:
  - {name: ops, members: [dan, eve]}
schedules:
  - {name: ops-primary, team: ops, participants: [dan, eve]}
"""


def test_delete_is_refused_while_a_schedule_names_them_then_keeps_only_their_name(app: App) -> None:
    root_user(app)
    apply_config(app, DELETABLE)
    dan_token = user_token(app, "dan@example.com", scope="respond")
    # Dan changes something, so the audit log names him.
    assert app.client.post("/api/v1/tokens", json={"name": "laptop"}, headers=dan_token).status_code == 201
    refused = app.client.delete("/api/v1/users/dan@example.com", headers=app.auth())
    assert refused.status_code == 409
    assert "ops-primary" in refused.json()["error"]["message"]

    apply_config(app, DELETABLE.replace("participants: [dan, eve]", "participants: [eve]"))
    gone = app.client.delete("/api/v1/users/dan@example.com", headers=app.auth())
    assert gone.status_code == 204, gone.text
    assert app.client.get("/api/v1/me", headers=dan_token).status_code == 401
    (dan,) = [
        u for u in app.client.get("/api/v1/users", headers=app.auth()).json() if u["display_name"] == "Dan Departed"
    ]
    assert dan["deleted_at"] is not None
    assert dan["email"].endswith("@deleted.invalid")
    assert dan["handle"] is None
    assert app.scalar(f"SELECT count(*) FROM contact_methods WHERE user_id = '{dan['id']}'") == 0
    assert app.scalar(f"SELECT count(*) FROM team_members WHERE user_id = '{dan['id']}'") == 0
    assert app.scalar(f"SELECT count(*) FROM api_tokens WHERE user_id = '{dan['id']}' AND revoked_at IS NULL") == 0
    assert app.scalar(f"SELECT password_hash FROM users WHERE id = '{dan['id']}'") == ""
    # History still says who: the audit log names him, not an id.
    audit = app.client.get("/api/v1/audit?entity=api_tokens", headers=app.auth()).json()
    assert any(e["actor"] == "token:dan@example.com-respond of dan@example.com" for e in audit)
    # The email is free for a new person.
    again = app.client.post(
        "/api/v1/users", json={"email": "dan@example.com", "password": "pw-123456"}, headers=app.auth()
    )
    assert again.status_code == 201


def test_changing_your_password_needs_the_current_one_and_ends_other_sessions(app: App) -> None:
    root_user(app)
    _person(app, "p@example.com", "old-pass-1", Role.RESPONDER)
    token = user_token(app, "p@example.com", scope="respond")
    other = browser_session(app, "p@example.com")
    reader = app.client.post(
        "/api/v1/me/password",
        json={"current_password": "old-pass-1", "new_password": "new-pass-1"},
        headers=user_token(app, "p@example.com", scope="read"),
    )
    assert reader.status_code == 403, reader.text  # a read-only token changes nothing, not even this
    wrong = app.client.post(
        "/api/v1/me/password", json={"current_password": "nope-nope", "new_password": "new-pass-1"}, headers=token
    )
    assert wrong.status_code == 403
    short = app.client.post(
        "/api/v1/me/password", json={"current_password": "old-pass-1", "new_password": "short"}, headers=token
    )
    assert (short.status_code, short.json()["error"]["details"][0]["field"]) == (422, "new_password")
    done = app.client.post(
        "/api/v1/me/password", json={"current_password": "old-pass-1", "new_password": "new-pass-1"}, headers=token
    )
    assert done.status_code == 204, done.text
    assert app.client.get("/api/v1/me", headers={"cookie": other.headers["cookie"]}).status_code == 401
    _log_in(app, "p@example.com", "new-pass-1")


def test_a_reset_link_works_once_within_the_hour(app: App) -> None:
    root_user(app)
    _person(app, "r@example.com", "forgotten-1", Role.RESPONDER)
    made = app.client.post("/api/v1/users/r@example.com/reset-link", headers=app.auth())
    assert made.status_code == 201, made.text
    path = made.json()["url"].split("://", 1)[1].split("/", 1)[1]
    secret = path.rsplit("/", 1)[1]
    assert app.scalar(f"SELECT count(*) FROM password_resets WHERE token_digest = '{secret}'") == 0  # only a digest
    page = app.client.get(f"/{path}")
    assert page.status_code == 200
    assert "r@example.com" in page.text
    too_short = app.client.post(f"/{path}", data={"password": "short", "confirm": "short"})
    assert too_short.status_code == 422
    used = app.client.post(
        f"/{path}", data={"password": "remembered-1", "confirm": "remembered-1"}, follow_redirects=False
    )
    assert used.status_code == 303, used.text
    _log_in(app, "r@example.com", "remembered-1")
    assert app.client.get(f"/{path}").status_code == 404  # used once
    later = app.client.post("/api/v1/users/r@example.com/reset-link", headers=app.auth()).json()["url"]
    app.clock.advance(timedelta(hours=1, seconds=1))
    assert app.client.get("/" + later.split("://", 1)[1].split("/", 1)[1]).status_code == 404  # expired
    audit = app.client.get("/api/v1/audit?entity=password_resets", headers=app.auth()).json()
    assert {e["action"] for e in audit} >= {"insert", "update"}


def test_the_access_page_shows_a_reset_link_and_puts_it_in_no_url(app: App) -> None:
    root_user(app)
    _person(app, "r@example.com", "forgotten-1", Role.RESPONDER)
    root = browser_session(app, "root@example.com")
    made = app.client.post(
        "/access/users/r%40example.com/reset-link",
        data={"csrf_token": root.csrf},
        headers=root.headers,
        follow_redirects=False,
    )
    assert made.status_code == 200, made.headers.get("location")  # the page itself, not a redirect
    link = re.search(r'<code id="reset-link">https?://[^/]+(/reset/fbr_[\w-]+)</code>', made.text)
    assert link is not None, made.text
    assert "location" not in made.headers
    assert app.client.get(link.group(1)).status_code == 200
    unknown = app.client.post(
        "/access/users/nobody%40example.com/reset-link",
        data={"csrf_token": root.csrf},
        headers=root.headers,
        follow_redirects=False,
    )
    assert unknown.status_code == 303
    assert "fbr_" not in unknown.headers["location"]


def test_tokens_expire_and_say_whose_they_are(app: App) -> None:
    root_user(app)
    apply_config(app, "users:\n  - {name: Mallory, handle: mallory, email: mallory@example.com}\n")
    mallory = user_token(app, "mallory@example.com", scope="respond")
    spaced = app.client.post("/api/v1/tokens", json={"name": "token admin"}, headers=mallory)
    assert (spaced.status_code, spaced.json()["error"]["details"][0]["field"]) == (422, "name")
    made = app.client.post(
        "/api/v1/tokens", json={"name": "admin-admin", "scope": "respond", "expires_in": "1h"}, headers=mallory
    )
    assert made.status_code == 201, made.text
    forged = {"authorization": f"Bearer {made.json()['token']}"}
    assert app.client.post("/api/v1/tokens", json={"name": "x"}, headers=forged).status_code == 201
    audit = app.client.get("/api/v1/audit?entity=api_tokens", headers=app.auth()).json()
    # The token named like an admin's shows whose it is: nobody reads it as an admin token.
    assert audit[0]["actor"] == "token:admin-admin of mallory@example.com"
    app.add_service("web")
    number = open_incident(app, "web")
    assert app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=forged).status_code == 200
    timeline = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["timeline"]
    assert [e["actor"] for e in timeline if e["kind"] == "status_changed"] == [
        "token:admin-admin of mallory@example.com"
    ]
    listed = {t["name"]: t for t in app.client.get("/api/v1/tokens", headers=mallory).json()}
    assert listed["admin-admin"]["expires_at"] is not None
    assert listed["x"]["expires_at"] is None
    app.clock.advance(timedelta(hours=1))
    expired = app.client.get("/api/v1/me", headers=forged)
    assert (expired.status_code, expired.json()["error"]["message"]) == (401, "the API token has expired")
    past = app.client.post(
        "/api/v1/tokens", json={"name": "old", "expires_at": "2020-01-01T00:00:00Z"}, headers=mallory
    )
    assert (past.status_code, past.json()["error"]["details"][0]["field"]) == (422, "expires_at")


def test_calendar_feeds_are_revoked_and_reissued_and_stop_for_a_disabled_person(app: App) -> None:
    apply_config(app, DELETABLE)
    schedule = app.client.post("/api/v1/calendar-feeds", json={"schedule": "ops-primary"}, headers=app.auth())
    person = app.client.post("/api/v1/calendar-feeds", json={"user": "eve"}, headers=app.auth())
    assert (schedule.status_code, person.status_code) == (201, 201)
    feed, eve_feed = (r.json()["url"].split("/api/v1", 1)[1] for r in (schedule, person))
    assert app.client.get(f"/api/v1{feed}").status_code == 200
    revoked = app.client.post(
        "/api/v1/calendar-feeds/revoke", json={"address": schedule.json()["url"]}, headers=app.auth()
    )
    assert revoked.status_code == 204
    assert app.client.get(f"/api/v1{feed}").status_code == 404
    again = app.client.post(
        "/api/v1/calendar-feeds/revoke", json={"address": schedule.json()["url"]}, headers=app.auth()
    )
    assert again.status_code == 404
    reissued = app.client.post("/api/v1/calendar-feeds", json={"schedule": "ops-primary"}, headers=app.auth())
    assert app.client.get("/api/v1" + reissued.json()["url"].split("/api/v1", 1)[1]).status_code == 200
    assert app.client.get(f"/api/v1{eve_feed}").status_code == 200
    app.client.post("/api/v1/users/eve@example.com/disable", json={"force": True}, headers=app.auth())
    assert app.client.get(f"/api/v1{eve_feed}").status_code == 404


def test_the_admin_pages_show_the_impact_then_disable_and_mark_them(paging: PagingApp) -> None:
    root_user(paging)
    root = browser_session(paging, "root@example.com")
    access = paging.client.get("/access", headers=root.headers)
    assert 'href="/access/users/alice%40example.com/disable"' in access.text
    confirm = paging.client.get("/access/users/alice%40example.com/disable", headers=root.headers)
    assert confirm.status_code == 200
    assert "They are on call" in confirm.text
    assert "checkout-primary" in confirm.text
    form = {"csrf_token": root.csrf, "force": "yes"}
    done = paging.client.post(
        "/access/users/alice%40example.com/disable", data=form, headers=root.headers, follow_redirects=False
    )
    assert done.status_code == 303
    assert "disabled%20alice" in done.headers["location"]
    assert '<strong class="state-disabled">disabled</strong>' in paging.client.get("/access", headers=root.headers).text
    oncall = paging.client.get("/oncall", headers=root.headers).text
    assert "disabled: not paged" in oncall  # Alice is on call this week, and nobody will page her
    viewer = browser_session(paging, "bob@example.com")
    assert paging.client.get("/access/users/carol%40example.com/disable", headers=viewer.headers).status_code == 403


def test_the_profile_form_changes_the_password_and_keeps_this_session(app: App) -> None:
    _person(app, "w@example.com", "old-pass-1", Role.RESPONDER)
    here, elsewhere = browser_session(app, "w@example.com"), browser_session(app, "w@example.com")
    form = {"csrf_token": here.csrf, "current_password": "old-pass-1", "new_password": "new-pass-1"}
    done = app.client.post("/access/password", data=form, headers=here.headers, follow_redirects=False)
    assert done.status_code == 303
    assert "password%20is%20changed" in done.headers["location"]
    assert app.client.get("/access", headers=here.headers).status_code == 200
    assert app.client.get("/api/v1/me", headers={"cookie": elsewhere.headers["cookie"]}).status_code == 401
    _log_in(app, "w@example.com", "new-pass-1")
    token = {"csrf_token": here.csrf, "name": "ci", "scope": "read", "expires_in": "30d"}
    made = app.client.post("/access/tokens", data=token, headers=here.headers)
    expires = (app.clock.now() + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert made.status_code == 200
    assert expires in made.text  # the list shows when it expires


def test_a_page_link_of_a_disabled_person_no_longer_acknowledges(paging: PagingApp) -> None:
    number = _fire(paging, "checkout is down")
    paging.tick()
    (ack_url,) = {n.ack_url for _a, n in paging.recorder.sent if isinstance(n, PageNotice) and n.person == "Alice"}
    paging.client.post("/api/v1/users/alice@example.com/disable", json={"force": True}, headers=paging.auth())
    refused = paging.client.post(ack_url.removeprefix("http://firebell.test"))
    assert refused.status_code == 409
    assert "disabled" in refused.text
    incident = paging.client.get(f"/api/v1/incidents/{number}", headers=paging.auth()).json()
    assert incident["status"] == "detected"  # not acknowledged


def test_a_disabled_person_gets_no_shift_reminders(paging: PagingApp) -> None:
    paging.client.post("/api/v1/users/bob@example.com/disable", json={"force": True}, headers=paging.auth())
    # Bob's week starts Monday 9 March; the 48-hour reminder would go out on Saturday.
    paging.tick()
    paging.clock.advance(timedelta(days=2, hours=22, seconds=30))
    paging.tick()
    paging.tick()
    assert [n.person for _a, n in paging.recorder.sent if isinstance(n, ShiftNotice)] == []
    paging.client.post("/api/v1/users/bob@example.com/enable", headers=paging.auth())
    paging.clock.advance(timedelta(days=1))
    paging.tick()
    assert [n.kind for _a, n in paging.recorder.sent if isinstance(n, ShiftNotice)] == ["24h"]


def test_the_schedule_page_issues_and_revokes_calendar_addresses(app: App) -> None:
    root_user(app)
    apply_config(app, DELETABLE)
    root = browser_session(app, "root@example.com")
    made = app.client.post("/oncall/ops-primary/feeds", data={"csrf_token": root.csrf}, headers=root.headers)
    assert made.status_code == 200
    assert "<title>ops-primary · Firebell</title>" in made.text
    url = made.text.split('<code id="feed-url">', 1)[1].split("</code>", 1)[0]
    path = "/api/v1" + url.split("/api/v1", 1)[1]
    assert app.client.get(path).status_code == 200
    form = {"csrf_token": root.csrf, "address": url}
    revoked = app.client.post(
        "/oncall/ops-primary/feeds/revoke", data=form, headers=root.headers, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert "revoked" in revoked.headers["location"]
    assert app.client.get(path).status_code == 404


def test_asking_a_disabled_person_to_join_skips_them(paging: PagingApp) -> None:
    number = _fire(paging, "checkout is down")
    paging.client.post("/api/v1/users/carol@example.com/disable", json={"force": True}, headers=paging.auth())
    body = {"users": ["carol", "bob"], "message": "need the database"}
    asked = paging.client.post(f"/api/v1/incidents/{number}/responders", json=body, headers=paging.auth())
    assert asked.status_code == 200, asked.text
    assert [p["name"] for p in asked.json()["paged"]] == ["Bob"]
    assert asked.json()["skipped"] == [{"name": "Carol", "reason": "is disabled"}]
