"""Every route that changes something, walked against the people who must not be able to.

The routes are read from the app itself (API and pages alike), and each is classified by a rule
derived from its dependencies and the ownership table, or looked up in the tables below; a route
that no rule covers fails the test by name, so a new route cannot arrive without an ownership rule.
Team bravo owns the objects every path names; team alpha is the other team. Each refused request
must answer 403 (the "Not allowed" page for a form) and change nothing; the one the rule allows
must not be refused, so that no rule passes by refusing everyone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import SecretStr

from firebell.bootstrap import bootstrap
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import Settings
from firebell.kernel.clock import ManualClock
from firebell.web import deps, pages
from firebell.web.app import create_app
from firebell.web.ownership import owner_parameter
from tests.conftest import REPORTS
from tests.integration.conftest import App, apply_config
from tests.integration.principals import Browser, browser_session, open_incident, root_user, user_token
from tests.integration.route_walk import (
    NOBODY,
    PERSONAL,
    PUBLIC,
    READ,
    Objects,
    Person,
    Route,
    make_objects,
    probe_personal,
    probe_public,
    refused,
    send,
    state,
)

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
CALLERS = {deps.principal, pages.require_user}  # every credential is read through one of these
RESPONDER_GUARDS = {deps.responder, pages.check_csrf}  # the responder role on the route's owner
ADMIN_GUARDS = {deps.admin, pages.check_csrf_admin}  # the admin role on the route's owner

# The owner is only known from the request's body (a service, an incident, a team, a policy's
# document), so the handler or the use case checks the caller: the role needed on bravo's things.
CHECKED_BY_USE_CASE: dict[str, Role] = {
    "POST /api/v1/alerts": Role.RESPONDER,
    "POST /api/v1/incidents": Role.RESPONDER,
    "POST /api/v1/changes": Role.RESPONDER,
    "POST /api/v1/action-items": Role.RESPONDER,
    "POST /api/v1/drills": Role.RESPONDER,
    "POST /api/v1/status-page/incidents": Role.RESPONDER,
    "POST /api/v1/heartbeats": Role.ADMIN,
    "POST /api/v1/runbooks": Role.ADMIN,
    "POST /api/v1/runbooks/import": Role.ADMIN,
    "POST /incidents/declare": Role.RESPONDER,
    "POST /action-items": Role.RESPONDER,
    "POST /drills": Role.RESPONDER,
    "POST /runbooks": Role.ADMIN,
    "POST /policies/{name}": Role.ADMIN,  # in the ownership table too; a new policy's team is in its document
    "POST /policies/{name}/form": Role.ADMIN,  # the same save as the YAML box
}
# What belongs to no team: the caller's own role decides (a responder may), and why.
NO_TEAM = {
    "PUT /api/v1/message-templates/{key}": "message templates are shared by every team",
    "DELETE /api/v1/message-templates/{key}": "message templates are shared by every team",
    "POST /templates/{key}": "message templates are shared by every team",
    "PUT /api/v1/status-page/components/{ref}/status": "status-page components are the company's, not a team's",
    "POST /status-page/admin/components/{component_id}/status": "status-page components are the company's",
    "POST /status-page/admin/incidents": "this form's public incident is linked to no internal incident",
    "POST /api/v1/status-page/maintenances": "maintenances announce work on components, not on an incident",
    "POST /api/v1/status-page/maintenances/{maintenance_id}/updates": "maintenances are linked to no incident",
    "POST /status-page/admin/maintenances": "maintenances are linked to no incident",
    "POST /status-page/admin/maintenances/{maintenance_id}/updates": "maintenances are linked to no incident",
}


def _calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def mutating_routes(app: App) -> list[Route]:
    routes = []
    for context in iter_route_contexts(cast(FastAPI, app.client.app).routes):
        dependant = getattr(context, "dependant", None)
        for method in sorted(set(context.methods or ()) & MUTATING):
            assert dependant is not None, f"{method} {context.path}: not a FastAPI route, its guards are unknown"
            routes.append(Route(method, str(context.path), frozenset(_calls(dependant))))
    return routes


def classify(route: Route) -> tuple[str, Role | None]:
    """(rule, the role needed on bravo's things); fails naming the route when no rule covers it."""
    calls = route.calls
    if not calls & CALLERS:
        assert route.key in PUBLIC, f"{route.key}: asks for no caller, and is not listed as public by key"
        return "public by key", None
    if route.key in PERSONAL:
        return "personal", None
    if route.key in CHECKED_BY_USE_CASE:
        return "owned: checked by the handler", CHECKED_BY_USE_CASE[route.key]
    assert deps.admin_scope not in calls, f"{route.key}: takes the admin scope, but no rule names its owner"
    if deps.site_admin in calls:
        return "site admin", Role.ADMIN
    guard = Role.ADMIN if calls & ADMIN_GUARDS else Role.RESPONDER if calls & RESPONDER_GUARDS else None
    if guard is not None and owner_parameter(route.path) is not None:
        return "owned: ownership table", guard
    if guard is Role.ADMIN:
        return "site admin", Role.ADMIN  # the admin role on what belongs to no team: an admin of everything
    if guard is Role.RESPONDER:
        assert route.key in NO_TEAM, (
            f"{route.key}: a responder may change it, but no rule says whose it is: add it to the ownership "
            "table, check the owner its body names, or list it as belonging to no team"
        )
        return "no team", Role.RESPONDER
    assert pages.form_session not in calls, f"{route.key}: a form with a CSRF check, but no rule says who may post"
    return "changes nothing", None  # verified: no one's request changes anything


@pytest.fixture
def walk_app(database_url: str) -> Iterator[App]:
    """The app with its background engine stopped (nothing changes but what a request does) and
    rate limits out of the way (the walk sends hundreds of requests per token)."""
    clock = ManualClock()
    limits = {"api_per_second": 100_000, "api_burst": 100_000, "intake_per_second": 100_000, "intake_burst": 100_000}
    settings = Settings.model_validate({"database_url": database_url, "sqlite_synchronous": "NORMAL", "limits": limits})
    container = bootstrap(settings, clock=clock)
    migrate.upgrade(container.engine)
    with transaction(container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name="tests", scope="admin", now=clock.now())
    container.writer.start()
    try:
        with TestClient(create_app(container, manage_lifecycle=False)) as client:
            yield App(client, container, clock, token)
    finally:
        container.writer.stop()
        container.http.close()
        container.engine.dispose()


PEOPLE = """\
users:
  - {name: Ann, handle: ann, email: ann@example.com}
  - {name: Abe, handle: abe, email: abe@example.com}
  - {name: Bea, handle: bea, email: bea@example.com}
  - {name: Bob, handle: bob, email: bob@example.com}
  - {name: Vic, handle: vic, email: vic@example.com}
  - {name: Val, handle: val, email: val@example.com}
  - {name: Zed, handle: zed, email: zed@example.com}
teams:
  - {name: alpha, members: [ann], admins: [abe]}
  - {name: bravo, members: [bea, zed], admins: [bob], viewers: [vic, val]}
schedules:
  - {name: bravo-primary, team: bravo, participants: [bea, bob]}
escalation_policies:
  - {name: bravo-policy, team: bravo, levels: [{targets: [bravo-primary], timeout: 5m}]}
services:
  - {name: bravo-api, owner_team: bravo, escalation_policy: bravo-policy}
  - {name: alpha-api, owner_team: alpha}
"""
# Who is refused, by rule: viewers of bravo (Val a responder of what belongs to no team, Vic a viewer
# of it too), a responder and an admin of alpha, a read token; a responder of bravo too for admin-only
# actions; and who is allowed.
REFUSED = {
    ("owned", Role.RESPONDER): ["val", "vic", "ann", "abe", READ],
    ("owned", Role.ADMIN): ["val", "vic", "ann", "abe", "bea", READ],
    ("site admin", Role.ADMIN): ["val", "vic", "ann", "abe", "bea", "bob", READ],
    ("no team", Role.RESPONDER): ["vic", READ],  # Vic is a viewer of what belongs to no team, too
}
ALLOWED = {
    ("owned", Role.RESPONDER): "bea",
    ("owned", Role.ADMIN): "bob",
    ("site admin", Role.ADMIN): "root",
    ("no team", Role.RESPONDER): "ann",
}


def _people(app: App) -> dict[str, Person]:
    root_user(app)
    with transaction(app.container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        vic = repo.user_by_email("vic@example.com")
        assert vic is not None
        repo.update_user(str(vic["id"]), {"role": Role.VIEWER.value})
    people = {
        handle: Person(user_token(app, f"{handle}@example.com"), browser_session(app, f"{handle}@example.com"))
        for handle in ("val", "vic", "ann", "abe", "bea", "bob", "root")
    }
    people[READ] = Person(user_token(app, "root@example.com", scope="read"), None)  # even a site admin's
    people[NOBODY] = Person({}, Browser({"accept": "text/html"}, ""))
    return people


def test_every_mutating_route_refuses_whoever_does_not_own_what_it_changes(walk_app: App) -> None:
    app = walk_app
    app.add_service("bravo-api")
    app.add_service("alpha-api")
    apply_config(app, PEOPLE)
    people = _people(app)
    objects = make_objects(app, open_incident(app, "bravo-api"), open_incident(app, "bravo-api"))
    app.container.settings.slack.signing_secret = SecretStr("walk-secret")
    routes = mutating_routes(app)
    rules: dict[str, tuple[str, Role | None]] = {}
    unclassified: list[str] = []
    for route in routes:
        try:
            rules[route.key] = classify(route)
        except AssertionError as exc:
            unclassified.append(str(exc).splitlines()[0])
    assert not unclassified, "routes no ownership rule covers:\n" + "\n".join(unclassified)
    problems: list[str] = []
    for route in routes:
        rule, needed = rules[route.key]
        if rule == "public by key":
            problems += probe_public(app, route.key, objects)
        elif rule == "personal":
            problems += probe_personal(app, route.key, people, objects)
        elif rule == "changes nothing":
            problems += _changes_nothing(app, route, people, objects)
        else:
            problems += _walk(app, route, rule, needed, people, objects)
    tally = Counter(rule for rule, _needed in rules.values())
    REPORTS.append(f"route walk: {len(routes)} mutating routes; " + ", ".join(f"{r}: {n}" for r, n in tally.items()))
    assert not problems, "\n".join(problems)


def _changes_nothing(app: App, route: Route, people: dict[str, Person], objects: Objects) -> list[str]:
    problems = []
    for name in ("vic", "ann", READ):
        if route.page and people[name].browser is None:
            continue
        before = state(app)
        answer = send(app, route, people[name], objects)
        if state(app) != before:
            problems.append(f"{route.key} (changes nothing) by {name}: changed something ({answer.status_code})")
    return problems


def _walk(
    app: App, route: Route, rule: str, needed: Role | None, people: dict[str, Person], objects: Objects
) -> list[str]:
    assert needed is not None
    kind = "owned" if rule.startswith("owned") else rule
    problems = []
    for name in REFUSED[kind, needed]:
        who = people[name]
        if route.page and who.browser is None:
            continue  # a token opens no form; the API routes' rules cover tokens
        before = state(app)
        answer = send(app, route, who, objects)
        if not refused(answer, route):
            problems.append(f"{route.key} ({rule}) by {name}: not refused: {answer.status_code} {answer.text[:200]}")
        elif state(app) != before:
            problems.append(f"{route.key} ({rule}) by {name}: refused, but something changed")
    allowed = ALLOWED[kind, needed]
    answer = send(app, route, people[allowed], objects, allowed=True)
    if answer.status_code in (401, 403) or answer.headers.get("location", "").startswith("/login?next="):
        problems.append(f"{route.key} ({rule}) by {allowed}: refused: {answer.status_code} {answer.text[:200]}")
    return problems
