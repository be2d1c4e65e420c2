"""From a PagerDuty account to who is on call in Firebell: migrate (over HTTP), apply, ask.

The account is the stand-in's (tests/pagerduty_standin.py); the expectations are worked out by hand
from its layer definitions:

- Primary, Europe/Berlin (UTC+1 throughout): "Weekly" hands over Mondays at 09:00 from 2026-11-02,
  ann, ben, cy; "Weekend", the later layer, wins from Saturday 00:00 for 48 hours, daily turns from
  Saturday 2026-11-07 00:00, dee then ben; cy's override covers 2026-11-11 12:00 to 2026-11-12 12:00.
  The "Old" layer ended in January 2026 and is left out.
- Nights, America/New_York (UTC-5 throughout): 36-hour turns from 2026-11-02 18:00, ben then dee,
  on call only 18:00-06:00: ben until 11-04 06:00, dee until 11-05 18:00, ben again until 11-07 06:00.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.conftest import FIREBELL, Server, cli, last_line
from tests.migrate_helpers import flat, landed, maintenance_windows, on_call
from tests.pagerduty_standin import ROUTING_KEY, TOKEN, StandIn, serving

EXPECTED = {
    "Primary": {
        "2026-11-04T12:00:00+01:00": "ann",
        "2026-11-07T10:00:00+01:00": "dee",  # Saturday: the weekend layer, turn 0
        "2026-11-08T10:00:00+01:00": "ben",  # Sunday: turn 1
        "2026-11-09T08:59:00+01:00": "ann",  # the weekend is over; the weekly handoff is at 09:00
        "2026-11-09T09:00:00+01:00": "ben",
        "2026-11-11T13:00:00+01:00": "cy",  # the override over ben's week
        "2026-11-12T13:00:00+01:00": "ben",
        "2026-11-15T10:00:00+01:00": "dee",  # Sunday: turn 8
        "2026-11-16T10:00:00+01:00": "cy",
    },
    "Nights": {
        "2026-11-02T20:00:00-05:00": "ben",
        "2026-11-03T03:00:00-05:00": "ben",
        "2026-11-03T12:00:00-05:00": None,  # outside 18:00-06:00
        "2026-11-04T20:00:00-05:00": "dee",
        "2026-11-05T19:00:00-05:00": "ben",
        "2026-11-06T05:00:00-05:00": "ben",
    },
}


def test_a_migrated_pagerduty_account_applies_and_puts_the_same_people_on_call(server: Server, tmp_path: Path) -> None:
    out, written = tmp_path / "oncall.yaml", tmp_path / "not-carried.txt"
    env = {**os.environ, "PAGERDUTY_TOKEN": TOKEN, "FIREBELL_DATABASE_URL": server.database_url}
    with serving(StandIn(page_size=2)) as standin:
        args = ["migrate", "pagerduty", "--api-url", standin.url, "--out", str(out), "--report", str(written)]
        migrated = subprocess.run([str(FIREBELL), *args], env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert "4 user(s), 1 team(s), 2 schedule(s), 2 escalation policy(ies), 2 service(s)" in migrated.stdout
    report = written.read_text()
    assert "schedule 'Primary': layer 'Old' ended at 2026-01-01T00:00:00+01:00; left out" in report

    # A fresh Firebell: apply creates the services, with their integrations and maintenance windows.
    applied = cli(server.database_url, "apply", "-f", str(out))
    assert "created service batch" in applied.stdout
    assert "created service checkout" in applied.stdout
    assert "created the pagerduty integration Prometheus of service checkout" in applied.stdout
    assert "added a maintenance window to service checkout (2031-03-01T22:00:00+01:00" in applied.stdout
    assert "created schedule Primary" in applied.stdout
    assert "created escalation policy Platform EP" in applied.stdout
    assert "set the escalation policy of service checkout" in applied.stdout
    assert last_line(cli(server.database_url, "apply", "-f", str(out))) == "nothing to change"
    assert maintenance_windows(server) == [("checkout", "Database upgrade")]

    # The sender keeps its routing key; only the host changes.
    event = {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "payload": {"summary": "Checkout latency high", "source": "prom-1", "severity": "critical"},
    }
    sent = httpx.post(f"{server.url}/v2/enqueue", json=event, timeout=30)
    assert sent.status_code == 202, sent.text
    assert landed(server) == [("checkout", "Checkout latency high", "open_incident")]

    token = last_line(cli(server.database_url, "token", "create", "--name", "r", "--scope", "read"))
    assert on_call(server, token, EXPECTED) == flat(EXPECTED)
