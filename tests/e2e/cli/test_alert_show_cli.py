"""`firebell alert show`: one alert with what its sender said, against a running server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, cli, last_line
from tests.e2e.cli.test_cli import responder

# The command only speaks HTTP to the API, which the integration tests run on both databases.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

GRAFANA = Path(__file__).resolve().parents[2] / "fixtures" / "grafana"


def test_alert_show_prints_details_links_and_labels(server: Server) -> None:
    cli(server.database_url, "service", "create", "db")
    key = last_line(cli(server.database_url, "integration", "create", "--service", "db", "--kind", "alertmanager"))
    reader = last_line(cli(server.database_url, "token", "create", "--name", "viewer", "--scope", "read"))
    body = json.loads((GRAFANA / "firing_links.json").read_text())
    sent = httpx.post(f"{server.url}/integrations/alertmanager/{key}", json=body, timeout=10)
    assert sent.status_code == 202, sent.text
    alert_id = sent.json()["alerts"][0]["alert_id"]

    done = responder(server, reader, "alert", "show", alert_id)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{alert_id} [critical] Disk on db-1 is 97% full"
    assert "  description: Free space below 3% on /var/lib/postgresql" in lines
    assert "  values.A: 97.31" in lines
    assert f"  valueString: {body['alerts'][0]['valueString']}" in lines
    assert f"link: Image: {body['alerts'][0]['imageURL']}" in lines
    assert f"link: Silence: {body['alerts'][0]['silenceURL']}" in lines
    assert "labels: alertname=Disk almost full severity=critical instance=db-1" in lines

    as_json = json.loads(responder(server, reader, "alert", "show", alert_id, "--json").stdout)
    assert as_json["raw"]["body"]["version"] == "1"
    assert as_json["details"]["values"] == {"A": 97.31, "B": 97.31, "C": 1}

    missing = responder(server, reader, "alert", "show", "nope")
    assert missing.returncode != 0
    assert missing.stderr.count("\n") == 1, missing.stderr
    assert "alert nope not found" in missing.stderr
