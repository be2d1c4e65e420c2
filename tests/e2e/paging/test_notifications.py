"""A page end to end: an alert into a running server, an email to a real SMTP server, a Block Kit
message and a signed webhook to a real HTTP receiver, and acknowledgement from the link and the CLI."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import re
import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import FIREBELL, cli, last_line, start_server
from tests.e2e.peers import HttpSink, SmtpSink, http_sink, smtp_sink, wait_for

SECRET = "webhook-test-secret"


def config(hooks: HttpSink) -> str:
    return f"""\
users:
  - name: Alice
    handle: alice
    email: alice@example.com
    contact_methods:
      - {{type: email, address: alice@example.com}}
      - {{type: slack, address: '{hooks.url}/slack/alice'}}
  - name: Carol
    handle: carol
    email: carol@example.com
    contact_methods: [{{type: webhook, address: '{hooks.url}/hook/carol'}}]
escalation_policies:
  - name: checkout
    levels:
      - {{targets: [alice], timeout: 3s}}
      - {{targets: [carol], timeout: 1h}}
services:
  - {{name: checkout, escalation_policy: checkout}}
"""


def _env(smtp: SmtpSink) -> dict[str, str]:
    return {
        "FIREBELL_SMTP__HOST": smtp.host,
        "FIREBELL_SMTP__PORT": str(smtp.port),
        "FIREBELL_SMTP__SENDER": "pager@firebell.test",
        "FIREBELL_WEBHOOK__SIGNING_SECRET": SECRET,
    }


def _setup(database_url: str, tmp_path: Path, hooks: HttpSink) -> tuple[str, str]:
    cli(database_url, "db", "upgrade")
    cli(database_url, "service", "create", "checkout")
    key = last_line(cli(database_url, "integration", "create", "--service", "checkout", "--kind", "pagerduty"))
    token = last_line(cli(database_url, "token", "create", "--name", "pager", "--scope", "respond"))
    (tmp_path / "oncall.yaml").write_text(config(hooks))
    cli(database_url, "apply", "-f", str(tmp_path / "oncall.yaml"))
    return key, token


# What the sender says beyond the summary (PagerDuty Events v2 custom_details, links, images).
DETAIL = "p99 3412ms on /checkout <pay> & retry"
IMAGE = "https://charts.example.com/checkout-p99.png"


def _trigger(url: str, key: str, dedup: str) -> None:
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {
            "summary": f"{dedup} is failing",
            "source": "web-1",
            "severity": "critical",
            "custom_details": {"latency": DETAIL, "error rate": 0.07},
        },
        "links": [{"href": "https://status.example.com/checkout", "text": "Status page"}],
        "images": [{"src": IMAGE, "alt": "p99 latency"}],
    }
    assert httpx.post(f"{url}/v2/enqueue", json=event, timeout=10).status_code == 202


def test_a_page_reaches_every_channel_and_the_link_acknowledges(database_url: str, tmp_path: Path) -> None:
    with smtp_sink() as smtp, http_sink() as hooks:
        key, token = _setup(database_url, tmp_path, hooks)
        server = start_server(database_url, tmp_path / "server.log", env=_env(smtp))
        try:
            _trigger(server.url, key, "checkout-5xx")
            wait_for(
                lambda: len(smtp.mails) == 1 and len(hooks.on("/slack/alice")) == 1, what="Alice's email and Slack"
            )
            mail = smtp.mails[0]
            assert mail.recipients == ["alice@example.com"]
            assert mail.sender == "pager@firebell.test"
            assert mail.message["subject"] == "[SEV-1] #1 checkout-5xx is failing (checkout)"
            assert mail.message.get_content_type() == "multipart/alternative"
            text = mail.text
            assert "Alice, you are paged (escalation level 1)." in text
            # Both parts carry what the sender said: the text as it is, the HTML escaped, the image a link.
            assert f"    latency: {DETAIL}" in text
            assert f"    Image (p99 latency): {IMAGE}" in text
            rich = mail.part("html")
            assert html.escape(DETAIL) in rich
            assert DETAIL not in rich
            assert f'<a href="{IMAGE}">p99 latency</a>' in rich
            assert "<img" not in rich
            slack = hooks.on("/slack/alice")[0].json()
            assert slack["text"] == mail.message["subject"]
            actions = next(b for b in slack["blocks"] if b["type"] == "actions")
            # The event's one link names no runbook, so it is taken as the runbook (a button of its own).
            assert [e["action_id"] for e in actions["elements"]] == ["acknowledge", "resolve", "open", "runbook"]
            alert_block = next(b for b in slack["blocks"] if b.get("text", {}).get("text", "").startswith("*Alert*"))
            assert {"type": "mrkdwn", "text": "*latency*\np99 3412ms on /checkout &lt;pay&gt; &amp; retry"} in (
                alert_block["fields"]
            )
            assert f"<{IMAGE}|image: p99 latency>" in json.dumps(slack)

            # Nobody acknowledges within 3 s: level 2 is Carol's signed webhook.
            wait_for(lambda: len(hooks.on("/hook/carol")) == 1, what="Carol's webhook")
            hook = hooks.on("/hook/carol")[0]
            signed = hook.headers["x-firebell-timestamp"].encode() + b"." + hook.body
            expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(hook.headers["x-firebell-signature"], expected)
            body = hook.json()
            assert (body["event"], body["page"]["level"], body["incident"]["number"]) == ("page", 2, 1)
            (alert,) = body["alerts"]
            assert {"key": "latency", "value": DETAIL} in alert["details"]
            assert alert["images"] == [{"src": IMAGE, "text": "p99 latency"}]
            assert alert["links"] == [{"href": "https://status.example.com/checkout", "text": "Status page"}]
            assert hook.headers["idempotency-key"] == body["idempotency_key"]

            # The link in Alice's email acknowledges, after one button press.
            link = re.search(r"Acknowledge \(stops escalation\): (\S+)", text)
            assert link is not None
            path = link.group(1).split("/ack/", 1)[1]
            page = httpx.get(f"{server.url}/ack/{path}", timeout=10)
            assert "Acknowledge incident #1?" in page.text
            assert httpx.post(f"{server.url}/ack/{path}", timeout=10).status_code == 200
            headers = {"authorization": f"Bearer {token}"}
            incident = httpx.get(f"{server.url}/api/v1/incidents/1", headers=headers).json()
            assert incident["status"] == "acknowledged"
            env = {**os.environ, "FIREBELL_URL": server.url, "FIREBELL_TOKEN": token}
            done = subprocess.run([str(FIREBELL), "resolve", "1"], env=env, capture_output=True, text=True, timeout=60)
            assert done.stdout.strip() == "#1 resolved: checkout-5xx is failing", done.stderr

            # A second incident, acknowledged from the CLI before level 2 is due: Carol hears nothing more.
            _trigger(server.url, key, "payments-slow")
            wait_for(lambda: len(smtp.mails) == 2, what="the second email")
            acked = subprocess.run([str(FIREBELL), "ack", "2"], env=env, capture_output=True, text=True, timeout=60)
            assert acked.returncode == 0, acked.stderr
            assert acked.stdout.strip() == "#2 acknowledged: payments-slow is failing"
            log = subprocess.run(
                [str(FIREBELL), "deliveries", "--json"], env=env, capture_output=True, text=True, timeout=60
            )
            assert log.returncode == 0, log.stderr
            statuses = sorted((d["incident_number"], d["channel"], d["status"]) for d in json.loads(log.stdout))
            assert statuses == [
                (1, "email", "sent"),
                (1, "slack", "sent"),
                (1, "webhook", "sent"),
                (2, "email", "sent"),
                (2, "slack", "sent"),
            ]
            time.sleep(4)
            assert len(hooks.on("/hook/carol")) == 1
        finally:
            server.stop()


def test_a_failing_receiver_is_retried_and_the_failure_is_visible(database_url: str, tmp_path: Path) -> None:
    with smtp_sink() as smtp, http_sink() as hooks:
        hooks.status = lambda path: 503 if path == "/slack/alice" else 200
        key, token = _setup(database_url, tmp_path, hooks)
        env = {**_env(smtp), "FIREBELL_NOTIFY__BACKOFF_BASE_SECONDS": "0.2", "FIREBELL_NOTIFY__ATTEMPTS": "3"}
        server = start_server(database_url, tmp_path / "server.log", env=env)
        try:
            _trigger(server.url, key, "db-down")
            headers = {"authorization": f"Bearer {token}"}

            def slack_failed() -> bool:
                rows = httpx.get(f"{server.url}/api/v1/deliveries?status=failed", headers=headers).json()
                return len(rows) == 1

            wait_for(slack_failed, what="the Slack delivery to fail")
            failed = httpx.get(f"{server.url}/api/v1/deliveries?status=failed", headers=headers).json()[0]
            assert failed["channel"] == "slack"
            assert [a["outcome"] for a in failed["log"]] == ["retry", "retry", "failed"]
            assert failed["last_error"].startswith("HTTP 503")
            assert len(smtp.mails) == 1  # the email went through on its own
            wait_for(lambda: len(hooks.on("/hook/carol")) == 1, what="level 2 despite the failure")
        finally:
            server.stop()
