"""A night on call, end to end: alerts from Alertmanager, PagerDuty (through the pdpyras client) and a
generic webhook into a server on a real port, pages delivered by email to a real SMTP server, the link
in an email acknowledging, a second alert joining, working hours, another team's incident, and an
acknowledged SEV-1 left unresolved. The clock is the only thing that is not real: the test moves it
and runs the engine, and asserts who received what, at what time, through the delivery path.

The routing is the playbook's: primary on call first, then the team lead, the VP for SEV-1 only;
SEV-1 and SEV-2 page at any hour, SEV-3 waits for working hours, SEV-4 opens a follow-up.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pdpyras
import pytest
import uvicorn

from firebell.bootstrap import Container, bootstrap
from firebell.catalog import service as catalog
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import Settings, SmtpSettings
from firebell.kernel.clock import ManualClock
from firebell.oncall.config_file import load
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from firebell.web.app import create_app
from tests.conftest import free_port
from tests.e2e.peers import SmtpSink, smtp_sink

NEW_YORK = ZoneInfo("America/New_York")

ONCALL = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com, timezone: America/New_York,
     contact_methods: [{type: email, address: alice@example.com}]}
  - {name: Bob, handle: bob, email: bob@example.com, timezone: Europe/Berlin,
     contact_methods: [{type: email, address: bob@example.com}]}
  - {name: Dave, handle: dave, email: dave@example.com, timezone: America/New_York,
     contact_methods: [{type: email, address: dave@example.com}]}
  - {name: Vera, handle: vera, email: vera@example.com, timezone: America/New_York,
     contact_methods: [{type: email, address: vera@example.com}]}
  - {name: Erin, handle: erin, email: erin@example.com, timezone: America/Chicago,
     contact_methods: [{type: email, address: erin@example.com}]}
teams:
  - {name: backend, members: [alice, bob, dave]}
  - {name: payments, members: [erin]}
schedules:
  - name: backend
    team: backend
    type: weekly_rotation
    timezone: America/New_York
    start: 2026-03-02
    participants:
      - {name: alice, escalation_delay: 5m}
      - {name: bob, escalation_delay: 15m}
    escalation_policy:
      - {level: 1, targets: [current_on_call], timeout: 15m}
      - {level: 2, targets: [dave], timeout: 30m}
      - {level: 3, targets: [vera], timeout: 30m, severities: [SEV-1]}
  - name: payments
    team: payments
    timezone: America/Chicago
    start: 2026-03-02
    participants: [erin]
    escalation_policy:
      - {targets: [current_on_call], timeout: 15m}
services:
  - {name: checkout, escalation_policy: backend, owner_team: backend, grouping_window: 30m}
  - {name: billing, escalation_policy: payments, owner_team: payments}
"""


@dataclass
class Night:
    url: str
    container: Container
    clock: ManualClock
    smtp: SmtpSink
    token: str
    keys: dict[str, str]
    seen: int = 0
    mailbox: list[tuple[str, str, str, str]] = field(default_factory=list)  # (New York time, to, subject, body)

    @property
    def inbox(self) -> list[tuple[str, str, str]]:
        """The pages received: (New York time, to, subject)."""
        return [(t, to, subject) for t, to, subject, body in self.mailbox if "you are paged" in body]

    @property
    def messages(self) -> list[tuple[str, str, str]]:
        """Everything else received (reminders, notices): (New York time, to, subject)."""
        return [(t, to, subject) for t, to, subject, body in self.mailbox if "you are paged" not in body]

    @property
    def bodies(self) -> list[str]:
        return [body for _t, _to, _subject, body in self.mailbox if "you are paged" in body]

    def at(self, local: str) -> None:
        """Move the clock to a New York wall time of the night (Thursday 5 to Friday 6 March 2026) and
        run the engine, collecting what reached the mailbox."""
        day, hour = (5, local) if local >= "12:00" else (6, local)
        hh, mm = hour.split(":")
        when = datetime(2026, 3, day, int(hh), int(mm), tzinfo=NEW_YORK).astimezone(UTC)
        assert when >= self.clock.now(), f"{local} is in the past"
        self.clock.advance(when - self.clock.now())
        self.tick()

    def tick(self) -> None:
        for _ in range(3):  # a timer starts an escalation, which pages, which delivers
            self.container.background.tick()
        mails = self.smtp.mails
        for mail in mails[self.seen :]:
            local = self.clock.now().astimezone(NEW_YORK).strftime("%H:%M")
            body = mail.text
            self.mailbox.append((local, mail.recipients[0], str(mail.message["subject"]), body))
        self.seen = len(mails)

    def api(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]

    def incident(self, number: int) -> dict[str, object]:
        body: dict[str, object] = self.api("GET", f"/api/v1/incidents/{number}").json()
        return body


def _alertmanager(night: Night, name: str, severity: str, group: str, fingerprint: str) -> None:
    body = {
        "version": "4",
        "groupKey": group,
        "status": "firing",
        "receiver": "firebell",
        "groupLabels": {"alertname": name},
        "commonLabels": {"alertname": name, "severity": severity},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.test",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": name, "severity": severity, "instance": fingerprint},
                "annotations": {"summary": f"{name} on {fingerprint}"},
                "startsAt": night.clock.now().isoformat(),
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": fingerprint,
            }
        ],
    }
    sent = httpx.post(f"{night.url}/integrations/alertmanager/{night.keys['checkout-am']}", json=body, timeout=10)
    assert sent.status_code in (200, 202), sent.text


@pytest.fixture
def night(database_url: str) -> Iterator[Night]:
    # Thursday 5 March 2026, 21:00 in New York (EST): Alice's week on call.
    clock = ManualClock(datetime(2026, 3, 5, 21, 0, tzinfo=NEW_YORK).astimezone(UTC))
    port = free_port()
    with smtp_sink() as smtp:
        settings = Settings(
            database_url=database_url,
            public_url=f"http://127.0.0.1:{port}",
            smtp=SmtpSettings(host=smtp.host, port=smtp.port, sender="pager@firebell.test"),
        )
        container = bootstrap(settings, clock=clock, inline_delivery=True)
        migrate.upgrade(container.engine)
        keys = {}
        with transaction(container.engine, write=True) as conn:
            token = create_token(repo=SqlIdentityRepo(conn), name="night", scope="admin", now=clock.now())
            repo = SqlCatalogRepo(conn)
            for name in ("checkout", "billing"):
                catalog.create_service(repo=repo, name=name, now=clock.now())
            for key_name, service, kind in (
                ("checkout-am", "checkout", "alertmanager"),
                ("checkout-pd", "checkout", "pagerduty"),
                ("checkout-hook", "checkout", "webhook"),
                ("billing-pd", "billing", "pagerduty"),
            ):
                keys[key_name] = catalog.create_integration(repo=repo, service=service, kind=kind, now=clock.now())[1]
            config, _tree = load(ONCALL)
            apply(config, oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), services=repo, now=clock.now())
        container.writer.start()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(container, manage_lifecycle=False), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            yield Night(f"http://127.0.0.1:{port}", container, clock, smtp, token, keys)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            container.writer.stop()
            container.http.close()
            container.engine.dispose()


def test_a_night_on_call(night: Night) -> None:
    # 22:10 Alertmanager: checkout latency is critical (SEV-1). Alice is paged at once.
    night.at("22:10")
    _alertmanager(night, "HighLatency", "critical", '{}:{alertname="HighLatency"}', "web-1")
    night.tick()
    assert night.inbox == [("22:10", "alice@example.com", "[SEV-1] #1 HighLatency on web-1 (checkout)")]

    # 22:12 Alice acknowledges from the link in her email: escalation stops.
    night.at("22:12")
    link = re.search(r"Acknowledge \(stops escalation\): \S+/ack/(\S+)", night.bodies[0])
    assert link is not None
    assert httpx.post(f"{night.url}/ack/{link.group(1)}", timeout=10).status_code == 200
    assert night.incident(1)["status"] == "acknowledged"

    # 22:20 PagerDuty (the pdpyras client): an unrelated SEV-2 opens its own incident and pages Alice.
    night.at("22:20")
    session = pdpyras.EventsAPISession(night.keys["checkout-pd"])
    session.url = night.url
    session.trigger("db-2 disk 90% full", "db-2", severity="error", dedup_key="db-2-disk")
    night.tick()
    assert night.inbox[-1] == ("22:20", "alice@example.com", "[SEV-2] #2 db-2 disk 90% full (checkout)")
    # Nobody acknowledges #2: after Alice's own 5 minutes, Dave; the VP is never paged for a SEV-2.
    night.at("22:25")
    assert night.inbox[-1] == ("22:25", "dave@example.com", "[SEV-2] #2 db-2 disk 90% full (checkout)")
    night.api("POST", "/api/v1/incidents/2/acknowledge")  # by a script's token: no person is on it

    # 22:30 a second instance fires in the same Alertmanager group: it joins #1, which Alice is on,
    # and she is told (a message, not a page).
    night.at("22:30")
    _alertmanager(night, "HighLatency", "critical", '{}:{alertname="HighLatency"}', "web-2")
    night.tick()
    assert ("22:30", "alice@example.com", "[SEV-1] #1 new alert: HighLatency on web-2") in night.messages

    # 22:40 the disk fills further: a critical event of the same check joins #2, acknowledged but with
    # nobody known to be on it, and raises it to SEV-1: paging starts again, under SEV-1's urgency.
    night.at("22:40")
    session.trigger("db-2 disk 90% full", "db-2", severity="critical", dedup_key="db-2-disk-critical")
    night.tick()
    assert night.inbox[-1] == ("22:40", "alice@example.com", "[SEV-1] #2 db-2 disk 90% full (checkout)")
    night.api("POST", "/api/v1/incidents/2/acknowledge")

    # 23:10 #1 (SEV-1) has been open an hour, acknowledged and unresolved: the next level, Dave.
    night.at("23:09")
    count = len(night.inbox)
    night.at("23:10")
    assert night.inbox[count:] == [("23:10", "dave@example.com", "[SEV-1] #1 HighLatency on web-1 (checkout)")]
    night.api("POST", "/api/v1/incidents/1/resolve")
    night.api("POST", "/api/v1/incidents/2/resolve")

    # 02:00 another team's service: Erin (payments) is paged, nobody of backend.
    night.at("02:00")
    billing = pdpyras.EventsAPISession(night.keys["billing-pd"])
    billing.url = night.url
    billing.trigger("refunds failing", "billing-api", severity="critical", dedup_key="refunds")
    night.tick()
    assert night.inbox[-1] == ("02:00", "erin@example.com", "[SEV-1] #3 refunds failing (billing)")
    night.api("POST", "/api/v1/incidents/3/acknowledge")
    night.at("02:40")
    night.api("POST", "/api/v1/incidents/3/resolve")

    # 04:00 a warning from a generic webhook (SEV-3): it waits for Alice's working day.
    night.at("04:00")
    count = len(night.inbox)
    hook = httpx.post(
        f"{night.url}/integrations/webhook/{night.keys['checkout-hook']}",
        json={"title": "TLS certificate expires in 20 days", "dedup_key": "tls", "severity": "warning"},
        timeout=10,
    )
    assert hook.status_code in (200, 202), hook.text
    night.tick()
    night.at("08:59")
    assert night.inbox[count:] == []
    night.at("09:00")
    assert night.inbox[count:] == [
        ("09:00", "alice@example.com", "[SEV-3] #4 TLS certificate expires in 20 days (checkout)")
    ]

    # The whole night, as the mailbox saw it: nobody else was woken.
    assert [(t, to) for t, to, _subject in night.inbox] == [
        ("22:10", "alice@example.com"),
        ("22:20", "alice@example.com"),
        ("22:25", "dave@example.com"),
        ("22:40", "alice@example.com"),
        ("23:10", "dave@example.com"),
        ("02:00", "erin@example.com"),
        ("09:00", "alice@example.com"),
    ]
    assert not any(to in ("vera@example.com", "bob@example.com") for _t, to, _s, _b in night.mailbox)
    # Overdue status updates were asked of whoever acknowledged: Alice for #1, the people paged for #2.
    overdue = {(to, subject.split(" status")[0]) for _t, to, subject in night.messages if "overdue" in subject}
    assert ("alice@example.com", "[SEV-1] #1") in overdue
    assert all(to in ("alice@example.com", "dave@example.com", "erin@example.com") for to, _s in overdue)
