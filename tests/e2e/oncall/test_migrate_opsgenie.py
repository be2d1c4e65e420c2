"""From an Opsgenie backup to who is on call in Firebell: migrate, apply, ask.

The expectations are worked out by hand from the rotation definitions in
tests/fixtures/opsgenie_backup (Opsgenie reads a rotation's handoffs in the schedule's time zone):

- Platform_schedule, Europe/Berlin: weekly from 2026-11-02T08:00Z (09:00 in Berlin), alice, bob,
  carol; dave overrides from 2026-11-20T12:00Z to 2026-11-21T12:00Z.
- Nights, America/New_York: daily, 2 days a shift, from 2026-11-02 22:00 local, bob then dave, only
  from 22:00 to 06:00.
- Support, Asia/Kolkata: 8-hour shifts from 2026-11-02 09:00 local (03:30Z), carol, alice, bob,
  only from Monday 09:00 to Friday 18:00.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.conftest import FIREBELL, Server, cli, last_line
from tests.migrate_helpers import flat, landed, maintenance_windows, on_call

BACKUP = Path(__file__).parents[2] / "fixtures" / "opsgenie_backup"
PROM_KEY = "3e1c9a52-7b4d-4c1e-9f0a-6d2b8e4f1a37"  # the Prometheus integration's API key in the backup

EXPECTED = {
    "Platform_schedule": {
        "2026-11-05T12:00:00Z": "alice",
        "2026-11-09T07:59:00Z": "alice",  # 08:59 in Berlin: before the handoff
        "2026-11-09T08:00:00Z": "bob",
        "2026-11-20T13:00:00Z": "dave.diaz",  # carol's week, dave's override
        "2026-11-21T13:00:00Z": "carol",
        "2026-11-23T08:00:00Z": "alice",
        # 21 weeks on, after Berlin's clocks went forward: the handoff is still 09:00, now 07:00Z.
        "2027-03-29T06:30:00Z": "carol",
        "2027-03-29T07:30:00Z": "alice",
    },
    "Nights": {
        "2026-11-03T03:00:00-05:00": "bob",
        "2026-11-03T12:00:00-05:00": None,  # outside 22:00-06:00
        "2026-11-05T02:00:00-05:00": "dave.diaz",
        "2026-11-06T23:00:00-05:00": "bob",
    },
    "Support": {
        "2026-11-02T08:30:00+05:30": None,  # before the first shift
        "2026-11-02T10:00:00+05:30": "carol",
        "2026-11-02T17:30:00+05:30": "alice",
        "2026-11-03T10:00:00+05:30": "carol",  # 25 hours on: the fourth shift
        "2026-11-06T17:30:00+05:30": "alice",  # 104.5 hours on: the fourteenth
        "2026-11-06T18:30:00+05:30": None,  # Friday after 18:00
        "2026-11-08T12:00:00+05:30": None,  # Sunday
    },
}


def responder(server: Server, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIREBELL_URL": server.url, "FIREBELL_TOKEN": token}
    return subprocess.run([str(FIREBELL), *args], env=env, capture_output=True, text=True, timeout=60)


def test_a_migrated_opsgenie_backup_applies_and_puts_the_same_people_on_call(server: Server, tmp_path: Path) -> None:
    backup = BACKUP
    out, written = tmp_path / "oncall.yaml", tmp_path / "not-carried.txt"
    migrated = cli(
        server.database_url,
        "migrate",
        "opsgenie",
        "--from-dir",
        str(backup),
        "--out",
        str(out),
        "--report",
        str(written),
    )
    assert "4 user(s), 1 team(s), 3 schedule(s), 2 escalation policy(ies), 2 service(s)" in migrated.stdout
    report = written.read_text()
    assert "schedule 'Support': rotation 'Escalation pool' not carried: no participant could be carried" in report
    assert "read 'forwardings/': 1 file(s) not carried" in report

    applied = cli(server.database_url, "apply", "-f", str(out))
    assert "created service Prometheus" in applied.stdout
    assert "created the opsgenie integration Prometheus of service Prometheus" in applied.stdout
    assert "added a maintenance window to service Prometheus (2031-03-01T21:00:00+00:00" in applied.stdout
    assert "created schedule Platform_schedule" in applied.stdout
    assert "created escalation policy Platform_escalation" in applied.stdout
    first = out.read_text()
    cli(server.database_url, "migrate", "opsgenie", "--from-dir", str(backup), "--out", str(out))
    assert out.read_text() == first
    assert last_line(cli(server.database_url, "apply", "-f", str(out))) == "nothing to change"
    assert maintenance_windows(server) == [("Prometheus", "Database upgrade")]

    # Alertmanager's opsgenie_configs keeps its api_key; only api_url changes.
    alert = {"message": "Disk almost full", "alias": "disk-db-1", "priority": "P2"}
    sent = httpx.post(f"{server.url}/v2/alerts", json=alert, headers={"Authorization": f"GenieKey {PROM_KEY}"})
    assert sent.status_code == 202, sent.text
    assert landed(server) == [("Prometheus", "Disk almost full", "open_incident")]

    token = last_line(cli(server.database_url, "token", "create", "--name", "r", "--scope", "read"))
    answer = responder(server, token, "oncall", "now", "--schedule", "Nights", "--at", "2026-11-05T02:00:00-05:00")
    assert answer.stdout.strip() == "Nights: Dave Diaz (dave.diaz) until 2026-11-05 11:00:00 UTC"
    assert on_call(server, token, EXPECTED) == flat(EXPECTED)
