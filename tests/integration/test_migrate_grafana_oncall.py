"""Reading Grafana OnCall over HTTP: page-number paging, a 429 waited out, a 500 retried, a list that
never answers, final shifts, a folder of saved answers, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import pytest

from firebell.migrate.grafana_oncall import translate
from firebell.migrate.grafana_oncall_http import GrafanaOnCallReader, final_shifts, read_account, read_folder
from firebell.migrate.http import ReadFailed
from firebell.migrate.output import render
from firebell.oncall.config_file import load
from tests.grafana_oncall_standin import BATCH_TOKEN, CHECKOUT_TOKEN, TOKEN, StandIn, serving
from tests.migrate_helpers import error_line, planned, run_migrate, written_report

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_pages_by_number_a_429_waited_out_and_a_500_retried() -> None:
    standin = StandIn(
        page_size=2,
        throttle={"/api/v1/teams/": 7},
        flaky={"/api/v1/on_call_shifts/": 1},
        broken={"/api/v1/personal_notification_rules/"},
    )
    waits: list[float] = []
    with serving(standin):
        reader = GrafanaOnCallReader.connect(standin.url, TOKEN, sleep=waits.append, retries=2)
        try:
            source = read_account(reader, NOW)
        finally:
            reader.close()

    user_pages = [r for r in standin.requests if r.startswith("/api/v1/users/")]
    assert user_pages == [
        "/api/v1/users/?page=1",
        "/api/v1/users/?page=2",
        "/api/v1/users/?page=3",
    ]  # 5 users, 2 a page
    assert [u["username"] for u in source.users] == ["ann", "ben", "cy", "dee", "bot"]
    assert len(source.shifts) == 6
    assert len(source.escalation_policies) == 10
    # The 429's Retry-After (7 s) was waited, the shifts' one 500 retried after 1 s, and the rules'
    # endless 500s given up after the retries (1 s, 2 s) and reported.
    assert waits == [1.0, 2.0, 7.0, 1.0]
    assert sum(r.startswith("/api/v1/teams/?page=1") for r in standin.requests) == 2
    assert source.notification_rules is None
    assert [p.line() for p in source.problems] == [
        "read 'personal notification rules': not read (GET /api/v1/personal_notification_rules/: HTTP 500 "
        "(A server error occurred.) after 2 retries); users carried with their email only"
    ]

    migration = translate(source)
    config, _ = load(render(migration, "Grafana OnCall"), "migrated.yaml")  # apply accepts it
    assert [s.name for s in config.all_schedules()] == ["Nights", "Office", "Primary"]
    keys = {svc.name: [i.key for i in svc.integrations or []] for svc in config.services}
    assert keys == {"batch": [BATCH_TOKEN], "checkout": [CHECKOUT_TOKEN], "mail": []}


def test_a_list_that_never_answers_fails_the_read() -> None:
    standin = StandIn(broken={"/api/v1/escalation_chains/"})
    with serving(standin):
        reader = GrafanaOnCallReader.connect(standin.url, TOKEN, sleep=lambda _s: None, retries=1)
        try:
            with pytest.raises(ReadFailed, match=r"GET /api/v1/escalation_chains/: HTTP 500 .* after 1 retries"):
                read_account(reader, NOW)
        finally:
            reader.close()


def test_final_shifts_are_read_as_instants_and_emails() -> None:
    with serving(StandIn(page_size=3)) as standin:
        reader = GrafanaOnCallReader.connect(standin.url, TOKEN)
        try:
            shifts = final_shifts(reader, "SPRIMARY0001", date(2029, 11, 12), date(2029, 11, 17))
            none = final_shifts(reader, "SNIGHTS00002", date(2029, 11, 12), date(2029, 11, 18))
        finally:
            reader.close()
    assert [(a.isoformat(), b.isoformat(), who) for a, b, who in shifts] == [
        ("2029-11-12T08:00:00+00:00", "2029-11-14T11:00:00+00:00", "cy@example.com"),
        ("2029-11-14T11:00:00+00:00", "2029-11-15T11:00:00+00:00", "ben@example.com"),
        ("2029-11-15T11:00:00+00:00", "2029-11-16T23:00:00+00:00", "cy@example.com"),
        ("2029-11-16T23:00:00+00:00", "2029-11-18T23:00:00+00:00", "dee@example.com"),
    ]
    assert none == []
    finals = [r for r in standin.requests if "final_shifts" in r]
    assert finals[:2] == [
        "/api/v1/schedules/SPRIMARY0001/final_shifts?start_date=2029-11-12&end_date=2029-11-17&page=1",
        "/api/v1/schedules/SPRIMARY0001/final_shifts?start_date=2029-11-12&end_date=2029-11-17&page=2",
    ]


migrate = partial(run_migrate, "grafana-oncall", "GRAFANA_ONCALL_TOKEN")


def test_the_cli_reads_the_api_writes_the_file_and_the_report(tmp_path: Path) -> None:
    out, written = tmp_path / "oncall.yaml", tmp_path / "report.txt"
    standin = StandIn(page_size=2)
    with serving(standin):
        text = written_report(
            migrate("--api-url", standin.url, "--token", TOKEN, "--out", str(out), "--report", str(written)),
            out,
            written,
            "4 user(s), 2 team(s), 3 schedule(s), 2 escalation policy(ies), 3 service(s)",
        )
        assert "schedule 'Legacy': not carried: its shifts come from the iCal feed" in text
        assert "firebell apply refuses" not in text
        assert "service 'checkout': route 'severity=critical' to 'Nights EP' not carried" in text
        first = out.read_text()
        again = run_migrate(
            "grafana-oncall", "GRAFANA_ONCALL_TOKEN", "--api-url", standin.url, "--out", str(out), secret=TOKEN
        )
        assert again.returncode == 0, again.stderr
        assert out.read_text() == first  # the token from the environment; the same instance, the same file

        dry = tmp_path / "dry.yaml"
        plan = planned(migrate("--api-url", standin.url, "--token", TOKEN, "--out", str(dry), "--dry-run"), dry)
        assert "  schedule Primary [Europe/Berlin]: Weekly (weekly_rotation, 3), Weekend (weekly_rotation, 2); " in plan
        assert "  service checkout: policy Platform EP, 1 integration(s)" in plan

        refused = migrate("--api-url", standin.url, "--token", "wrong", "--out", str(tmp_path / "x.yaml"))
        standin.forbidden.add("/api/v1/integrations/")
        failing = migrate("--api-url", standin.url, "--token", TOKEN, "--out", str(tmp_path / "y.yaml"))
    assert error_line(refused) == (
        f"error: reading Grafana OnCall at {standin.url}: GET /api/v1/users/: HTTP 401 (Invalid token.)"
    )
    assert error_line(failing) == (
        f"error: reading Grafana OnCall at {standin.url}: GET /api/v1/integrations/: HTTP 403 "
        "(You do not have permission to perform this action.)"
    )
    assert not (tmp_path / "x.yaml").exists()
    assert not (tmp_path / "y.yaml").exists()


def test_a_folder_of_saved_answers_gives_the_same_file_as_the_api(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    with serving(StandIn(page_size=100)) as standin:
        reader = GrafanaOnCallReader.connect(standin.url, TOKEN)
        try:
            from_api = render(translate(read_account(reader, NOW)), "Grafana OnCall")
            for name in (
                "users",
                "teams",
                "schedules",
                "on_call_shifts",
                "escalation_chains",
                "integrations",
                "routes",
            ):
                (saved / f"{name}.json").write_text(json.dumps(reader.get(f"/api/v1/{name}/")))  # pages
            rules = reader.get("/api/v1/personal_notification_rules/")["results"]
            (saved / "personal_notification_rules.json").write_text(json.dumps(rules))  # a bare list
            steps = reader.get("/api/v1/escalation_policies/")["results"]
            (saved / "escalation_policies.json").write_text(json.dumps(steps))
        finally:
            reader.close()
    assert render(translate(read_folder(saved, NOW)), "Grafana OnCall") == from_api

    out = tmp_path / "oncall.yaml"
    result = migrate("--from-dir", str(saved), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text() == from_api

    (saved / "teams.json").write_text('{"results": 3}')
    assert error_line(migrate("--from-dir", str(saved), "--out", str(out))) == (
        f"error: {saved / 'teams.json'}: neither a list of objects nor a page of them"
    )


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    out = ("--out", str(tmp_path / "o.yaml"))
    wanted = "error: give --api-url URL and --token TOKEN (or GRAFANA_ONCALL_TOKEN), or --from-dir DIR"
    assert error_line(migrate(*out)) == wanted
    assert error_line(migrate("--token", "t", *out)) == wanted
    assert (
        error_line(migrate("--from-dir", str(tmp_path / "none"), *out))
        == f"error: {tmp_path / 'none'} is not a directory"
    )
    unreachable = error_line(migrate("--api-url", "http://127.0.0.1:9", "--token", "t", *out))
    assert unreachable.startswith("error: reading Grafana OnCall at http://127.0.0.1:9: GET /api/v1/users/:")
    assert not (tmp_path / "o.yaml").exists()
