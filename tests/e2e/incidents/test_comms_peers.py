"""Incident communications against real peers: the war room through a server speaking Slack's Web
API (driven by slack-sdk), updates to #incidents and the war room, stakeholder email through a real
SMTP server, and a change event from PagerDuty's own client library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import cli, last_line, start_server
from tests.e2e.peers import slack_api, smtp_sink, wait_for

PEOPLE = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com, slack_member_id: U0ALICE}
  - {name: Bob, handle: bob, email: bob@example.com, slack_member_id: U0BOB}
"""


def test_war_room_updates_and_email_reach_real_peers(database_url: str, tmp_path: Path) -> None:
    import pdpyras

    with smtp_sink() as smtp, slack_api() as slack:
        cli(database_url, "db", "upgrade")
        cli(database_url, "service", "create", "checkout")
        key = last_line(cli(database_url, "integration", "create", "--service", "checkout", "--kind", "pagerduty"))
        token = last_line(cli(database_url, "token", "create", "--name", "ic", "--scope", "respond"))
        (tmp_path / "people.yaml").write_text(PEOPLE)
        cli(database_url, "apply", "-f", str(tmp_path / "people.yaml"))
        env = {
            "FIREBELL_SMTP__HOST": smtp.host,
            "FIREBELL_SMTP__PORT": str(smtp.port),
            "FIREBELL_SMTP__SENDER": "incidents@firebell.test",
            "FIREBELL_SLACK__BOT_TOKEN": slack.token,
            "FIREBELL_SLACK__API_URL": slack.url,
            "FIREBELL_COMMS__STAKEHOLDER_EMAILS": "exec@example.com,support@example.com",
        }
        server = start_server(database_url, tmp_path / "server.log", env=env)
        try:
            api = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=10)

            def post(path: str, body: Any = None) -> Any:
                answer = api.post(path, json=body)
                assert answer.status_code < 300, answer.text
                return answer.json()

            # A deployment recorded by PagerDuty's client, pointed at Firebell.
            changes = pdpyras.ChangeEventsAPISession(key)
            changes.url = server.url
            assert changes.submit("Deploy checkout v2.3.1", source="ci", custom_details={"version": "2.3.1"})

            number = post(
                "/api/v1/incidents", {"title": "API Service Outage", "severity": "P1", "service": "checkout"}
            )["number"]
            post(f"/api/v1/incidents/{number}/roles", {"role": "ic", "user": "alice"})
            post(f"/api/v1/incidents/{number}/roles", {"role": "tl", "user": "bob"})
            post(f"/api/v1/incidents/{number}/war-room")
            room = api.get(f"/api/v1/incidents/{number}").json()["war_room"]
            assert room.startswith("incident-")
            assert room.endswith("-api-service-outage")
            wait_for(lambda: bool(slack.posted_to(room)), what="the war room's first message")
            assert sorted(slack.members[slack.channels[room]]) == ["U0ALICE", "U0BOB"]
            assert slack.topics[slack.channels[room]] == "[SEV-1] API Service Outage | SEV-1"
            assert "*INCIDENT DECLARED*: #1 API Service Outage" in str(slack.posted_to(room)[0]["blocks"])

            sent = post(
                f"/api/v1/incidents/{number}/communications",
                {"template": "update.slack", "fields": {"progress": "Rolling back v2.3.1"}},
            )
            assert sent["sent_to"] == ["#incidents", f"#{room}"]
            mailed = post(f"/api/v1/incidents/{number}/communications", {"template": "initial.email"})
            assert mailed["sent_to"] == ["exec@example.com", "support@example.com"]
            wait_for(lambda: len(smtp.mails) == 2, what="two stakeholder emails")
            wait_for(lambda: len(slack.posted_to(room)) == 2, what="the update in the war room")
            wait_for(lambda: len(slack.posted_to("incidents")) == 1, what="the update in #incidents")
            update = slack.posted_to("incidents")[0]
            assert "Rolling back v2.3.1" in str(update["blocks"])
            assert {m.recipients[0] for m in smtp.mails} == {"exec@example.com", "support@example.com"}
            assert smtp.mails[0].message["Subject"] == "[P1] API Service Outage - Investigating"
            assert "INCIDENT COMMANDER: Alice" in smtp.mails[0].message.get_payload()

            view = api.get(f"/api/v1/incidents/{number}").json()
            assert [c["summary"] for c in view["response"]["recent_changes"]] == ["Deploy checkout v2.3.1"]
            kinds = [e["kind"] for e in view["timeline"]]
            assert kinds.count("communication_sent") == 2
            assert "war_room" in kinds
            log = api.get("/api/v1/deliveries", params={"status": "sent"}).json()
            assert {d["channel"] for d in log} >= {"slack_api", "email"}
        finally:
            server.stop()
