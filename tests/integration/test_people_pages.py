"""The People, person, team and integration forms over HTTP: the happy path, bad input answered with
a message naming the field, and people of another team (or another person) refused."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.integration.conftest import App, PagingApp
from tests.integration.principals import Browser, browser_session, root_user, user_token, with_teams


@pytest.fixture
def teams(app: App) -> App:
    root_user(app)
    return with_teams(app)


def _post(app: App, who: Browser, path: str, **form: str) -> httpx.Response:
    data = {"csrf_token": who.csrf, **form}
    return app.client.post(path, data=data, headers=who.headers, follow_redirects=False)


def _not_allowed(answer: httpx.Response) -> bool:
    return answer.status_code == 403 and "<h1>Not allowed</h1>" in answer.text


def test_an_admin_adds_a_person_who_gets_a_one_time_link(teams: App) -> None:
    app = teams
    root = browser_session(app, "root@example.com")
    listed = app.client.get("/people", headers=root.headers)
    assert listed.status_code == 200
    assert "alice@example.com" in listed.text
    assert "payments (responder)" in listed.text

    made = _post(app, root, "/people", email="Erin@Example.com", name="Erin", role="responder")
    assert made.status_code == 201, made.text
    link = re.search(r'<code id="created-link">([^<]+)</code>', made.text)
    assert link is not None
    assert "/reset/" in link.group(1)
    assert app.scalar("SELECT role FROM users WHERE email = 'erin@example.com'") == "responder"
    # The link sets Erin's password: it is the real thing.
    token = link.group(1).rsplit("/", 1)[1]
    assert app.client.get(f"/reset/{token}").status_code == 200

    bad = _post(app, root, "/people", email="not-an-email", role="responder")
    assert bad.status_code == 422
    assert "email" in bad.text
    again = _post(app, root, "/people", email="erin@example.com", role="responder")
    assert again.status_code == 422
    assert "already exists" in again.text
    # A team's admin manages their team, not who may log in.
    dave = browser_session(app, "dave@example.com")
    assert _not_allowed(_post(app, dave, "/people", email="mallory@example.com", role="admin"))
    assert app.scalar("SELECT count(*) FROM users WHERE email = 'mallory@example.com'") == 0


def test_a_person_manages_their_own_contact_methods_and_nobody_elses(teams: App) -> None:
    app = teams
    alice = browser_session(app, "alice@example.com")
    added = _post(app, alice, "/people/alice@example.com/contact-methods", kind="sms", address="+15551234567")
    assert added.status_code == 303
    assert "added SMS / phone +15551234567" in app.client.get(added.headers["location"], headers=alice.headers).text

    bad = _post(app, alice, "/people/alice@example.com/contact-methods", kind="sms", address="call me")
    assert bad.status_code == 422
    assert "address: 'call me' is not a phone number" in bad.text.replace("&#39;", "'")
    late = _post(app, alice, "/people/alice@example.com/contact-methods", kind="email", address="a@b.io", delay="x")
    assert late.status_code == 422
    assert "delay:" in late.text
    odd = _post(app, alice, "/people/alice@example.com/contact-methods", kind="pigeon", address="roof")
    assert odd.status_code == 422
    assert "kind:" in odd.text

    # Bob (another team) and Dave (admin of Alice's team) may not change Alice's contact methods.
    for other in ("bob@example.com", "dave@example.com"):
        who = browser_session(app, other)
        taken = _post(app, who, "/people/alice@example.com/contact-methods", kind="webhook", address="https://x.io")
        assert _not_allowed(taken), other
    assert app.scalar("SELECT count(*) FROM contact_methods WHERE kind = 'webhook'") == 0
    page = app.client.get("/people/alice@example.com", headers=browser_session(app, "bob@example.com").headers)
    assert "Send a test notification" not in page.text  # no buttons on someone else's page

    method_id = str(app.scalar("SELECT id FROM contact_methods WHERE address = '+15551234567'"))
    bob = browser_session(app, "bob@example.com")
    assert _not_allowed(_post(app, bob, f"/people/alice@example.com/contact-methods/{method_id}/remove"))
    assert _not_allowed(_post(app, bob, f"/people/alice@example.com/contact-methods/{method_id}/test"))
    assert app.scalar("SELECT count(*) FROM deliveries") == 0
    # An admin of everything may, and the person may remove their own.
    root = browser_session(app, "root@example.com")
    by_root = _post(app, root, "/people/alice@example.com/contact-methods", kind="email", address="alice@home.io")
    assert by_root.status_code == 303
    removed = _post(app, alice, f"/people/alice@example.com/contact-methods/{method_id}/remove")
    assert removed.status_code == 303
    assert app.rows("SELECT kind, address FROM contact_methods") == [("email", "alice@home.io")]


def test_a_test_notification_goes_through_the_delivery_engine(paging: PagingApp) -> None:
    app = paging
    alice = browser_session(app, "alice@example.com")
    method_id = str(app.scalar("SELECT id FROM contact_methods WHERE kind = 'email' AND address = 'alice@example.com'"))
    queued = _post(app, alice, f"/people/alice@example.com/contact-methods/{method_id}/test")
    assert queued.status_code == 303
    delivery_id = re.search(r"test=(\w+)", queued.headers["location"])
    assert delivery_id is not None
    pending = app.client.get(queued.headers["location"], headers=alice.headers)
    assert 'class="delivery-pending"' in pending.text
    assert 'hx-trigger="every 1s"' in pending.text  # the page follows it

    app.tick()
    status = app.client.get(f"/people/alice@example.com/tests/{delivery_id.group(1)}", headers=alice.headers)
    assert status.status_code == 200
    assert 'class="delivery-sent"' in status.text
    assert "hx-trigger" not in status.text  # done: no more polling
    [(address, notice)] = app.recorder.sent
    assert address == "alice@example.com"
    assert "test notification for Alice" in notice.summary  # type: ignore[attr-defined]
    assert app.rows("SELECT outcome FROM delivery_attempts") == [("sent",)]
    # Another person cannot read it.
    bob = browser_session(app, "bob@example.com")
    assert _not_allowed(app.client.get(f"/people/alice@example.com/tests/{delivery_id.group(1)}", headers=bob.headers))


def test_an_admin_creates_a_team_and_a_team_admin_cannot(teams: App) -> None:
    app = teams
    root = browser_session(app, "root@example.com")
    made = _post(app, root, "/teams", name="platform")
    assert made.status_code == 303
    assert "created team platform" in app.client.get(made.headers["location"], headers=root.headers).text
    again = _post(app, root, "/teams", name="platform")
    assert "already exists" in app.client.get(again.headers["location"], headers=root.headers).text
    empty = _post(app, root, "/teams", name=" ")
    assert "name: give a team name" in app.client.get(empty.headers["location"], headers=root.headers).text
    dave = browser_session(app, "dave@example.com")
    assert _not_allowed(_post(app, dave, "/teams", name="dave-team"))
    assert app.scalar("SELECT count(*) FROM teams WHERE name = 'dave-team'") == 0
    # Members and roles of the new team, through the Access page's form.
    added = _post(app, root, "/access/teams/platform/members", person="bob", role="admin")
    assert "added bob to team platform as admin" in app.client.get(added.headers["location"], headers=root.headers).text


def test_a_team_admin_creates_and_rotates_an_integration_of_their_service(teams: App) -> None:
    app = teams
    dave = browser_session(app, "dave@example.com")  # admin of payments
    page = app.client.get("/services/payments-api", headers=dave.headers)
    assert "Create integration" in page.text
    made = _post(app, dave, "/services/payments-api/integrations", kind="webhook", label="grafana")
    assert made.status_code == 200, made.text
    url = re.search(r'<code id="integration-url">([^<]+)</code>', made.text)
    key = re.search(r'<code id="integration-key">([^<]+)</code>', made.text)
    assert url is not None
    assert key is not None
    assert url.group(1) == f"http://testserver/integrations/webhook/{key.group(1)}"  # the request's own address
    sent = app.client.post(url.group(1).removeprefix("http://testserver"), json={"title": "from the page"})
    assert sent.status_code == 202, sent.text

    bad = _post(app, dave, "/services/payments-api/integrations", kind="carrier-pigeon")
    assert bad.status_code == 422
    assert "kind: choose one of" in bad.text
    # Another team's service, and a responder of this one: refused, nothing made.
    assert _not_allowed(_post(app, dave, "/services/search-api/integrations", kind="webhook"))
    alice = browser_session(app, "alice@example.com")
    assert _not_allowed(_post(app, alice, "/services/payments-api/integrations", kind="webhook"))
    assert app.scalar("SELECT count(*) FROM integrations") == 1

    integration_id = str(app.scalar("SELECT id FROM integrations"))
    assert _not_allowed(_post(app, alice, f"/services/payments-api/integrations/{integration_id}/rotate"))
    rotated = _post(app, dave, f"/services/payments-api/integrations/{integration_id}/rotate")
    assert rotated.status_code == 200
    new_key = re.search(r'<code id="integration-key">([^<]+)</code>', rotated.text)
    assert new_key is not None
    assert new_key.group(1) != key.group(1)
    assert "Rotated the key of webhook integration" in rotated.text
    old = app.client.post(url.group(1).removeprefix("http://testserver"), json={"title": "old key"})
    assert old.status_code in (401, 404)


def test_contact_methods_and_a_test_notification_over_the_api(paging: PagingApp) -> None:
    app = paging
    carol = user_token(app, "carol@example.com")
    base = "/api/v1/users/carol@example.com/contact-methods"
    added = app.client.post(base, json={"kind": "email", "address": "carol@home.example", "delay": "2m"}, headers=carol)
    assert added.status_code == 201, added.text
    assert added.json()["delay_seconds"] == 120
    bad = app.client.post(base, json={"kind": "webhook", "address": "ftp://x"}, headers=carol)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "address"
    # Another person, and Carol's own read-only token, change nothing.
    bob = user_token(app, "bob@example.com")
    assert app.client.post(base, json={"kind": "email", "address": "bob@x.example"}, headers=bob).status_code == 403
    reader = user_token(app, "carol@example.com", scope="read")
    assert app.client.post(base, json={"kind": "email", "address": "r@x.example"}, headers=reader).status_code == 403
    # Others see a URL's scheme and host only (webhook URLs often carry a secret); Carol sees it whole.
    listed = {m["kind"]: m["address"] for m in app.client.get(base, headers=bob).json()}
    assert listed == {"webhook": "https://hooks.example/…", "email": "carol@home.example"}
    own = {m["kind"]: m["address"] for m in app.client.get(base, headers=carol).json()}
    assert own["webhook"] == "https://hooks.example/carol"

    method_id = added.json()["id"]
    queued = app.client.post(f"{base}/{method_id}/test", headers=carol)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "pending"
    app.tick()
    followed = app.client.get(f"/api/v1/users/carol@example.com/tests/{queued.json()['delivery_id']}", headers=reader)
    assert followed.json()["status"] == "sent"
    assert [address for address, _notice in app.recorder.sent] == ["carol@home.example"]
    assert app.client.delete(f"{base}/{method_id}", headers=bob).status_code == 403
    assert app.client.delete(f"{base}/{method_id}", headers=carol).status_code == 204
    assert len(app.client.get(base, headers=carol).json()) == 1
