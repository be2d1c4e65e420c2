"""A database that hangs: PostgreSQL's processes stopped with SIGSTOP, so connections stay open, the
kernel still accepts and acknowledges, and nothing ever answers. API reads answer 503 with
Retry-After within a few seconds, /readyz says unavailable within its deadline, /healthz answers at
once; and when the database answers again everything recovers by itself, with no restart."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPORTS, cli, last_line, start_server
from tests.faults.pg_cluster import Cluster

HUNG_SECONDS = 12  # longer than any answer below may take


def _timed(client: httpx.Client, method: str, url: str, **options: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = client.request(method, url, **options)  # type: ignore[arg-type]
    return answer, time.monotonic() - started


def _event(key: str, n: int) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": f"hung-{n}",
        "payload": {"summary": f"alert {n}", "source": "test", "severity": "error"},
    }


@pytest.mark.timeout(240)
def test_a_hung_database_gives_fast_503s_and_everything_recovers_by_itself(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.url
    cli(url, "db", "upgrade")
    cli(url, "service", "create", "api", "--grouping-window", "0")
    key = last_line(cli(url, "integration", "create", "--service", "api", "--kind", "pagerduty"))
    token = last_line(cli(url, "token", "create", "--name", "reader", "--scope", "read"))
    server = start_server(url, tmp_path / "server.log")
    auth = {"authorization": f"Bearer {token}"}
    figures: dict[str, float] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert client.post("/v2/enqueue", json=_event(key, 0)).status_code == 202
            assert client.get("/api/v1/incidents", headers=auth).status_code == 200
            cluster.freeze()
            frozen = time.monotonic()
            try:
                health, figures["healthz_s"] = _timed(client, "GET", "/healthz")
                assert health.status_code == 200
                ready, figures["readyz_s"] = _timed(client, "GET", "/readyz")
                assert ready.status_code == 503, ready.text
                for n, path in enumerate(("/api/v1/incidents", "/api/v1/alerts", "/api/v1/incidents")):
                    read, figures[f"read_{n}_s"] = _timed(client, "GET", path, headers=auth)
                    assert read.status_code == 503, read.text
                    assert read.json()["error"]["code"] == "unavailable"
                    assert float(read.headers["retry-after"]) > 0
                health, figures["healthz_hung_s"] = _timed(client, "GET", "/healthz")
                assert health.status_code == 200
                time.sleep(max(0.0, HUNG_SECONDS - (time.monotonic() - frozen)))
            finally:
                cluster.thaw()
            thawed = time.monotonic()
            deadline = thawed + 30
            while time.monotonic() < deadline:
                answers = (
                    client.get("/readyz").status_code,
                    client.get("/api/v1/incidents", headers=auth).status_code,
                    client.post("/v2/enqueue", json=_event(key, 1)).status_code,
                )
                if answers == (200, 200, 202):
                    break
                time.sleep(0.5)
            figures["recovered_s"] = time.monotonic() - thawed
            assert answers == (200, 200, 202), f"not recovered 30 s after the database answered again: {answers}"
            listed = client.get("/api/v1/alerts", headers=auth).json()
            assert {a["dedup_key"] for a in listed} >= {"hung-0", "hung-1"}
    finally:
        server.stop()
    REPORTS.append("faults, PostgreSQL hung (SIGSTOP): " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))
    assert figures["healthz_s"] < 1
    assert figures["healthz_hung_s"] < 1
    assert figures["readyz_s"] < 5  # its probe's deadline is 3 s
    assert max(v for k, v in figures.items() if k.startswith("read_")) < 6  # a ping (1 s) and a connect (3 s)
