"""The `firebell` command as an on-call engineer uses it, against a running server."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import FIREBELL, Server, cli, last_line


def responder(server: Server, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIREBELL_URL": server.url, "FIREBELL_TOKEN": token}
    return subprocess.run([str(FIREBELL), *args], env=env, capture_output=True, text=True, timeout=60)


def test_send_list_and_filter_through_the_cli(server: Server) -> None:
    cli(server.database_url, "service", "create", "api", "--grouping", "service")  # any api alert joins
    cli(server.database_url, "service", "create", "db")
    cli(server.database_url, "integration", "create", "--service", "api", "--kind", "webhook")
    cli(server.database_url, "integration", "create", "--service", "db", "--kind", "webhook")
    token = last_line(cli(server.database_url, "token", "create", "--name", "oncall", "--scope", "respond"))
    assert token.startswith("fbt_")

    for summary in ("API 5xx", "API latency"):
        sent = responder(
            server, token, "alert", "send", "--service", "api", "--severity", "critical", "--summary", summary, "--json"
        )
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)[0]["outcome"] == "created"
    responder(server, token, "alert", "send", "--service", "db", "--severity", "warning", "--dedup-key", "d1")
    again = responder(
        server, token, "alert", "send", "--service", "db", "--severity", "warning", "--dedup-key", "d1", "--json"
    )
    assert json.loads(again.stdout)[0]["outcome"] == "deduplicated"

    alerts = json.loads(responder(server, token, "alert", "list", "--json").stdout)
    assert [a["summary"] for a in alerts][:1] == ["Test alert from the Firebell CLI"]  # newest first
    assert len(alerts) == 3
    only_api = json.loads(responder(server, token, "alert", "list", "--service", "api", "--json").stdout)
    assert {a["service"] for a in only_api} == {"api"}
    limited = json.loads(responder(server, token, "alert", "list", "--limit", "1", "--json").stdout)
    assert len(limited) == 1

    incidents = json.loads(responder(server, token, "incident", "list", "--status", "open", "--json").stdout)
    assert [(i["service"], i["sev"], i["alert_count"]) for i in incidents] == [("db", "SEV-3", 1), ("api", "SEV-1", 2)]
    table = responder(server, token, "incident", "list")
    assert table.returncode == 0
    assert "SEV-1" in table.stdout


def test_cli_errors_are_one_line_and_nonzero(server: Server) -> None:
    token = last_line(cli(server.database_url, "token", "create", "--name", "ro", "--scope", "read"))
    cases = [
        responder(server, token, "alert", "send", "--service", "nope"),  # read scope may not send
        responder(server, token, "incident", "list", "--status", "bogus"),
        responder(server, "fbt_wrong", "alert", "list"),
        cli(server.database_url, "service", "create", "has space", check=False),
        cli(server.database_url, "integration", "create", "--service", "x", "--kind", "smoke-signal", check=False),
        cli(server.database_url, "token", "create", "--name", "t", "--scope", "root", check=False),
        cli(server.database_url, "service", "create", "edge", "--grouping", "labels", check=False),
        cli(server.database_url, "service", "create", "edge", "--grouping-window", "soon", check=False),
    ]
    for result in cases:
        assert result.returncode == 1, result
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: "), result.stderr
    unreachable = subprocess.run(
        [str(FIREBELL), "alert", "list", "--url", "http://127.0.0.1:9", "--token", token],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("error: cannot reach")


def test_grouping_from_the_cli(server: Server) -> None:
    def grouping(name: str) -> tuple[object, ...]:
        engine = sa.create_engine(server.database_url)
        try:
            with engine.connect() as conn:
                query = "select grouping_mode, group_by_labels, grouping_window_seconds from services where name = :n"
                row = conn.execute(sa.text(query), {"n": name}).one()
        finally:
            engine.dispose()
        labels = row[1] if isinstance(row[1], list) else json.loads(row[1])
        return row[0], labels, row[2]

    cli(server.database_url, "service", "create", "plain")
    assert grouping("plain") == ("alert", [], 300)
    cli(server.database_url, "service", "create", "edge", "--group-by", "cluster", "--grouping-window", "10m")
    assert grouping("edge") == ("labels", ["cluster"], 600)
    done = cli(server.database_url, "service", "update", "edge", "--group-by", "cluster", "--group-by", "team")
    assert done.stdout.strip() == "updated service edge: grouping labels by cluster, team within 10m"
    cli(server.database_url, "service", "update", "edge", "--grouping", "none", "--grouping-window", "0")
    assert grouping("edge") == ("none", [], 0)
    same = cli(server.database_url, "service", "update", "edge", "--grouping", "none")
    assert same.stdout.strip() == "service edge: nothing changed"
    refused = cli(server.database_url, "service", "update", "edge", "--grouping", "labels", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: --group-by: the labels grouping needs at least one label to group by"
    unknown = cli(server.database_url, "service", "update", "nope", "--grouping", "none", check=False)
    assert unknown.stderr.strip() == "error: no service named nope"


def test_maintenance_window_from_the_cli_suppresses_new_alerts(server: Server) -> None:
    cli(server.database_url, "service", "create", "batch")
    cli(server.database_url, "integration", "create", "--service", "batch", "--kind", "webhook")
    token = last_line(cli(server.database_url, "token", "create", "--name", "t", "--scope", "respond"))
    naive = cli(server.database_url, "service", "maintenance", "batch", "--start", "2026-01-01T00:00", check=False)
    assert naive.returncode == 1
    assert "time zone" in naive.stderr
    assert (
        "maintenance window for batch"
        in cli(server.database_url, "service", "maintenance", "batch", "--minutes", "30").stdout
    )
    time.sleep(2.5)  # the server caches service settings for up to two seconds
    sent = responder(server, token, "alert", "send", "--service", "batch", "--severity", "critical", "--json")
    assert json.loads(sent.stdout)[0]["outcome"] == "suppressed"
    assert json.loads(responder(server, token, "incident", "list", "--json").stdout) == []


def test_admin_commands_on_a_database_without_the_schema_say_so_in_one_line(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    result = cli(empty, "token", "create", "--name", "x", "--scope", "admin", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: the database {empty} has no Firebell tables: run `firebell db upgrade`, or set FIREBELL_DATABASE_URL"
    ]


def test_classify_walks_the_decision_tree_from_flags() -> None:
    run = [str(FIREBELL), "classify", "--not-down", "--not-many-blocked", "--workaround", "--no-revenue-or-security"]
    settled = subprocess.run(
        [*run, "--few-users"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert settled.returncode == 0, settled.stderr
    assert settled.stdout.strip().splitlines()[-1] == "SEV-3: only a few users are affected, and they have a workaround"
    short = subprocess.run(run, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert short.returncode == 1
    assert short.stderr.strip() == (
        "error: not settled yet: Are only a few users affected? (pass --few-users or --not-few-users)"
    )


def test_declare_by_hand_then_move_through_the_states(server: Server) -> None:
    cli(server.database_url, "service", "create", "web")
    token = last_line(cli(server.database_url, "token", "create", "--name", "ic", "--scope", "respond"))
    made = responder(
        server, token, "incident", "declare", "--title", "Login page blank", "--severity", "P2",
        "--service", "web", "--impact", "nobody can log in", "--source", "support_ticket",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    incident_id = made.stdout.strip().splitlines()[-1]
    assert made.stdout.startswith("declared #1 [SEV-2] Login page blank")
    for state in ("investigating", "identified", "resolved"):
        moved = responder(server, token, "incident", "status", incident_id, state)
        assert moved.stdout.strip() == f"#1 {state}: [SEV-2] Login page blank", moved.stderr
    wrong = responder(server, token, "incident", "status", "1", "identified")
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == (
        "error: HTTP 409: cannot move an incident from resolved to identified; allowed: investigating, closed"
    )
    bad = responder(server, token, "incident", "declare", "--title", "x", "--severity", "SEV-7")
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1
