"""Reading PagerDuty over HTTP: classic paging, a 429 waited out, a failing schedule reported, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from firebell.migrate.http import ReadFailed
from firebell.migrate.output import render, report
from firebell.migrate.pagerduty import translate
from firebell.migrate.pagerduty_http import PagerDutyReader, read_account, read_folder
from firebell.oncall.config_file import load
from firebell.oncall.schemas import MaintenanceIn
from tests.conftest import FIREBELL
from tests.migrate_helpers import error_line, run_migrate
from tests.pagerduty_standin import ROUTING_KEY, TOKEN, StandIn, serving

NOW = datetime(2026, 11, 1, tzinfo=UTC)
START = datetime(2031, 3, 1, 21, 0, tzinfo=UTC)  # the stand-in's window, 22:00 in Berlin
BROKEN = {
    "id": "PSCHED3",
    "type": "schedule",
    "name": "Broken",
    "time_zone": "UTC",
    "schedule_layers": [],
}


def test_pages_across_more_true_a_429_waited_out_and_one_failing_schedule_reported() -> None:
    standin = StandIn(page_size=3, throttle={"/teams": 7}, broken={"/schedules/PSCHED3"}, extra_schedules=[BROKEN])
    waits: list[float] = []
    with serving(standin):
        reader = PagerDutyReader.connect(standin.url, TOKEN, sleep=waits.append)
        try:
            source = read_account(reader, NOW)
        finally:
            reader.close()

    user_pages = [r for r in standin.requests if r.startswith("/users?")]
    assert len(user_pages) == 2  # 4 users, 3 a page: the first answered more=true
    assert "offset=3" in user_pages[1]
    assert "include%5B%5D=contact_methods&include%5B%5D=notification_rules" in user_pages[0]
    assert sorted(u["email"] for u in source.users) == [
        "ann@example.com",
        "ben@example.com",
        "cy@example.com",
        "dee@example.com",
    ]
    assert all("contact_methods" in u and "notification_rules" in u for u in source.users)
    assert standin.accepts == {"application/vnd.pagerduty+json;version=2"}
    # The 429's ratelimit-reset (7 seconds) was waited, then /teams asked again; the broken schedule's
    # 500s were retried with backoff and then reported.
    assert [r.split("?")[0] for r in standin.requests].count("/teams") == 2
    assert waits == [7.0, 1.0, 2.0, 4.0, 8.0, 16.0]
    assert [p.line() for p in source.problems] == [
        "schedule 'Broken': not carried: its layers could not be read (GET /schedules/PSCHED3: HTTP 500 "
        "(Internal Server Error) after 5 retries)"
    ]
    overrides = [r for r in standin.requests if r.startswith("/schedules/PSCHED1/overrides")]
    assert overrides == [
        "/schedules/PSCHED1/overrides?since=2026-11-01T00%3A00%3A00%2B00%3A00&until=2027-11-01T00%3A00%3A00%2B00%3A00"
    ]

    migration = translate(source)
    text = render(migration, "PagerDuty")
    config, _ = load(text, "migrated.yaml")  # apply accepts it
    assert [s.name for s in config.all_schedules()] == ["Nights", "Primary"]
    assert config.services[1].integrations is not None
    assert config.services[1].integrations[0].key == ROUTING_KEY
    # Only the windows still open were asked for; the one of a service that was not carried is reported.
    assert "/maintenance_windows?filter=open&limit=100&offset=0" in standin.requests
    assert [(s.name, s.maintenance) for s in config.services] == [
        ("batch", None),
        ("checkout", [MaintenanceIn(start=START, end=START + timedelta(hours=4), reason="Database upgrade")]),
    ]
    written = report(migration, "PagerDuty")
    assert "schedule 'Broken': not carried" in written
    assert "maintenance 'Database upgrade': not carried for service 'retired': it was not carried" in written


def test_rate_limiting_that_never_ends_gives_up_after_the_retries() -> None:
    standin = StandIn()
    with serving(standin):
        reader = PagerDutyReader.connect(standin.url, TOKEN, sleep=lambda _s: None, retries=2)
        try:
            standin.throttle["/escalation_policies"] = 30
            assert "escalation_policies" in reader.get("/escalation_policies")  # one 429, then the answer
            standin.always_throttled.add("/services")
            with pytest.raises(ReadFailed, match=r"GET /services: HTTP 429 \(Rate Limit Exceeded\) after 2 retries"):
                reader.get("/services")
        finally:
            reader.close()
    assert reader.waits == [30.0, 60.0, 60.0]  # ratelimit-reset, at most a minute each
    assert sum(r == "/services" for r in standin.requests) == 3


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return run_migrate("pagerduty", "PAGERDUTY_TOKEN", *args)


def test_the_cli_reads_the_api_writes_the_file_and_the_report(tmp_path: Path) -> None:
    out, written = tmp_path / "oncall.yaml", tmp_path / "report.txt"
    standin = StandIn(page_size=2)
    with serving(standin):
        result = migrate("--api-url", standin.url, "--token", TOKEN, "--out", str(out), "--report", str(written))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(
            f"wrote {out}: 4 user(s), 1 team(s), 2 schedule(s), 2 escalation policy(ies), 2 service(s)"
        )
        text = written.read_text()
        assert "user 'ann@example.com': push_notification contact 'iPhone' not carried" in text
        assert "firebell apply refuses" not in text  # apply creates the services
        assert text in result.stdout
        first = out.read_text()

        env = {**os.environ, "PAGERDUTY_TOKEN": TOKEN}
        again = subprocess.run(
            [str(FIREBELL), "migrate", "pagerduty", "--api-url", standin.url, "--out", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stderr
        assert out.read_text() == first  # the token from the environment; the same account, the same file

        dry = tmp_path / "dry.yaml"
        plan = migrate("--api-url", standin.url, "--token", TOKEN, "--out", str(dry), "--dry-run")
        assert plan.returncode == 0, plan.stderr
        assert not dry.exists()
        assert "  schedule Primary [Europe/Berlin]: Weekly (weekly_rotation, 3), Weekend (daily_rotation, 2); " in (
            plan.stdout
        )
        assert "  service checkout: policy Platform EP, 1 integration(s), 1 maintenance window(s)" in plan.stdout

        refused = migrate("--api-url", standin.url, "--token", "wrong", "--out", str(tmp_path / "x.yaml"))
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"error: reading PagerDuty at {standin.url}: GET /users: HTTP 401 (Unauthorized)"
    assert not (tmp_path / "x.yaml").exists()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    out = ("--out", str(tmp_path / "o.yaml"))
    wanted = "error: give --from-dir DIR or --token TOKEN (or PAGERDUTY_TOKEN), one of them"
    assert error_line(migrate(*out)) == wanted
    assert error_line(migrate("--token", "t", "--from-dir", str(tmp_path), *out)) == wanted
    assert (
        error_line(migrate("--from-dir", str(tmp_path / "none"), *out))
        == f"error: {tmp_path / 'none'} is not a directory"
    )
    assert error_line(migrate("--from-dir", str(tmp_path), *out)).startswith(f"error: {tmp_path} holds none of ")
    unreachable = error_line(migrate("--api-url", "http://127.0.0.1:9", "--token", "t", *out))
    assert unreachable.startswith("error: reading PagerDuty at http://127.0.0.1:9: GET /users:")
    assert not (tmp_path / "o.yaml").exists()


def test_a_folder_of_saved_answers_gives_the_same_file_as_the_api(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    (saved / "members").mkdir(parents=True)
    (saved / "overrides").mkdir()
    window = {"since": NOW.isoformat(), "until": (NOW + timedelta(days=365)).isoformat()}
    with serving(StandIn(page_size=100)) as standin:
        reader = PagerDutyReader.connect(standin.url, TOKEN)
        try:
            from_api = render(translate(read_account(reader, NOW)), "PagerDuty")
            included = [("include[]", "contact_methods"), ("include[]", "notification_rules")]
            (saved / "users.json").write_text(json.dumps(reader.get("/users", included)))  # a page
            teams = reader.get("/teams")["teams"]
            (saved / "teams.json").write_text(json.dumps(teams))  # a bare list
            for team in teams:
                members = reader.get(f"/teams/{team['id']}/members")
                (saved / "members" / f"{team['id']}.json").write_text(json.dumps(members))
            schedules = [reader.get(f"/schedules/{s['id']}")["schedule"] for s in reader.get("/schedules")["schedules"]]
            (saved / "schedules.json").write_text(json.dumps(schedules))
            for schedule in schedules:
                overrides = reader.get(f"/schedules/{schedule['id']}/overrides", window)
                (saved / "overrides" / f"{schedule['id']}.json").write_text(json.dumps(overrides))
            (saved / "escalation_policies.json").write_text(json.dumps(reader.get("/escalation_policies")))
            services = reader.get("/services", [("include[]", "integrations")])
            (saved / "services.json").write_text(json.dumps(services))
            windows = reader.get("/maintenance_windows", {"filter": "open"})
            (saved / "maintenance_windows.json").write_text(json.dumps(windows))
        finally:
            reader.close()
    assert render(translate(read_folder(saved, NOW)), "PagerDuty") == from_api

    out = tmp_path / "oncall.yaml"
    result = migrate("--from-dir", str(saved), "--out", str(out))
    assert result.returncode == 0, result.stderr
    written, expected = yaml.safe_load(out.read_text()), yaml.safe_load(from_api)
    for kind in ("users", "teams", "schedules", "escalation_policies", "services"):
        assert [d["name"] for d in written[kind]] == [d["name"] for d in expected[kind]]

    (saved / "services.json").write_text('{"services": {"id": "P1"}}')
    assert error_line(migrate("--from-dir", str(saved), "--out", str(out))) == (
        f"error: {saved / 'services.json'}: neither a list of objects nor a page of them"
    )
