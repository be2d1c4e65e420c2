"""Marking alerts no action needed or actionable from the command line, against a running server."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Server, cli, last_line
from tests.e2e.cli.test_cli import responder

# The commands only speak HTTP to the API, which the integration tests run on both databases.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_alert_and_incident_verdicts_from_the_cli(server: Server) -> None:
    cli(server.database_url, "service", "create", "api")
    cli(server.database_url, "integration", "create", "--service", "api", "--kind", "webhook")
    token = last_line(cli(server.database_url, "token", "create", "--name", "oncall", "--scope", "respond"))
    reader = last_line(cli(server.database_url, "token", "create", "--name", "viewer", "--scope", "read"))

    def run(*args: str, who: str = token) -> str:
        done = responder(server, who, *args)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return done.stdout

    def refused(*args: str, who: str = token) -> str:
        done = responder(server, who, *args)
        assert done.returncode != 0, f"{args} should fail"
        assert done.stderr.count("\n") == 1, done.stderr  # one line
        return done.stderr

    ids = []
    for key in ("a", "b"):
        sent = run("alert", "send", "--service", "api", "--severity", "critical", "--dedup-key", key, "--json")
        ids.append(json.loads(sent)[0]["alert_id"])
    first, second = ids

    said = run("alert", "verdict", first, "no-action")
    assert said.startswith(f"{first} no action needed (by token:oncall): ")
    assert "actionable (by token:oncall)" in run("alert", "verdict", first, "real", "--note", "paged for it")
    assert "no verdict" in run("alert", "verdict", first, "clear")
    assert "use no-action, actionable or clear" in refused("alert", "verdict", first, "maybe")
    assert "not found" in refused("alert", "verdict", "nope", "noise")
    assert "needs a token with the respond scope" in refused("alert", "verdict", first, "noise", who=reader)

    lines = run("incident", "verdict", "1", "false positive").strip().splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted([first, second])
    assert all("no action needed (by token:oncall)" in line for line in lines)
    listed = json.loads(run("alert", "list", "--json"))
    assert {a["id"]: a["verdict"] for a in listed} == {first: "no_action", second: "no_action"}
    assert "verdict: use no-action, actionable or clear" in refused("incident", "verdict", "1", "dunno")
    assert "not found" in refused("incident", "verdict", "99", "actionable")
    assert all("no verdict" in line for line in run("incident", "verdict", "1", "clear").strip().splitlines())
