"""Config as code: the playbook's rotation block applied from the CLI, then asked who is on call."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.conftest import FIREBELL, Server, cli, last_line

# The users around the playbook's block, then the block as it stands in the seeds (file 003).
CONFIG = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com, timezone: Europe/Berlin,
     contact_methods: [{type: email, address: alice@example.com},
                       {type: slack, address: "https://hooks.slack.com/services/T0/B0/x", delay: 1m}]}
  - {name: Bob, handle: bob, email: bob@example.com, timezone: America/New_York}
  - {name: Carol, handle: carol, email: carol@example.com}
  - {name: Erin Lead, handle: engineering_lead, email: lead@example.com}
  - {name: Vic, handle: vp_engineering, email: vp@example.com}
teams:
  - {name: sre, members: [alice, bob, carol]}

schedule:
  name: primary-oncall
  type: weekly_rotation
  participants:
    - name: Alice
      escalation_delay: 15m
    - name: Bob
      escalation_delay: 15m
    - name: Carol
      escalation_delay: 15m
  overrides: [] # Vacation swaps
  escalation_policy:
    - level: 1
      targets: [current_on_call]
      timeout: 15m
    - level: 2
      targets: [engineering_lead]
      timeout: 30m
    - level: 3
      targets: [vp_engineering]

services:
  - {name: checkout, escalation_policy: primary-oncall}
"""


def responder(server: Server, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIREBELL_URL": server.url, "FIREBELL_TOKEN": token}
    return subprocess.run([str(FIREBELL), *args], env=env, capture_output=True, text=True, timeout=60)


def test_apply_twice_changes_nothing_the_second_time_then_oncall_now(server: Server, tmp_path: Path) -> None:
    cli(server.database_url, "service", "create", "checkout")
    config = tmp_path / "oncall.yaml"
    config.write_text(CONFIG)
    first = cli(server.database_url, "apply", "-f", str(config))
    assert "created user alice" in first.stdout
    assert "created schedule primary-oncall" in first.stdout
    assert "created escalation policy primary-oncall" in first.stdout
    assert "set the escalation policy of service checkout" in first.stdout
    second = cli(server.database_url, "apply", "-f", str(config))
    assert last_line(second) == "nothing to change"

    token = last_line(cli(server.database_url, "token", "create", "--name", "r", "--scope", "read"))
    # Weekly from Monday 2024-01-01 09:00 UTC: Alice, Bob, Carol, Alice, ...
    at = {"2024-01-01T09:00:00+00:00": "alice", "2024-01-08T08:59:59+00:00": "alice", "2024-01-08T09:00:00Z": "bob"}
    for instant, handle in at.items():
        answer = responder(server, token, "oncall", "now", "--schedule", "primary-oncall", "--at", instant, "--json")
        assert answer.returncode == 0, answer.stderr
        assert json.loads(answer.stdout)["handle"] == handle
    week = responder(server, token, "oncall", "now", "--schedule", "primary-oncall", "--at", "2024-01-15T10:00:00Z")
    assert week.stdout.strip() == "primary-oncall: Carol (carol) until 2024-01-22 09:00:00 UTC"
    everywhere = responder(server, token, "oncall", "now", "--at", "2024-01-15T10:00:00Z")
    assert everywhere.stdout.strip() == week.stdout.strip()  # the file declares one schedule

    shown = responder(
        server,
        token,
        "schedule",
        "show",
        "primary-oncall",
        "--from",
        "2024-01-01T09:00:00Z",
        "--to",
        "2024-01-22T09:00:00Z",
    )
    assert shown.returncode == 0, shown.stderr
    assert [name in shown.stdout for name in ("Alice", "Bob", "Carol")] == [True, True, True]
    as_json = responder(server, token, "schedule", "show", "primary-oncall", "--from", "2024-01-01T09:00:00Z", "--json")
    assert [s["handle"] for s in json.loads(as_json.stdout)["shifts"]] == ["alice", "bob"]  # 14 days by default

    feed_url = last_line(cli(server.database_url, "schedule", "feed", "--schedule", "primary-oncall"))
    path = feed_url[feed_url.index("/api/v1/calendar/") :]
    assert path.endswith(".ics")
    fetched = httpx.get(server.url + path, timeout=10)
    assert fetched.status_code == 200
    assert fetched.text.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:On call: " in fetched.text
    no_one = cli(server.database_url, "schedule", "feed", "--user", "nobody-here", check=False)
    assert no_one.returncode == 1
    assert no_one.stderr.strip() == "error: no user with the handle or email 'nobody-here'"

    writer = last_line(cli(server.database_url, "token", "create", "--name", "w", "--scope", "respond"))
    swap = responder(
        server, writer, "schedule", "override", "primary-oncall", "--user", "carol", "--replaces", "alice",
        "--from", "2030-01-07T09:00:00Z", "--to", "2030-01-08T09:00:00Z",
    )  # fmt: skip
    assert swap.returncode == 0, swap.stderr
    covered = responder(server, token, "oncall", "now", "--schedule", "primary-oncall", "--at", "2030-01-07T12:00:00Z")
    assert "Carol (carol) by override" in covered.stdout
    refused = responder(
        server, token, "schedule", "override", "primary-oncall", "--user", "carol",
        "--from", "2030-01-07T09:00:00Z", "--to", "2030-01-08T09:00:00Z",
    )  # fmt: skip
    assert refused.returncode == 1  # a read-only token may not change the schedule
    assert len(refused.stderr.strip().splitlines()) == 1

    # An edit is an update, reported as one.
    config.write_text(CONFIG.replace("timeout: 30m", "timeout: 20m"))
    third = cli(server.database_url, "apply", "-f", str(config))
    assert third.stdout.splitlines()[:-1] == ["updated escalation policy primary-oncall"]

    # The export is the same configuration in the same format: applying it changes nothing.
    exported = tmp_path / "exported.yaml"
    cli(server.database_url, "export", "-o", str(exported))
    text = exported.read_text()
    assert "primary-oncall" in text
    assert "2030-01-07T09:00:00+00:00" in text  # the override made from the CLI
    assert last_line(cli(server.database_url, "apply", "-f", str(exported))) == "nothing to change"
    assert cli(server.database_url, "export").stdout == text


def test_bad_files_are_refused_whole_with_line_and_field(server: Server, tmp_path: Path) -> None:
    cli(server.database_url, "service", "create", "checkout")
    mallory = CONFIG.replace("    - name: Carol\n", "    - name: Mallory\n")
    cases = {
        "unknown person": (mallory, ":20: schedule.participants[2]: no user with the handle or name 'Mallory'"),
        "bad duration": (
            CONFIG.replace("timeout: 15m", "timeout: 15 minutes"),
            ":26: schedule.escalation_policy[0].timeout",
        ),
        "typo in a field": (CONFIG.replace("overrides: []", "overides: []"), ":22: schedule.overides: Extra inputs"),
        "not YAML": (CONFIG.replace("teams:", "teams: [unclosed"), ":10: not valid YAML"),
        "unknown zone": (CONFIG.replace("Europe/Berlin", "Mars/Olympus"), ":2: users[0].timezone"),
        "zone file name": (CONFIG.replace("Europe/Berlin", "localtime"), ":2: users[0].timezone"),
        "handle twice": (
            CONFIG.replace("handle: bob", "handle: alice"),
            ":5: users[1].handle: 'alice' is declared twice",
        ),
        "email twice": (CONFIG.replace("bob@example.com", "alice@example.com"), ":5: users[1].email: 'alice@example"),
        "policy twice": (
            CONFIG + "escalation_policies:\n  - {name: primary-oncall, levels: [{targets: [bob]}]}\n",
            ":36: escalation_policies[0].name: 'primary-oncall' is also the escalation policy",
        ),
        "new service name": (
            CONFIG + "  - {name: 'check out'}\n",
            ":35: services[1].name: use 1-100 letters, digits",
        ),
        "window without offset": (
            CONFIG
            + "  - name: ledger\n    maintenance:\n      - {start: '2031-01-01T10:00', end: '2031-01-01T12:00Z'}\n",
            ":37: services[1].maintenance[0]: maintenance times need a UTC offset",
        ),
    }
    for name, (text, expected) in cases.items():
        bad = tmp_path / f"{name}.yaml"
        bad.write_text(text)
        result = cli(server.database_url, "apply", "-f", str(bad), check=False)
        assert result.returncode == 1, name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (name, result.stderr)
        assert expected in lines[0], (name, lines[0])
    # Nothing of any refused file was applied, not even the users that came before the error.
    assert cli(server.database_url, "apply", "-f", str(tmp_path / "unknown person.yaml"), check=False).returncode == 1
    good = tmp_path / "good.yaml"
    good.write_text(CONFIG)
    assert "created user alice" in cli(server.database_url, "apply", "-f", str(good)).stdout
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select name from services")).scalars().all() == ["checkout"]
    finally:
        engine.dispose()


def test_stored_people_are_found_by_name_and_times_may_omit_the_leading_zero(server: Server, tmp_path: Path) -> None:
    cli(server.database_url, "service", "create", "checkout")
    first = tmp_path / "people.yaml"
    first.write_text(CONFIG)
    cli(server.database_url, "apply", "-f", str(first))
    later = tmp_path / "later.yaml"
    later.write_text("schedule:\n  name: weekend\n  handoff: '9:00'\n  participants: [Erin Lead, Bob]\n")
    result = cli(server.database_url, "apply", "-f", str(later))
    assert "created schedule weekend" in result.stdout


def test_demo_refuses_a_database_that_has_services_of_its_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'own.db'}"
    cli(url, "db", "upgrade")
    cli(url, "service", "create", "checkout")
    env = {**os.environ, "FIREBELL_DATABASE_URL": url, "FIREBELL_PORT": "1"}  # never reached: it stops first
    result = subprocess.run([str(FIREBELL), "serve", "--demo"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: demo not seeded: this database already has services")


def test_page_preview_tells_per_level_who_when_and_why_for_a_severity(server: Server, tmp_path: Path) -> None:
    """The playbook's block as it stands: each participant's escalation_delay and the level numbers
    count, and a SEV-3 in the night waits for each person's own working day."""
    cli(server.database_url, "service", "create", "checkout")
    (tmp_path / "oncall.yaml").write_text(CONFIG)
    cli(server.database_url, "apply", "-f", str(tmp_path / "oncall.yaml"))
    token = last_line(cli(server.database_url, "token", "create", "--name", "r", "--scope", "read"))
    # Tuesday 2026-12-08 03:00 in Berlin: Alice's week (153 weeks after 2024-01-01), Alice asleep.
    at = "2026-12-08T03:00:00+01:00"
    answer = responder(server, token, "page", "preview", "checkout", "--severity", "P3", "--at", at, "--json")
    assert answer.returncode == 0, answer.stderr
    body = json.loads(answer.stdout)
    assert (body["sev"], body["urgency"]) == ("SEV-3", "working_hours")
    levels = [(lv["level"], [p["handle"] for p in lv["people"]], lv["pages_at"], lv["why"]) for lv in body["levels"]]
    assert levels == [
        # 09:00 in Berlin; Alice's own 15m then hands over to level 2...
        (1, ["alice"], "2026-12-08T08:00:00Z", "SEV-3 waits for working hours: held until 2026-12-08 08:00 UTC"),
        # ...whose person works 09:00-17:00 UTC, so level 2 waits for that, and level 3 follows 30m later.
        (
            2,
            ["engineering_lead"],
            "2026-12-08T09:00:00Z",
            "SEV-3 waits for working hours: held until 2026-12-08 09:00 UTC",
        ),
        (
            3,
            ["vp_engineering"],
            "2026-12-08T09:30:00Z",
            "SEV-3 waits for working hours: within working hours, so at once",
        ),
    ]
    text = responder(server, token, "page", "preview", "checkout", "--severity", "SEV-1", "--at", at)
    assert "Level 1 at 2026-12-08 02:00:00 UTC" in text.stdout
    assert "why: SEV-1 pages at once, at any hour" in text.stdout
    bad = responder(server, token, "page", "preview", "checkout", "--severity", "SEV-7")
    assert bad.returncode != 0
    assert "severity" in bad.stderr
