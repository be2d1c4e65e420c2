"""Notification channels that hang or answer 500: each is retried with growing gaps and then marked
failed where people look (the delivery log, the incident's timeline); the channels that work are not
held up, and escalation goes on to the next level."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from pathlib import Path

import httpx

from tests.conftest import REPORTS, cli, last_line, start_server
from tests.e2e.peers import HttpSink, http_sink, smtp_sink, wait_for

ATTEMPTS = 4


def _config(hooks: HttpSink) -> str:
    return f"""\
users:
  - name: Alice
    handle: alice
    email: alice@example.com
    contact_methods:
      - {{type: email, address: alice@example.com}}
      - {{type: webhook, address: '{hooks.url}/hook/hangs'}}
      - {{type: slack, address: '{hooks.url}/slack/broken'}}
  - name: Bob
    handle: bob
    email: bob@example.com
    contact_methods: [{{type: email, address: bob@example.com}}]
escalation_policies:
  - name: checkout
    levels:
      - {{targets: [alice], timeout: 4s}}
      - {{targets: [bob], timeout: 1h}}
services:
  - {{name: checkout, escalation_policy: checkout}}
"""


def _hang_or_fail(path: str) -> int:
    if path == "/hook/hangs":
        time.sleep(5)  # far past Firebell's 1 s webhook timeout
        return 200
    return 500 if path == "/slack/broken" else 200


def test_a_hanging_and_a_failing_channel_are_retried_and_nothing_else_waits(database_url: str, tmp_path: Path) -> None:
    with smtp_sink() as smtp, http_sink() as hooks:
        hooks.status = _hang_or_fail
        cli(database_url, "db", "upgrade")
        cli(database_url, "service", "create", "checkout")
        key = last_line(cli(database_url, "integration", "create", "--service", "checkout", "--kind", "pagerduty"))
        token = last_line(cli(database_url, "token", "create", "--name", "sre", "--scope", "read"))
        (tmp_path / "oncall.yaml").write_text(_config(hooks))
        cli(database_url, "apply", "-f", str(tmp_path / "oncall.yaml"))
        env = {
            "FIREBELL_SMTP__HOST": smtp.host,
            "FIREBELL_SMTP__PORT": str(smtp.port),
            "FIREBELL_WEBHOOK__TIMEOUT_SECONDS": "1",
            "FIREBELL_NOTIFY__ATTEMPTS": str(ATTEMPTS),
            "FIREBELL_NOTIFY__BACKOFF_BASE_SECONDS": "0.5",
        }
        server = start_server(database_url, tmp_path / "server.log", env=env)
        headers = {"authorization": f"Bearer {token}"}
        try:
            event = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": "checkout-down",
                "payload": {"summary": "checkout is down", "source": "web-1", "severity": "critical"},
            }
            fired = time.monotonic()
            assert httpx.post(f"{server.url}/v2/enqueue", json=event, timeout=10).status_code == 202
            wait_for(
                lambda: any("alice@example.com" in m.recipients for m in smtp.mails), timeout=10, what="Alice's email"
            )
            alice_after = time.monotonic() - fired
            wait_for(
                lambda: any("bob@example.com" in m.recipients for m in smtp.mails), timeout=30, what="level 2: Bob"
            )
            bob_after = time.monotonic() - fired

            def failed() -> list[dict[str, object]]:
                return list(httpx.get(f"{server.url}/api/v1/deliveries?status=failed", headers=headers).json())

            wait_for(lambda: len(failed()) == 2, timeout=60, what="both broken channels to be given up")
            log = httpx.get(f"{server.url}/api/v1/deliveries", headers=headers).json()
            incident = httpx.get(f"{server.url}/api/v1/incidents?status=open", headers=headers).json()[0]
            timeline = httpx.get(f"{server.url}/api/v1/incidents/{incident['number']}/timeline", headers=headers).json()
        finally:
            server.stop()
    broken = {str(d["channel"]): d for d in log if d["status"] == "failed"}
    assert set(broken) == {"webhook", "slack"}
    gaps: dict[str, list[float]] = {}
    for channel, delivery in broken.items():
        outcomes = [a["outcome"] for a in delivery["log"]]  # type: ignore[union-attr]
        assert outcomes == ["retry"] * (ATTEMPTS - 1) + ["failed"], (channel, outcomes)
        starts = [datetime.fromisoformat(str(a["started_at"])) for a in delivery["log"]]  # type: ignore[union-attr]
        gaps[channel] = [round((b - a).total_seconds(), 1) for a, b in itertools.pairwise(starts)]
    assert "ReadTimeout" in str(broken["webhook"]["last_error"])
    assert str(broken["slack"]["last_error"]).startswith("HTTP 500")
    for channel, between in gaps.items():
        assert between[-1] > between[0], (channel, between)  # backing off
    assert alice_after < 3  # not held up by the hanging webhook
    assert 4 <= bob_after < 12  # level 2 on time despite both failures
    sent = [d for d in log if d["status"] == "sent"]
    text = " ".join(str(e).lower() for e in timeline)
    assert "failed" in text
    REPORTS.append(
        f"faults, channels ({database_url.split(':')[0]}): {len(log)} deliveries, {len(sent)} sent, "
        f"{len(broken)} failed after {ATTEMPTS} attempts each (webhook hanging: gaps {gaps['webhook']} s; "
        f"Slack answering 500: gaps {gaps['slack']} s); Alice's email {alice_after:.1f} s after the alert, "
        f"Bob (level 2, 4 s) {bob_after:.1f} s"
    )
