"""`firebell playbook` and `firebell incident playbook` against a running server: list, show, apply a
custom playbook from YAML, attach one to an incident, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Server, cli, last_line
from tests.e2e.cli.test_cli import responder

# The commands only speak HTTP; the integration tests cover both databases.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PAYMENTS = """\
key: payments
name: Payments outage
incident_type: payments
summary: Card payments fail or hang.
phases:
  - title: Detection and triage (0-5 min)
    steps:
      - Payment provider's status page checked
      - Share of failed payments noted
  - key: mitigate
    title: Mitigation (15-60 min)
    steps:
      - Traffic switched to the backup provider
"""


def test_playbooks_are_listed_applied_and_attached_from_the_cli(server: Server, tmp_path: Path) -> None:
    cli(server.database_url, "service", "create", "checkout")
    admin = last_line(cli(server.database_url, "token", "create", "--name", "admin", "--scope", "admin"))
    writer = last_line(cli(server.database_url, "token", "create", "--name", "ic", "--scope", "respond"))

    def run(token: str, *args: str) -> str:
        done = responder(server, token, *args)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return done.stdout

    def refused(token: str, *args: str) -> str:
        done = responder(server, token, *args)
        assert done.returncode == 1, f"{args} should fail: {done.stdout}"
        assert done.stderr.count("\n") == 1, done.stderr  # one line
        return done.stderr.strip()

    listed = json.loads(run(writer, "playbook", "list", "--json"))
    assert [p["key"] for p in listed] == ["outage", "latency", "security", "data-loss", "third-party"]
    assert "Security incident" in run(writer, "playbook", "list")
    shown = run(writer, "playbook", "show", "security").splitlines()
    assert shown[0] == "Security incident (security, security, built-in)"
    assert "Containment (first 15 min)  [playbook:security:contain]" in shown
    assert "  - Exposed credentials, keys and tokens revoked or rotated" in shown
    assert refused(writer, "playbook", "show", "nope").startswith("error: HTTP 404: no playbook 'nope'")

    path = tmp_path / "payments.yaml"
    path.write_text(PAYMENTS)
    assert refused(writer, "playbook", "apply", "-f", str(path)).startswith("error: HTTP 403")
    assert run(admin, "playbook", "apply", "-f", str(path)).strip() == (
        "custom playbook 'Payments outage' (payments) saved: 3 steps in 2 phases"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(PAYMENTS.replace("      - Traffic switched to the backup provider", "      - ''"))
    assert refused(admin, "playbook", "apply", "-f", str(broken)) == "error: HTTP 422: phases.1.steps.0: is empty"
    broken.write_text("key: x\nphases: [unclosed\n")
    assert refused(admin, "playbook", "apply", "-f", str(broken)) == f"error: {broken}: not valid YAML at line 3"
    broken.write_text("name: No key\n")
    assert refused(admin, "playbook", "apply", "-f", str(broken)).endswith(
        "key: give the playbook's key, e.g. payments-outage"
    )
    assert refused(admin, "playbook", "apply", "-f", str(tmp_path / "missing.yaml")).endswith(
        "missing.yaml: No such file or directory"
    )

    incident = last_line(
        responder(
            server,
            writer,
            "incident",
            "declare",
            "--title",
            "Card payments leaked",
            "--severity",
            "P2",
            "--service",
            "checkout",
        )
    )
    suggestions = run(writer, "incident", "playbook", incident)
    assert "suggested: security (Security incident): the title says “leaked”" in suggestions
    assert run(writer, "incident", "playbook", incident, "payments").strip() == (
        "#1: Playbook 'Payments outage' attached: 3 steps in 2 phases"
    )
    assert run(writer, "incident", "playbook", incident, "payments").strip() == (
        "#1: 'Payments outage' was attached already"
    )
    assert "attached: payments (Payments outage), 0/3 steps done" in run(writer, "incident", "playbook", incident)
    checklist = run(writer, "incident", "checklist", incident)
    assert "Payments outage: Mitigation (15-60 min)" in checklist
    run(writer, "incident", "tick", incident, "playbook:payments:mitigate", "traffic-switched-to-the-backup-provider")
    assert "1/3 steps done" in run(writer, "incident", "playbook", incident)
    assert refused(writer, "incident", "playbook", incident, "nope").startswith(
        "error: HTTP 422: playbook: no playbook 'nope'"
    )
    assert run(admin, "playbook", "delete", "payments").strip() == "deleted the custom playbook 'Payments outage'"
