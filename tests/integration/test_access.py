"""Access: token scopes, roles per team, key rotation, rate limits and the audit log, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from firebell.bootstrap import bootstrap
from firebell.identity.model import Role
from firebell.identity.passwords import hash_password
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token, create_user
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import Settings
from firebell.kernel.clock import ManualClock
from firebell.paging.repo import SqlPagingRepo
from firebell.web.app import create_app
from tests.integration.conftest import App
from tests.integration.principals import open_incident, root_user, service_token, user_token, with_teams
from tests.web_login import log_in


@pytest.fixture
def teams(app: App) -> App:
    return with_teams(app)


def test_token_scopes_read_respond_admin(teams: App) -> None:
    app = teams
    number = open_incident(app, "search-api")
    reader, responder, admin = (service_token(app, s) for s in ("read", "respond", "admin"))
    assert app.client.get(f"/api/v1/incidents/{number}", headers=reader).status_code == 200
    refused = app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=reader)
    assert refused.status_code == 403
    assert "respond scope" in refused.json()["error"]["message"]
    assert app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder).status_code == 200
    create = {"name": "new-api"}
    assert app.client.post("/api/v1/services", json=create, headers=responder).status_code == 403
    assert app.client.post("/api/v1/services", json=create, headers=admin).status_code == 201
    # Tokens issued as `write` before `respond` existed keep working as `respond`.
    legacy = service_token(app, "write")
    assert app.client.get("/api/v1/me", headers=legacy).json()["scopes"] == ["respond"]


def test_a_viewer_cannot_acknowledge_and_a_team_cannot_touch_another_teams_things(teams: App) -> None:
    app = teams
    payments, search = open_incident(app, "payments-api"), open_incident(app, "search-api")
    carol, alice, bob = (user_token(app, f"{n}@example.com") for n in ("carol", "alice", "bob"))

    viewer = app.client.post(f"/api/v1/incidents/{payments}/acknowledge", headers=carol)
    assert viewer.status_code == 403
    assert viewer.json()["error"]["message"] == "this needs the responder role on team payments; you are viewer"
    other_team = app.client.post(f"/api/v1/incidents/{search}/acknowledge", headers=alice)
    assert other_team.status_code == 403
    assert "on team search" in other_team.json()["error"]["message"]
    assert app.client.post(f"/api/v1/incidents/{payments}/acknowledge", headers=alice).status_code == 200
    assert app.client.post(f"/api/v1/incidents/{search}/acknowledge", headers=bob).status_code == 200

    now = app.clock.now()
    cover = {"start": (now + timedelta(hours=1)).isoformat(), "end": (now + timedelta(hours=2)).isoformat()}
    theirs = app.client.post("/api/v1/schedules/payments-primary/overrides", json={**cover, "user": "bob"}, headers=bob)
    assert theirs.status_code == 403
    assert "on team payments" in theirs.json()["error"]["message"]
    ours = app.client.post("/api/v1/schedules/search-primary/overrides", json={**cover, "user": "bob"}, headers=bob)
    assert ours.status_code == 201, ours.text
    # A token's admin scope does not lift its user above their roles.
    assert app.client.get("/api/v1/me", headers=alice).json()["teams"] == [{"team": "payments", "role": "responder"}]


def test_team_admins_manage_their_team_members_and_integrations(teams: App) -> None:
    app = teams
    dave, alice = user_token(app, "dave@example.com"), user_token(app, "alice@example.com")
    made = app.client.post("/api/v1/services/payments-api/integrations", json={"kind": "webhook"}, headers=dave)
    assert made.status_code == 201, made.text
    name = made.json()["name"]
    assert (
        app.client.post(f"/api/v1/services/payments-api/integrations/{name}/rotate", headers=alice).status_code == 403
    )
    assert (
        app.client.post("/api/v1/services/search-api/integrations", json={"kind": "webhook"}, headers=dave).status_code
        == 403
    )
    assert app.client.post(f"/api/v1/services/payments-api/integrations/{name}/rotate", headers=dave).status_code == 200

    promoted = app.client.put("/api/v1/teams/payments/members/carol", json={"role": "responder"}, headers=dave)
    assert promoted.status_code == 200
    assert {m["handle"]: m["role"] for m in promoted.json()["members"]}["carol"] == "responder"
    assert app.client.put("/api/v1/teams/search/members/carol", json={"role": "admin"}, headers=dave).status_code == 403
    assert (
        app.client.put("/api/v1/teams/payments/members/bob", json={"role": "admin"}, headers=alice).status_code == 403
    )
    assert app.client.put("/api/v1/teams/payments/members/x", json={"role": "boss"}, headers=dave).status_code == 422
    removed = app.client.delete("/api/v1/teams/payments/members/carol", headers=dave)
    assert "carol" not in {m["handle"] for m in removed.json()["members"]}


def test_viewers_are_not_paged_when_their_team_is(teams: App) -> None:
    app = teams
    with transaction(app.container.engine) as conn:
        team_id = str(conn.execute(sa.text("SELECT id FROM teams WHERE name = 'payments'")).scalar())
        paged = SqlPagingRepo(conn).team_members([team_id])[team_id]
        handles = dict(conn.execute(sa.text("SELECT id, handle FROM users")).tuples().all())
    assert sorted(handles[u] for u in paged) == ["alice", "dave"]


def test_a_users_own_role_covers_what_belongs_to_no_team(app: App) -> None:
    app.add_service("lonely")
    with transaction(app.container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        for email, role in (("v@example.com", Role.VIEWER), ("r@example.com", Role.RESPONDER)):
            create_user(repo=repo, email=email, password="pw-123456", role=role, now=app.clock.now())
    viewer, responder = user_token(app, "v@example.com"), user_token(app, "r@example.com")
    declare = {"title": "lonely is down", "service": "lonely", "severity": "SEV-3"}
    assert app.client.post("/api/v1/incidents", json=declare, headers=viewer).status_code == 403
    assert app.client.post("/api/v1/incidents", json=declare, headers=responder).status_code == 201
    # Only an admin of everything changes people's roles, or reads the audit log.
    patch = app.client.patch("/api/v1/users/v@example.com", json={"role": "responder"}, headers=responder)
    assert patch.status_code == 403
    assert app.client.get("/api/v1/audit", headers=responder).status_code == 403
    done = app.client.patch("/api/v1/users/v@example.com", json={"role": "responder"}, headers=app.auth())
    assert done.json()["role"] == "responder"
    assert app.client.post("/api/v1/incidents", json=declare, headers=viewer).status_code == 201


def test_in_the_browser_a_viewer_reads_but_cannot_act(teams: App) -> None:
    app = teams
    number = open_incident(app, "payments-api")
    with transaction(app.container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        carol = repo.user_by_email("carol@example.com")
        assert carol is not None
        repo.update_user(str(carol["id"]), {"password_hash": hash_password("pw-123456")})
    log_in(app.client, "carol@example.com", "pw-123456")
    page = app.client.get(f"/incidents/{number}")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    moved = app.client.post(
        f"/incidents/{number}/move/acknowledged",
        data={"csrf_token": csrf},
        headers={"accept": "text/html"},  # as a browser asks
        follow_redirects=False,
    )
    assert moved.status_code == 403
    assert "<h1>Not allowed</h1>" in moved.text
    assert "this needs the responder role on team payments; you are viewer" in moved.text
    assert app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["status"] == "detected"
    access = app.client.get("/access")
    assert "viewer</em>" in access.text or "viewer of <em>payments</em>" in access.text
    assert app.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303


def test_a_rotated_key_stops_at_once_on_every_node(app: App, database_url: str) -> None:
    app.add_service("api")
    made = app.client.post("/api/v1/services/api/integrations", json={"kind": "webhook"}, headers=app.auth()).json()
    old = made["key"]
    alert = {"title": "disk full", "dedup_key": "d1"}
    # A second node on the same database has the key in its cache.
    other = bootstrap(Settings(database_url=database_url, sqlite_synchronous="NORMAL"), clock=app.clock)
    with TestClient(create_app(other)) as node2:
        assert node2.post(f"/integrations/webhook/{old}", json=alert).status_code == 202
        rotated = app.client.post(f"/api/v1/services/api/integrations/{made['id']}/rotate", headers=app.auth())
        assert rotated.status_code == 200
        new = rotated.json()["key"]
        assert new != old
        assert rotated.json()["key_rotated_at"]
        for client in (app.client, node2):
            refused = client.post(f"/integrations/webhook/{old}", json={**alert, "dedup_key": "d2"})
            assert refused.status_code == 404, refused.text
            assert client.post(f"/integrations/webhook/{new}", json=alert).status_code == 202
    other.engine.dispose()
    assert app.scalar("SELECT count(*) FROM alerts WHERE dedup_key = 'd2'") == 0


@pytest.fixture
def limited(database_url: str) -> Iterator[App]:
    clock = ManualClock()
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "sqlite_synchronous": "NORMAL",
            "limits": {"intake_per_second": 0.5, "intake_burst": 3, "api_per_second": 0.5, "api_burst": 2},
        }
    )
    container = bootstrap(settings, clock=clock)
    migrate.upgrade(container.engine)
    with transaction(container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name="tests", scope="admin", now=clock.now())
    with TestClient(create_app(container)) as client:
        yield App(client, container, clock, token)
    container.engine.dispose()


def test_intake_is_rate_limited_per_key_with_retry_after(limited: App) -> None:
    app = limited
    app.add_service("api")
    first, second = app.add_integration("api", "webhook"), app.add_integration("api", "pagerduty")
    answers = [app.client.post(f"/integrations/webhook/{first}", json={"title": f"a{i}"}) for i in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert int(answers[3].headers["retry-after"]) >= 1
    assert answers[3].json()["error"]["code"] == "rate_limited"
    # Another key has a bucket of its own, and PagerDuty's endpoint answers in PagerDuty's shape.
    event = {
        "routing_key": second,
        "event_action": "trigger",
        "payload": {"summary": "x", "source": "h", "severity": "error"},
    }
    assert [app.client.post("/v2/enqueue", json=event).status_code for _ in range(4)] == [202, 202, 202, 429]
    over = app.client.post("/v2/enqueue", json=event)
    assert over.json()["status"] == "invalid event"
    assert "retry-after" in over.headers
    assert app.scalar("SELECT count(*) FROM alerts") == 6  # three of each; the refused ones were not stored


def test_the_api_is_rate_limited_per_token(limited: App) -> None:
    app = limited
    codes = [app.client.get("/api/v1/incidents", headers=app.auth()).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    with transaction(app.container.engine, write=True) as conn:
        other = create_token(repo=SqlIdentityRepo(conn), name="other", scope="read", now=app.clock.now())
    assert app.client.get("/api/v1/incidents", headers={"authorization": f"Bearer {other}"}).status_code == 200


def test_every_change_is_audited_with_before_and_after_and_cannot_be_edited(teams: App) -> None:
    app = teams
    made = app.client.post("/api/v1/services/payments-api/integrations", json={"kind": "webhook"}, headers=app.auth())
    key = made.json()["key"]
    app.client.patch("/api/v1/services/payments-api", json={"tier": 1}, headers=app.auth())
    app.client.post(f"/api/v1/services/payments-api/integrations/{made.json()['id']}/rotate", headers=app.auth())
    app.client.put("/api/v1/teams/payments/members/bob", json={"role": "viewer"}, headers=app.auth())
    # Alerts from intake are not changes a person made: they are not in the audit log.
    assert app.client.post(f"/integrations/webhook/{key}", json={"title": "x"}).status_code == 404
    log = app.client.get("/api/v1/audit", headers=app.auth()).json()
    assert all(e["actor"] == "token:tests" for e in log)
    rotated = next(e for e in log if e["entity"] == "integrations" and e["action"] == "update")
    assert rotated["before"]["key_digest"] == "<hidden>"
    assert rotated["after"]["key_digest"] == "<hidden, changed>"
    assert rotated["via"].startswith("POST /api/v1/services/payments-api/integrations/")
    tier = next(e for e in log if e["entity"] == "services" and e["action"] == "update")
    assert (tier["before"]["tier"], tier["after"]["tier"]) == (2, 1)
    member = next(e for e in log if e["entity"] == "team_members")
    assert (member["action"], member["after"]["role"]) == ("insert", "viewer")
    assert not [e for e in log if e["entity"] in ("alerts", "raw_payloads")]
    # Filters and paging.
    only = app.client.get("/api/v1/audit", params={"entity": "services", "limit": 1}, headers=app.auth()).json()
    assert [e["entity"] for e in only] == ["services"]
    older = app.client.get("/api/v1/audit", params={"before_id": only[0]["id"]}, headers=app.auth()).json()
    assert all(e["id"] < only[0]["id"] for e in older)
    # No endpoint edits it, and the database refuses to.
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert app.client.request(method, "/api/v1/audit", headers=app.auth()).status_code == 405
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), app.container.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone else'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), app.container.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))
    # The page shows the same entries to an admin.
    root_user(app)
    log_in(app.client, "root@example.com", "pw-123456")
    page = app.client.get("/audit", params={"entity": "services"})
    assert page.status_code == 200
    assert "token:tests" in page.text
    assert "&#34;tier&#34;" not in page.text
    assert ">tier<" in page.text


def test_a_token_issues_no_token_stronger_than_itself(teams: App) -> None:
    app = teams
    root_user(app)
    weak = user_token(app, "root@example.com", scope="read")
    stronger = app.client.post("/api/v1/tokens", json={"name": "mine", "scope": "admin"}, headers=weak)
    assert stronger.status_code == 403
    assert app.client.post("/api/v1/tokens", json={"name": "mine", "scope": "read"}, headers=weak).status_code == 201
    mine = app.client.get("/api/v1/tokens", headers=weak).json()
    assert app.client.delete(f"/api/v1/tokens/{mine[0]['id']}", headers=weak).status_code == 403


def test_requests_naming_a_teams_service_in_the_body_need_a_role_in_that_team(teams: App) -> None:
    app = teams
    bob = user_token(app, "bob@example.com")  # a responder of search only
    app.add_integration("payments-api", "webhook")
    body = {"title": "payments down", "severity": "SEV-1", "service": "payments-api"}
    assert app.client.post("/api/v1/incidents", json=body, headers=bob).status_code == 403
    alert = {"service": "payments-api", "summary": "x"}
    assert app.client.post("/api/v1/alerts", json=alert, headers=bob).status_code == 403
    assert app.client.post("/api/v1/drills", json={"service": "payments-api"}, headers=bob).status_code == 403
    number = open_incident(app, "payments-api")
    item = {"incident": str(number), "title": "fix it"}
    assert app.client.post("/api/v1/action-items", json=item, headers=bob).status_code == 403
    assert app.scalar("SELECT count(*) FROM incidents") == 1
    assert app.client.post("/api/v1/incidents", json={**body, "service": "search-api"}, headers=bob).status_code == 201


def test_a_team_admin_cannot_hand_a_service_to_another_team(teams: App) -> None:
    app = teams
    dave = user_token(app, "dave@example.com")
    moved = app.client.patch("/api/v1/services/payments-api", json={"owner_team": "search"}, headers=dave)
    assert moved.status_code == 403
    nowhere = app.client.patch("/api/v1/services/payments-api", json={"owner_team": "nobody"}, headers=dave)
    assert (nowhere.status_code, nowhere.json()["error"]["details"][0]["field"]) == (422, "owner_team")
    assert app.client.patch("/api/v1/services/payments-api", json={"tier": 1}, headers=dave).status_code == 200


def test_a_browser_session_changes_nothing_through_the_api_without_its_csrf_token(teams: App) -> None:
    app = teams
    number = open_incident(app, "search-api")
    root_user(app)
    log_in(app.client, "root@example.com", "pw-123456")
    assert app.client.get(f"/api/v1/incidents/{number}").status_code == 200
    forged = app.client.post(f"/api/v1/incidents/{number}/acknowledge")
    assert forged.status_code == 403
    assert "X-CSRF-Token" in forged.json()["error"]["message"]
    page = app.client.get(f"/incidents/{number}").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    ok = app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers={"x-csrf-token": csrf})
    assert ok.status_code == 200
