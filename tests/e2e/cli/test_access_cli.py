"""Access from the command line: roles, tokens, teams, key rotation and the audit log."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from tests.conftest import FIREBELL, Server, cli, last_line

TEAMS = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com}
  - {name: Bob, handle: bob, email: bob@example.com}
teams:
  - {name: payments, members: [alice, bob]}
services:
  - {name: payments-api, owner_team: payments}
"""


def over_api(server: Server, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIREBELL_URL": server.url, "FIREBELL_TOKEN": token}
    return subprocess.run([str(FIREBELL), *args], env=env, capture_output=True, text=True, timeout=60)


def test_roles_tokens_teams_rotation_and_audit(server: Server, tmp_path: Path) -> None:
    db = server.database_url
    cli(db, "service", "create", "payments-api")
    config = tmp_path / "teams.yaml"
    config.write_text(TEAMS)
    cli(db, "apply", "-f", str(config))
    assert cli(db, "team", "role", "payments", "bob", "viewer").stdout.strip() == "bob is viewer of team payments"
    teams = json.loads(cli(db, "team", "list", "--json").stdout)
    assert [(m["handle"], m["role"]) for m in teams[0]["members"]] == [("alice", "responder"), ("bob", "viewer")]

    cli(db, "user", "create", "ro@example.com", "--role", "viewer", "--password", "pw-123456")
    cli(db, "user", "role", "ro@example.com", "responder")
    users = {u["email"]: u for u in json.loads(cli(db, "user", "list", "--json").stdout)}
    assert users["ro@example.com"]["role"] == "responder"
    assert users["bob@example.com"]["teams"] == "payments (viewer)"

    bob = last_line(cli(db, "token", "create", "--name", "bob-cli", "--scope", "admin", "--user", "bob@example.com"))
    admin = last_line(cli(db, "token", "create", "--name", "root", "--scope", "admin"))
    made = last_line(
        cli(db, "integration", "create", "--service", "payments-api", "--kind", "webhook", "--name", "prom")
    )
    rotated = cli(db, "integration", "rotate", "--service", "payments-api", "--integration", "prom")
    new_key = last_line(rotated)
    assert "the old key no longer works" in rotated.stdout
    with httpx.Client(base_url=server.url) as http:
        assert http.post(f"/integrations/webhook/{made}", json={"title": "x"}).status_code == 404
        assert http.post(f"/integrations/webhook/{new_key}", json={"title": "x"}).status_code == 202

    # Bob is a viewer of payments: his admin-scoped token cannot act on its incidents.
    incidents = json.loads(over_api(server, admin, "incident", "list", "--json").stdout)
    refused = over_api(server, bob, "incident", "ack", str(incidents[0]["number"]))
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: HTTP 403: this needs the responder role on team payments; you are viewer"

    listed = json.loads(cli(db, "token", "list", "--json").stdout)
    assert {t["name"] for t in listed} >= {"bob-cli", "root"}
    assert all("token_digest" not in t for t in listed)
    assert cli(db, "token", "revoke", "bob-cli").stdout.strip() == "revoked token bob-cli"
    assert (
        over_api(server, bob, "incident", "list").stderr.strip()
        == "error: HTTP 401: the API token is unknown or revoked"
    )

    audit = json.loads(over_api(server, admin, "audit", "--entity", "integrations", "--json").stdout)
    assert [(e["action"], e["actor"].startswith("cli:")) for e in audit] == [("update", True), ("insert", True)]
    assert audit[0]["via"] == "firebell integration rotate"
    table = over_api(server, admin, "audit", "--limit", "3")
    assert table.returncode == 0
    assert "api_tokens" in table.stdout
    bad = over_api(server, admin, "audit", "--since", "yesterday")
    assert (bad.returncode, bad.stderr.count("\n")) == (1, 1)
    assert over_api(server, bob, "audit").returncode == 1
    wrong = cli(db, "team", "role", "payments", "alice", "owner", check=False)
    assert (wrong.returncode, wrong.stderr.strip()) == (
        1,
        "error: role: unknown role 'owner'; use viewer, responder or admin",
    )
