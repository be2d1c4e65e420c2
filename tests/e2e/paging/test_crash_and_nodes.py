"""Pages survive a SIGKILL, and two engines on one PostgreSQL never send a page twice.

The evidence is the receiver's log: every page carries an idempotency key (escalation, step,
person, contact method), so "sent exactly once" means each expected key arrived once.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import REPORTS, Server, cli, last_line, start_server
from tests.e2e.peers import HttpSink, http_sink, wait_for

LEVELS = 3


def _config(hooks: HttpSink, timeout: str) -> str:
    people = ["carol", "dave", "erin"]
    users = "\n".join(
        f"  - {{name: {p.title()}, handle: {p}, email: {p}@example.com,"
        f" contact_methods: [{{type: webhook, address: '{hooks.url}/hook/{p}'}}]}}"
        for p in people
    )
    timeouts = [timeout, timeout, "1h"]
    levels = "\n".join(f"      - {{targets: [{p}], timeout: {t}}}" for p, t in zip(people, timeouts, strict=True))
    policy = f"escalation_policies:\n  - name: fast\n    levels:\n{levels}\n"
    return f"users:\n{users}\n{policy}services:\n  - {{name: web, escalation_policy: fast}}\n"


def _setup(database_url: str, tmp_path: Path, hooks: HttpSink, timeout: str) -> str:
    cli(database_url, "db", "upgrade")
    cli(database_url, "service", "create", "web", "--grouping-window", "0")
    key = last_line(cli(database_url, "integration", "create", "--service", "web", "--kind", "pagerduty"))
    (tmp_path / "oncall.yaml").write_text(_config(hooks, timeout))
    cli(database_url, "apply", "-f", str(tmp_path / "oncall.yaml"))
    return key


def _open(servers: list[Server], key: str, count: int) -> None:
    with httpx.Client(timeout=10) as client:
        for n in range(count):
            event = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": f"crash-{n}",
                "payload": {"summary": f"job {n} failed", "source": "cron", "severity": "critical"},
            }
            assert client.post(f"{servers[n % len(servers)].url}/v2/enqueue", json=event).status_code == 202


def _sent(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("select count(*) from deliveries where status = 'sent'")).scalar_one())
    finally:
        engine.dispose()


def _keys(hooks: HttpSink) -> Counter[str]:
    with hooks.lock:
        return Counter(r.headers["idempotency-key"] for r in hooks.received)


def test_pages_due_while_the_server_was_killed_are_sent_once_after_restart(database_url: str, tmp_path: Path) -> None:
    incidents = 40
    with http_sink() as hooks:
        key = _setup(database_url, tmp_path, hooks, "3s")
        env = {"FIREBELL_NOTIFY__LEASE_SECONDS": "5"}
        server = start_server(database_url, tmp_path / "server.log", env=env)
        try:
            _open([server], key, incidents)
            wait_for(lambda: len(hooks.on("/hook/carol")) >= incidents, what="every level-1 page")
            # Kill once those sends are recorded: a send still in flight at the kill is sent again
            # after the lease (at least once, with the same Idempotency-Key), which is not what this
            # test counts. What it counts is every page that falls due while nothing runs.
            wait_for(lambda: _sent(database_url) >= incidents, what="the level-1 outcomes to be written")
            server.process.send_signal(signal.SIGKILL)
            server.process.wait()
            killed_at = time.time()
            before = sum(_keys(hooks).values())
            time.sleep(7)  # levels 2 (3 s) and 3 (6 s) of every incident fall due while nobody runs
            server = start_server(database_url, tmp_path / "server.log", env=env)
            expected = incidents * LEVELS
            wait_for(lambda: len(_keys(hooks)) >= expected, timeout=60, what="every page after the restart")
            time.sleep(2)  # a duplicate, if any, would arrive now
        finally:
            server.stop()
    keys = _keys(hooks)
    late = [r.at - killed_at for r in hooks.received if r.path != "/hook/carol"]
    REPORTS.append(
        f"crash test ({database_url.split(':')[0]}): {incidents} incidents, {expected} pages due, "
        f"{before} received before SIGKILL, {len(keys)} distinct received, "
        f"{sum(keys.values()) - len(keys)} duplicates; pages due while down sent within "
        f"{max(late):.1f} s of the kill (down for 7 s)"
    )
    assert len(keys) == expected
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    assert {r.path for r in hooks.received} == {"/hook/carol", "/hook/dave", "/hook/erin"}


# Several processes share work through PostgreSQL's row locks; on SQLite one node runs.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_engines_on_one_postgresql_send_each_page_once(database_url: str, tmp_path: Path) -> None:
    incidents = 60
    with http_sink() as hooks:
        key = _setup(database_url, tmp_path, hooks, "2s")
        servers = [start_server(database_url, tmp_path / f"node{n}.log") for n in range(2)]
        try:
            _open(servers, key, incidents)
            expected = incidents * LEVELS
            wait_for(lambda: len(_keys(hooks)) >= expected, timeout=60, what="every page from two nodes")
            time.sleep(2)
        finally:
            for server in servers:
                server.stop()
    keys = _keys(hooks)
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        nodes = dict(conn.execute(sa.text("select node, count(*) from delivery_attempts group by node")).all())
    engine.dispose()
    REPORTS.append(
        f"two engines on PostgreSQL: {expected} pages due, {len(keys)} distinct received, "
        f"{sum(keys.values()) - len(keys)} duplicates; sends per node {sorted(nodes.values())}"
    )
    assert len(keys) == expected
    assert max(keys.values()) == 1
    assert len(nodes) == 2  # both engines did part of the work
