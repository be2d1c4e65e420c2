"""Who calls in the access tests: two teams, tokens and browser sessions of users, tokens of no user,
and an incident to act on, all made through the app's own use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token, create_user, open_session
from firebell.infra.db import transaction
from firebell.web.deps import SESSION_COOKIE
from tests.integration.conftest import App, apply_config

TEAMS = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com}
  - {name: Bob, handle: bob, email: bob@example.com}
  - {name: Carol, handle: carol, email: carol@example.com}
  - {name: Dave, handle: dave, email: dave@example.com}
teams:
  - name: payments
    members: [alice]
    admins: [dave]
    viewers: [carol]
  - name: search
    members: [bob]
schedules:
  - {name: payments-primary, team: payments, participants: [alice]}
  - {name: search-primary, team: search, participants: [bob]}
services:
  - {name: payments-api, owner_team: payments}
  - {name: search-api, owner_team: search}
"""


def with_teams(app: App) -> App:
    """Teams payments (Alice responds, Dave admins, Carol views) and search (Bob), with their
    schedules and services."""
    app.add_service("payments-api")
    app.add_service("search-api")
    apply_config(app, TEAMS)
    return app


def user_token(app: App, email: str, scope: str = "admin") -> dict[str, str]:
    """A token acting for the user with this email: limited by both the scope and their roles."""
    with transaction(app.container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        user = repo.user_by_email(email)
        assert user is not None
        token = create_token(repo=repo, name=f"{email}-{scope}", scope=scope, now=app.clock.now(), user_id=user["id"])
    return {"authorization": f"Bearer {token}"}


def root_user(app: App) -> None:
    """root@example.com, an admin of everything, password pw-123456."""
    with transaction(app.container.engine, write=True) as conn:
        create_user(
            repo=SqlIdentityRepo(conn),
            email="root@example.com",
            password="pw-123456",
            role=Role.ADMIN,
            now=app.clock.now(),
        )


def service_token(app: App, scope: str) -> dict[str, str]:
    with transaction(app.container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name=f"svc-{scope}", scope=scope, now=app.clock.now())
    return {"authorization": f"Bearer {token}"}


def open_incident(app: App, service: str) -> int:
    made = app.client.post(
        "/api/v1/incidents",
        json={"title": f"{service} is down", "service": service, "severity": "SEV-2"},
        headers=app.auth(),
    )
    assert made.status_code == 201, made.text
    return int(made.json()["number"])


@dataclass(frozen=True)
class Browser:
    """A logged-in browser session: send `headers` and put `csrf` in forms."""

    headers: dict[str, str]
    csrf: str


def browser_session(app: App, email: str) -> Browser:
    """A browser session of the user with this email, opened as logging in does."""
    with transaction(app.container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        user = repo.user_by_email(email)
        assert user is not None
        session = open_session(repo=repo, user=user, now=app.clock.now(), lifetime=timedelta(hours=12))
    return Browser({"cookie": f"{SESSION_COOKIE}={session.token}", "accept": "text/html"}, session.csrf_token)
