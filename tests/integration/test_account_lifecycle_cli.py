"""The account lifecycle from the command line, on the configured database: disabling only with
--yes after seeing the impact, enabling, deleting, passwords, reset links, expiring tokens, feeds."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli, last_line
from tests.integration.conftest import CONFIG, App, PagingApp, apply_config
from tests.integration.principals import root_user
from tests.integration.test_account_lifecycle import DELETABLE, _log_in


def test_the_cli_disables_only_with_yes_and_reports_the_impact(paging: PagingApp, tmp_path: Path) -> None:
    db = paging.container.settings.database_url
    refused = cli(db, "user", "disable", "alice@example.com", check=False)
    assert refused.returncode == 1
    assert "schedule: checkout-primary" in refused.stdout
    assert refused.stderr.count("\n") == 1
    assert "--yes" in refused.stderr
    assert paging.scalar("SELECT disabled_at FROM users WHERE email = 'alice@example.com'") is None
    done = cli(db, "user", "disable", "alice@example.com", "--yes")
    assert "skipped where they would be paged" in done.stdout
    assert paging.scalar("SELECT disabled_at FROM users WHERE email = 'alice@example.com'") is not None
    config = tmp_path / "oncall.yaml"
    config.write_text(CONFIG)
    applied = cli(db, "apply", "-f", str(config)).stdout.splitlines()
    assert applied[-1] == "warning: schedule checkout-primary names alice, who is disabled and not paged"
    assert cli(db, "user", "enable", "alice@example.com").stdout.strip() == "enabled alice@example.com"
    assert "warning" not in cli(db, "apply", "-f", str(config)).stdout
    deleting = cli(db, "user", "delete", "bob@example.com", "--yes", check=False)
    assert deleting.returncode == 1
    assert "checkout-primary" in deleting.stdout
    link = last_line(cli(db, "user", "reset-link", "carol@example.com"))
    assert link.startswith("http://")
    assert "/reset/fbr_" in link
    token = last_line(cli(db, "token", "create", "--name", "ci", "--scope", "read", "--expires-in", "30d"))
    assert paging.client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).status_code == 200
    listed = json.loads(cli(db, "token", "list", "--json").stdout)
    assert next(t for t in listed if t["name"] == "ci")["expires_at"] is not None
    bad = cli(db, "token", "create", "--name", "with space", check=False)
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1


def test_the_cli_changes_a_password_deletes_a_person_and_revokes_a_feed(app: App) -> None:
    db = app.container.settings.database_url
    root_user(app)
    apply_config(app, DELETABLE.replace("participants: [dan, eve]", "participants: [eve]"))
    change = ("user", "password", "root@example.com", "--current")
    wrong = cli(db, *change, "guess-000", "--new", "pw-7654321", check=False)
    assert (wrong.returncode, wrong.stderr.strip()) == (1, "error: the current password is wrong")
    short = cli(db, *change, "pw-123456", "--new", "short", check=False)
    assert short.returncode == 1
    assert "at least 8" in short.stderr
    cli(db, *change, "pw-123456", "--new", "pw-7654321")
    _log_in(app, "root@example.com", "pw-7654321")
    assert cli(db, "user", "delete", "dan@example.com", check=False).returncode == 1  # not without --yes
    assert "history keeps their name" in cli(db, "user", "delete", "dan@example.com", "--yes").stdout
    users = json.loads(cli(db, "user", "list", "--json").stdout)
    assert next(u for u in users if u["display_name"] == "Dan Departed")["account"] == "deleted"
    address = last_line(cli(db, "schedule", "feed", "--schedule", "ops-primary"))
    path = "/api/v1" + address.split("/api/v1", 1)[1]
    assert app.client.get(path).status_code == 200
    cli(db, "schedule", "feed-revoke", address)
    assert app.client.get(path).status_code == 404
    again = cli(db, "schedule", "feed-revoke", address, check=False)
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1
