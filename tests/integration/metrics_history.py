"""A small fixed history whose metrics are worked out by hand in test_metrics.py.

Period: Monday 2026-03-02 to Monday 2026-04-06 (35 days, 5 weeks), across both daylight-saving
changes (US on 8 March, EU on 29 March). "Today" is 2026-04-10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from firebell.actionitems.tables import ActionItemRow
from firebell.alerts.tables import AlertRow
from firebell.catalog.tables import IntegrationRow, ServiceRow
from firebell.identity.tables import UserRow
from firebell.incidents.recurrence import recurrence_key
from firebell.incidents.tables import IncidentRow
from firebell.infra.db import transaction
from firebell.metrics.derived import refresh
from firebell.oncall.notification_rules import after_hours
from firebell.paging.tables import EscalationRow, PageRow

START = datetime(2026, 3, 2, tzinfo=UTC)
END = datetime(2026, 4, 6, tzinfo=UTC)
TODAY = date(2026, 4, 10)
NOW = datetime(2026, 4, 10, 12, tzinfo=UTC)

SERVICES = {"checkout": "payments", "search": "discovery", "billing": "payments"}
USERS = {"alice": "America/New_York", "bob": "Europe/Berlin", "carol": "Asia/Kolkata"}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# number: service, sev, name, opened, acknowledged, investigating, identified, resolved, drill
INCIDENTS: dict[
    int, tuple[str, str, str, datetime, datetime | None, datetime | None, datetime | None, datetime | None, bool]
] = {
    # Before the period: makes no. 1 a recurrence (11 days earlier).
    8: ("checkout", "SEV-1", "HighErrorRate", at(2, 20, 9), at(2, 20, 9, 3), None, None, at(2, 20, 10), False),
    1: (
        "checkout",
        "SEV-1",
        "HighErrorRate",
        at(3, 3, 10),
        at(3, 3, 10, 4),
        None,
        at(3, 3, 10, 30),
        at(3, 3, 10, 50),
        False,
    ),
    2: (
        "checkout",
        "SEV-1",
        "HighErrorRate",
        at(3, 10, 2),
        at(3, 10, 2, 8),
        None,
        at(3, 10, 2, 48),
        at(3, 10, 3, 30),
        False,
    ),
    # Opened on the night the US clocks went forward.
    3: (
        "checkout",
        "SEV-2",
        "SlowQueries",
        at(3, 8, 6, 30),
        at(3, 8, 6, 40),
        None,
        at(3, 8, 8, 40),
        at(3, 8, 12, 30),
        False,
    ),
    # Never acknowledged: every alert resolved by itself after 20 minutes.
    4: ("search", "SEV-2", "IndexLag", at(3, 15, 12), None, None, None, at(3, 15, 12, 20), False),
    # Reopened: resolved at 10:00, reopened, resolved for good at 15:00 (the row keeps the last).
    5: ("search", "SEV-3", "IndexLag", at(3, 20, 9), at(3, 20, 9, 5), None, None, at(3, 20, 15), False),
    # Declared by hand on the night the EU clocks went forward; the responder went straight to
    # investigating (no acknowledgement stamp); still open.
    6: ("billing", "SEV-4", "[SEV-4] Invoice  delay", at(3, 29, 0, 30), None, at(3, 29, 1), None, None, False),
    # A drill: practice, counted nowhere.
    7: ("checkout", "SEV-1", "HighErrorRate", at(3, 12, 3), at(3, 12, 3, 1), None, None, at(3, 12, 3, 10), True),
}

# (user, incident, paged at): after-hours is decided in the person's zone, as the engine does.
PAGES = [
    ("bob", 1, at(3, 3, 10, 1)),  # Berlin 11:01 on a Tuesday: working hours
    ("alice", 1, at(3, 3, 13, 30)),  # New York 08:30 EST: before work
    ("alice", 2, at(3, 10, 2, 1)),  # New York 22:01 EDT
    ("alice", 2, at(3, 10, 13, 30)),  # New York 09:30 EDT (an hour later in UTC terms than a week before)
    ("carol", 3, at(3, 8, 6, 31)),  # a Sunday
    ("carol", 4, at(3, 15, 12, 1)),  # a Sunday
    ("carol", 5, at(3, 20, 9, 1)),  # Kolkata 14:31 on a Friday
    ("alice", 7, at(3, 12, 3, 0)),  # the drill's page
]

# (service, name, fired at, verdict)
ALERTS: list[tuple[str, str, datetime, str | None]] = (
    [("checkout", "HighErrorRate", at(3, 3 + i, 10), "no_action" if i < 3 else "actionable") for i in range(10)]
    + [("search", "IndexLag", at(3, 15, 12 + i), "no_action" if i < 3 else None) for i in range(5)]
    + [("billing", "InvoiceDelay", at(3, 29, i), None) for i in range(5)]
    + [("checkout", "HighErrorRate", at(2, 20, 9), "no_action")]  # before the period
)

# (incident, due, status, completed at)
ACTION_ITEMS: list[tuple[int, date, str, datetime | None]] = [
    (1, date(2026, 3, 10), "done", at(3, 9, 15)),  # on time
    (1, date(2026, 3, 12), "done", at(3, 14, 9)),  # late
    (2, date(2026, 3, 20), "open", None),  # overdue
    (3, date(2026, 3, 25), "wont_do", None),  # dropped: not counted
    (3, date(2026, 4, 20), "open", None),  # due after the period
    (7, date(2026, 3, 15), "done", at(3, 15, 9)),  # the drill's
]


def load(engine: Engine) -> dict[str, Any]:
    """Write the history; returns the ids by name."""
    ids: dict[str, Any] = {}
    created = at(1, 1, 0)
    with transaction(engine, write=True) as conn:
        for name, team in SERVICES.items():
            ids[name] = f"svc-{name}"
            conn.execute(
                sa.insert(ServiceRow.__table__),
                {
                    "id": ids[name],
                    "name": name,
                    "owner_team": team,
                    "description": "",
                    "tier": 2,
                    "created_at": created,
                    "auto_resolve": True,
                    "grouping_window_seconds": 300,
                    "group_by_labels": [],
                    "severity_map": {},
                },
            )
            conn.execute(
                sa.insert(IntegrationRow.__table__),
                {
                    "id": f"int-{name}",
                    "service_id": ids[name],
                    "name": "am",
                    "kind": "alertmanager",
                    "key_digest": f"digest-{name}",
                    "key_hint": "x",
                    "config": {},
                    "created_at": created,
                },
            )
        for handle, zone in USERS.items():
            ids[handle] = f"user-{handle}"
            conn.execute(
                sa.insert(UserRow.__table__),
                {
                    "id": ids[handle],
                    "email": f"{handle}@example.com",
                    "display_name": handle.title(),
                    "password_hash": "x",
                    "role": "responder",
                    "created_at": created,
                    "handle": handle,
                    "timezone": zone,
                },
            )
        for number, (svc, sev, name, opened, ack, inv, ident, resolved, drill) in INCIDENTS.items():
            conn.execute(
                sa.insert(IncidentRow.__table__),
                {
                    "id": f"inc-{number}",
                    "number": number,
                    "title": f"[{sev}] {name}" if not name.startswith("[") else name,
                    "status": "resolved" if resolved else "investigating",
                    "sev": sev,
                    "service_id": ids[svc],
                    "group_key": "",
                    "opened_at": opened,
                    "acknowledged_at": ack,
                    "investigating_at": inv,
                    "identified_at": ident,
                    "resolved_at": resolved,
                    "drill_id": "drill-1" if drill else None,
                    "recurrence_key": recurrence_key(name),
                    "affected_service_ids": [],
                },
            )
            conn.execute(
                sa.insert(EscalationRow.__table__),
                {
                    "id": f"esc-{number}",
                    "incident_id": f"inc-{number}",
                    "state": "resolved",
                    "started_at": opened,
                    "steps_taken": 1,
                },
            )
        for index, (handle, number, when) in enumerate(PAGES):
            conn.execute(
                sa.insert(PageRow.__table__),
                {
                    "id": f"page-{index}",
                    "escalation_id": f"esc-{number}",
                    "incident_id": f"inc-{number}",
                    "user_id": ids[handle],
                    "step": index,
                    "level": 1,
                    "due_at": when,
                    "paged_at": when,
                    "after_hours": after_hours(when, USERS[handle]),
                },
            )
        for index, (svc, name, fired, verdict) in enumerate(ALERTS):
            conn.execute(
                sa.insert(AlertRow.__table__),
                {
                    "id": f"alert-{index}",
                    "service_id": ids[svc],
                    "integration_id": f"int-{svc}",
                    "raw_payload_id": "-",
                    "source": "alertmanager",
                    "dedup_key": f"k{index}",
                    "status": "resolved",
                    "severity": "critical",
                    "summary": name,
                    "name": name,
                    "origin": "",
                    "group_key": "",
                    "labels": {},
                    "details": {},
                    "links": [],
                    "disposition": "log_only",
                    "count": 1,
                    "first_seen_at": fired,
                    "last_seen_at": fired,
                    "resolved_at": fired,
                    "verdict": verdict,
                },
            )
        for index, (number, due, status, completed) in enumerate(ACTION_ITEMS):
            conn.execute(
                sa.insert(ActionItemRow.__table__),
                {
                    "id": f"ai-{index}",
                    "number": index + 1,
                    "incident_id": f"inc-{number}",
                    "title": f"item {index}",
                    "priority": "P2",
                    "kind": "preventative",
                    "due_date": due,
                    "status": status,
                    "created_at": created,
                    "updated_at": created,
                    "completed_at": completed,
                },
            )
        refresh(conn)  # the spans and recurrence flags, as for any history written in bulk
    return ids
