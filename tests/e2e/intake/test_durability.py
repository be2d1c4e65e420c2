"""Nothing answered 2xx is lost: a burst deduplicates exactly, and SIGKILL mid-load loses no acked alert."""

from __future__ import annotations

import http.client
import json
import signal
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import REPORTS, Server, cli, last_line, start_server


def rows(database_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


@pytest.fixture
def unlimited(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server without the per-key intake limit: the burst below is 10,000 requests on one key."""
    cli(database_url, "db", "upgrade")
    running = start_server(database_url, tmp_path / "server.log", env={"FIREBELL_LIMITS__INTAKE_PER_SECOND": "0"})
    try:
        yield running
    finally:
        running.stop()


def test_burst_of_one_alert_10000_times(unlimited: Server) -> None:
    server = unlimited
    cli(server.database_url, "service", "create", "burst")
    key = last_line(cli(server.database_url, "integration", "create", "--service", "burst", "--kind", "pagerduty"))
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "same-alert",
        "payload": {"summary": "CPU hot", "source": "h1", "severity": "critical"},
    }

    body = json.dumps(event).encode()
    host, port = server.url.removeprefix("http://").split(":")
    statuses: list[int] = []
    lock = threading.Lock()

    def sender(n: int) -> None:
        # Plain keep-alive connections: the client must not be the bottleneck of a 10,000 burst.
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        mine = []
        for _ in range(n):
            conn.request("POST", "/v2/enqueue", body=body, headers={"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            mine.append(response.status)
        conn.close()
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=sender, args=(625,)) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(202) == 10_000
    assert rows(server.database_url, "select count(*), sum(count) from alerts") == [(1, 10_000)]
    assert rows(server.database_url, "select count(*) from incidents") == [(1,)]
    assert rows(server.database_url, "select count(*) from raw_payloads") == [(10_000,)]


def test_sigkill_mid_load_loses_no_acknowledged_alert(database_url: str, tmp_path: Path) -> None:
    cli(database_url, "db", "upgrade")
    cli(database_url, "service", "create", "crash", "--grouping-window", "0")
    key = last_line(cli(database_url, "integration", "create", "--service", "crash", "--kind", "pagerduty"))
    server = start_server(database_url, tmp_path / "server.log")
    acked: list[str] = []
    sent = 0
    lock = threading.Lock()
    stop = threading.Event()

    def sender() -> None:
        nonlocal sent
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not stop.is_set():
                dedup = uuid.uuid4().hex
                event = {
                    "routing_key": key,
                    "event_action": "trigger",
                    "dedup_key": dedup,
                    "payload": {"summary": f"crash {dedup}", "source": "load", "severity": "error"},
                }
                with lock:
                    sent += 1
                try:
                    response = client.post("/v2/enqueue", json=event)
                except httpx.HTTPError:
                    continue
                if response.status_code == 202:
                    with lock:
                        acked.append(dedup)

    threads = [threading.Thread(target=sender) for _ in range(16)]
    for t in threads:
        t.start()
    deadline = threading.Event()
    while len(acked) < 1500 and not deadline.wait(0.05):
        pass
    server.process.send_signal(signal.SIGKILL)  # mid-load: requests are in flight
    server.process.wait()
    stop.set()
    for t in threads:
        t.join()

    restarted = start_server(database_url, tmp_path / "server2.log")
    try:
        found = dict(rows(database_url, "select dedup_key, count(*) from alerts group by dedup_key"))
    finally:
        restarted.stop()
    missing = [k for k in acked if k not in found]
    doubled = [k for k, n in found.items() if n != 1]
    report = f"sent={sent} acknowledged={len(acked)} found={len(found)} missing={len(missing)} doubled={len(doubled)}"
    REPORTS.append(f"crash test on {database_url.split(':')[0]}: {report}")
    assert len(acked) >= 1500
    assert not missing, report
    assert not doubled, report
