"""Access commands: users' and teams' roles, API tokens and integration keys on the configured
database (admin), and the audit log through a server's API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from firebell.cli.client import Api
from firebell.cli.main import (
    JsonOpt,
    TokenOpt,
    UrlOpt,
    _admin,
    _emit,
    app,
    errors,
    integration_app,
    out,
    server_url,
    team_app,
    token_app,
    user_app,
)


@user_app.command("list")
def user_list(as_json: JsonOpt = False) -> None:
    """Every user with their own role and their teams' roles."""
    from firebell.identity.repo import SqlIdentityRepo

    users = _admin(lambda conn, _now: SqlIdentityRepo(conn).users_with_roles())
    for user in users:
        user["teams"] = ", ".join(f"{t['team']} ({t['role']})" for t in user["teams"])
        user["account"] = "deleted" if user["deleted_at"] else "disabled" if user["disabled_at"] else "active"
    columns = [("email", "Email"), ("handle", "Handle"), ("role", "Role"), ("teams", "Teams"), ("account", "Account")]
    _emit(users, as_json, columns, "Users")


@user_app.command("role")
def user_role(email: str, role: Annotated[str, typer.Argument(help="admin, responder or viewer")]) -> None:
    """Set a user's own role (on what belongs to no team); their browser sessions end."""
    from firebell.identity.model import parse_role
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.identity.service import set_user_role

    with errors():
        chosen = parse_role(role)
    _admin(lambda conn, _now: set_user_role(repo=SqlIdentityRepo(conn), email=email, role=chosen))
    out.print(f"{email} is {chosen}", markup=False)


@token_app.command("list")
def token_list(as_json: JsonOpt = False) -> None:
    """Every API token: live and revoked, never the secrets."""
    from firebell.identity.repo import SqlIdentityRepo

    tokens = _admin(lambda conn, _now: SqlIdentityRepo(conn).tokens())
    columns = [("id", "Id"), ("name", "Name"), ("scopes", "Scope"), ("user_email", "User")]
    dates = [("created_at", "Created"), ("expires_at", "Expires"), ("revoked_at", "Revoked")]
    _emit(tokens, as_json, [*columns, *dates], "API tokens")


@token_app.command("revoke")
def token_revoke(token: Annotated[str, typer.Argument(help="the token's id or name")]) -> None:
    """Revoke a token: it stops working at once."""
    from firebell.identity.model import Principal, Scope
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.identity.service import revoke_token
    from firebell.kernel.errors import Conflict, NotFound

    operator = Principal(name="cli", scopes=frozenset({Scope.ADMIN}))

    def run(conn: Any, now: datetime) -> str:
        repo = SqlIdentityRepo(conn)
        live = [t for t in repo.tokens() if t["revoked_at"] is None and token in (t["id"], t["name"])]
        if not live:
            raise NotFound(f"no live token with id or name {token!r}")
        if len(live) > 1:
            raise Conflict(f"{len(live)} live tokens are named {token!r}; give the id (firebell token list)")
        return str(revoke_token(repo=repo, token_id=str(live[0]["id"]), by=operator, now=now)["name"])

    name = _admin(run)
    out.print(f"revoked token {name}", markup=False)


@team_app.command("list")
def team_list(as_json: JsonOpt = False) -> None:
    """Every team with its members and their roles."""
    from firebell.identity.repo import SqlIdentityRepo

    teams = _admin(lambda conn, _now: SqlIdentityRepo(conn).teams_with_members())
    if as_json:
        _emit(teams, True, [], "")
        return
    rows = [
        {"team": t["name"], "member": m["handle"] or m["email"], "role": m["role"]} for t in teams for m in t["members"]
    ]
    _emit(rows, False, [("team", "Team"), ("member", "Member"), ("role", "Role")], "Teams")


@team_app.command("role")
def team_role(
    team: str,
    person: Annotated[str, typer.Argument(help="handle or email")],
    role: Annotated[str, typer.Argument(help="admin, responder, viewer, or remove")],
) -> None:
    """Add a person to a team with a role, change their role, or remove them."""
    from firebell.identity.model import parse_role
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.identity.service import set_team_role

    with errors():
        chosen = None if role == "remove" else parse_role(role)
    said = _admin(lambda conn, _now: set_team_role(repo=SqlIdentityRepo(conn), team=team, person=person, role=chosen))
    out.print(said or "nothing to change", markup=False)


@integration_app.command("rotate")
def integration_rotate(
    service: Annotated[str, typer.Option(help="service name")],
    integration: Annotated[str, typer.Option(help="the integration's name or id")],
    key: Annotated[str | None, typer.Option(help="the new key, one the senders already have")] = None,
) -> None:
    """Give an integration a new key; the old key stops working at once. The key is printed last."""
    from firebell.catalog.model import IntegrationKind, intake_url
    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.catalog.service import rotate_integration_key

    def run(conn: Any, now: datetime) -> tuple[str, str]:
        repo = SqlCatalogRepo(conn)
        integration_id, new_key = rotate_integration_key(
            repo=repo, service=service, integration=integration, now=now, key=key
        )
        return str(repo.integrations_by_id(integration_id)["kind"]), new_key

    kind, new_key = _admin(run)
    url = intake_url(IntegrationKind(kind), new_key, server_url())
    out.print(f"rotated the key of {integration} ({kind}) on {service}; the old key no longer works.", markup=False)
    out.print(f"send to {url}. New key (shown once):", markup=False)
    print(new_key)


@app.command("audit")
def audit(
    entity: Annotated[str | None, typer.Option(help="what changed: a table, e.g. schedules")] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="the changed row's key")] = None,
    actor: Annotated[str | None, typer.Option(help="who: an email, token:<name> or cli:<user>")] = None,
    since: Annotated[str | None, typer.Option(help="from this ISO 8601 instant, with its offset")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many")] = 50,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Who changed what and when, newest first (needs an admin token)."""
    params = {"entity": entity, "entity_id": entity_id, "actor": actor, "since": since, "limit": limit}
    with errors():
        if since is not None:
            parsed = datetime.fromisoformat(since.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError(f"--since {since}: give a time zone offset, e.g. 2026-11-26T10:00:00Z")
        rows = Api(url, token).request("GET", "/api/v1/audit", params={k: v for k, v in params.items() if v})
    if not as_json:
        for row in rows:
            row["change"] = f"{row['action']} {row['entity']} {row['entity_id']}"
            changed = sorted(set(row.get("after") or {}) | set(row.get("before") or {}))
            row["fields"] = ", ".join(changed)
    columns = [("at", "When"), ("actor", "Who"), ("change", "Change"), ("fields", "Fields"), ("via", "Via")]
    _emit(rows, as_json, columns, "Audit log")
