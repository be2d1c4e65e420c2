"""SIGKILL of the server under ingest load, 20 times in a row on one database: every alert answered
2xx is stored exactly once, and every incident it opened is paged."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import REPORTS, Server, start_server
from tests.e2e.paging.test_crash_and_nodes import _setup
from tests.e2e.peers import HttpSink, http_sink, wait_for
from tests.faults.load import Load, Tally, stored, verdict

ROUNDS = 20


def _incidents(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM incidents")).scalar_one())
    finally:
        engine.dispose()


def _pages(hooks: HttpSink) -> Counter[str]:
    with hooks.lock:
        return Counter(r.headers["idempotency-key"] for r in hooks.received)


def test_twenty_kills_under_load_lose_no_acknowledged_alert(database_url: str, tmp_path: Path) -> None:
    tally = Tally()
    with http_sink() as hooks:
        key = _setup(database_url, tmp_path, hooks, "1h")  # one level pages; the others are an hour away
        env = {"FIREBELL_NOTIFY__LEASE_SECONDS": "5", "FIREBELL_LIMITS__INTAKE_PER_SECOND": "0"}
        current: list[Server] = []
        for n in range(ROUNDS):
            current[:] = [start_server(database_url, tmp_path / f"server{n}.log", env=env)]
            with Load(lambda: current[0].url, key, threads=8, tally=tally):
                before = len(tally.acked)
                deadline = time.monotonic() + 5
                while len(tally.acked) < before + 100 and time.monotonic() < deadline:
                    time.sleep(0.02)
                current[0].process.send_signal(signal.SIGKILL)  # requests are in flight
                current[0].process.wait()
        final = start_server(database_url, tmp_path / "final.log", env=env)
        try:
            incidents = _incidents(database_url)
            wait_for(lambda: len(_pages(hooks)) >= incidents, timeout=120, what="a page for every incident")
            time.sleep(1)
        finally:
            final.stop()
        pages = _pages(hooks)
    counts = verdict(tally, stored(database_url))
    resent = sum(n - 1 for n in pages.values())
    REPORTS.append(
        f"faults, SIGKILL x{ROUNDS} under load ({database_url.split(':')[0]}): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f", incidents {incidents}, paged {len(pages)}, pages re-sent after a kill (same key) {resent}; "
        f"answers {dict(tally.statuses)}"
    )
    assert counts["2xx"] >= ROUNDS * 100
    assert counts["missing"] == 0
    assert counts["duplicates"] == 0
    assert len(pages) == incidents
