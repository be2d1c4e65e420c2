"""The status page from the command line: components declared in the apply file, an incident's
status published with `firebell status publish`, and the page read back with `firebell status show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Server, cli, last_line
from tests.e2e.cli.test_cli import responder

# The commands only speak HTTP to the API, which the integration tests run on both databases;
# here one database is enough to show the command line works end to end.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


FILE = """\
status_page:
  components:
    - name: API
      description: The public REST API
      group: Platform
    - name: Webhooks
      group: Platform
    - {name: Website}
"""


def test_apply_declares_components_idempotently_and_refuses_unknown_fields(server: Server, tmp_path: Path) -> None:
    config = tmp_path / "firebell.yaml"
    config.write_text(FILE)
    first = cli(server.database_url, "apply", "-f", str(config))
    assert "created status page component API" in first.stdout
    assert "created status page component Website" in first.stdout
    again = cli(server.database_url, "apply", "-f", str(config))
    assert last_line(again) == "nothing to change"

    config.write_text(FILE.replace("    - {name: Website}", "    - {name: Website, group: Public}"))
    moved = cli(server.database_url, "apply", "-f", str(config))
    assert "updated status page component Website" in moved.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        FILE.replace("      group: Platform\n    - name: Webhooks", "      colour: red\n    - name: Webhooks")
    )
    refused = cli(server.database_url, "apply", "-f", str(bad), check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: {bad}:5: status_page.components[0].colour: Extra inputs are not permitted"
    ]
    twice = tmp_path / "twice.yaml"
    twice.write_text(FILE.replace("{name: Website}", "{name: API}"))
    duplicate = cli(server.database_url, "apply", "-f", str(twice), check=False)
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip() == (
        f"error: {twice}:8: status_page.components[2].name: the component API is declared twice"
    )


def test_publish_show_and_set_components_from_the_cli(server: Server, tmp_path: Path) -> None:
    config = tmp_path / "firebell.yaml"
    config.write_text(FILE)
    cli(server.database_url, "apply", "-f", str(config))
    token = last_line(cli(server.database_url, "token", "create", "--name", "oncall", "--scope", "respond"))
    declared = responder(
        server, token, "incident", "declare", "--title", "Internal: db failover", "--severity", "SEV-2"
    )
    assert declared.returncode == 0, declared.stderr

    published = responder(
        server, token, "status", "publish", "1", "--state", "investigating", "--component", "API=major_outage",
        "--name", "API errors",
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    assert "“API errors” is investigating (critical impact)" in published.stdout
    assert "We are investigating a problem affecting API" in published.stdout

    shown = responder(server, token, "status", "show")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "Firebell status: Major System Outage (critical)"
    assert "major_outage" in shown.stdout
    assert "incident: API errors (investigating, critical)" in shown.stdout
    assert "Internal: db failover" not in shown.stdout

    listed = json.loads(responder(server, token, "status", "components", "--json").stdout)
    assert {c["name"]: c["status"] for c in listed} == {
        "API": "major_outage", "Webhooks": "operational", "Website": "operational",
    }  # fmt: skip
    setting = responder(server, token, "status", "component", "set", "Website", "degraded_performance")
    assert setting.stdout.strip() == "Website: degraded_performance"

    resolved = responder(server, token, "status", "publish", "1", "--state", "resolved", "--body", "Fixed.", "--json")
    assert json.loads(resolved.stdout)["status"] == "resolved"
    summary = json.loads(responder(server, token, "status", "show", "--json").stdout)
    assert {c["name"]: c["status"] for c in summary["components"] if not c["group"]} == {
        "API": "operational", "Webhooks": "operational", "Website": "degraded_performance",
    }  # fmt: skip
    assert summary["incidents"] == []

    for bad in (
        ("status", "publish", "1", "--state", "on_fire"),
        ("status", "publish", "1", "--state", "identified", "--component", "API"),
        ("status", "publish", "1", "--state", "identified", "--component", "Nope=major_outage"),
        ("status", "publish", "99", "--state", "identified"),
        ("status", "component", "set", "Nope", "operational"),
        ("status", "component", "set", "API", "fine"),
    ):
        result = responder(server, token, *bad)
        assert result.returncode == 1, result
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: "), result.stderr
