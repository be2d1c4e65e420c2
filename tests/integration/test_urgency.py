"""Who is paged, when, for what severity: urgency and working hours, levels limited to some
severities, escalation delays, level numbers, unresolved escalation, acknowledgement timeouts and
the gaps where paging reached nobody. The engine runs on a real database under a manual clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token, create_user
from firebell.infra.db import transaction
from firebell.oncall.config_file import load
from firebell.oncall.export import export
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from firebell.paging.messages import PageNotice
from tests.integration.conftest import PagingApp, apply_config
from tests.web_login import log_in

# Alice is on call in New York, Bob in Berlin; Dave is the engineering lead, Vera the VP.
TEAM = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com, timezone: America/New_York,
     contact_methods: [{type: email, address: alice@example.com}]}
  - {name: Bob, handle: bob, email: bob@example.com, timezone: Europe/Berlin,
     contact_methods: [{type: email, address: bob@example.com}]}
  - {name: Dave, handle: dave, email: dave@example.com, timezone: America/New_York,
     contact_methods: [{type: email, address: dave@example.com}]}
  - {name: Vera, handle: vera, email: vera@example.com, timezone: America/New_York,
     contact_methods: [{type: email, address: vera@example.com}]}
schedule:
  name: backend
  type: weekly_rotation
  timezone: America/New_York
  start: 2026-03-02
  participants:
    - {name: alice, escalation_delay: 2m}
    - {name: bob, escalation_delay: 15m}
  escalation_policy:
    - {level: 3, targets: [vera], timeout: 30m, severities: [SEV-1]}
    - {level: 1, targets: [current_on_call], timeout: 15m}
    - {level: 2, targets: [dave], timeout: 30m}
services:
  - {name: checkout, escalation_policy: backend}
"""


def _setup(app: PagingApp, extra: str = "") -> None:
    app.add_service("checkout")
    app.add_integration("checkout", "webhook")
    apply_config(app, TEAM + extra)
    app.container.deliveries.channels = {"email": app.recorder, "webhook": app.recorder}


def _alert(app: PagingApp, severity: str, summary: str) -> int:
    sent = app.client.post(
        "/api/v1/alerts",
        json={"service": "checkout", "severity": severity, "summary": summary, "dedup_key": summary},
        headers=app.auth(),
    )
    assert sent.status_code == 202, sent.text
    (result,) = sent.json()
    incident = app.client.get(f"/api/v1/incidents/{result['incident_id']}", headers=app.auth()).json()
    return int(incident["number"])


def _to(app: PagingApp) -> list[str]:
    """Who was paged, in order (reminders and other messages left out)."""
    return [address for address, notice in app.recorder.sent if isinstance(notice, PageNotice)]


def _at(app: PagingApp, when: datetime) -> None:
    app.clock.advance(when - app.clock.now())
    app.tick()


def _timeline(app: PagingApp, number: int, kind: str) -> list[str]:
    body = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()
    return [e["message"] for e in body["timeline"] if e["kind"] == kind]


def _incident(app: PagingApp, number: int) -> dict[str, Any]:
    body: dict[str, Any] = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()
    return body


def test_a_sev3_at_night_reaches_the_on_call_person_when_their_day_starts(paging_app: PagingApp) -> None:
    _setup(paging_app)
    # Thursday 2026-03-05 04:58 in New York (09:58 UTC): Alice is on call and asleep.
    _at(paging_app, datetime(2026, 3, 5, 9, 58, tzinfo=UTC))
    number = _alert(paging_app, "warning", "disk 85% on db-2")
    paging_app.tick()
    assert _to(paging_app) == []
    assert _timeline(paging_app, number, "page_held") == [
        "Level 1 waits for working hours (SEV-3): Alice paged at 2026-03-05 14:00 UTC"
    ]
    _at(paging_app, datetime(2026, 3, 5, 13, 59, 59, tzinfo=UTC))
    assert _to(paging_app) == []
    _at(paging_app, datetime(2026, 3, 5, 14, 0, tzinfo=UTC))  # 09:00 New York
    assert _to(paging_app) == ["alice@example.com"]
    pages = paging_app.client.get(f"/api/v1/incidents/{number}/pages", headers=paging_app.auth()).json()["pages"]
    assert [(p["person"], p["after_hours"]) for p in pages] == [("Alice", False)]
    # Alice's own escalation delay (2m) holds, not the level's 15m: Dave at 09:02 (in hours too).
    _at(paging_app, datetime(2026, 3, 5, 14, 2, tzinfo=UTC))
    assert _to(paging_app) == ["alice@example.com", "dave@example.com"]


def test_a_sev1_pages_at_once_at_night_and_reaches_the_sev1_only_level(paging_app: PagingApp) -> None:
    _setup(paging_app)
    _at(paging_app, datetime(2026, 3, 5, 9, 58, tzinfo=UTC))
    number = _alert(paging_app, "critical", "checkout down")
    paging_app.tick()
    assert _to(paging_app) == ["alice@example.com"]
    _at(paging_app, datetime(2026, 3, 5, 10, 0, tzinfo=UTC))  # Alice's delay: 2m, not 15m
    assert _to(paging_app) == ["alice@example.com", "dave@example.com"]
    _at(paging_app, datetime(2026, 3, 5, 10, 30, tzinfo=UTC))
    assert _to(paging_app)[-1] == "vera@example.com"
    assert _incident(paging_app, number)["sev"] == "SEV-1"


def test_the_sev1_only_level_is_skipped_for_a_sev2(paging_app: PagingApp) -> None:
    _setup(paging_app)
    _alert(paging_app, "error", "checkout slow")
    paging_app.tick()
    _at(paging_app, paging_app.clock.now() + timedelta(hours=3))
    assert _to(paging_app) == ["alice@example.com", "dave@example.com"]


def test_a_sev4_opens_a_follow_up_and_pages_nobody(paging_app: PagingApp) -> None:
    _setup(paging_app)
    declared = paging_app.client.post(
        "/api/v1/incidents",
        json={"title": "Typo in footer", "severity": "SEV-4", "service": "checkout"},
        headers=paging_app.auth(),
    )
    assert declared.status_code == 201, declared.text
    number = declared.json()["number"]
    paging_app.tick()
    _at(paging_app, paging_app.clock.now() + timedelta(days=2))
    assert _to(paging_app) == []
    (message,) = _timeline(paging_app, number, "follow_up")
    assert message.startswith("SEV-4 opens a follow-up and pages nobody: action item AI-")
    items = paging_app.client.get("/api/v1/action-items", headers=paging_app.auth()).json()
    assert [i["title"] for i in items] == ["Follow up SEV-4 #1: [SEV-4] Typo in footer"]
    assert _incident(paging_app, number)["page_gap"] is None


def test_a_service_may_page_a_sev3_at_once(paging_app: PagingApp) -> None:
    _setup(paging_app, "  - {name: checkout, escalation_policy: backend, urgency: {SEV-3: page}}\n")
    _at(paging_app, datetime(2026, 3, 5, 9, 58, tzinfo=UTC))
    _alert(paging_app, "warning", "disk 85% on db-2")
    paging_app.tick()
    assert _to(paging_app) == ["alice@example.com"]


def test_an_acknowledged_sev1_left_unresolved_for_an_hour_pages_the_next_level(paging_app: PagingApp) -> None:
    _setup(paging_app)
    start = paging_app.clock.now()
    number = _alert(paging_app, "critical", "payments failing")
    paging_app.tick()
    ack = paging_app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging_app.auth())
    assert ack.status_code == 200, ack.text
    _at(paging_app, start + timedelta(minutes=59, seconds=59))
    assert _to(paging_app) == ["alice@example.com"]
    _at(paging_app, start + timedelta(hours=1))
    paging_app.tick()
    assert _to(paging_app) == ["alice@example.com", "dave@example.com"]
    assert _timeline(paging_app, number, "escalated") == [
        "Escalated to level 2 of backend: still unresolved 1h after it opened (SEV-1)"
    ]


def test_unresolved_escalation_to_a_named_person_and_an_acknowledgement_timeout(paging_app: PagingApp) -> None:
    _setup(
        paging_app,
        """escalation_policies:
  - name: checkout-urgent
    acknowledgement_timeout: 20m
    unresolved: {SEV-2: {after: 45m, page: vera}}
    levels: [{targets: [backend], timeout: 10m}]
""",
    )
    with transaction(paging_app.container.engine, write=True) as conn:
        row = SqlCatalogRepo(conn).service_by_name("checkout")
        assert row is not None
        policy = SqlOncallRepo(conn).policy_by_name("checkout-urgent")
        assert policy is not None
        SqlCatalogRepo(conn).update_service(str(row["id"]), {"escalation_policy_id": policy["id"]})
    start = paging_app.clock.now()
    number = _alert(paging_app, "error", "refunds slow")
    paging_app.tick()
    paging_app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging_app.auth())
    _at(paging_app, start + timedelta(minutes=45))
    paging_app.tick()
    assert _to(paging_app) == ["alice@example.com", "vera@example.com"]
    assert _timeline(paging_app, number, "escalated") == ["Paged Vera: still unresolved 45m after it opened (SEV-2)"]


def test_an_incident_that_reached_nobody_is_flagged(paging_app: PagingApp) -> None:
    for name in ("checkout", "billing"):
        paging_app.add_service(name)
        paging_app.add_integration(name, "webhook")
    apply_config(
        paging_app,
        """users:
  - {name: Eve, handle: eve, email: eve@example.com}
escalation_policies:
  - name: nobody-reachable
    levels: [{targets: [eve], timeout: 5m}]
services:
  - {name: billing, escalation_policy: nobody-reachable}
""",
    )
    unpaged = _alert(paging_app, "critical", "checkout down")
    sent = paging_app.client.post(
        "/api/v1/alerts",
        json={"service": "billing", "severity": "critical", "summary": "billing down", "dedup_key": "b"},
        headers=paging_app.auth(),
    )
    assert sent.status_code == 202
    paging_app.tick()
    incidents = {i["title"]: i for i in paging_app.client.get("/api/v1/incidents", headers=paging_app.auth()).json()}
    assert incidents["checkout down"]["page_gap"] == "no_policy"
    assert incidents["billing down"]["page_gap"] == "no_contact_methods"
    assert _incident(paging_app, unpaged)["page_gap"] == "no_policy"
    metrics = paging_app.client.get("/metrics").text
    assert 'firebell_incidents_unreached{reason="no_policy"} 1.0' in metrics
    assert 'firebell_incidents_unreached{reason="no_contact_methods"} 1.0' in metrics
    # The incident page says so at its top, and the list marks it.
    _log_in(paging_app)
    page = paging_app.client.get(f"/incidents/{unpaged}").text
    assert page.index("Nobody was paged: the service has no escalation policy") < page.index('class="lifecycle"')
    assert paging_app.client.get("/incidents").text.count("reached nobody") == 2
    service = paging_app.client.get("/services/billing").text
    assert "SEV-3: working hours" in service
    assert "SEV-4: follow-up, no page" in service


def _log_in(app: PagingApp) -> None:
    with transaction(app.container.engine, write=True) as conn:
        create_user(
            repo=SqlIdentityRepo(conn), email="root@example.com", password="pw-123456", role=Role.ADMIN,
            now=app.clock.now(),
        )  # fmt: skip
    assert log_in(app.client, "root@example.com", "pw-123456").status_code < 400


def test_export_writes_back_levels_delays_severities_urgency_and_rules(paging_app: PagingApp) -> None:
    _setup(
        paging_app,
        """  - {name: checkout, escalation_policy: backend, urgency: {SEV-3: page},
     working_hours: {timezone: Europe/Berlin,
       windows: [{days: [mon, tue, wed, thu, fri], start: '08:00', end: '18:00'}]}}
escalation_policies:
  - name: checkout-urgent
    acknowledgement_timeout: 20m
    unresolved: {SEV-2: {after: 45m, page: vera}}
    levels: [{targets: [backend], timeout: 10m, urgency: {SEV-4: page}}]
""",
    )
    with transaction(paging_app.container.engine) as conn:
        document = export(oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), services=SqlCatalogRepo(conn))
    schedule = next(s for s in document["schedules"] if s["name"] == "backend")
    assert schedule["layers"][0]["participants"] == [
        {"name": "alice", "escalation_delay": "2m"},
        {"name": "bob", "escalation_delay": "15m"},
    ]
    policies = {p["name"]: p for p in document["escalation_policies"]}
    assert [(lv["level"], lv["targets"], lv.get("severities")) for lv in policies["backend"]["levels"]] == [
        (1, ["backend"], None),
        (2, ["dave"], None),
        (3, ["vera"], ["SEV-1"]),
    ]
    urgent = policies["checkout-urgent"]
    assert urgent["unresolved"] == {"SEV-2": {"after": "45m", "page": "vera"}}
    assert urgent["acknowledgement_timeout"] == "20m"
    assert urgent["levels"][0]["urgency"] == {"SEV-4": "page"}
    service = next(s for s in document["services"] if s["name"] == "checkout")
    assert service["urgency"] == {"SEV-3": "page"}
    assert service["working_hours"]["timezone"] == "Europe/Berlin"
    # Applying the export again changes nothing.
    text = yaml.safe_dump({k: v for k, v in document.items() if k != "schedules"} | {"schedules": [schedule]})
    config, _tree = load(text)
    with transaction(paging_app.container.engine, write=True) as conn:
        changes = apply(
            config,
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=SqlCatalogRepo(conn),
            now=paging_app.clock.now(),
        )
    assert changes == []


def test_page_preview_says_per_level_whether_when_and_why(paging_app: PagingApp) -> None:
    _setup(paging_app)
    answer = paging_app.client.get(
        "/api/v1/services/checkout/page-preview",
        params={"severity": "P3", "at": "2026-03-05T04:58:00-05:00"},
        headers=paging_app.auth(),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["sev"], body["urgency"]) == ("SEV-3", "working_hours")
    shown = [(lv["level"], lv["pages"], lv["pages_at"], [p["name"] for p in lv["people"]]) for lv in body["levels"]]
    assert shown == [
        (1, True, "2026-03-05T14:00:00Z", ["Alice"]),
        (2, True, "2026-03-05T14:02:00Z", ["Dave"]),
        (3, False, None, []),
    ]
    assert body["levels"][0]["why"] == "SEV-3 waits for working hours: held until 2026-03-05 14:00 UTC"
    assert body["levels"][2]["why"] == "limited to SEV-1: not paged for SEV-3"
    sev1 = paging_app.client.get(
        "/api/v1/services/checkout/page-preview",
        params={"severity": "SEV-1", "at": "2026-03-05T04:58:00-05:00"},
        headers=paging_app.auth(),
    ).json()
    assert [lv["pages_at"] for lv in sev1["levels"]] == [
        "2026-03-05T09:58:00Z",
        "2026-03-05T10:00:00Z",
        "2026-03-05T10:30:00Z",
    ]
    assert sev1["levels"][0]["why"] == "SEV-1 pages at once, at any hour"
    bad = paging_app.client.get(
        "/api/v1/services/checkout/page-preview", params={"severity": "SEV-9"}, headers=paging_app.auth()
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "severity"


def test_a_critical_alert_joining_an_incident_nobody_is_working_pages_again(paging_app: PagingApp) -> None:
    _setup(paging_app, "  - {name: checkout, escalation_policy: backend, grouping: service, grouping_window: 1h}\n")
    number = _alert(paging_app, "critical", "checkout 5xx")
    paging_app.tick()
    # Acknowledged by a token of no person (a script): nobody is known to be responding.
    paging_app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging_app.auth())
    _at(paging_app, paging_app.clock.now() + timedelta(minutes=20))
    assert _to(paging_app) == ["alice@example.com"]
    again = _alert(paging_app, "critical", "checkout latency")
    assert again == number  # it joined
    paging_app.tick()
    assert _to(paging_app) == ["alice@example.com", "alice@example.com"]
    assert _timeline(paging_app, number, "paging_restarted") == [
        "Paging again under SEV-1's urgency: a SEV-1 alert joined and nobody is responding"
    ]


def test_a_join_that_raises_the_severity_pages_under_the_new_urgency(paging_app: PagingApp) -> None:
    _setup(paging_app, "  - {name: checkout, escalation_policy: backend, grouping: service, grouping_window: 1h}\n")
    # Thursday 04:58 in New York: a SEV-3 waits for the morning...
    _at(paging_app, datetime(2026, 3, 5, 9, 58, tzinfo=UTC))
    number = _alert(paging_app, "warning", "checkout slow")
    paging_app.tick()
    assert _to(paging_app) == []
    # ...until a critical alert joins it: now a SEV-1, it pages at once, and the VP level counts.
    _at(paging_app, datetime(2026, 3, 5, 10, 5, tzinfo=UTC))
    assert _alert(paging_app, "critical", "checkout down") == number
    paging_app.tick()
    assert _incident(paging_app, number)["sev"] == "SEV-1"
    assert _to(paging_app) == ["alice@example.com"]
    assert _timeline(paging_app, number, "paging_restarted") == [
        "Paging again under SEV-1's urgency: raised from SEV-3 by a new alert"
    ]
    _at(paging_app, datetime(2026, 3, 5, 10, 8, tzinfo=UTC))  # Alice's own 2m: Dave
    _at(paging_app, datetime(2026, 3, 5, 10, 40, tzinfo=UTC))  # Dave's level's 30m: Vera
    assert _to(paging_app) == ["alice@example.com", "dave@example.com", "vera@example.com"]


def test_an_acknowledgement_left_alone_pages_the_acknowledger_again(paging_app: PagingApp) -> None:
    _setup(
        paging_app,
        """escalation_policies:
  - name: checkout-urgent
    acknowledgement_timeout: 20m
    unresolved: {}
    levels: [{targets: [backend], timeout: 10m}]
""",
    )
    with transaction(paging_app.container.engine, write=True) as conn:
        catalog, oncall = SqlCatalogRepo(conn), SqlOncallRepo(conn)
        row, policy = catalog.service_by_name("checkout"), oncall.policy_by_name("checkout-urgent")
        assert row is not None
        assert policy is not None
        catalog.update_service(str(row["id"]), {"escalation_policy_id": policy["id"]})
        alice = SqlIdentityRepo(conn).user_by_handle("alice")
        assert alice is not None
        token = create_token(
            repo=SqlIdentityRepo(conn),
            name="alice",
            scope="respond",
            now=paging_app.clock.now(),
            user_id=str(alice["id"]),
        )
    start = paging_app.clock.now()
    number = _alert(paging_app, "error", "refunds slow")
    paging_app.tick()
    acked = paging_app.client.post(
        f"/api/v1/incidents/{number}/acknowledge", headers={"authorization": f"Bearer {token}"}
    )
    assert acked.status_code == 200, acked.text
    _at(paging_app, start + timedelta(minutes=19, seconds=59))
    assert _to(paging_app) == ["alice@example.com"]
    _at(paging_app, start + timedelta(minutes=20))
    paging_app.tick()
    assert _to(paging_app) == ["alice@example.com", "alice@example.com"]
    assert _timeline(paging_app, number, "paged_again") == [
        "Acknowledged by Alice and still unresolved after the acknowledgement timeout: paging Alice again"
    ]
    # Acknowledging again sets the timeout again; resolving ends it.
    paging_app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers={"authorization": f"Bearer {token}"})
    paging_app.client.post(f"/api/v1/incidents/{number}/resolve", headers=paging_app.auth())
    _at(paging_app, start + timedelta(hours=2))
    assert len(_to(paging_app)) == 2


def test_a_severity_raised_by_hand_pages_under_the_new_urgency_and_a_lowering_replans(paging_app: PagingApp) -> None:
    _setup(paging_app)
    # 04:58 in New York: a SEV-3 waits for Alice's morning...
    _at(paging_app, datetime(2026, 3, 5, 9, 58, tzinfo=UTC))
    number = _alert(paging_app, "warning", "checkout slow")
    paging_app.tick()
    assert _to(paging_app) == []
    # ...until the IC raises it to SEV-1 at 05:20: it pages at once, and the SEV-1-only VP counts.
    _at(paging_app, datetime(2026, 3, 5, 10, 20, tzinfo=UTC))
    raised = paging_app.client.post(
        f"/api/v1/incidents/{number}/severity", json={"severity": "SEV-1", "reason": "checkout is down"},
        headers=paging_app.auth(),
    )  # fmt: skip
    assert raised.status_code == 200, raised.text
    paging_app.tick()
    assert _to(paging_app) == ["alice@example.com"]
    assert _timeline(paging_app, number, "paging_restarted") == [
        "Paging again under SEV-1's urgency: raised from SEV-3 to SEV-1 by hand"
    ]
    # Lowered to SEV-2 while nobody acknowledged: the VP level drops out; Dave after Alice's 2m.
    paging_app.client.post(
        f"/api/v1/incidents/{number}/severity", json={"severity": "SEV-2"}, headers=paging_app.auth()
    )
    _at(paging_app, datetime(2026, 3, 5, 10, 21, tzinfo=UTC))
    _at(paging_app, datetime(2026, 3, 5, 10, 23, tzinfo=UTC))
    _at(paging_app, datetime(2026, 3, 5, 10, 55, tzinfo=UTC))
    assert _to(paging_app)[1:] == ["alice@example.com", "dave@example.com"]  # paged again as a SEV-2


def test_escalating_by_hand_pages_at_once_whatever_the_urgency(paging_app: PagingApp) -> None:
    _setup(paging_app)
    _at(paging_app, datetime(2026, 3, 5, 9, 58, tzinfo=UTC))  # 04:58 in New York
    number = _alert(paging_app, "warning", "checkout slow")
    paging_app.tick()
    escalated = paging_app.client.post(
        f"/api/v1/incidents/{number}/escalate", json={"note": "I need the lead now"}, headers=paging_app.auth()
    )
    assert escalated.status_code == 200, escalated.text
    paging_app.tick()
    assert _to(paging_app) == ["alice@example.com"]  # level 1: nobody was paged yet, so it is next
