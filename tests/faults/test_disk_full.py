"""SQLite's disk fills up under load: intake answers 507 (or 503), never 2xx for an alert it did
not store; the database is not corrupted; and once there is room again intake recovers by itself.
Incidents opened before the disk filled escalate while it is full, or at once when 1.5 MB is
freed and the load goes on: Firebell keeps room to checkpoint and page rather than let intake take
it all. The disk is a small tmpfs mounted for the test (this needs root; CI runs as root)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPORTS, cli, last_line, need_peer, start_server
from tests.e2e.paging.test_crash_and_nodes import _setup
from tests.e2e.peers import HttpSink, http_sink, wait_for
from tests.faults.load import Load, stored, verdict

MOUNT = shutil.which("mount") or "/usr/bin/mount"
UMOUNT = shutil.which("umount") or "/usr/bin/umount"
INCIDENTS = 7
DELAY = 4.0  # seconds to the second escalation level: it falls due while the disk is full
CAUGHT_UP = 5.0  # seconds after its due time, or after room returned, by which each page has gone out


@pytest.fixture
def small_disk() -> Iterator[Path]:
    mount = Path(tempfile.mkdtemp(prefix="fb-full-"))
    done = subprocess.run(
        [MOUNT, "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        shutil.rmtree(mount, ignore_errors=True)
    need_peer(None if done.returncode == 0 else f"cannot mount a small tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run([UMOUNT, "-l", str(mount)], capture_output=True, check=False)
        shutil.rmtree(mount, ignore_errors=True)


def _grow(mount: Path, size: str) -> None:
    subprocess.run([MOUNT, "-o", f"remount,size={size}", str(mount)], check=True, capture_output=True)


def _open(url: str, key: str, count: int) -> None:
    """Open incidents as a sender would: retrying a 507 (the disk may already be nearly full)."""
    with httpx.Client(timeout=10) as client:
        for n in range(count):
            event = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": f"disk-{n}",
                "payload": {"summary": f"job {n} failed", "source": "cron", "severity": "critical"},
            }
            for _ in range(50):
                status = client.post(f"{url}/v2/enqueue", json=event).status_code
                if status != 507:
                    break
                time.sleep(0.2)
            assert status == 202


def _second_level(hooks: HttpSink) -> list[float]:
    """When each incident's second-level page first arrived (time.time())."""
    first: dict[str, float] = {}
    with hooks.lock:
        for r in hooks.received:
            if r.path == "/hook/dave":
                first.setdefault(r.headers["idempotency-key"], r.at)
    return sorted(first.values())


def test_a_full_disk_answers_507_corrupts_nothing_and_recovers(small_disk: Path, tmp_path: Path) -> None:
    with http_sink() as hooks:
        _full_disk(small_disk, tmp_path, hooks)


def _full_disk(small_disk: Path, tmp_path: Path, hooks: HttpSink) -> None:
    database = small_disk / "firebell.db"
    url = f"sqlite:///{database}"
    paged = _setup(url, tmp_path, hooks, f"{DELAY:.0f}s")
    cli(url, "service", "create", "api", "--grouping-window", "0")
    key = last_line(cli(url, "integration", "create", "--service", "api", "--kind", "pagerduty"))
    env = {"FIREBELL_LIMITS__INTAKE_PER_SECOND": "0", "FIREBELL_RETENTION__RAW_PAYLOAD_DAYS": "30"}
    server = start_server(url, tmp_path / "server.log", env=env)
    began = time.monotonic()
    try:
        _open(server.url, paged, INCIDENTS)
        opened = time.time()
        wait_for(lambda: len(hooks.on("/hook/carol")) >= INCIDENTS, what="every first-level page")
        with Load(lambda: server.url, key, threads=4, details_bytes=8000) as load:
            deadline = time.monotonic() + 90
            while load.tally.statuses[507] + load.tally.statuses[503] < 20 and time.monotonic() < deadline:
                time.sleep(0.1)
            full_at = time.monotonic()
            time.sleep(max(1.0, opened + DELAY + 2 - time.time()))  # the second level fell due meanwhile
            _grow(small_disk, "4608k")  # 1.5 MB more, and the load goes on
            grown, grown_at = time.monotonic(), time.time()
            while load.tally.first_after(grown, 202) is None and time.monotonic() < grown + 30:
                time.sleep(0.1)
            wait_for(lambda: len(_second_level(hooks)) >= INCIDENTS, timeout=30, what="every second-level page")
            time.sleep(max(0.0, grown + 10 - time.monotonic()))  # the load goes on for 10 s with 1.5 MB more
        second = _second_level(hooks)
        tally = load.tally
        back = tally.first_after(grown, 202)
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "x", "source": "s", "severity": "info"},
        }
        _grow(small_disk, "64m")  # the operator makes room enough for good: intake takes the next alert
        assert httpx.post(f"{server.url}/v2/enqueue", json=event, timeout=10).status_code == 202
    finally:
        server.stop()
    with sqlite3.connect(database) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    counts = verdict(tally, stored(url))
    recovery = None if back is None else back - grown
    paged_after = [at - max(opened + DELAY, grown_at) for at in second]
    log = (tmp_path / "server.log").read_text()
    REPORTS.append(
        "faults, SQLite disk full (3 MB tmpfs, then 1.5 MB more under the same load for 10 s, then 64 MB): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f", answers {dict(tally.statuses)}, integrity {integrity}, "
        + (f"first 2xx {recovery:.1f} s after room returned" if recovery is not None else "never recovered")
        + f" (full after {full_at - began:.1f} s of load); {len(second)} of {INCIDENTS} second-level pages, "
        + f"the last {max(second, default=opened) - opened - DELAY:.1f} s after its due time "
        + f"({'before' if max(second, default=grown_at) < grown_at else 'after'} room returned); "
        + f"{len(log.splitlines())} log lines, {log.count('Traceback')} tracebacks"
    )
    assert tally.statuses[507] > 0
    assert set(tally.statuses) <= {202, 503, 507}, tally.statuses
    assert integrity == "ok"
    assert recovery is not None
    assert recovery < 15
    assert counts["missing"] == 0
    assert counts["duplicates"] == 0
    assert os.path.exists(database)
    assert len(second) == INCIDENTS
    assert max(paged_after) < CAUGHT_UP, paged_after
    assert log.count("Traceback") == 0, log[-3000:]
