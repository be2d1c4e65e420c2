"""Drills, postmortems and action items from the command line, against a running server whose
webhooks go to a local HTTP receiver (the on-call person's webhook and an issue tracker's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from firebell.paging.links import webhook_signature
from tests.conftest import Server, cli, last_line, start_server
from tests.e2e.cli.test_cli import responder
from tests.e2e.peers import HttpSink, http_sink, wait_for

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SECRET = b"dev-only-webhook-secret"  # the development default, as the server below runs


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    with http_sink() as receiver:
        yield receiver


@pytest.fixture
def tracked_server(database_url: str, tmp_path: Path, sink: HttpSink) -> Iterator[Server]:
    cli(database_url, "db", "upgrade")
    env = {"FIREBELL_LEARNING__ACTION_ITEMS_WEBHOOK_URL": f"{sink.url}/tracker"}
    server = start_server(database_url, tmp_path / "server.log", env=env)
    try:
        yield server
    finally:
        server.stop()


def _setup(server: Server, sink: HttpSink, tmp_path: Path) -> str:
    config = tmp_path / "oncall.yaml"
    config.write_text(
        f"""\
users:
  - {{name: Alice, handle: alice, email: alice@example.com,
      contact_methods: [{{type: webhook, address: '{sink.url}/alice'}}]}}
  - {{name: Bob, handle: bob, email: bob@example.com}}
escalation_policies:
  - name: checkout-primary
    levels: [{{targets: [alice], timeout: 5m}}]
services:
  - {{name: checkout, escalation_policy: checkout-primary}}
"""
    )
    cli(server.database_url, "service", "create", "checkout")
    cli(server.database_url, "apply", "-f", str(config))
    cli(server.database_url, "integration", "create", "--service", "checkout", "--kind", "webhook")
    return last_line(cli(server.database_url, "token", "create", "--name", "sre", "--scope", "respond"))


def test_a_drill_proves_the_policy_and_pages_only_the_people_named(
    tracked_server: Server, sink: HttpSink, tmp_path: Path
) -> None:
    token = _setup(tracked_server, sink, tmp_path)
    done = responder(tracked_server, token, "drill", "checkout", "--page", "alice", "--wait", "30")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "DR-1: synthetic alert fired at checkout; paging only Alice"
    for label in (
        "Intake accepted and stored it",
        "Incident opened",
        "Escalation started",
        "First person paged",
        "First notification delivered",
    ):
        assert any(label in line and " ms " in line for line in lines), (label, lines)
    assert "  paged Alice (level 1) by webhook: sent" in lines
    assert lines[-1].startswith("DR-1 passed, incident #")
    page = json.loads(sink.on("/alice")[0].body)
    assert page["event"] == "page"
    assert page["incident"]["title"].startswith("[DRILL] checkout: paging drill")

    # Bob stands in for Alice, whom the policy reaches; he has no contact method, so the drill fails.
    failed = responder(tracked_server, token, "drill", "checkout", "--page", "bob", "--wait", "3")
    assert failed.returncode == 1
    assert "  paged Bob (level 1) by -: no contact method" in failed.stdout
    assert "DR-2 failed: not reached: First notification delivered" in failed.stdout
    assert len(sink.on("/alice")) == 1  # Alice, on call, was not paged by Bob's drill

    listed = json.loads(responder(tracked_server, token, "drills", "list", "--json").stdout)
    assert [(d["ref"], d["result"]) for d in listed] == [("DR-2", "failed"), ("DR-1", "passed")]
    game = responder(tracked_server, token, "drills", "plan", "checkout", "--target", "pod-delete")
    assert last_line(game) == "DR-3"
    recorded = responder(
        tracked_server, token, "drills", "outcome", "DR-3", "--held", "0", "--held", "2", "--broke", "1"
    )
    assert recorded.stdout.strip() == "DR-3 completed: failed"
    wrong = responder(tracked_server, token, "drill", "nowhere", "--page", "alice")
    assert wrong.returncode == 1
    assert wrong.stderr.count("\n") == 1
    assert "nowhere" in wrong.stderr


def test_a_postmortem_and_its_action_items_from_the_cli(tracked_server: Server, sink: HttpSink, tmp_path: Path) -> None:
    token = _setup(tracked_server, sink, tmp_path)

    def run(*args: str) -> str:
        done = responder(tracked_server, token, *args)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return done.stdout

    def refused(*args: str) -> str:
        done = responder(tracked_server, token, *args)
        assert done.returncode != 0, f"{args} should fail"
        assert done.stderr.count("\n") == 1, done.stderr
        return done.stderr

    incident = last_line(
        responder(
            tracked_server,
            token,
            "incident",
            "declare",
            "--title",
            "Checkout 500s",
            "--severity",
            "SEV-3",
            "--service",
            "checkout",
        )
    )
    run("incident", "role", incident, "ic", "alice")
    run("incident", "resolve", incident)
    assert "has no postmortem yet" in refused("postmortem", "show", incident)
    assert run("postmortem", "create", incident).startswith("INC-0001 [SEV-3] Checkout 500s")
    run("postmortem", "edit", incident, "--section", "executive_summary", "--text", "Checkout failed for 20 minutes.")
    assert "unknown section" in refused("postmortem", "edit", incident, "--section", "gossip", "--text", "x")
    run("postmortem", "edit", incident, "--section", "what_happened", "--text", "Bob forgot the config. It broke.")
    blamed = responder(tracked_server, token, "postmortem", "check", incident)
    assert blamed.returncode == 1
    assert "names a person as the cause" in blamed.stdout
    run("postmortem", "edit", incident, "--section", "what_happened", "--text", "The new config lacked a pool size.")
    assert run("postmortem", "check", incident).strip() == "no blaming language found"
    outline = tmp_path / "whys.txt"
    outline.write_text("Checkout failed\n  The pool was exhausted\n    The config lacked a pool size\n")
    run("postmortem", "rca", incident, "five_whys", "--file", str(outline))
    bad_tree = tmp_path / "tree.txt"
    bad_tree.write_text("Outage\n  Cause without a gate\n    Deeper\n")
    assert "mark it [AND] or [OR]" in refused("postmortem", "rca", incident, "fault_tree", "--file", str(bad_tree))

    ref = last_line(
        responder(
            tracked_server,
            token,
            "action",
            "add",
            incident,
            "--title",
            "Default the pool size",
            "--owner",
            "alice",
            "--due",
            "2030-01-15",
            "--priority",
            "P1",
            "--kind",
            "preventative",
        )
    )
    assert ref == "AI-1"
    assert "priority" in refused("action", "add", incident, "--title", "x", "--priority", "P7")
    run("action", "update", ref, "--ticket", "OPS-7")
    wait_for(lambda: len(sink.on("/tracker")) == 2, what="both action item events at the tracker")
    created, updated = sink.on("/tracker")
    for received in (created, updated):
        stamp = int(received.headers["x-firebell-timestamp"])
        assert received.headers["x-firebell-signature"] == webhook_signature(SECRET, stamp, received.body)
    assert json.loads(created.body)["event"] == "action_item.created"
    assert json.loads(updated.body)["data"]["ticket"] == "OPS-7"
    assert "from draft: in_review" in refused("postmortem", "status", incident, "final")
    assert run("postmortem", "status", incident, "review").strip().endswith(": in_review")
    assert "not ready to be final" in refused("postmortem", "status", incident, "final")
    listed = json.loads(run("action", "list", "--json"))
    assert [(i["ref"], i["owner"], i["due"]) for i in listed] == [("AI-1", "Alice", "2030-01-15")]
    assert run("action", "done", ref).startswith("AI-1 done")

    exported = tmp_path / "pm.md"
    run("postmortem", "export", incident, "--format", "markdown", "-o", str(exported))
    text = exported.read_text()
    assert text.startswith("# Incident Postmortem: [SEV-3] Checkout 500s")
    assert "| AI-1 | Default the pool size (done) | Alice | 2030-01-15 | OPS-7 | P1 |" in text
    page = run("postmortem", "export", incident, "--format", "html")
    assert page.startswith("<!doctype html>")
    assert "<h1>Incident Postmortem" in page
