"""End to end with real peers: Prometheus Alertmanager firing at Firebell, and PagerDuty's own client."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Server, cli, free_port, last_line, need_peer

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def query(server: Server, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


def need_alertmanager() -> None:
    need_peer(
        None if ALERTMANAGER else "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
    )


@pytest.fixture
def alertmanager(server: Server, tmp_path: Path) -> Iterator[tuple[str, Server]]:
    need_alertmanager()
    cli(server.database_url, "service", "create", "web", "--group-by", "alertname")
    key = last_line(cli(server.database_url, "integration", "create", "--service", "web", "--kind", "alertmanager"))
    receiver_url = f"{server.url}/integrations/alertmanager/{key}"
    config = alertmanager_config(
        tmp_path,
        f"""\
        webhook_configs:
          - url: {receiver_url}
            send_resolved: true
        """,
    )
    with run_alertmanager(config, tmp_path) as url:
        yield url, server


def alertmanager_config(tmp_path: Path, receiver: str, repeat_interval: str = "1h", group_wait: str = "1s") -> Path:
    """An Alertmanager configuration that sends every alert, grouped by name and at once (after
    `group_wait`), to its one receiver `firebell`: `receiver` is that receiver's YAML (its notifiers)."""
    config = tmp_path / "alertmanager.yml"
    route = textwrap.dedent(f"""\
        route:
          receiver: firebell
          group_by: ['alertname']
          group_wait: {group_wait}
          group_interval: 1s
          repeat_interval: {repeat_interval}
        receivers:
          - name: firebell
        """)
    config.write_text(route + textwrap.indent(textwrap.dedent(receiver), "    "))
    return config


def fire(am_url: str, alertname: str, hosts: list[str], ends_at: dt.datetime | None = None) -> None:
    """Alerts of this name on these hosts, pushed to Alertmanager as Prometheus does (ended at `ends_at`)."""
    now = dt.datetime.now(dt.UTC)
    alerts: list[dict[str, Any]] = []
    for host in hosts:
        alert: dict[str, Any] = {
            "labels": {"alertname": alertname, "instance": host},
            "startsAt": (now - dt.timedelta(minutes=1)).isoformat(),
        }
        if ends_at is not None:
            alert["endsAt"] = ends_at.isoformat()
        alerts.append(alert)
    httpx.post(f"{am_url}/api/v2/alerts", json=alerts, timeout=10).raise_for_status()


@contextmanager
def run_alertmanager(config: Path, tmp_path: Path, *extra: str) -> Iterator[str]:
    """A real Alertmanager on a free port with this configuration, logging to alertmanager.log; its URL."""
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [
            str(ALERTMANAGER),
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(url), timeout=30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _post_alerts(am_url: str, names: list[str], ends_at: dt.datetime | None = None) -> None:
    now = dt.datetime.now(dt.UTC)
    alerts = []
    for name in names:
        alert = {
            "labels": {"alertname": "DiskFull", "severity": "critical", "instance": name},
            "annotations": {"summary": f"Disk full on {name}", "runbook_url": "https://runbooks/disk"},
            "startsAt": (now - dt.timedelta(minutes=1)).isoformat(),
            "generatorURL": "http://prometheus/graph",
        }
        if ends_at is not None:
            alert["endsAt"] = ends_at.isoformat()
        alerts.append(alert)
    httpx.post(f"{am_url}/api/v2/alerts", json=alerts, timeout=10).raise_for_status()


def test_real_alertmanager_fires_and_resolves(alertmanager: tuple[str, Server]) -> None:
    am_url, server = alertmanager
    _post_alerts(am_url, ["db-1", "db-2", "db-3"])
    wait_for(lambda: query(server, "select count(*) from alerts")[0][0] == 3)
    incidents = query(server, "select sev, status, runbook_url, group_key from incidents")
    assert len(incidents) == 1, "one Alertmanager group is one incident"
    sev, status, runbook, group_key = incidents[0]
    assert (sev, status, runbook) == ("SEV-1", "detected", "https://runbooks/disk")
    assert "DiskFull" in str(group_key)
    raw = query(server, "select body from raw_payloads limit 1")[0][0]
    assert '"groupKey"' in str(raw)
    _post_alerts(am_url, ["db-1", "db-2", "db-3"], ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    wait_for(lambda: query(server, "select status from incidents")[0][0] == "resolved")
    assert {row[0] for row in query(server, "select status from alerts")} == {"resolved"}


def test_pagerduty_client_library_works_by_changing_the_url(server: Server) -> None:
    import pdpyras

    cli(server.database_url, "service", "create", "payments")
    key = last_line(cli(server.database_url, "integration", "create", "--service", "payments", "--kind", "pagerduty"))
    session = pdpyras.EventsAPISession(key)
    session.url = server.url  # the only change an existing sender needs
    dedup = session.trigger(
        "Payment gateway timeouts",
        "gw-1",
        severity="error",
        custom_details={"p99_ms": 4200},
        links=[{"href": "https://runbooks/pay", "text": "Runbook"}],
    )
    assert dedup
    session.trigger("Payment gateway timeouts", "gw-1", dedup_key=dedup, severity="error")
    assert query(server, "select count, status from alerts") == [(2, "triggered")]
    assert query(server, "select sev, runbook_url from incidents") == [("SEV-2", "https://runbooks/pay")]
    session.acknowledge(dedup)
    assert query(server, "select status from incidents") == [("acknowledged",)]
    session.resolve(dedup)
    assert query(server, "select status from alerts") == [("resolved",)]
    assert query(server, "select status from incidents") == [("resolved",)]
    bad = pdpyras.EventsAPISession("0" * 32)
    bad.url = server.url
    with pytest.raises(pdpyras.PDClientError):
        bad.trigger("nope", "h")


def test_pagerduty_events_of_different_classes_open_separate_incidents(server: Server) -> None:
    import pdpyras

    cli(server.database_url, "service", "create", "storage")  # default grouping: the same alert only
    key = last_line(cli(server.database_url, "integration", "create", "--service", "storage", "--kind", "pagerduty"))
    session = pdpyras.EventsAPISession(key)
    session.url = server.url
    on_db = {"component": "postgres"}
    session.trigger("Disk 91% full on db-1", "db-1", severity="warning", payload={"class": "disk full", **on_db})
    session.trigger("CPU load 93% on db-1", "db-1", payload={"class": "cpu load", **on_db})
    session.trigger("CPU load 97% on db-1", "db-1", payload={"class": "cpu load", **on_db})
    incidents = sorted(query(server, "select title, sev from incidents"))
    assert incidents == [("CPU load 93% on db-1", "SEV-1"), ("Disk 91% full on db-1", "SEV-3")]
    assert query(server, "select summary, join_reason from alerts where join_reason is not null") == [
        ("CPU load 97% on db-1", "same alert class=cpu load, source=db-1, component=postgres within 5m")
    ]
