"""Running an incident from the command line, against a running server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Server, cli, last_line, start_server
from tests.e2e.cli.test_cli import responder
from tests.e2e.peers import smtp_sink, wait_for

# The commands only speak HTTP to the API, which the integration tests run on both databases;
# here one database is enough to show the command line works end to end.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


PEOPLE = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com, contact_methods: [{type: email, address: alice@example.com}]}
  - {name: Bob, handle: bob, email: bob@example.com}
"""


def test_an_incident_is_run_end_to_end_from_the_cli(server: Server, tmp_path: object) -> None:
    from pathlib import Path

    cli(server.database_url, "service", "create", "checkout")
    config = Path(str(tmp_path)) / "people.yaml"
    config.write_text(PEOPLE)
    cli(server.database_url, "apply", "-f", str(config))
    token = last_line(cli(server.database_url, "token", "create", "--name", "ic", "--scope", "respond"))

    def run(*args: str) -> str:
        done = responder(server, token, *args)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return done.stdout

    def refused(*args: str) -> str:
        done = responder(server, token, *args)
        assert done.returncode != 0, f"{args} should fail"
        assert done.stderr.count("\n") == 1, done.stderr  # one line
        return done.stderr

    incident = last_line(
        responder(
            server,
            token,
            "incident",
            "declare",
            "--title",
            "Checkout 500s",
            "--severity",
            "P1",
            "--service",
            "checkout",
        )
    )
    assert "Technical Lead: unfilled" in run("incident", "role", incident, "ic", "alice")
    assert "boss" in refused("incident", "role", incident, "boss", "alice")
    assert "zed" in refused("incident", "role", incident, "ic", "zed")
    run("incident", "role", incident, "scribe", "bob@example.com")
    run("incident", "note", incident, "Pool exhausted since the 14:28 deploy?")
    run("incident", "tick", incident, "investigation", "logs-analyzed")
    assert "no checklist item" in refused("incident", "tick", incident, "investigation", "nope")
    listed = run("incident", "checklist", incident)
    assert "[x] Logs analyzed  (investigation logs-analyzed)" in listed
    assert "[x] IC assigned  (detection ic-assigned)" in listed
    question = refused("incident", "mitigate", incident, "--no-recent-deployment")
    assert "--resource-issue" in question
    plan = run("incident", "mitigate", incident, "--no-recent-deployment", "--resource-issue")
    assert plan.startswith("Scale up resources")
    mitigation_id = plan.strip().splitlines()[-1].split()[6]
    assert run("incident", "outcome", incident, mitigation_id, "not_resolved").strip() == "next: Escalate"
    preview = run(
        "incident", "update", incident, "--template", "update.email", "--field", "progress=Rolled back", "--preview"
    )
    assert preview.startswith("Subject: [P1] Checkout 500s - Investigating\n")
    assert "INCIDENT COMMANDER: Alice" in preview
    assert "Rolled back" in preview
    assert "is configured; nothing was sent" in refused("incident", "update", incident, "--template", "update.email")
    assert "--field" in refused("incident", "update", incident, "--template", "update.email", "--field", "oops")
    run("change", "record", "--service", "checkout", "--summary", "Deploy checkout v2.3.1")
    shown = run("incident", "show", incident)
    assert "Incident Commander: Alice" in shown
    assert "Deploy checkout v2.3.1" in shown
    assert "closed" in refused("incident", "close", incident)
    run("incident", "severity", incident, "SEV-2", "--reason", "workaround found")
    run("incident", "ack", incident)
    run("incident", "resolve", incident, "--note", "rolled back")
    assert run("incident", "close", incident).startswith("#1 closed")
    table = run("incident", "timeline", incident)
    assert table.startswith("| Time (UTC) | Event | By |")
    assert "Note: Pool exhausted since the 14:28 deploy?" in table
    gantt = run("incident", "timeline", incident, "--format", "mermaid")
    assert gantt.startswith("gantt\n")
    entries = json.loads(run("incident", "timeline", incident, "--format", "json"))
    kinds = [e["kind"] for e in entries]
    for kind in ("declared", "role_assigned", "note", "checklist", "mitigation_chosen", "severity_changed"):
        assert kind in kinds


PAGED_IN = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com}
  - {name: Bob, handle: bob, email: bob@example.com, contact_methods: [{type: email, address: bob@example.com}]}
  - {name: Carol, handle: carol, email: carol@example.com, contact_methods: [{type: email, address: carol@example.com}]}
  - {name: Dave, handle: dave, email: dave@example.com, contact_methods: [{type: email, address: dave@example.com}]}
  - {name: Erin, handle: erin, email: erin@example.com, contact_methods: [{type: email, address: erin@example.com}]}
teams:
  - {name: payments, members: [dave], viewers: [erin]}
schedules:
  - {name: backend, participants: [carol]}
"""


def test_more_people_are_paged_into_an_incident_from_the_cli(database_url: str, tmp_path: Path) -> None:
    with smtp_sink() as smtp:
        cli(database_url, "db", "upgrade")
        cli(database_url, "service", "create", "checkout")
        (tmp_path / "people.yaml").write_text(PAGED_IN)
        cli(database_url, "apply", "-f", str(tmp_path / "people.yaml"))
        made = cli(
            database_url, "token", "create", "--name", "alice", "--scope", "respond", "--user", "alice@example.com"
        )
        token = last_line(made)
        env = {"FIREBELL_SMTP__HOST": smtp.host, "FIREBELL_SMTP__PORT": str(smtp.port)}
        server = start_server(database_url, tmp_path / "server.log", env={**env, "FIREBELL_SMTP__SENDER": "p@fb.test"})
        try:
            declare = (
                "incident",
                "declare",
                "--title",
                "Checkout 500s",
                "--severity",
                "SEV-3",
                "--service",
                "checkout",
            )
            number = responder(server, token, *declare).stdout.split()[1].lstrip("#")
            ask = ("--user", "bob", "--schedule", "backend", "--team", "payments", "--message", "Replicas lag")
            done = responder(server, token, "incident", "page", number, *ask)
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == f"#{number} paged Bob, Carol (on call on backend), Dave (team payments)"
            wait_for(lambda: len(smtp.mails) == 3, what="a page to each of the three")
            assert sorted(m.recipients[0] for m in smtp.mails) == [
                "bob@example.com",
                "carol@example.com",
                "dave@example.com",
            ]
            for mail in smtp.mails:
                text = mail.text
                assert "First action at this level: Alice asks you to join this incident: Replicas lag" in text

            again = responder(server, token, "incident", "page", number, "--user", "bob", "--user", "alice", "--json")
            assert again.returncode == 1
            assert again.stderr.strip() == (
                "error: HTTP 422: users: nobody to page: Bob is already being paged to join and has not answered yet; "
                "Alice is the one asking"
            )
            for args, said in (
                (("--user", "zed"), "error: HTTP 422: users[0]: no user with the handle or email 'zed'"),
                (("--team", "nope"), "error: HTTP 422: teams[0]: no team named 'nope'"),
                ((), "error: say whom to page: --user, --schedule or --team"),
            ):
                result = responder(server, token, "incident", "page", number, *args, "--json")
                assert result.returncode == 1
                assert result.stderr.strip() == said  # one line
            # A viewer of a team is not paged with it, but may be asked by name.
            erin = responder(server, token, "incident", "page", number, "--user", "erin", "--json")
            assert erin.returncode == 0, erin.stderr
            answer = json.loads(erin.stdout)
            assert [(p["name"], p["via"]) for p in answer["paged"]] == [("Erin", "")]
            assert answer["skipped"] == []
            responder(server, token, "incident", "resolve", number)
            closed = responder(server, token, "incident", "page", number, "--user", "bob")
            assert closed.returncode == 1
            assert closed.stderr.strip() == "error: HTTP 409: cannot page people into an incident that is resolved"
        finally:
            server.stop()
