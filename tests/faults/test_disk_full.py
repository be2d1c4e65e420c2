"""SQLite's disk fills up under load: intake answers 507 (or 503), never 2xx for an alert it did
not store; the database is not corrupted; and once there is room again intake recovers by itself.
The disk is a small tmpfs mounted for the test (this needs root; CI runs as root)."""

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
from tests.faults.load import Load, stored, verdict

MOUNT = shutil.which("mount") or "/usr/bin/mount"
UMOUNT = shutil.which("umount") or "/usr/bin/umount"


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


def test_a_full_disk_answers_507_corrupts_nothing_and_recovers(small_disk: Path, tmp_path: Path) -> None:
    database = small_disk / "firebell.db"
    url = f"sqlite:///{database}"
    cli(url, "db", "upgrade")
    cli(url, "service", "create", "api", "--grouping-window", "0")
    key = last_line(cli(url, "integration", "create", "--service", "api", "--kind", "pagerduty"))
    env = {"FIREBELL_LIMITS__INTAKE_PER_SECOND": "0", "FIREBELL_RETENTION__RAW_PAYLOAD_DAYS": "30"}
    server = start_server(url, tmp_path / "server.log", env=env)
    began = time.monotonic()
    try:
        with Load(lambda: server.url, key, threads=4, details_bytes=8000) as load:
            deadline = time.monotonic() + 90
            while load.tally.statuses[507] + load.tally.statuses[503] < 20 and time.monotonic() < deadline:
                time.sleep(0.1)
            full_at = time.monotonic()
            time.sleep(1)
            _grow(small_disk, "64m")
            grown = time.monotonic()
            while load.tally.first_after(grown, 202) is None and time.monotonic() < grown + 30:
                time.sleep(0.1)
            time.sleep(1)
        tally = load.tally
        back = tally.first_after(grown, 202)
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "x", "source": "s", "severity": "info"},
        }
        assert httpx.post(f"{server.url}/v2/enqueue", json=event, timeout=10).status_code == 202
    finally:
        server.stop()
    with sqlite3.connect(database) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    counts = verdict(tally, stored(url))
    recovery = None if back is None else back - grown
    REPORTS.append(
        "faults, SQLite disk full (3 MB tmpfs, then 64 MB): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f", answers {dict(tally.statuses)}, integrity {integrity}, "
        + (f"first 2xx {recovery:.1f} s after room returned" if recovery is not None else "never recovered")
        + f" (full after {full_at - began:.1f} s of load)"
    )
    assert tally.statuses[507] > 0
    assert set(tally.statuses) <= {202, 503, 507}, tally.statuses
    assert integrity == "ok"
    assert recovery is not None
    assert recovery < 15
    assert counts["missing"] == 0
    assert counts["duplicates"] == 0
    assert os.path.exists(database)
