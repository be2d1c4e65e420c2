"""Reading Opsgenie over HTTP: paging, a 429 waited out, a failing endpoint reported, the CLI's answers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from firebell.migrate.http import ReadFailed
from firebell.migrate.opsgenie import translate
from firebell.migrate.opsgenie_dir import read_backup
from firebell.migrate.opsgenie_http import OpsgenieReader, read_account
from firebell.migrate.output import render, report
from firebell.oncall.config_file import load
from tests.migrate_helpers import error_line, run_migrate
from tests.opsgenie_standin import API_KEY, BACKUP, StandIn, serving

NIGHTS = "5c4e0000-0000-0000-0000-000000000002"


def test_users_across_pages_a_429_waited_out_and_one_failing_schedule_endpoint_reported() -> None:
    standin = StandIn(page_size=3, throttle={"/v2/teams": 3}, broken={f"/v2/schedules/{NIGHTS}/overrides"})
    waits: list[float] = []
    with serving(standin):
        reader = OpsgenieReader.connect(standin.url, API_KEY, sleep=waits.append)
        try:
            source = read_account(reader)
        finally:
            reader.close()

    user_pages = [r for r in standin.requests if r.startswith("/v2/users?")]
    assert len(user_pages) == 2  # 4 users, 3 a page: the second page came from paging.next
    assert "offset=3" in user_pages[1]
    assert sorted(u["username"] for u in source.users) == [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave.diaz@example.com",
    ]
    assert all("userContacts" in u for u in source.users)  # each user read again with expand=contact
    assert [r for r in standin.requests if r.startswith("/v2/teams")][:2] == ["/v2/teams", "/v2/teams"]
    # The 429's X-RateLimit-Period-In-Sec (3) was waited, then the 500s were retried with backoff.
    assert waits[0] == 3.0
    assert waits[1:] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert [p.line() for p in source.problems] == [
        f"schedule 'Nights': overrides not read (GET /v2/schedules/{NIGHTS}/overrides: HTTP 500 (Internal Server "
        "Error) after 5 retries); carried without them"
    ]

    migration = translate(source)
    text = render(migration, "Opsgenie")
    load(text, "migrated.yaml")  # apply accepts it
    # What came over HTTP is what the backup of the same account gives (Nights has no overrides).
    assert text == render(translate(read_backup(BACKUP)), "Opsgenie")
    assert "overrides not read" in report(migration, "Opsgenie")


def test_rate_limiting_that_never_ends_gives_up_after_the_retries() -> None:
    standin = StandIn(always_throttled={"/v2/escalations"})
    waits: list[float] = []
    with serving(standin):
        reader = OpsgenieReader.connect(standin.url, API_KEY, sleep=waits.append, retries=3)
        try:
            with pytest.raises(ReadFailed, match=r"GET /v2/escalations: HTTP 429 .* after 3 retries"):
                read_account(reader)
        finally:
            reader.close()
    assert waits[-3:] == [60.0, 60.0, 60.0]  # the period asked for, at most a minute each
    assert sum(r == "/v2/escalations" for r in standin.requests) == 4


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return run_migrate("opsgenie", "OPSGENIE_API_KEY", *args)


def test_the_cli_reads_the_api_writes_the_file_and_the_report(tmp_path: Path) -> None:
    out, written = tmp_path / "oncall.yaml", tmp_path / "report.txt"
    standin = StandIn(throttle={"/v2/schedules": 1})
    with serving(standin):
        result = migrate("--api-url", standin.url, "--api-key", API_KEY, "--out", str(out), "--report", str(written))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(
            f"wrote {out}: 4 user(s), 1 team(s), 3 schedule(s), 2 escalation policy(ies), 2 service(s)"
        )
        text = written.read_text()
        assert "integration 'Email': not carried (Email): Firebell takes no alerts by email" in text
        assert "maintenance 'Database upgrade': integration 'Email' was not carried" in text
        assert "maintenance 'Old window'" not in text  # only windows not over yet were asked for
        assert "/v1/maintenance?type=non-expired" in standin.requests
        assert "/v2/integrations/1f000000-0000-0000-0000-000000000006" not in standin.requests  # disabled: not read
        config, _tree = load(out.read_text(), str(out))
        keys = {s.name: [(i.kind, i.key) for i in s.integrations or []] for s in config.services}
        assert keys == {
            "Checkout-API": [("opsgenie", "9b7d5f31-2c4e-4a6b-8d0f-1e3a5c7e9b2d")],
            "Prometheus": [("opsgenie", "3e1c9a52-7b4d-4c1e-9f0a-6d2b8e4f1a37")],
        }
        assert written.read_text() in result.stdout
        first = out.read_text()

        again = migrate("--api-url", standin.url, "--api-key", API_KEY, "--out", str(out))
        assert again.returncode == 0, again.stderr
        assert out.read_text() == first  # the same account, the same file

        dry = tmp_path / "dry.yaml"
        plan = migrate("--api-url", standin.url, "--api-key", API_KEY, "--out", str(dry), "--dry-run")
        assert plan.returncode == 0, plan.stderr
        assert not dry.exists()
        assert f"would write {dry}" in plan.stdout
        assert (
            "  schedule Platform_schedule [Europe/Berlin]: Weekly primary (weekly_rotation, 3); 1 override(s)"
            in plan.stdout
        )
        assert "  service Prometheus: policy -, 1 integration(s), 1 maintenance window(s)" in plan.stdout

        refused = migrate("--api-url", standin.url, "--api-key", "wrong", "--out", str(tmp_path / "x.yaml"))
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"error: reading Opsgenie at {standin.url}: GET /v2/users: HTTP 401 (Could not authenticate)"
    )
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: give --from-dir DIR or --api-key KEY (or OPSGENIE_API_KEY), one of them"),
        (
            ["--api-key", "k", "--from-dir", "."],
            "error: give --from-dir DIR or --api-key KEY (or OPSGENIE_API_KEY), one of them",
        ),
        (["--from-dir", "/nonexistent/backup"], "error: /nonexistent/backup is not a directory"),
        (
            ["--api-url", "http://127.0.0.1:9", "--api-key", "k"],
            "error: reading Opsgenie at http://127.0.0.1:9: GET /v2/users:",
        ),
    ],
)
def test_cli_errors_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    assert error_line(migrate(*args, "--out", str(tmp_path / "o.yaml"))).startswith(message)


def test_an_integration_that_cannot_be_read_is_reported_and_its_maintenance_not_lost_silently() -> None:
    prometheus = "1f000000-0000-0000-0000-000000000001"
    standin = StandIn(broken={f"/v2/integrations/{prometheus}"})
    with serving(standin):
        reader = OpsgenieReader.connect(standin.url, API_KEY, sleep=lambda _s: None)
        try:
            source = read_account(reader)
        finally:
            reader.close()
    text = report(translate(source), "Opsgenie")
    assert f"integration 'Prometheus': details not read (GET /v2/integrations/{prometheus}: HTTP 500" in text
    assert "integration 'Prometheus': not carried (Prometheus): no API key was read" in text
    assert "maintenance 'Database upgrade': integration 'Prometheus' was not carried" in text
    assert [s["name"] for s in translate(source).document["services"]] == ["Checkout-API"]
