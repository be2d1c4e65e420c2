"""`firebell migrate verify`: migrate from a vendor's stand-in, apply, compare; then change Firebell and see it.

The vendors' final timelines are the stand-ins' hand-written ones (tests/opsgenie_standin.py,
tests/pagerduty_standin.py); Firebell's side is read over its REST API from the running server.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests import grafana_oncall_standin, opsgenie_standin, pagerduty_standin
from tests.conftest import FIREBELL, Server, cli, last_line
from tests.migrate_helpers import error_line


def verify(vendor: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FIREBELL), "migrate", "verify", vendor, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def migrated(server: Server, vendor: str, env: dict[str, str], url: str, out: Path) -> dict[str, str]:
    """Migrate from the stand-in at `url` and apply; the environment verify needs to reach Firebell."""
    env = {**os.environ, **env, "FIREBELL_DATABASE_URL": server.database_url}
    done = subprocess.run(
        [str(FIREBELL), "migrate", vendor, "--api-url", url, "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    cli(server.database_url, "apply", "-f", str(out))  # creating the services it declares
    token = last_line(cli(server.database_url, "token", "create", "--name", "v", "--scope", "read"))
    return {"FIREBELL_URL": server.url, "FIREBELL_TOKEN": token}


def change_override(server: Server, out: Path, schedule: str, user: str) -> None:
    """Re-apply the migrated file with one override given to someone else."""
    document = yaml.safe_load(out.read_text())
    found = next(s for s in document["schedules"] if s["name"] == schedule)
    found["overrides"][0]["user"] = user
    out.write_text(yaml.safe_dump(document, sort_keys=False))
    cli(server.database_url, "apply", "-f", str(out))


def test_pagerduty_and_firebell_agree_until_firebell_is_changed(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "oncall.yaml"
    source = {"PAGERDUTY_TOKEN": pagerduty_standin.TOKEN}
    with pagerduty_standin.serving(pagerduty_standin.StandIn(page_size=2)) as standin:
        firebell = migrated(server, "pagerduty", source, standin.url, out)
        window = ["--api-url", standin.url, "--start", "2026-11-02T00:00:00Z", "--weeks", "2"]
        same = verify("pagerduty", {**source, **firebell}, *window)
        assert same.returncode == 0, same.stdout + same.stderr
        # The window's start, then Primary's 10 boundaries inside it and Nights' 27 (its last end is after).
        assert same.stdout.strip() == "2 schedule(s) compared, 39 handoff(s) checked, no differences"

        change_override(server, out, "Primary", "ann")
        changed = verify("pagerduty", {**source, **firebell}, *window)
    assert changed.returncode == 1, changed.stderr
    assert changed.stdout.strip().splitlines() == [
        "Primary: from 2026-11-11 12:00 CET (2026-11-11 11:00 UTC) to 2026-11-12 12:00 CET (2026-11-12 11:00 UTC): "
        "PagerDuty says cy@example.com, Firebell says ann@example.com",
        "2 schedule(s) compared, 39 handoff(s) checked, 1 difference(s)",
    ]


def test_opsgenie_and_firebell_agree_and_a_team_rotation_shows(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "oncall.yaml"
    source = {"OPSGENIE_API_KEY": opsgenie_standin.API_KEY}
    with opsgenie_standin.serving(opsgenie_standin.StandIn()) as standin:
        firebell = migrated(server, "opsgenie", source, standin.url, out)
        window = ["--api-url", standin.url, "--start", "2026-11-16T00:00:00Z", "--weeks", "1"]
        picked = ["--schedule", "Platform_schedule", "--schedule", "Nights"]
        same = verify("opsgenie", {**source, **firebell}, *window, *picked)
        assert same.returncode == 0, same.stdout + same.stderr
        assert same.stdout.strip().endswith("no differences")
        assert same.stdout.startswith("2 schedule(s) compared")
        timeline = next(r for r in standin.requests if "/timeline" in r)
        assert "identifierType=id" in timeline
        assert "intervalUnit=weeks" in timeline

        # Opsgenie pages the team of the "Escalation pool" rotation too; migrate could not carry it.
        support = verify("opsgenie", {**source, **firebell}, *window, "--schedule", "Support")
        assert support.returncode == 1
        assert "Opsgenie says carol@example.com, team Platform, Firebell says carol@example.com" in support.stdout

        change_override(server, out, "Platform_schedule", "bob")
        changed = verify("opsgenie", {**source, **firebell}, *window, *picked)
    assert changed.returncode == 1, changed.stderr
    lines = changed.stdout.strip().splitlines()
    assert lines[0] == (
        "Platform_schedule: from 2026-11-20 13:00 CET (2026-11-20 12:00 UTC) to 2026-11-21 13:00 CET "
        "(2026-11-21 12:00 UTC): Opsgenie says dave.diaz@example.com, Firebell says bob@example.com"
    )
    assert lines[1].endswith("1 difference(s)")


def test_grafana_oncall_and_firebell_agree_until_firebell_is_changed(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "oncall.yaml"
    source = {"GRAFANA_ONCALL_TOKEN": grafana_oncall_standin.TOKEN}
    with grafana_oncall_standin.serving(grafana_oncall_standin.StandIn(page_size=2)) as standin:
        firebell = migrated(server, "grafana-oncall", source, standin.url, out)
        window = ["--api-url", standin.url, "--start", "2029-11-12T08:00:00Z", "--weeks", "1", "--schedule", "Primary"]
        same = verify("grafana-oncall", {**source, **firebell}, *window)
        assert same.returncode == 0, same.stdout + same.stderr
        # The window's start, then the four handoffs inside it (the last shift ends with the window).
        assert same.stdout.strip() == "1 schedule(s) compared, 5 handoff(s) checked, no differences"
        shifts = next(r for r in standin.requests if "/final_shifts" in r)
        assert "start_date=2029-11-11" in shifts
        assert "end_date=2029-11-20" in shifts

        change_override(server, out, "Primary", "ann")
        changed = verify("grafana-oncall", {**source, **firebell}, *window)
    assert changed.returncode == 1, changed.stderr
    assert changed.stdout.strip().splitlines() == [
        "Primary: from 2029-11-14 12:00 CET (2029-11-14 11:00 UTC) to 2029-11-15 12:00 CET (2029-11-15 11:00 UTC): "
        "Grafana OnCall says ben@example.com, Firebell says ann@example.com",
        "1 schedule(s) compared, 5 handoff(s) checked, 1 difference(s)",
    ]


def test_bad_input_is_one_line_and_a_failure(server: Server, tmp_path: Path) -> None:
    token = last_line(cli(server.database_url, "token", "create", "--name", "v", "--scope", "read"))
    firebell = {"FIREBELL_URL": server.url, "FIREBELL_TOKEN": token}
    with pagerduty_standin.serving(pagerduty_standin.StandIn()) as standin:
        source = {"PAGERDUTY_TOKEN": pagerduty_standin.TOKEN}
        unknown = verify("pagerduty", {**source, **firebell}, "--api-url", standin.url, "--schedule", "Nope")
        assert error_line(unknown) == "error: no schedule named 'Nope' in PagerDuty"
        wrong = verify("pagerduty", {"PAGERDUTY_TOKEN": "wrong", **firebell}, "--api-url", standin.url)
        assert error_line(wrong).startswith(f"error: reading PagerDuty at {standin.url}: GET /schedules: HTTP 401")
        start = verify("pagerduty", {**source, **firebell}, "--api-url", standin.url, "--start", "2026-11-02 09:00")
        assert error_line(start) == "error: give --start with its UTC offset, as in 2026-12-24T09:00:00+01:00"
    no_token = subprocess.run(
        [str(FIREBELL), "migrate", "verify", "pagerduty", "--api-url", "http://127.0.0.1:9"],
        env={k: v for k, v in os.environ.items() if k != "PAGERDUTY_TOKEN"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert error_line(no_token) == "error: give --token (or PAGERDUTY_TOKEN) for PagerDuty"
    unknown_source = verify("splunk", firebell)
    assert error_line(unknown_source) == (
        "error: no source named 'splunk': use one of grafana-oncall, opsgenie, pagerduty"
    )
    no_url = verify("grafana-oncall", {"GRAFANA_ONCALL_TOKEN": "t", **firebell})
    assert error_line(no_url) == "error: give --api-url for Grafana OnCall: the address of its API"
    unreachable = verify("opsgenie", {"OPSGENIE_API_KEY": "k", **firebell}, "--api-url", "http://127.0.0.1:9")
    assert error_line(unreachable).startswith("error: reading Opsgenie at http://127.0.0.1:9: GET /v2/schedules:")
    no_firebell = verify("opsgenie", {"OPSGENIE_API_KEY": "k", "FIREBELL_URL": server.url, "FIREBELL_TOKEN": ""})
    assert error_line(no_firebell).startswith("error: no API token")
