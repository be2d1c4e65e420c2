"""Three Firebell nodes on one PostgreSQL, with no coordinator of Firebell's own: alerts go in through
any node, each page is sent once, and when a node is killed in the middle of sending, its leased work
is taken over by the others within the lease time (re-sent with the same Idempotency-Key)."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import REPORTS, Server, start_server
from tests.e2e.paging.test_crash_and_nodes import LEVELS, _open, _setup
from tests.e2e.peers import HttpSink, http_sink, wait_for

NODES = 3
LEASE = 5  # seconds
SEND = 2.0  # the receiver takes this long to answer each first-level page


def _keys(hooks: HttpSink) -> Counter[str]:
    with hooks.lock:
        return Counter(r.headers["idempotency-key"] for r in hooks.received)


def _slow_first_level(path: str) -> int:
    if path == "/hook/carol":
        time.sleep(SEND)  # sends are in flight, leased, when a node dies
    return 200


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_three_nodes_share_the_work_and_take_over_a_dead_nodes_pages(database_url: str, tmp_path: Path) -> None:
    incidents = 30
    with http_sink() as hooks:
        hooks.status = _slow_first_level
        key = _setup(database_url, tmp_path, hooks, "4s")
        env = {"FIREBELL_NOTIFY__LEASE_SECONDS": str(LEASE)}
        nodes: list[Server] = [start_server(database_url, tmp_path / f"node{n}.log", env=env) for n in range(NODES)]
        try:
            _open(nodes, key, incidents)  # through every node in turn
            time.sleep(0.8)  # first-level pages are being sent by all three nodes
            nodes[0].process.send_signal(signal.SIGKILL)
            nodes[0].process.wait()
            killed_at = time.time()
            expected = incidents * LEVELS
            wait_for(lambda: len(_keys(hooks)) >= expected, timeout=90, what="every page, the dead node's too")
            time.sleep(3)  # a second copy, if any were due, would arrive now
        finally:
            for node in nodes[1:]:
                node.stop()
    keys = _keys(hooks)
    with hooks.lock:
        arrivals: dict[str, list[float]] = {}
        for r in hooks.received:
            arrivals.setdefault(r.headers["idempotency-key"], []).append(r.at)
    taken_over = {k: max(times) - killed_at for k, times in arrivals.items() if len(times) > 1}
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        sends = dict(conn.execute(sa.text("SELECT node, count(*) FROM delivery_attempts GROUP BY node")).all())
    engine.dispose()
    slowest = max(taken_over.values(), default=0.0)
    REPORTS.append(
        f"faults, {NODES} nodes on PostgreSQL, one killed mid-send (lease {LEASE} s): {incidents} incidents "
        f"through every node, {expected} pages due, {len(keys)} distinct received, "
        f"{sum(keys.values()) - len(keys)} re-sent after the kill (same key), taken over within "
        f"{slowest:.1f} s of the kill; recorded sends per node {sorted(sends.values())}"
    )
    assert len(keys) == expected
    assert set(keys.values()) <= {1, 2}  # a page in flight at the kill may arrive twice, never more
    assert len(taken_over) >= 1  # the dead node held pages in flight, and they were sent again
    assert slowest < LEASE + SEND + 3  # by the others, once its lease ran out
    assert len(sends) >= NODES - 1
