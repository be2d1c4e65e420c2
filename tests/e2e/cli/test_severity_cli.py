"""Severity targets from the command line: list and set them through a running server, declare them
in an `apply` file, and read them back from `export`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Server, cli, last_line
from tests.e2e.cli.test_cli import responder

# The commands only speak HTTP to the API (or, for apply and export, to the database), which the
# integration tests run on both databases; one database shows the command line works end to end.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FILE = """\
severities:
  SEV-3: {acknowledge: 1h, investigate: 4h, update_every: 1d, business_hours: true}
  SEV-4: {acknowledge: 24h, resolve: 14d}
"""


def test_severity_targets_are_listed_set_applied_and_exported(server: Server, tmp_path: Path) -> None:
    admin = last_line(cli(server.database_url, "token", "create", "--name", "admin", "--scope", "admin"))
    writer = last_line(cli(server.database_url, "token", "create", "--name", "w", "--scope", "respond"))

    listed = responder(server, admin, "severity", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[2] == (
        "SEV-3: acknowledge 1h, investigate 4h, updates every 1d, postmortem optional; business hours"
    )

    done = responder(server, admin, "severity", "set", "P3", "--acknowledge", "2h", "--update-every", "none")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "SEV-3: acknowledge 2h, investigate 4h, postmortem optional; business hours"
    # Another change keeps the first one.
    again = responder(server, admin, "severity", "set", "SEV-3", "--investigate", "6h", "--around-the-clock")
    assert again.stdout.strip() == "SEV-3: acknowledge 2h, investigate 6h, postmortem optional"
    rows = {r["sev"]: r for r in json.loads(responder(server, admin, "severity", "list", "--json").stdout)}
    assert rows["SEV-3"]["overrides"] == {
        "acknowledge": "2h",
        "investigate": "6h",
        "update_every": None,
        "business_hours": False,
    }

    refused = responder(server, writer, "severity", "set", "SEV-3", "--acknowledge", "3h")
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    bad = responder(server, admin, "severity", "set", "SEV-3", "--acknowledge", "soon")
    assert bad.returncode == 1
    assert "soon" in bad.stderr

    # A file declares the targets of the severities it names, in full; export writes them back.
    declared = tmp_path / "targets.yaml"
    declared.write_text(FILE)
    applied = cli(server.database_url, "apply", "-f", str(declared))
    assert applied.stdout.splitlines()[:-1] == ["set the targets of SEV-3", "set the targets of SEV-4"]
    exported = cli(server.database_url, "export").stdout
    assert "severities:\n  SEV-3:\n    acknowledge: 1h\n    investigate: 4h\n" in exported
    back = tmp_path / "exported.yaml"
    back.write_text(exported)
    assert last_line(cli(server.database_url, "apply", "-f", str(back))) == "nothing to change"

    typo = tmp_path / "typo.yaml"
    typo.write_text("severities:\n  SEV-3:\n    acknowledge: 1h\n    respond: 2h\n")
    wrong = cli(server.database_url, "apply", "-f", str(typo), check=False)
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == f"error: {typo}:4: severities.SEV-3.respond: Extra inputs are not permitted"

    # An incident shows the targets in force.
    declared_id = last_line(
        responder(server, admin, "incident", "declare", "--title", "Checkout slow", "--severity", "SEV-3")
    )
    shown = responder(server, admin, "incident", "show", declared_id).stdout
    assert "investigating within 4h: pending" in shown
    assert "counted in business hours: Mon-Fri 09:00-17:00 UTC" in shown
