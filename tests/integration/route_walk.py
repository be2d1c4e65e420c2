"""The route walk's world: team bravo's objects, each route's path and body, and the probes of the
routes that are not guarded by team (public by key, and personal ones), for test_route_ownership."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.infra.db import transaction
from firebell.paging.links import slack_signature
from firebell.web import pages
from tests.integration.conftest import App
from tests.integration.principals import Browser, browser_session


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    calls: frozenset[Callable[..., Any]]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def page(self) -> bool:
        """A form of the web UI (a browser session), not the JSON API."""
        return pages.require_user in self.calls


@dataclass(frozen=True)
class Person:
    api: dict[str, str]
    browser: Browser | None  # None: a token, which opens no form


@dataclass(frozen=True)
class Objects:
    """Team bravo's things, named as paths name them."""

    incident: int
    second_incident: int  # with no public status-page incident yet
    alert: str
    integration: str
    item: str
    drill: str
    runbook: str  # bravo-api's
    public_incident: str  # linked to `incident`
    component: str
    spare_component: str  # for a site admin to delete
    maintenance: str
    bob_tokens: tuple[str, str]  # ids of two of Bob's tokens: one for the API to revoke, one for the page
    vic_spare: Browser  # a session of Vic's to log out
    alpha_genie: str  # an Opsgenie integration key of alpha's service


def _made(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def make_objects(app: App, incident: int, second_incident: int) -> Objects:
    """Bravo's things, made through the API with an admin token of no user."""

    def post(path: str, body: dict[str, Any]) -> Any:
        return _made(app.client.post(path, json=body, headers=app.auth()))

    app.add_integration("bravo-api", "webhook")
    post("/api/v1/alerts", {"service": "bravo-api", "summary": "disk full", "dedup_key": "walk-alert"})
    now = app.clock.now()
    start, end = (now + timedelta(days=1)).isoformat(), (now + timedelta(days=2)).isoformat()
    maintenance = {"name": "Upgrade", "scheduled_for": start, "scheduled_until": end}
    # bravo's runbook of no service, which an import from the same path would replace
    post("/api/v1/runbooks", {"body": "# Notes\n", "team": "bravo", "source_path": "bravo/notes.md"})
    with transaction(app.container.engine, write=True) as conn:
        bob = SqlIdentityRepo(conn).user_by_email("bob@example.com")
        assert bob is not None
        for name in ("bob-spare-1", "bob-spare-2"):
            create_token(repo=SqlIdentityRepo(conn), name=name, scope="read", now=now, user_id=str(bob["id"]))
    post("/api/v1/drills", {"service": "bravo-api", "kind": "game_day"})
    tokens = app.rows("SELECT id FROM api_tokens WHERE name LIKE 'bob-spare-%' ORDER BY name")
    return Objects(
        incident=incident,
        second_incident=second_incident,
        alert=str(app.scalar("SELECT id FROM alerts")),
        integration=str(app.scalar("SELECT id FROM integrations")),
        item=post("/api/v1/action-items", {"incident": str(incident), "title": "Add a disk alert"})["ref"],
        drill=f"DR-{app.scalar('SELECT number FROM drills')}",
        runbook=post("/api/v1/runbooks", {"body": "# Bravo API\n", "service": "bravo-api"})["id"],
        public_incident=post("/api/v1/status-page/incidents", {"name": "Outage", "incident": str(incident)})["id"],
        component=post("/api/v1/status-page/components", {"name": "API"})["id"],
        spare_component=post("/api/v1/status-page/components", {"name": "Spare"})["id"],
        maintenance=post("/api/v1/status-page/maintenances", maintenance)["id"],
        bob_tokens=(str(tokens[0][0]), str(tokens[1][0])),
        vic_spare=browser_session(app, "vic@example.com"),
        alpha_genie=app.add_integration("alpha-api", "opsgenie"),
    )


def _path_value(route: Route, param: str, o: Objects) -> str:
    path = route.path
    by_segment = {
        "ref": [
            ("/action-items/", o.item),
            ("/drills/", o.drill),
            ("/components/", o.spare_component if route.method == "DELETE" else o.component),
            ("/incidents/", str(o.incident)),
        ],
        "name": [
            ("/teams/", "bravo"),
            ("/schedules/", "bravo-primary"),
            ("/oncall/", "bravo-primary"),
            ("/policies/", "bravo-policy"),
            ("/services/", "bravo-api"),
        ],
        "key": [
            ("/message-templates/", "update.slack"),
            ("/templates/", "update.slack"),
            ("/playbooks/", "walk"),
            ("/integrations/deploy/", "no-such-key-000"),
            ("/heartbeat/", "no-such-key-000"),
        ],
        "token_id": [("/api/v1/tokens/", o.bob_tokens[0]), ("/access/tokens/", o.bob_tokens[1])],
    }
    if param in by_segment:
        found = next((value for segment, value in by_segment[param] if f"{segment}{{{param}}}" in path), None)
        assert found is not None, f"{route.key}: no value for the path parameter {param}"
        return found
    plain = {
        "runbook_id": o.runbook,
        "incident_id": o.public_incident,
        "alert_id": o.alert,
        "integration": o.integration,
        "component_id": o.component,
        "maintenance_id": o.maintenance,
        "email": "zed@example.com",
        "person": "zed",
        "token": "forged.link",
        "role": "commander",
        "target": "acknowledged",
        "tool": "five_whys",
        "sev": "SEV-3",
    }
    if param in plain:
        return plain[param]
    # The rest name parts of an incident (a checklist item, a mitigation): the guard looks no further.
    assert param in OPAQUE, f"{route.key}: no value for the path parameter {param}"
    return "x"


OPAQUE = {"list_key", "item_key", "mitigation_id", "phase", "item"}


def fill(route: Route, objects: Objects) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _path_value(route, m.group(1), objects), route.path)


# What a refused caller tries: to take bravo's pages, rewrite its runbooks, act on its incidents.
# "<incident>" and "<second incident>" stand for bravo's incidents' numbers.
BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/alerts": {"service": "bravo-api", "summary": "walk", "dedup_key": "walk"},
    "POST /api/v1/incidents": {"title": "walk", "service": "bravo-api", "severity": "SEV-3"},
    "POST /api/v1/changes": {"service": "bravo-api", "summary": "Deploy v2"},
    "POST /api/v1/action-items": {"incident": "<incident>", "title": "walk"},
    "POST /api/v1/drills": {"service": "bravo-api", "kind": "game_day"},
    "POST /api/v1/status-page/incidents": {"name": "walk", "incident": "<second incident>"},
    "POST /api/v1/heartbeats": {"name": "walk", "service": "bravo-api", "interval": "1h"},
    "POST /api/v1/runbooks": {"body": "# Walk\n", "team": "bravo"},
    "POST /api/v1/runbooks/import": {"body": "# Taken\n", "source_path": "bravo/notes.md"},
    "PATCH /api/v1/runbooks/{runbook_id}": {"body": "# Taken\n"},
    "PATCH /api/v1/services/{name}": {"escalation_policy": None},
    "PUT /api/v1/teams/{name}/members/{person}": {"role": "admin"},
    "POST /incidents/declare": {"title": "walk", "severity": "SEV-3", "service": "bravo-api"},
    "POST /action-items": {"incident": "<incident>", "title": "walk"},
    "POST /drills": {"service": "bravo-api", "kind": "game_day"},
    "POST /runbooks": {"team": "bravo", "body": "# Walk\n"},
    "POST /runbooks/{runbook_id}": {"title": "Taken", "service": "bravo-api", "body": "# Taken\n"},
    "POST /access/teams/{name}/members": {"person": "zed", "role": "admin"},
    "POST /policies/{name}": {"document": "name: bravo-policy\nteam: bravo\nlevels: [{targets: [ann], timeout: 5m}]"},
    "POST /policies/{name}/form": {
        "name": "bravo-policy",
        "team": "bravo",
        "level-0-target": "user:ann",
        "level-0-timeout": "5",
    },
    "POST /services/{name}/integrations": {"kind": "webhook", "label": "walk"},
    "POST /people": {"email": "walk@example.com", "role": "admin"},
    "POST /teams": {"name": "walk"},
}
# What the allowed caller sends instead, where the attack would leave the rest of the walk less to test.
ALLOWED_BODIES: dict[str, dict[str, Any]] = {
    "PATCH /api/v1/services/{name}": {},
    "PUT /api/v1/teams/{name}/members/{person}": {"role": "responder"},
    "POST /access/teams/{name}/members": {"person": "zed", "role": "responder"},
    "POST /policies/{name}": {
        "document": "name: bravo-policy\nteam: bravo\nlevels: [{targets: [bravo-primary], timeout: 5m}]"
    },
    "POST /policies/{name}/form": {
        "name": "bravo-policy",
        "team": "bravo",
        "level-0-target": "schedule:bravo-primary",
        "level-0-timeout": "5",
    },
}


def body_of(key: str, objects: Objects, *, allowed: bool = False) -> dict[str, Any]:
    raw = ALLOWED_BODIES[key] if allowed and key in ALLOWED_BODIES else BODIES.get(key, {})
    numbers = {"<incident>": str(objects.incident), "<second incident>": str(objects.second_incident)}
    return {k: numbers.get(v, v) if isinstance(v, str) else v for k, v in raw.items()}


def send(app: App, route: Route, who: Person, objects: Objects, *, allowed: bool = False) -> httpx.Response:
    url = fill(route, objects)
    body = body_of(route.key, objects, allowed=allowed)
    if route.page:
        assert who.browser is not None
        form = {"csrf_token": who.browser.csrf, **body}
        return app.client.request(route.method, url, data=form, headers=who.browser.headers, follow_redirects=False)
    return app.client.request(route.method, url, json=body, headers=who.api)


def state(app: App) -> tuple[object, ...]:
    """What a refused request must leave as it was: every audited change (and the logs that are not
    audited), the policies and the runbooks, word for word."""
    counts = app.rows(
        "SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM incident_events),"
        " (SELECT count(*) FROM change_events), (SELECT count(*) FROM alerts), (SELECT count(*) FROM web_sessions)"
    )
    policies = app.rows("SELECT name, repeat, levels, team_id FROM escalation_policies ORDER BY name")
    runbooks = app.rows("SELECT id, body, service_id, team_id FROM runbooks ORDER BY id")
    alerts = app.rows("SELECT id, status, severity, summary, labels, details FROM alerts ORDER BY id")
    notes = app.rows("SELECT count(*) FROM opsgenie_notes")
    return counts[0], json.dumps(policies, default=str), tuple(runbooks), json.dumps([alerts, notes], default=str)


def refused(response: httpx.Response, route: Route) -> bool:
    if route.page:
        return response.status_code == 403 and "<h1>Not allowed</h1>" in response.text
    return response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


# --- public by key: authenticated by what the request carries, not by a person -------------------

Probe = Callable[[App, Objects], httpx.Response]


def _slack(app: App, o: Objects, *, signed: bool) -> httpx.Response:
    """Resolve bravo's incident as a Slack user linked to no one, signed with the app's secret or not."""
    actions = [{"action_id": "resolve", "value": str(o.incident)}]
    payload = {"type": "block_actions", "user": {"id": "U0NOBODY"}, "actions": actions}
    body = urlencode({"payload": json.dumps(payload)})
    stamp = str(int(app.clock.now().timestamp()))
    secret = app.container.settings.slack.signing_secret.get_secret_value().encode() if signed else b"forged"
    headers = {
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": slack_signature(secret, stamp, body.encode()),
        "content-type": "application/x-www-form-urlencoded",
    }
    return app.client.post("/api/v1/slack/actions", content=body, headers=headers)


def _request(method: str, path: str, **options: Any) -> Probe:
    def send(app: App, _objects: Objects) -> httpx.Response:
        return app.client.request(method, path, **options)

    return send


def _genie(method: str, path: str, body: dict[str, Any] | None = None, *, keyed: bool = True) -> Probe:
    """An Opsgenie API request on bravo's alert with alpha's integration key (or with none): a key
    reaches only its own service's alerts and heartbeats."""

    def send(app: App, o: Objects) -> httpx.Response:
        headers = {"authorization": f"GenieKey {o.alpha_genie}"} if keyed else {}
        return app.client.request(method, path.format(o=o), json=body, headers=headers)

    return send


_GENIE: dict[str, tuple[str, dict[str, Any] | None]] = {
    "DELETE /v2/alerts/{identifier}": ("/v2/alerts/{o.alert}", None),
    "POST /v2/alerts/{identifier}/notes": ("/v2/alerts/{o.alert}/notes", {"note": "taken"}),
    "POST /v2/alerts/{identifier}/tags": ("/v2/alerts/{o.alert}/tags", {"tags": ["taken"]}),
    "DELETE /v2/alerts/{identifier}/tags": ("/v2/alerts/{o.alert}/tags?tags=walk", None),
    "POST /v2/alerts/{identifier}/details": ("/v2/alerts/{o.alert}/details", {"details": {"k": "v"}}),
    "DELETE /v2/alerts/{identifier}/details": ("/v2/alerts/{o.alert}/details?keys=k", None),
    "PUT /v2/alerts/{identifier}/priority": ("/v2/alerts/{o.alert}/priority", {"priority": "P5"}),
    "PUT /v2/alerts/{identifier}/message": ("/v2/alerts/{o.alert}/message", {"message": "taken"}),
    "PUT /v2/alerts/{identifier}/description": ("/v2/alerts/{o.alert}/description", {"description": "taken"}),
    "POST /v2/alerts/{identifier}/assign": ("/v2/alerts/{o.alert}/assign", {"owner": {"username": "ann"}}),
    "POST /v2/alerts/{identifier}/escalate": (
        "/v2/alerts/{o.alert}/escalate",
        {"escalation": {"name": "bravo-policy"}},
    ),
    "POST /v2/alerts/{identifier}/snooze": ("/v2/alerts/{o.alert}/snooze", {"endTime": "2099-01-01T00:00:00Z"}),
    "POST /v2/alerts/{identifier}/unacknowledge": ("/v2/alerts/{o.alert}/unacknowledge", {}),
    **{
        f"{method} /v2/heartbeats/{{name}}/ping": ("/v2/heartbeats/walk/ping", None)
        for method in ("POST", "PUT", "PATCH")
    },
}

# (probe, status wanted, text wanted): each must be refused and change nothing.
PUBLIC: dict[str, list[tuple[Probe, int, str]]] = {
    **{
        key: [
            (_genie(key.split()[0], path, body), 404, "does not exist"),
            (_genie(key.split()[0], path, body, keyed=False), 401, "GenieKey"),
        ]
        for key, (path, body) in _GENIE.items()
    },
    "POST /v2/change/enqueue": [
        (
            _request(
                "POST", "/v2/change/enqueue", json={"routing_key": "no-such-key-000", "payload": {"summary": "x"}}
            ),
            404,
            "",
        )
    ],
    "POST /integrations/deploy/{key}": [
        (_request("POST", "/integrations/deploy/no-such-key-000", json={"summary": "x"}), 404, "")
    ],
    "POST /heartbeat/{key}": [(_request("POST", "/heartbeat/no-such-key-000"), 404, "")],
    "POST /ack/{token}": [(_request("POST", "/ack/forged.link"), 409, "")],
    "POST /login": [
        (_request("POST", "/login", data={"email": "bob@example.com", "password": "guess-123"}), 403, "CSRF token")
    ],
    # A reset link is its own credential: a forged one sets nobody's password.
    "POST /reset/{token}": [
        (_request("POST", "/reset/fbr_forged", data={"password": "taken-123", "confirm": "taken-123"}), 404, "")
    ],
    "POST /api/v1/slack/actions": [
        (functools.partial(_slack, signed=False), 401, "not signed by Slack"),
        (functools.partial(_slack, signed=True), 200, "not linked to a Firebell user"),
    ],
}


def probe_public(app: App, key: str, objects: Objects) -> list[str]:
    problems = []
    for probe, status, text in PUBLIC[key]:
        before = state(app)
        answer = probe(app, objects)
        if answer.status_code != status or text not in answer.text or state(app) != before:
            problems.append(f"{key} (public by key): {answer.status_code} {answer.text[:200]}")
    return problems


# --- personal: the caller's own tokens and session -------------------------------------------------

READ = "a token with the read scope"
NOBODY = "no one logged in"
Step = tuple[str, Callable[[App, Person, Objects], httpx.Response], bool]  # (who, request, refused?)


def _form(path: str, csrf: str | None = None) -> Callable[[App, Person, Objects], httpx.Response]:
    """Post a form as `who` (its session's CSRF token unless another is given)."""

    def post(app: App, who: Person, o: Objects) -> httpx.Response:
        browser = who.browser or Browser({}, "")
        data = {"csrf_token": browser.csrf if csrf is None else csrf, "name": "mine", "scope": "read"}
        return app.client.post(path.format(o=o), data=data, headers=browser.headers, follow_redirects=False)

    return post


def _api(
    method: str, path: str, body: dict[str, Any] | None = None
) -> Callable[[App, Person, Objects], httpx.Response]:
    def send(app: App, who: Person, o: Objects) -> httpx.Response:
        return app.client.request(method, path.format(o=o), json=body, headers=who.api)

    return send


def _log_out_spare(app: App, _who: Person, o: Objects) -> httpx.Response:
    """Vic logs out of another session of his own (the walk goes on with the first)."""
    return _form("/logout")(app, Person({}, o.vic_spare), o)


OTHERS = ("vic", "ann", "abe", "bea")  # none of them is Bob, nor an admin of everything
PERSONAL: dict[str, list[Step]] = {
    "POST /api/v1/tokens": [
        (READ, _api("POST", "/api/v1/tokens", {"name": "mine", "scope": "admin"}), True),  # no stronger than itself
        ("bob", _api("POST", "/api/v1/tokens", {"name": "mine", "scope": "read"}), False),
    ],
    "DELETE /api/v1/tokens/{token_id}": [
        *((who, _api("DELETE", "/api/v1/tokens/{o.bob_tokens[0]}"), True) for who in (*OTHERS, READ)),
        ("bob", _api("DELETE", "/api/v1/tokens/{o.bob_tokens[0]}"), False),
    ],
    "POST /access/tokens": [(NOBODY, _form("/access/tokens"), True), ("vic", _form("/access/tokens"), False)],
    "POST /access/tokens/{token_id}/revoke": [
        *((who, _form("/access/tokens/{o.bob_tokens[1]}/revoke"), True) for who in OTHERS),
        ("bob", _form("/access/tokens/{o.bob_tokens[1]}/revoke"), False),
    ],
    # Your own password: nobody else's, and only with the current one. Root's read token reaches the
    # check (a too-short new password), which changes nothing either.
    "POST /api/v1/me/password": [
        (NOBODY, _api("POST", "/api/v1/me/password", {"current_password": "x", "new_password": "guess-123"}), True),
        ("vic", _api("POST", "/api/v1/me/password", {"current_password": "x", "new_password": "guess-123"}), True),
        (READ, _api("POST", "/api/v1/me/password", {"current_password": "pw-123456", "new_password": "short"}), False),
    ],
    "POST /access/password": [
        ("vic", _form("/access/password", csrf="stale"), True),
        (NOBODY, _form("/access/password"), True),
        ("vic", _form("/access/password"), False),  # no current password given: refused on the page itself
    ],
    # A person's contact methods: theirs (Bob's here) and an admin of everything's to change. Bob has
    # none, so his remove and test answer 404: past the guard, changing nothing.
    **{
        f"POST /people/{{email}}/contact-methods{tail}": [
            (NOBODY, _form(f"/people/bob@example.com/contact-methods{path}"), True),
            *((who, _form(f"/people/bob@example.com/contact-methods{path}"), True) for who in OTHERS),
            ("bob", _form(f"/people/bob@example.com/contact-methods{path}"), False),
        ]
        for tail, path in (("", ""), ("/{method_id}/remove", "/none/remove"), ("/{method_id}/test", "/none/test"))
    },
    **{
        key: [
            (NOBODY, _api(key.split()[0], path), True),
            (READ, _api(key.split()[0], path, body), True),  # even root's read token changes nothing
            *((who, _api(key.split()[0], path, body), True) for who in OTHERS),
            ("bob", _api(key.split()[0], path, body), False),
        ]
        for key, path, body in (
            (
                "POST /api/v1/users/{email}/contact-methods",
                "/api/v1/users/bob@example.com/contact-methods",
                {"kind": "email", "address": "bob@home.example"},
            ),
            (
                "DELETE /api/v1/users/{email}/contact-methods/{method_id}",
                "/api/v1/users/bob@example.com/contact-methods/none",
                None,
            ),
            (
                "POST /api/v1/users/{email}/contact-methods/{method_id}/test",
                "/api/v1/users/bob@example.com/contact-methods/none/test",
                None,
            ),
        )
    },
    "POST /logout": [
        ("vic", _form("/logout", csrf="stale"), True),  # another site's form cannot log anyone out
        ("vic", _log_out_spare, False),
    ],
}


def probe_personal(app: App, key: str, people: dict[str, Person], objects: Objects) -> list[str]:
    problems = []
    for who, request, refuse in PERSONAL[key]:
        before = state(app)
        answer = request(app, people[who], objects)
        was_refused = answer.status_code in (401, 403) or answer.headers.get("location", "").startswith("/login?next=")
        if was_refused != refuse or (refuse and state(app) != before):
            problems.append(f"{key} (personal) by {who}: {answer.status_code} {answer.text[:200]}")
    return problems
