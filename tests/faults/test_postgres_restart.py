"""PostgreSQL stopped and started again under load: while it is down intake answers 503 with
Retry-After (never 2xx for an alert it did not store), and once it is back intake recovers by
itself, with no restart of Firebell. Escalation levels that fell due while it was down are paged
within 2 s of its return, and the log says what failed in a few lines, not a traceback a request."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.conftest import REPORTS, cli, last_line, start_server
from tests.e2e.paging.test_crash_and_nodes import _open, _setup
from tests.e2e.peers import HttpSink, http_sink, wait_for
from tests.faults.load import Load, stored, verdict
from tests.faults.pg_cluster import Cluster

DOWN_SECONDS = 4
INCIDENTS = 5
DELAY = 6.0  # seconds between escalation levels: the second falls due while PostgreSQL is down or as it returns
CAUGHT_UP = 2.0  # seconds after PostgreSQL is back (or the page is due) by which each page has gone out


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
    log = (tmp_path / "server.log").read_text()
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
        + f"; {len(log.splitlines())} log lines, {log.count('Traceback')} tracebacks"
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
    assert log.count("Traceback") == 0, log[-3000:]
    assert len(log.splitlines()) < 100, log[-3000:]  # a line per kind of failure now and then


def test_pages_due_while_postgresql_is_down_go_out_within_2_s_of_its_return(cluster: Cluster, tmp_path: Path) -> None:
    with http_sink() as hooks:
        url = cluster.url
        key = _setup(url, tmp_path, hooks, f"{DELAY:.0f}s")
        server = start_server(url, tmp_path / "server.log")
        try:
            _open([server], key, INCIDENTS)
            opened = time.time()
            wait_for(lambda: len(hooks.on("/hook/carol")) >= INCIDENTS, what="every first-level page")
            time.sleep(1)  # their outcomes are written; the engine next runs for the second level
            cluster.stop("fast")
            time.sleep(DOWN_SECONDS)  # the second level falls due around the time it is back
            cluster.start()
            ready = time.time()  # pg_ctl -w returned: PostgreSQL accepts connections
            wait_for(lambda: len(_keys(hooks)) >= 3 * INCIDENTS, timeout=60, what="every level of every incident")
            time.sleep(1)
        finally:
            server.stop()
    with hooks.lock:
        later = [(r.at, 2 if r.path == "/hook/dave" else 3) for r in hooks.received if r.path != "/hook/carol"]
    # each page's lateness: after its due time, or after PostgreSQL's return when it fell due before it
    lateness = [at - max(opened + (level - 1) * DELAY, ready) for at, level in later]
    log = (tmp_path / "server.log").read_text()
    REPORTS.append(
        f"faults, PostgreSQL down {DOWN_SECONDS} s with {INCIDENTS} incidents escalating every {DELAY:.0f} s: "
        f"{len(later)} pages due while it was down or after, the latest {max(lateness):.2f} s after it was back "
        f"or due; {len(log.splitlines())} log lines"
    )
    assert len(later) == 2 * INCIDENTS
    assert max(lateness) < CAUGHT_UP, sorted(lateness)
    assert log.count("Traceback") == 0, log[-3000:]


def _keys(hooks: HttpSink) -> set[str]:
    with hooks.lock:
        return {r.headers["idempotency-key"] for r in hooks.received}
