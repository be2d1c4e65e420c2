"""End to end with PagerDuty's own senders pointed at a running Firebell: the `pagerduty` Python
client (which speaks only HTTPS, so Firebell serves TLS here) and Prometheus Alertmanager's
PagerDuty notifier (Events API v2, its `url` set to Firebell's)."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pagerduty
import pytest
import trustme

from tests.conftest import Server, cli, last_line, start_server
from tests.e2e.intake.test_peers import alertmanager_config, fire, need_alertmanager, run_alertmanager, wait_for


class Api:
    """Firebell's own API, as a reader sees it."""

    def __init__(self, server: Server, verify: ssl.SSLContext | None = None) -> None:
        token = last_line(cli(server.database_url, "token", "create", "--name", "check", "--scope", "read"))
        self.http = httpx.Client(
            base_url=f"{server.url}/api/v1",
            headers={"authorization": f"Bearer {token}"},
            verify=verify or True,
            timeout=30,
        )

    def get(self, path: str, **params: str) -> Any:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def incident_states(self) -> list[tuple[str, str, int]]:
        return [(i["title"], i["status"], i["alert_count"]) for i in self.get("/incidents")]


@pytest.fixture
def https_server(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, ssl.SSLContext]]:
    """Firebell serving HTTPS with a certificate for 127.0.0.1 from a throwaway CA; a context trusting it."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    cert.private_key_pem.write_to_path(str(key_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    cli(database_url, "db", "upgrade")
    env = {"FIREBELL_TLS__CERT_FILE": str(cert_file), "FIREBELL_TLS__KEY_FILE": str(key_file)}
    running = start_server(database_url, tmp_path / "server.log", env=env, verify=trusted)
    try:
        yield running, trusted
    finally:
        running.stop()


def _client(server: Server, key: str, trusted: ssl.SSLContext) -> pagerduty.EventsApiV2Client:
    # the only change an existing sender needs: the base URL (and, for a private CA, whom to trust)
    client = pagerduty.EventsApiV2Client(key, base_url=server.url, verify=trusted)
    client.max_network_attempts = 0
    return client


def test_pagerduty_client_over_https(https_server: tuple[Server, ssl.SSLContext]) -> None:
    server, trusted = https_server
    assert server.url.startswith("https://")
    with pytest.raises(httpx.ConnectError):  # the certificate is checked: an untrusting client is refused
        httpx.get(f"{server.url}/readyz", timeout=5)
    cli(server.database_url, "service", "create", "payments")
    key = last_line(cli(server.database_url, "integration", "create", "--service", "payments", "--kind", "pagerduty"))
    client = _client(server, key, trusted)
    api = Api(server, trusted)

    dedup = client.trigger(
        "Payment gateway timeouts",
        "gw-1",
        dedup_key="gw-timeouts",
        severity="error",
        custom_details={"p99_ms": 4200},
        links=[{"href": "https://runbooks/pay", "text": "Runbook"}],
    )
    assert dedup == "gw-timeouts"
    assert client.trigger("Payment gateway timeouts", "gw-1", dedup_key=dedup, severity="error") == dedup
    [alert] = api.get("/alerts")
    assert (alert["dedup_key"], alert["status"], alert["count"], alert["service"]) == (
        "gw-timeouts",
        "triggered",
        2,
        "payments",
    )
    assert alert["details"]["custom_details"] == {"p99_ms": 4200}
    assert (alert["origin"], alert["labels"]["source"]) == ("gw-1", "gw-1")
    [incident] = api.get("/incidents")
    assert (incident["sev"], incident["runbook_url"]) == ("SEV-2", "https://runbooks/pay")
    assert api.incident_states() == [("Payment gateway timeouts", "detected", 1)]

    assert client.acknowledge(dedup) == dedup
    assert api.get(f"/alerts/{alert['id']}")["status"] == "acknowledged"
    assert api.incident_states() == [("Payment gateway timeouts", "acknowledged", 1)]
    assert client.resolve(dedup) == dedup
    assert api.get(f"/alerts/{alert['id']}")["status"] == "resolved"
    assert api.incident_states() == [("Payment gateway timeouts", "resolved", 1)]

    unknown = _client(server, "0" * 32, trusted)
    with pytest.raises(pagerduty.HttpError) as refused:
        unknown.trigger("nope", "h")
    assert refused.value.response.status_code == 404
    assert refused.value.response.json()["errors"][0].startswith("routing_key: ")
    assert len(api.get("/alerts")) == 1

    # a change event through the same client, timestamped by the sender
    at = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    client.submit(
        "Deploy payments v2.3.1",
        source="ci",
        custom_details={"version": "v2.3.1"},
        links=[{"href": "https://ci/run/7", "text": "CI run"}],
        timestamp=at.isoformat(),
    )
    [change] = api.get("/changes")
    assert (change["summary"], change["source"], change["version"], change["service"]) == (
        "Deploy payments v2.3.1",
        "ci",
        "v2.3.1",
        "payments",
    )
    assert dt.datetime.fromisoformat(change["at"]) == at
    assert change["links"] == [{"href": "https://ci/run/7", "text": "CI run"}]


# --- Alertmanager's own PagerDuty notifier ---------------------------------------------------------------


@pytest.fixture
def alertmanager_pd(server: Server, tmp_path: Path) -> Iterator[tuple[str, Server]]:
    need_alertmanager()
    cli(server.database_url, "service", "create", "storage", "--group-by", "alertname")
    key = last_line(cli(server.database_url, "integration", "create", "--service", "storage", "--kind", "pagerduty"))
    config = alertmanager_config(
        tmp_path,
        f"""\
        pagerduty_configs:
          - routing_key: {key}
            url: {server.url}/v2/enqueue
            send_resolved: true
            severity: critical
            class: disk
            component: postgres
            description: '{{{{ .CommonLabels.alertname }}}} on {{{{ len .Alerts.Firing }}}} hosts'
            details:
              hosts: '{{{{ range .Alerts }}}}{{{{ .Labels.instance }}}} {{{{ end }}}}'
            links:
              - href: https://runbooks/disk
                text: Runbook
        """,
        # Both hosts in the first notification, even when a loaded machine ingests them a second apart.
        group_wait="5s",
    )
    with run_alertmanager(config, tmp_path, "--log.level=debug") as url:
        yield url, server


def test_alertmanager_pagerduty_notifier_opens_and_resolves(
    alertmanager_pd: tuple[str, Server], tmp_path: Path
) -> None:
    am_url, server = alertmanager_pd
    api = Api(server)
    fire(am_url, "DiskFull", ["db-1", "db-2"])
    wait_for(lambda: len(api.get("/alerts")) == 1)
    [alert] = api.get("/alerts")
    assert (alert["summary"], alert["severity"], alert["status"], alert["origin"]) == (
        "DiskFull on 2 hosts",
        "critical",
        "triggered",
        "Alertmanager",
    )
    assert len(alert["dedup_key"]) == 64, "Alertmanager's dedup key: the hash of its group key"
    assert (alert["labels"]["class"], alert["labels"]["component"]) == ("disk", "postgres")
    details = api.get(f"/alerts/{alert['id']}")["details"]["custom_details"]
    assert details["hosts"] == "db-1 db-2 "
    assert details["num_firing"] == "2"
    [incident] = api.get("/incidents")
    assert (incident["title"], incident["sev"], incident["status"], incident["service"]) == (
        "DiskFull on 2 hosts",
        "SEV-1",
        "detected",
        "storage",
    )
    assert incident["runbook_url"] == "https://runbooks/disk"

    fire(am_url, "DiskFull", ["db-1", "db-2"], ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    wait_for(lambda: api.get(f"/alerts/{alert['id']}")["status"] == "resolved")
    assert api.incident_states() == [("DiskFull on 2 hosts", "resolved", 1)]
    log = (tmp_path / "alertmanager.log").read_text(errors="replace")
    assert "Notify for alerts failed" not in log, log[-3000:]
    assert "Notify success" in log


def test_serve_refuses_tls_files_that_do_not_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    monkeypatch.setenv("FIREBELL_TLS__CERT_FILE", str(tmp_path / "junk.pem"))
    monkeypatch.setenv("FIREBELL_TLS__KEY_FILE", str(tmp_path / "junk.pem"))
    refused = cli(f"sqlite:///{tmp_path / 'firebell.db'}", "serve", check=False)
    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: FIREBELL_TLS__CERT_FILE / KEY_FILE do not load: ")
    assert "PEM" in line
