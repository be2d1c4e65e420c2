"""PostgreSQL stopped and started again under load: while it is down intake answers 503 with
Retry-After (never 2xx for an alert it did not store), and once it is back intake recovers by
itself, with no restart of Firebell."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPORTS, cli, last_line, need_peer, start_server
from tests.faults.load import Load, stored, verdict
from tests.faults.pg_cluster import Cluster, server_binaries

DOWN_SECONDS = 4


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    need_peer(None if server_binaries() else "PostgreSQL's server binaries (Debian postgresql) are not installed")
    made = Cluster()
    try:
        made.start()
        made.create_database()
        yield made
    finally:
        made.remove()


def test_intake_answers_503_while_postgresql_is_down_and_recovers_by_itself(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.url
    cli(url, "db", "upgrade")
    cli(url, "service", "create", "api", "--grouping-window", "0")
    key = last_line(cli(url, "integration", "create", "--service", "api", "--kind", "pagerduty"))
    server = start_server(url, tmp_path / "server.log", env={"FIREBELL_LIMITS__INTAKE_PER_SECOND": "0"})
    try:
        with Load(lambda: server.url, key, threads=8) as load:
            time.sleep(2)
            cluster.stop("fast")  # connections are cut mid-transaction
            stopped = time.monotonic()
            time.sleep(1)
            event = {
                "routing_key": key,
                "event_action": "trigger",
                "payload": {"summary": "x", "source": "s", "severity": "info"},
            }
            down = httpx.post(f"{server.url}/v2/enqueue", json=event, timeout=10)
            time.sleep(DOWN_SECONDS - 1)
            started = time.monotonic()  # from here the server may accept connections again
            cluster.start()
            deadline = started + 30
            while load.tally.first_after(started, 202) is None and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(2)
        tally = load.tally
        back = tally.first_after(started, 202)
        during = [s for t, s in tally.times if stopped + 0.5 < t < started]
        with httpx.Client() as client:
            assert client.get(f"{server.url}/readyz").status_code == 200
            refused = client.post(f"{server.url}/v2/enqueue", json={"routing_key": key})
            assert refused.status_code == 400  # it answers as ever
    finally:
        server.stop()
    counts = verdict(tally, stored(url))
    recovery = None if back is None else back - started
    REPORTS.append(
        f"faults, PostgreSQL down {DOWN_SECONDS} s under load: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f", answers {dict(tally.statuses)}, answers while down {sorted(set(during))}, "
        + (
            f"first 2xx {recovery:.1f} s after PostgreSQL was started again"
            if recovery is not None
            else "never recovered"
        )
    )
    assert recovery is not None
    assert recovery < 15
    assert set(tally.statuses) <= {202, 503}, tally.statuses
    assert down.status_code == 503
    assert int(down.headers["retry-after"]) >= 1
    assert "nothing was stored" in down.json()["message"]  # in PagerDuty's shape, on its endpoint
    assert tally.statuses[503] > 0
    assert during
    assert set(during) == {503}
    assert counts["missing"] == 0
    assert counts["duplicates"] == 0
