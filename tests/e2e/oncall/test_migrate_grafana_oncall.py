"""From a Grafana OnCall instance to who is on call in Firebell: migrate (over HTTP), apply, ask.

The instance is the stand-in's (tests/grafana_oncall_standin.py); the expectations are worked out by
hand from its shifts:

- Primary, Europe/Berlin (UTC+1 in November): "Weekly" hands over Mondays at 09:00 from 2026-11-02,
  ann, ben, cy (cy's group also holds dee; cy is carried); "Weekend" (level 1, so it wins) is on call
  from Saturday 00:00 for 48 hours, weekly turns from 2026-11-07, dee then ben. The week of
  2029-11-12 is the 158th after 2026-11-02 (158 = 3 * 52 + 2: cy's) and the weekend of 2029-11-17
  the 158th after 2026-11-07 (even: dee's); ben's override (UTC, a web schedule's shift without a
  zone) covers 2029-11-14 11:00 to 2029-11-15 11:00 UTC, 12:00 to 12:00 in Berlin.
- Nights, America/New_York (UTC-5 from 2026-11-01): daily turns from 2026-11-02 18:00 in the
  schedule's zone, ben then dee, each on call 12 hours from 18:00.
- Office, UTC: ann Monday to Friday 13:00-21:00 in New York, 18:00-02:00 UTC in November.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import FIREBELL, Server, cli, last_line
from tests.grafana_oncall_standin import TOKEN, StandIn, serving
from tests.migrate_helpers import applied_creating, flat, on_call

EXPECTED = {
    "Primary": {
        "2026-11-04T12:00:00+01:00": "ann",
        "2026-11-07T10:00:00+01:00": "dee",  # Saturday: the weekend layer, turn 0
        "2026-11-08T10:00:00+01:00": "dee",  # Sunday: the same weekly turn
        "2026-11-09T08:59:00+01:00": "ann",  # the weekend is over; the weekly handoff is at 09:00
        "2026-11-09T09:00:00+01:00": "ben",
        "2026-11-14T10:00:00+01:00": "ben",  # the weekend layer, turn 1
        "2029-11-10T10:00:00+01:00": "ben",  # weekend turn 157
        "2029-11-12T08:59:00+01:00": "ben",  # weekly turn 157
        "2029-11-12T09:00:00+01:00": "cy",  # weekly turn 158
        "2029-11-14T11:59:00+01:00": "cy",
        "2029-11-14T12:00:00+01:00": "ben",  # the override
        "2029-11-15T11:59:00+01:00": "ben",
        "2029-11-15T12:00:00+01:00": "cy",
        "2029-11-17T10:00:00+01:00": "dee",  # weekend turn 158
        "2029-11-18T23:00:00+01:00": "dee",
        "2029-11-19T10:00:00+01:00": "ann",  # weekly turn 159
    },
    "Nights": {
        "2026-11-02T20:00:00-05:00": "ben",
        "2026-11-03T03:00:00-05:00": "ben",
        "2026-11-03T12:00:00-05:00": None,  # outside 18:00-06:00
        "2026-11-03T20:00:00-05:00": "dee",
        "2026-11-04T05:00:00-05:00": "dee",
        "2026-11-04T19:00:00-05:00": "ben",
    },
    "Office": {
        "2026-11-03T19:00:00+00:00": "ann",  # Tuesday 14:00 in New York
        "2026-11-04T01:30:00+00:00": "ann",  # Tuesday 20:30 in New York
        "2026-11-04T02:30:00+00:00": None,  # Tuesday 21:30 in New York
        "2026-11-03T12:00:00+00:00": None,
        "2026-11-07T01:00:00+00:00": "ann",  # Friday 20:00 in New York
        "2026-11-07T19:00:00+00:00": None,  # Saturday
    },
}


def test_a_migrated_grafana_oncall_instance_applies_and_puts_the_same_people_on_call(
    server: Server, tmp_path: Path
) -> None:
    out, written = tmp_path / "oncall.yaml", tmp_path / "not-carried.txt"
    env = {**os.environ, "GRAFANA_ONCALL_TOKEN": TOKEN, "FIREBELL_DATABASE_URL": server.database_url}
    with serving(StandIn(page_size=2)) as standin:
        args = ["migrate", "grafana-oncall", "--api-url", standin.url, "--out", str(out), "--report", str(written)]
        migrated = subprocess.run([str(FIREBELL), *args], env=env, capture_output=True, text=True, timeout=120)
        first = out.read_text()
        again = subprocess.run([str(FIREBELL), *args], env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert again.returncode == 0, again.stderr
    assert out.read_text() == first  # a re-run writes the same file
    assert "4 user(s), 2 team(s), 3 schedule(s), 2 escalation policy(ies), 3 service(s)" in migrated.stdout
    report = written.read_text()
    assert "schedule 'Primary': shift 'Old' ended at 2026-01-01T00:00:00+01:00; left out" in report

    # Apply creates the services the file declares.
    applied = applied_creating(server, out, ["batch", "checkout", "mail"])
    assert "created schedule Primary" in applied
    assert "created escalation policy Platform EP" in applied
    assert "set the escalation policy of service checkout" in applied

    token = last_line(cli(server.database_url, "token", "create", "--name", "r", "--scope", "read"))
    assert on_call(server, token, EXPECTED) == flat(EXPECTED)
