"""Who decides who gets paged: a team's escalation policies, schedules, services and runbooks are
changed by that team's admins (or admins of everything), through the policy editor, `apply` given a
caller, and the runbook API."""

from __future__ import annotations

from typing import Any

import pytest

from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import principal_for_token
from firebell.infra.db import transaction
from firebell.kernel.errors import PermissionDenied
from firebell.oncall.config_file import load
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from tests.integration.conftest import App, apply_config
from tests.integration.principals import browser_session, root_user, user_token, with_teams

POLICY = "name: {name}\n{team}levels:\n  - {{targets: [{target}], timeout: 5m}}\n"


@pytest.fixture
def teams(app: App) -> App:
    with_teams(app)
    root_user(app)
    policy = "{name: payments-policy, team: payments, levels: [{targets: [payments-primary], timeout: 5m}]}"
    apply_config(app, f"escalation_policies:\n  - {policy}\n")
    return app


def test_only_a_teams_admins_change_its_escalation_policy(teams: App) -> None:
    app = teams

    def save(email: str, document: str, name: str = "payments-policy") -> Any:
        browser = browser_session(app, email)
        form = {"csrf_token": browser.csrf, "document": document}
        return app.client.post(f"/policies/{name}", data=form, headers=browser.headers, follow_redirects=False)

    def levels() -> list[tuple[object, ...]]:
        return app.rows("SELECT name, levels, team_id FROM escalation_policies ORDER BY name")

    stored = levels()
    # A responder of another team, a viewer and a responder of the team: none of them takes its pages.
    for email in ("bob@example.com", "carol@example.com", "alice@example.com"):
        handle = email.split("@")[0]
        refused = save(email, POLICY.format(name="payments-policy", team="team: payments\n", target=handle))
        assert refused.status_code == 403
        assert "<h1>Not allowed</h1>" in refused.text
        assert "escalation_policies[0]: this needs the admin role on team payments" in refused.text
    assert levels() == stored
    ours = POLICY.format(name="payments-policy", team="team: payments\n", target="alice")
    assert save("dave@example.com", ours).status_code == 303
    assert levels() != stored
    # Its admin cannot hand it to another team, nor to no team; a site admin can.
    elsewhere = save("dave@example.com", ours.replace("team: payments", "team: search"))
    assert (elsewhere.status_code, "on team search" in elsewhere.text) == (403, True)
    loose = save("dave@example.com", ours.replace("team: payments\n", ""))
    assert (loose.status_code, "for what belongs to no team" in loose.text) == (403, True)
    # A new policy: of his team, yes; of no team, only a site admin.
    backup = POLICY.format(name="payments-backup", team="team: payments\n", target="dave")
    assert save("dave@example.com", backup, "payments-backup").status_code == 303
    orphan = POLICY.format(name="orphan", team="", target="dave")
    assert save("dave@example.com", orphan, "orphan").status_code == 403
    assert save("root@example.com", orphan, "orphan").status_code == 303
    page = app.client.get("/policies/payments-backup", headers=browser_session(app, "carol@example.com").headers)
    assert "team: payments" in page.text


def _apply_as(app: App, email: str, text: str) -> list[str]:
    token = user_token(app, email)["authorization"].removeprefix("Bearer ")
    config, _tree = load(text)
    with transaction(app.container.engine, write=True) as conn:
        caller = principal_for_token(repo=SqlIdentityRepo(conn), token=token, now=app.clock.now())
        return apply(
            config,
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=SqlCatalogRepo(conn),
            now=app.clock.now(),
            caller=caller,
        )


def test_apply_given_a_caller_checks_every_change_the_file_makes(teams: App) -> None:
    app = teams
    ours = "schedules:\n  - {name: payments-primary, team: payments, participants: [alice, dave]}\n"
    assert _apply_as(app, "dave@example.com", ours) == ["updated schedule payments-primary"]
    # Declaring another team's schedule as it stands changes nothing, so it is no one's business...
    theirs = "schedules:\n  - {name: search-primary, team: search, participants: [%s]}\n"
    assert _apply_as(app, "dave@example.com", theirs % "bob") == []
    refusals = [
        (theirs % "dave", "schedules[0]: this needs the admin role on team search"),  # ...changing it is
        ("services:\n  - {name: search-api, owner_team: search, escalation_policy: payments-policy}\n", "services[0]"),
        ("services:\n  - {name: payments-api, owner_team: search}\n", "on team search"),  # handing it over
        # A new service is a site admin's to make, even one its maker's team would own.
        ("services:\n  - {name: payments-web, owner_team: payments}\n", "services[0]: this needs the admin role for"),
        ("teams:\n  - {name: search, members: [bob, dave]}\n", "teams[0]: this needs the admin role on team search"),
        ("teams:\n  - {name: newcomers, members: [dave]}\n", "teams[0]: this needs the admin role for what belongs"),
        ("users:\n  - {name: Eve, handle: eve, email: eve@example.com}\n", "users[0]"),
        ("schedules:\n  - {name: nobodys, participants: [dave]}\n", "schedules[0]"),
    ]

    def stored() -> tuple[object, ...]:
        schedules = app.rows("SELECT name, layers, team_id FROM schedules ORDER BY name")
        services = app.rows("SELECT name, owner_team, escalation_policy_id FROM services ORDER BY name")
        people = app.rows("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM teams)")
        return str(schedules), services, people, app.rows("SELECT * FROM team_members ORDER BY team_id, user_id")

    before = stored()
    for text, message in refusals:
        with pytest.raises(PermissionDenied, match=message.replace("[", r"\[").replace("]", r"\]")):
            _apply_as(app, "dave@example.com", text)
    assert stored() == before  # each refusal rolled its whole file back
    mine = "services:\n  - {name: payments-api, owner_team: payments, escalation_policy: payments-policy}\n"
    assert _apply_as(app, "dave@example.com", mine) == ["set the escalation policy of service payments-api"]
    assert _apply_as(app, "root@example.com", theirs % "dave") == ["updated schedule search-primary"]


def test_runbooks_are_written_by_their_teams_admins(teams: App) -> None:
    app = teams
    dave, alice, bob = (user_token(app, f"{n}@example.com") for n in ("dave", "alice", "bob"))

    def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        return app.client.post(path, json=body, headers=headers)

    made = post("/api/v1/runbooks", {"body": "# Payments\n", "service": "payments-api"}, dave)
    assert made.status_code == 201, made.text
    notes = {"body": "# Notes\n", "team": "payments", "source_path": "payments/notes.md"}
    assert post("/api/v1/runbooks/import", notes, dave).json()["team"] == "payments"
    # A responder of the team, and an admin of no team of theirs, change neither.
    assert post("/api/v1/runbooks", {"body": "# x\n", "team": "payments"}, alice).status_code == 403
    taken = post("/api/v1/runbooks/import", {**notes, "body": "# Taken\n"}, bob)
    assert (taken.status_code, "on team payments" in taken.text) == (403, True)
    patched = app.client.patch(f"/api/v1/runbooks/{made.json()['id']}", json={"body": "# Taken\n"}, headers=alice)
    assert patched.status_code == 403
    assert app.rows("SELECT body FROM runbooks ORDER BY body") == [("# Notes\n",), ("# Payments\n",)]
    # Nor does its own admin hand one to another team.
    moved = app.client.patch(
        f"/api/v1/runbooks/{made.json()['id']}", json={"service": None, "team": "search"}, headers=dave
    )
    assert (moved.status_code, "on team search" in moved.text) == (403, True)
