"""Notification channels that hang or answer 500: each is retried with growing gaps and then marked
failed where people look (the delivery log, the incident's timeline); the channels that work are not
held up, and escalation goes on to the next level."""

from __future__ import annotations

import itertools
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from firebell.paging.channels.slack_api import SlackApiChannel
from firebell.paging.messages import MessageNotice
from firebell.paging.ports import RetryableDeliveryError
from tests.conftest import REPORTS, cli, last_line, start_server
from tests.e2e.peers import HttpSink, Received, hanging_smtp, http_sink, slack_api, smtp_sink, wait_for

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


# --- isolation: a dead SMTP relay, a receiver asking to wait, a node killed mid-send --------------

INCIDENTS = 150


def _isolation_config(hooks: HttpSink) -> str:
    return f"""\
users:
  - {{name: Alice, handle: alice, email: alice@example.com,
     contact_methods: [{{type: email, address: alice@example.com}}]}}
  - {{name: Bob, handle: bob, email: bob@example.com,
     contact_methods: [{{type: webhook, address: '{hooks.url}/hook/bob'}}]}}
  - {{name: Carol, handle: carol, email: carol@example.com,
     contact_methods: [{{type: webhook, address: '{hooks.url}/hook/carol'}}]}}
escalation_policies:
  - name: checkout
    levels:
      - {{targets: [alice, bob], timeout: 3s}}
      - {{targets: [carol], timeout: 1h}}
services:
  - {{name: checkout, escalation_policy: checkout}}
"""


def _fire(url: str, key: str, count: int, prefix: str, threads: int = 8) -> None:
    def one(n: int) -> int:
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": f"{prefix}-{n}",
            "payload": {"summary": f"{prefix} {n} is down", "source": "web", "severity": "critical"},
        }
        return httpx.post(f"{url}/v2/enqueue", json=event, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=threads) as pool:
        assert set(pool.map(one, range(count))) == {202}


def _lateness(pages: list[Received]) -> list[float]:
    """Each page's arrival minus the instant its policy said to page; for a page that arrived more than
    once, the last copy (the one that got through)."""
    last: dict[str, tuple[float, float]] = {}
    for page in pages:
        body = page.json()
        due = datetime.fromisoformat(body["page"]["due_at"]).timestamp()
        key = str(body["idempotency_key"])
        last[key] = (max(page.at, last.get(key, (0.0, 0.0))[0]), due)
    return sorted(at - due for at, due in last.values())


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(0.99 * len(values)))]


def test_a_relay_that_never_answers_holds_up_no_webhook_page(database_url: str, tmp_path: Path) -> None:
    with hanging_smtp() as relay, http_sink() as hooks:
        cli(database_url, "db", "upgrade")
        cli(database_url, "service", "create", "checkout", "--grouping-window", "0")
        key = last_line(cli(database_url, "integration", "create", "--service", "checkout", "--kind", "pagerduty"))
        (tmp_path / "oncall.yaml").write_text(_isolation_config(hooks))
        cli(database_url, "apply", "-f", str(tmp_path / "oncall.yaml"))
        env = {
            "FIREBELL_SMTP__HOST": relay.host,
            "FIREBELL_SMTP__PORT": str(relay.port),
            "FIREBELL_LIMITS__INTAKE_PER_SECOND": "0",
        }
        server = start_server(database_url, tmp_path / "server.log", env=env)
        try:
            _fire(server.url, key, INCIDENTS, "checkout", threads=2)  # a storm, not a benchmark of intake
            wait_for(lambda: len(hooks.on("/hook/bob")) >= INCIDENTS, timeout=60, what="Bob's webhook pages")
            wait_for(lambda: len(hooks.on("/hook/carol")) >= INCIDENTS, timeout=60, what="level 2: Carol's pages")
            stalled = relay.handler.stalled
        finally:
            server.stop()
    bob, carol = _lateness(hooks.on("/hook/bob")), _lateness(hooks.on("/hook/carol"))
    REPORTS.append(
        f"faults, SMTP relay that never answers ({database_url.split(':')[0]}), {INCIDENTS} incidents: "
        f"{stalled} emails stuck in the relay; webhook pages late p50 {bob[len(bob) // 2]:.3f} s, p99 "
        f"{_p99(bob):.3f} s, max {bob[-1]:.3f} s; level 2 late p99 {_p99(carol):.3f} s, max {carol[-1]:.3f} s"
    )
    assert stalled >= 1  # the relay did hang emails
    assert len(bob) == len(carol) == INCIDENTS
    assert bob[-1] < 1.0
    assert carol[-1] < 1.0


def test_a_webhook_asking_to_wait_is_retried_no_sooner(database_url: str, tmp_path: Path) -> None:
    wait = 3
    with smtp_sink() as smtp, http_sink() as hooks:
        refused: set[str] = set()

        def busy_once(path: str) -> int:
            if path in refused:
                return 200
            refused.add(path)
            return 429 if path.startswith("/hook") else 503

        hooks.status = busy_once
        hooks.headers = lambda path: (
            {"retry-after": str(wait)} if path not in refused or len(hooks.on(path)) == 0 else {}
        )
        cli(database_url, "db", "upgrade")
        cli(database_url, "service", "create", "checkout")
        key = last_line(cli(database_url, "integration", "create", "--service", "checkout", "--kind", "pagerduty"))
        (tmp_path / "oncall.yaml").write_text(
            "users:\n"
            "  - {name: Dave, handle: dave, email: dave@example.com, contact_methods: [\n"
            f"      {{type: webhook, address: '{hooks.url}/hook/dave'}},\n"
            f"      {{type: slack, address: '{hooks.url}/slack/dave'}}]}}\n"
            "escalation_policies:\n  - {name: checkout, levels: [{targets: [dave], timeout: 1h}]}\n"
            "services:\n  - {name: checkout, escalation_policy: checkout}\n"
        )
        cli(database_url, "apply", "-f", str(tmp_path / "oncall.yaml"))
        env = {
            "FIREBELL_SMTP__HOST": smtp.host,
            "FIREBELL_SMTP__PORT": str(smtp.port),
            "FIREBELL_NOTIFY__BACKOFF_BASE_SECONDS": "0.5",  # without Retry-After, the retry comes at 0.5 s
        }
        server = start_server(database_url, tmp_path / "server.log", env=env)
        try:
            _fire(server.url, key, 1, "busy")
            wait_for(
                lambda: len(hooks.on("/hook/dave")) + len(hooks.on("/slack/dave")) == 2, timeout=30, what="retries"
            )
        finally:
            server.stop()
    with hooks.lock:
        tries = {path: [a.at for a in hooks.attempts if a.path == path] for path in ("/hook/dave", "/slack/dave")}
    gaps = {path: round(times[1] - times[0], 2) for path, times in tries.items()}
    REPORTS.append(
        f"faults, receivers asking to wait ({database_url.split(':')[0]}): webhook 429 and Slack 503 with "
        f"Retry-After: {wait}; retried after {gaps} s (backoff alone: 0.5 s)"
    )
    for path, times in tries.items():
        assert len(times) == 2, (path, times)
        assert wait <= times[1] - times[0] < wait + 2, (path, times)


def _sent(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM deliveries WHERE status = 'sent'")).scalar_one())
    finally:
        engine.dispose()


def test_the_slack_api_rate_limit_reaches_the_engine_with_its_wait() -> None:
    with slack_api() as slack:
        slack.rate_limited, slack.retry_after = 1, "7"
        channel = SlackApiChannel(slack.token, slack.url, timeout=5)
        notice = MessageNotice("communication", "i", 1, "checkout down", "update", "update", "http://x/1", "k")
        with pytest.raises(RetryableDeliveryError) as refused:
            channel.send("#incidents", notice)
        channel.send("#incidents", notice)  # the next post goes through
    assert refused.value.retry_after == "7"
    assert "ratelimited" in str(refused.value)
    assert len(slack.posted_to("incidents")) == 1


SEND = 2.0  # the receiver takes this long to answer, so pages are in flight when the node dies


def test_pages_in_flight_at_a_sigkill_are_sent_by_another_node_within_seconds(
    database_url: str, tmp_path: Path
) -> None:
    incidents = 40

    def slow(path: str) -> int:
        time.sleep(SEND)
        return 200

    with http_sink() as hooks:
        hooks.status = slow
        cli(database_url, "db", "upgrade")
        cli(database_url, "service", "create", "web", "--grouping-window", "0")
        key = last_line(cli(database_url, "integration", "create", "--service", "web", "--kind", "pagerduty"))
        (tmp_path / "oncall.yaml").write_text(
            "users:\n"
            f"  - {{name: Erin, handle: erin, email: erin@example.com,"
            f" contact_methods: [{{type: webhook, address: '{hooks.url}/hook/erin'}}]}}\n"
            "escalation_policies:\n  - {name: web, levels: [{targets: [erin], timeout: 1h}]}\n"
            "services:\n  - {name: web, escalation_policy: web}\n"
        )
        cli(database_url, "apply", "-f", str(tmp_path / "oncall.yaml"))
        # Room for every page at once: what is measured is the hand-over, not a queue. The lease is
        # the default one.
        env = {"FIREBELL_NOTIFY__WORKERS": "64", "FIREBELL_NOTIFY__DESTINATION_WORKERS": "64"}
        doomed = start_server(database_url, tmp_path / "doomed.log", env=env)
        survivor = start_server(database_url, tmp_path / "survivor.log", env=env)
        try:
            _fire(doomed.url, key, incidents, "job")  # it pages them first: its engine is woken at once
            wait_for(lambda: len(hooks.attempts) >= incidents, timeout=30, what="every page in flight")
            doomed.process.send_signal(signal.SIGKILL)
            doomed.process.wait()
            # A receiver gets a page cut mid-send too; done is when Firebell knows every page went out.
            wait_for(lambda: _sent(database_url) == incidents, timeout=60, what="every page recorded as sent")
            time.sleep(1)
        finally:
            doomed.stop()
            survivor.stop()
    late = _lateness(hooks.on("/hook/erin"))
    with hooks.lock:
        copies = Counter(r.headers["idempotency-key"] for r in hooks.received)
    again = sum(1 for n in copies.values() if n > 1)
    REPORTS.append(
        f"faults, SIGKILL mid-send ({database_url.split(':')[0]}, default lease): {incidents} pages, {again} cut "
        f"mid-send and sent again by the other node (same key); lateness p50 {late[len(late) // 2]:.2f} s, "
        f"p99 {_p99(late):.2f} s, max {late[-1]:.2f} s"
    )
    assert len(copies) == incidents
    assert again >= 1  # the killed node had pages in flight
    assert set(copies.values()) <= {1, 2}
    assert _p99(late) < 10
