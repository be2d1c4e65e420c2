"""Paging more people into an incident, telling people the roles they are given, and command on
acknowledgement, over the API with the paging engine ticked by hand and recording channels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from firebell.identity.passwords import hash_password
from firebell.identity.repo import SqlIdentityRepo
from firebell.infra.db import transaction
from firebell.paging.messages import MessageNotice, PageNotice, plain_text
from tests.integration.conftest import PagingApp, apply_config
from tests.integration.test_access import user_token
from tests.integration.test_paging import _slack
from tests.web_login import log_in

CONFIG = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com, contact_methods: [{type: email, address: alice@example.com}]}
  - name: Bob
    handle: bob
    email: bob@example.com
    slack_member_id: U0BOB
    contact_methods: [{type: email, address: bob@example.com}, {type: sms, address: '+15550100'}]
  - name: Carol
    handle: carol
    email: carol@example.com
    contact_methods: [{type: webhook, address: 'https://hooks.example/carol'}]
  - {name: Dave, handle: dave, email: dave@example.com, contact_methods: [{type: email, address: dave@example.com}]}
  - {name: Erin, handle: erin, email: erin@example.com, contact_methods: [{type: email, address: erin@example.com}]}
  - {name: Gus, handle: gus, email: gus@example.com, contact_methods: [{type: email, address: gus@example.com}]}
teams:
  - {name: payments, members: [alice, carol], admins: [erin], viewers: [dave]}
schedules:
  - {name: database, participants: [erin]}
escalation_policies:
  - name: checkout
    levels:
      - {targets: [alice], timeout: 5m}
      - {targets: [gus], timeout: 30m}
services:
  - {name: checkout, escalation_policy: checkout}
"""

REQUEST = "Alice asks you to join this incident: Replicas lag behind"


@pytest.fixture
def app(paging_app: PagingApp) -> PagingApp:
    paging_app.add_service("checkout")
    apply_config(paging_app, CONFIG)
    recorder = paging_app.recorder
    paging_app.container.deliveries.channels = dict.fromkeys(("email", "slack", "webhook", "sms"), recorder)
    return paging_app


def _declare(app: PagingApp, sev: str) -> int:
    body = {"title": "Checkout returns 500s", "severity": sev, "service": "checkout"}
    made = app.client.post("/api/v1/incidents", json=body, headers=app.auth())
    assert made.status_code == 201, made.text
    return int(made.json()["number"])


def _pages(app: PagingApp) -> list[tuple[str, str, str]]:
    """(address, person, first action) of every page sent, in order."""
    return [(a, n.person, n.action) for a, n in app.recorder.sent if isinstance(n, PageNotice)]


def _notices(app: PagingApp) -> list[tuple[str, MessageNotice]]:
    return [(a, n) for a, n in app.recorder.sent if isinstance(n, MessageNotice)]


def _later(app: PagingApp, **delta: float) -> None:
    app.clock.advance(timedelta(**delta))
    app.tick()


def _view(app: PagingApp, number: int) -> Any:
    return app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()


def _events(app: PagingApp, number: int, kind: str) -> list[str]:
    return [e["message"] for e in _view(app, number)["timeline"] if e["kind"] == kind]


def _states(app: PagingApp, number: int) -> list[str]:
    escalations = app.client.get(f"/api/v1/incidents/{number}/pages", headers=app.auth()).json()["escalations"]
    return [e["state"] for e in escalations]


def _commander(app: PagingApp, number: int) -> list[str]:
    roles = _view(app, number)["response"]["roles"]
    return next([p["name"] for p in r["people"]] for r in roles if r["role"] == "incident_commander")


def _user_id(app: PagingApp, handle: str) -> str:
    return str(app.scalar(f"select id from users where handle = '{handle}'"))


def _ask(app: PagingApp, number: int, headers: dict[str, str], **body: Any) -> Any:
    return app.client.post(f"/api/v1/incidents/{number}/responders", json=body, headers=headers)


def test_a_person_a_schedule_and_a_team_are_paged_in_while_the_escalation_goes_on(app: PagingApp) -> None:
    alice = user_token(app, "alice@example.com")
    number = _declare(app, "SEV-3")
    app.tick()
    assert _pages(app) == [("alice@example.com", "Alice", "")]
    asked = _ask(
        app, number, alice, users=["bob"], schedules=["database"], teams=["payments"], message="Replicas lag behind"
    )
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert [(p["name"], p["via"]) for p in body["paged"]] == [
        ("Bob", ""),
        ("Erin", "on call on database"),  # and a payments admin: paged once
        ("Carol", "team payments"),
    ]
    assert body["skipped"] == [{"name": "Alice", "reason": "is the one asking"}]  # Dave, a viewer, is not asked
    app.tick()
    assert sorted(_pages(app)[1:]) == [
        ("+15550100", "Bob", REQUEST),
        ("bob@example.com", "Bob", REQUEST),
        ("erin@example.com", "Erin", REQUEST),
        ("https://hooks.example/carol", "Carol", REQUEST),
    ]
    bobs = next(n for a, n in app.recorder.sent if a == "bob@example.com")
    assert f"First action at this level: {REQUEST}" in plain_text(bobs)
    assert sorted(_events(app, number, "responder_paged")) == [  # one instant: in no particular order
        "Alice paged Bob (responder request): Replicas lag behind",
        "Alice paged Carol (responder request, team payments): Replicas lag behind",
        "Alice paged Erin (responder request, on call on database): Replicas lag behind",
    ]
    assert _view(app, number)["status"] == "detected"
    assert _states(app, number) == ["active"] * 4

    # Bob answers his page from its link: his pages stop; the incident is not acknowledged by it.
    answered = app.client.post(bobs.ack_url.removeprefix("http://firebell.test"))
    assert "Your page has stopped" in answered.text
    assert _view(app, number)["status"] == "detected"
    assert _events(app, number, "acknowledged") == ["Answered the request to join via the link in a page"]
    _later(app, minutes=5)
    assert _pages(app)[-1] == ("gus@example.com", "Gus", "")  # the escalation's level 2, on time
    _later(app, minutes=5)
    again = [(a, person) for a, person, _action in _pages(app)[6:]]
    assert sorted(again) == [("erin@example.com", "Erin"), ("https://hooks.example/carol", "Carol")]

    # Alice acknowledges the incident: everyone's paging stops, and she is its acknowledger.
    acked = app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=alice)
    assert acked.json()["status"] == "acknowledged"
    assert app.scalar(f"select acknowledged_by from incidents where number = {number}") == _user_id(app, "alice")
    sent = len(_pages(app))
    _later(app, hours=1)
    assert len(_pages(app)) == sent
    assert _commander(app, number) == []  # SEV-3: nobody takes command by acknowledging
    log = app.client.get(f"/api/v1/deliveries?incident={number}", headers=app.auth()).json()
    assert sorted((d["person"], d["channel"], d["status"]) for d in log if d["person"] == "Bob") == [
        ("Bob", "email", "sent"),
        ("Bob", "sms", "sent"),
    ]


def test_once_acknowledged_each_person_asked_to_join_is_paged_until_they_answer(app: PagingApp) -> None:
    alice, bob = user_token(app, "alice@example.com"), user_token(app, "bob@example.com")
    number = _declare(app, "SEV-2")
    app.tick()
    assert app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=alice).status_code == 200
    assert _commander(app, number) == ["Alice"]  # SEV-2, nobody in command: the acknowledger takes it
    assert _events(app, number, "role_assigned") == [
        "Alice is Incident Commander (took command on acknowledging: a SEV-2 incident with no Incident Commander)"
    ]
    assert _ask(app, number, alice, users=["bob", "carol"]).status_code == 200
    again = _ask(app, number, alice, users=["bob"])
    assert again.status_code == 422
    assert "Bob is already being paged to join" in again.json()["error"]["message"]
    app.tick()
    assert sorted(p for _a, p, _r in _pages(app)[1:]) == ["Bob", "Bob", "Carol"]
    assert _pages(app)[-1][2] == "Alice asks you to join this incident"

    # Bob answers from Slack: his pages stop, Carol's go on; answering again (the API) is no error.
    app.container.settings.slack.signing_secret = SecretStr("s3cret")
    incident_id = _view(app, number)["id"]
    assert _slack(app, "acknowledge", incident_id).json()["text"] == (
        f"Bob is joining incident #{number}: your page has stopped"
    )
    again = app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=bob)
    assert again.status_code == 200, again.text
    assert _events(app, number, "acknowledged") == ["Answered the request to join via Slack"]
    _later(app, minutes=10)
    assert [p for _a, p, _r in _pages(app)[4:]] == ["Carol"]
    carols = next(n for a, n in reversed(app.recorder.sent) if a == "https://hooks.example/carol")
    assert isinstance(carols, PageNotice)
    assert "Your page has stopped" in app.client.post(carols.ack_url.removeprefix("http://firebell.test")).text
    _later(app, minutes=45)  # (at an hour, the SEV-2's unresolved escalation pages the next level)
    assert len(_pages(app)) == 5
    assert _states(app, number) == ["acknowledged"] * 3
    assert _commander(app, number) == ["Alice"]  # answering a request to join takes no command


def test_the_acknowledger_takes_no_command_when_someone_holds_it(app: PagingApp) -> None:
    alice = user_token(app, "alice@example.com")
    number = _declare(app, "SEV-1")
    commander = {"role": "ic", "user": "carol"}
    assert app.client.post(f"/api/v1/incidents/{number}/roles", json=commander, headers=app.auth()).status_code == 200
    assert app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=alice).status_code == 200
    assert _commander(app, number) == ["Carol"]
    assert app.scalar(f"select acknowledged_by from incidents where number = {number}") == _user_id(app, "alice")
    # A token that is no person's acknowledges for nobody: no acknowledger is recorded.
    other = _declare(app, "SEV-2")
    assert app.client.post(f"/api/v1/incidents/{other}/acknowledge", headers=app.auth()).status_code == 200
    assert app.scalar(f"select acknowledged_by from incidents where number = {other}") is None
    assert _commander(app, other) == []


def test_people_given_a_role_are_told_but_not_who_gave_it_to_themselves(app: PagingApp) -> None:
    alice = user_token(app, "alice@example.com")
    number = _declare(app, "SEV-1")
    incident_id = _view(app, number)["id"]

    def assign(role: str, user: str) -> None:
        done = app.client.post(f"/api/v1/incidents/{number}/roles", json={"role": role, "user": user}, headers=alice)
        assert done.status_code == 200, done.text

    assign("tech_lead", "bob")
    assign("tech_lead", "bob")  # already his: nothing new to tell
    assign("scribe", "alice")  # her own doing: nobody is told
    assign("tech_lead", "carol")  # handed over
    app.tick()
    told = sorted((a, n.kind, n.subject) for a, n in _notices(app))
    assert told == [
        ("bob@example.com", "role", f"#{number} You are Technical Lead: [SEV-1] Checkout returns 500s"),
        ("https://hooks.example/carol", "role", f"#{number} You are Technical Lead: [SEV-1] Checkout returns 500s"),
    ]  # never by SMS: phones are for pages
    notice = next(n for a, n in _notices(app) if a == "bob@example.com")
    text = plain_text(notice)
    assert text.startswith(f"Alice made you Technical Lead of incident #{number}.\n")
    assert "Severity: SEV-1   Status: detected" in text
    assert "  - Review monitoring and logs\n  - Identify potential root causes" in text
    assert text.endswith(f"Incident #{number}: http://firebell.test/incidents/{number}")
    assert notice.idempotency_key.startswith(f"role:{incident_id}:")
    log = app.client.get(f"/api/v1/deliveries?incident={number}", headers=app.auth()).json()
    assert sorted((d["person"], d["channel"], d["status"]) for d in log if d["person"] != "Alice") == [
        ("Bob", "email", "sent"),  # not his phone
        ("Carol", "webhook", "sent"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "users"),
        ({"users": ["zed"]}, "users[0]"),
        ({"users": ["bob", "nobody@example.com"]}, "users[1]"),
        ({"schedules": ["nope"]}, "schedules[0]"),
        ({"teams": ["payments", "nope"]}, "teams[1]"),
        ({"users": ["alice"]}, "users"),  # only the one asking: nobody to page
        ({"users": ["bob"], "message": "x" * 501}, "message"),
        ({"users": ["bob"], "why": "x"}, "why"),
    ],
)
def test_bad_requests_to_page_people_are_refused_naming_the_field(
    app: PagingApp, body: dict[str, Any], field: str
) -> None:
    number = _declare(app, "SEV-3")
    refused = _ask(app, number, user_token(app, "alice@example.com"), **body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["field"] == field
    assert app.scalar("select count(*) from escalations where kind = 'responder'") == 0


def test_nobody_is_paged_into_a_resolved_incident(app: PagingApp) -> None:
    number = _declare(app, "SEV-3")
    assert app.client.post(f"/api/v1/incidents/{number}/resolve", headers=app.auth()).status_code == 200
    refused = _ask(app, number, app.auth(), users=["bob"])
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "cannot page people into an incident that is resolved"
    assert _ask(app, 999, app.auth(), users=["bob"]).status_code == 404


def _log_in(app: PagingApp, email: str) -> str:
    """Log in as the person in the app's browser client; the incident pages' CSRF token."""
    with transaction(app.container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        user = repo.user_by_email(email)
        assert user is not None
        repo.update_user(str(user["id"]), {"password_hash": hash_password("pw-123456")})
    app.client.cookies.clear()
    assert log_in(app.client, email, "pw-123456").status_code == 200
    page = app.client.get("/incidents").text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_incident_page_pages_more_people_and_they_answer_without_javascript(app: PagingApp) -> None:
    number = _declare(app, "SEV-3")
    app.tick()
    csrf = _log_in(app, "alice@example.com")
    form = {"target": ["user:bob", "team:payments"], "message": "Card declines"}
    forged = app.client.post(f"/incidents/{number}/responders", data=form, follow_redirects=False)
    assert forged.status_code == 403
    sent = app.client.post(f"/incidents/{number}/responders", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert sent.status_code == 303
    assert "notice=Paged%20Bob%2C%20Carol%2C%20Erin%3B%20Alice%20is%20the%20one%20asking" in sent.headers["location"]
    shown = app.client.get(sent.headers["location"]).text
    assert "Paged Bob, Carol, Erin; Alice is the one asking" in shown
    assert "Asked to join: Bob, paged until they acknowledge" in shown
    assert "Acknowledge your page" not in shown  # Alice was not asked
    app.tick()

    csrf = _log_in(app, "bob@example.com")
    page = app.client.get(f"/incidents/{number}").text
    assert "Acknowledge your page" in page
    answered = app.client.post(
        f"/incidents/{number}/move/acknowledged", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answered.status_code == 303
    after = app.client.get(f"/incidents/{number}").text
    assert "Acknowledge your page" not in after
    assert "Asked to join: Bob, acknowledged" in after
    assert _view(app, number)["status"] == "detected"  # the on-call's page goes on
    assert sorted(_states(app, number)) == ["acknowledged", "active", "active", "active"]
    refused = app.client.post(
        f"/incidents/{number}/responders", data={"target": "user:zed", "csrf_token": csrf}, follow_redirects=False
    )
    assert "error=users%5B0%5D%3A%20no%20user" in refused.headers["location"]
