"""A real Statuspage consumer reads Firebell's public JSON unchanged.

statuspage-prometheus-exporter (from PyPI) polls a Statuspage's `/api/v2/summary.json` and turns
its status, components, incidents and maintenances into Prometheus metrics. Here it is pointed at
a running Firebell server, once (`RUN_MODE=once`), and the metrics it writes must describe what
Firebell published.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Server, cli, last_line

EXPORTER = Path(sys.executable).parent / "statuspage-prometheus-exporter"


def _metrics(server: Server, workdir: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Run the exporter once against the server; its samples by metric name."""
    if not EXPORTER.exists():
        pytest.fail(f"{EXPORTER} is missing: pip install -e '.[test]'")
    workdir.mkdir(exist_ok=True)
    services = workdir / "services.json"
    services.write_text(json.dumps({"firebell": {"url": f"{server.url}/api/v2/summary.json", "name": "Firebell"}}))
    textfile = workdir / "statuspage.prom"
    env = {k: v for k, v in os.environ.items() if k != "SLACK_WEBHOOK_URL"}
    env.update(RUN_MODE="once", SERVICES_JSON_PATH=str(services), METRICS_TEXTFILE_PATH=str(textfile))
    done = subprocess.run([str(EXPORTER)], cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(textfile.read_text()):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def _one(samples: list[tuple[dict[str, str], float]], **labels: str) -> tuple[dict[str, str], float]:
    matching = [s for s in samples if all(s[0].get(k) == v for k, v in labels.items())]
    assert len(matching) == 1, (labels, samples)
    return matching[0]


def test_statuspage_exporter_reads_firebells_summary(server: Server, tmp_path: Path) -> None:
    token = last_line(cli(server.database_url, "token", "create", "--name", "e2e", "--scope", "admin"))
    headers = {"authorization": f"Bearer {token}"}

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(f"{server.url}{path}", json=body, headers=headers, timeout=10)
        assert answer.status_code in (200, 201), answer.text
        result: dict[str, Any] = answer.json()
        return result

    for name, group in (("API", "Platform"), ("Search", "Platform"), ("Website", None)):
        post("/api/v1/status-page/components", {"name": name, "group": group})

    healthy = _metrics(server, tmp_path / "healthy")
    assert _one(healthy["statuspage_service_status"], service_name="Firebell")[1] == 1
    for name in ("API", "Search", "Website", "Platform"):
        assert _one(healthy["statuspage_component_status"], component_name=name)[1] == 1
    assert all(value == 0 for _labels, value in healthy.get("statuspage_incident_info", []))

    internal = post("/api/v1/incidents", {"title": "internal: primary db lost quorum", "severity": "SEV-1"})
    public = post(
        f"/api/v1/incidents/{internal['number']}/status-updates",
        {"state": "identified", "name": "API errors", "components": {"API": "major_outage"}},
    )
    now = datetime.now(UTC)
    window = {"scheduled_for": (now - timedelta(minutes=5)).isoformat(), "components": ["Search"]}
    post(
        "/api/v1/status-page/maintenances",
        {"name": "Search reindex", "scheduled_until": (now + timedelta(hours=1)).isoformat(), **window},
    )

    degraded = _metrics(server, tmp_path / "degraded")
    assert _one(degraded["statuspage_probe_check"], service_name="Firebell")[1] == 1
    assert _one(degraded["statuspage_service_status"], service_name="Firebell")[1] == 0
    components = degraded["statuspage_component_status"]
    assert _one(components, component_name="API")[1] == 0
    assert _one(components, component_name="Search")[1] == 0  # under maintenance is not operational
    assert _one(components, component_name="Website")[1] == 1
    labels, active = _one(degraded["statuspage_incident_info"], incident_name="API errors")
    assert active == 1
    assert labels["incident_id"] == public["id"]
    assert labels["impact"] == "critical"
    assert labels["affected_components"] == "API"
    assert labels["shortlink"].endswith(f"/status/incidents/{public['id']}")
    labels, active = _one(degraded["statuspage_maintenance_info"], maintenance_name="Search reindex")
    assert active == 1
    assert labels["affected_components"] == "Search"
    assert "internal: primary db" not in json.dumps(degraded)
