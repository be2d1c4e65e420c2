"""A node's wall clock stepped or skewed: no page goes early, late or twice.

The servers run under libfaketime (LD_PRELOAD), which fakes only their wall clock (DONT_FAKE_MONOTONIC)
by an offset read from a file the test rewrites while they run (FAKETIME_TIMESTAMP_FILE with
FAKETIME_NO_CACHE). Escalation levels are seconds apart; the receiver notes when each page arrives by
the test's own, true clock, and each level must arrive its delay after the incident was opened.

- SQLite, one node: its clock is stepped back an hour, then forward an hour and a half, mid-escalation.
- PostgreSQL, two nodes: one runs 90 s ahead throughout and the other is stepped as above; incidents go
  in through both, and first-level pages are slow to answer, so the nodes' leases overlap in time.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPORTS, Server, need_peer, start_server
from tests.e2e.paging.test_crash_and_nodes import LEVELS, _setup
from tests.e2e.peers import HttpSink, http_sink, wait_for

DELAY = 3.0  # seconds between escalation levels
EARLY = 0.25  # a page may arrive this much before its delay (the nodes' reading of the database's clock)
LATE = 2.0  # and at most this much after it
SEND = 1.5  # the receiver takes this long to answer a first-level page
LEASE = 5  # seconds, so a node 90 s ahead would take every lease the other holds for expired


def _libfaketime() -> str | None:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    return found[0] if found else None


def _faked(offset_file: Path, offset: str) -> dict[str, str]:
    library = _libfaketime()
    assert library is not None
    offset_file.write_text(offset + "\n")
    return {
        "LD_PRELOAD": library,
        "DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_TIMESTAMP_FILE": str(offset_file),
        "FAKETIME_NO_CACHE": "1",
        "FIREBELL_NOTIFY__LEASE_SECONDS": str(LEASE),
    }


def _step(offset_file: Path, offset: str) -> None:
    offset_file.write_text(offset + "\n")


def _slow_first_level(path: str) -> int:
    if path == "/hook/carol":
        time.sleep(SEND)
    return 200


def _open(servers: list[Server], key: str, titles: list[str]) -> dict[str, tuple[float, float]]:
    """Open one incident per title, in turn through each server: when each post began and was answered."""
    opened = {}
    with httpx.Client(timeout=10) as client:
        for n, title in enumerate(titles):
            event = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": title,
                "payload": {"summary": title, "source": "cron", "severity": "critical"},
            }
            began = time.time()
            assert client.post(f"{servers[n % len(servers)].url}/v2/enqueue", json=event).status_code == 202
            opened[title] = (began, time.time())
    return opened


def _arrivals(hooks: HttpSink) -> dict[tuple[str, int], list[float]]:
    """When each page arrived (the sink notes a request as it arrives, before a slow answer)."""
    with hooks.lock:
        received = list(hooks.received)
    found: dict[tuple[str, int], list[float]] = {}
    for r in received:
        page = r.json()
        if page.get("event") != "page":
            continue
        found.setdefault((page["incident"]["title"], int(page["page"]["level"])), []).append(r.at)
    return found


def _run(
    servers: list[Server], key: str, hooks: HttpSink, steps: Callable[[], None], after: Callable[[], None]
) -> dict[str, list[str]]:
    """Open incidents, step clocks while they escalate, open more, step again; what went wrong, by kind."""
    first = [f"first {n}" for n in range(4)]
    second = [f"second {n}" for n in range(4)]
    # A node's first page takes longer (code and connections warm up): one that is not measured.
    _open(servers, key, [f"warm-up {n}" for n in range(len(servers))])
    wait_for(lambda: len(hooks.on("/hook/carol")) >= len(servers), what="the warm-up pages")
    opened = _open(servers, key, first)
    time.sleep(1)
    steps()  # the first incidents' second level is due 2 s from here, their third 5 s
    time.sleep(4)
    opened |= _open(servers, key, second)
    time.sleep(1)
    after()  # the first incidents' third level and the second's later levels are still due
    wanted = {(title, level) for title in opened for level in range(1, LEVELS + 1)}
    wait_for(lambda: wanted <= set(_arrivals(hooks)), timeout=60, what="every level of every incident")
    time.sleep(2 * DELAY)  # a second copy, or a page for a level nobody expected, would arrive now
    arrivals = _arrivals(hooks)
    problems: dict[str, list[str]] = {"early": [], "late": [], "doubled": [], "unexpected": []}
    arrivals = {k: t for k, t in arrivals.items() if not k[0].startswith("warm-up")}
    for (title, level), times in sorted(arrivals.items()):
        if (title, level) not in wanted:
            problems["unexpected"].append(f"{title} level {level}")
            continue
        began, answered = opened[title]
        delay = (level - 1) * DELAY
        if min(times) < began + delay - EARLY:
            problems["early"].append(f"{title} level {level}: {min(times) - began:.1f} s after opening")
        if min(times) > answered + delay + LATE:
            problems["late"].append(f"{title} level {level}: {min(times) - answered:.1f} s after opening")
        if len(times) > 1:
            problems["doubled"].append(f"{title} level {level}: {len(times)} times")
    REPORTS.append(
        f"faults, clock steps ({servers[0].database_url.split(':')[0]}, {len(servers)} node(s)): "
        f"{len(opened)} incidents, {len(wanted)} pages due, {sum(len(t) for t in arrivals.values())} received; "
        f"latest page {max(max(t) - opened[k[0]][1] - (k[1] - 1) * DELAY for k, t in arrivals.items()):.2f} s "
        f"after its due time; " + ", ".join(f"{kind} {len(found)}" for kind, found in problems.items())
    )
    return problems


def test_a_clock_stepped_back_an_hour_and_forward_again_on_sqlite(tmp_path: Path) -> None:
    need_peer(None if _libfaketime() else "libfaketime (Debian libfaketime) is not installed")
    url = f"sqlite:///{tmp_path / 'firebell.db'}"
    offset = tmp_path / "offset"
    with http_sink() as hooks:
        key = _setup(url, tmp_path, hooks, f"{DELAY:.0f}s")
        server = start_server(url, tmp_path / "server.log", env=_faked(offset, "+0"))
        try:
            problems = _run(
                [server],
                key,
                hooks,
                steps=lambda: _step(offset, "-3600"),
                after=lambda: _step(offset, "+5400"),
            )
        finally:
            server.stop()
    assert problems == {"early": [], "late": [], "doubled": [], "unexpected": []}
    log = (tmp_path / "server.log").read_text()
    assert log.count("clock_host_stepped") == 2, log[-3000:]  # one line per step
    assert "-3600.0 s off the time elapsed" in log


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_nodes_on_postgresql_one_90_s_ahead_and_one_stepped(database_url: str, tmp_path: Path) -> None:
    pg_url = database_url
    need_peer(None if _libfaketime() else "libfaketime (Debian libfaketime) is not installed")
    with http_sink() as hooks:
        hooks.status = _slow_first_level
        key = _setup(pg_url, tmp_path, hooks, f"{DELAY:.0f}s")
        stepped, ahead = tmp_path / "stepped", tmp_path / "ahead"
        servers = [
            start_server(pg_url, tmp_path / "stepped.log", env=_faked(stepped, "+0")),
            start_server(pg_url, tmp_path / "ahead.log", env=_faked(ahead, "+90")),
        ]
        try:
            problems = _run(
                servers,
                key,
                hooks,
                steps=lambda: _step(stepped, "-3600"),
                after=lambda: _step(stepped, "+5400"),
            )
        finally:
            for server in servers:
                server.stop()
    assert problems == {"early": [], "late": [], "doubled": [], "unexpected": []}
    assert "this node's clock is +90" in (tmp_path / "ahead.log").read_text()
    assert "this node's clock is -3600" in (tmp_path / "stepped.log").read_text()
