"""Twelve weeks of made-up past for the demo, so its Metrics pages have something to show: resolved
incidents with their response times, the alerts behind them (some marked "no action needed"),
pages to the demo's on-call people, and action items. Deterministic for a given "now"."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.actionitems.tables import ActionItemRow
from firebell.alerts.tables import AlertRow
from firebell.catalog.tables import IntegrationRow
from firebell.identity.repo import SqlIdentityRepo
from firebell.incidents.recurrence import recurrence_key
from firebell.incidents.tables import IncidentEventRow, IncidentRow
from firebell.kernel.ids import new_id
from firebell.metrics.derived import refresh
from firebell.oncall.notification_rules import after_hours
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import schedule_from_row
from firebell.paging.tables import EscalationRow, PageRow

WEEKS = 12
ALERTS = {
    "checkout": [
        ("HighErrorRate", 0.05),
        ("HighLatencyP99", 0.15),
        ("PaymentGatewayTimeouts", 0.1),
        ("PodCrashLooping", 0.55),
    ],
    "search": [("IndexLag", 0.1), ("QueryLatencyHigh", 0.25), ("ReplicaDown", 0.05)],
    "notifications": [("QueueBacklog", 0.2), ("EmailBounceRate", 0.4)],
}
PLACES = ["eu-west-1", "us-east-1", "ap-south-1", "canary", "db primary", "cache tier", "api gateway", "batch jobs"]
SHARE = {"checkout": 0.5, "search": 0.3, "notifications": 0.2}
SEVS = [("SEV-1", 0.08), ("SEV-2", 0.27), ("SEV-3", 0.45), ("SEV-4", 0.2)]
# Typical minutes to acknowledge, identify (after the acknowledgement) and resolve (after that).
PACE = {"SEV-1": (3.5, 25, 30), "SEV-2": (9, 70, 60), "SEV-3": (20, 120, 120), "SEV-4": (45, 240, 240)}


def _rotation(conn: Connection, handles: dict[str, str]) -> Callable[[datetime], str | None]:
    """Who the checkout-primary rotation had on call at an instant (a handle), if anyone."""
    oncall = SqlOncallRepo(conn)
    row = oncall.schedule_by_name("checkout-primary")
    schedule = schedule_from_row(row, oncall.overrides(str(row["id"]))) if row else None

    def on_call(at: datetime) -> str | None:
        found = schedule.on_call_at(at) if schedule else None
        return handles.get(found.user) if found else None

    return on_call


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    names, weights = zip(*weighted, strict=True)
    return str(rng.choices(names, weights)[0])


def _minutes(rng: random.Random, typical: float, improving: float) -> timedelta:
    return timedelta(minutes=max(0.5, rng.lognormvariate(math.log(typical * improving), 0.6)))


def seed_history(conn: Connection, *, services: dict[str, str], now: datetime, weeks: int = WEEKS) -> int:
    """Write the history of the demo's services (names to ids); pages go to whoever the
    checkout-primary rotation had on call. Returns the incidents written."""
    people = {
        str(u["handle"]): (str(u["id"]), str(u["timezone"])) for u in SqlIdentityRepo(conn).people() if u.get("handle")
    }
    on_call = _rotation(conn, {user_id: handle for handle, (user_id, _zone) in people.items()})
    rng = random.Random(20261126)  # noqa: S311 - made-up data, repeatable
    integrations = {str(r[0]): str(r[1]) for r in conn.execute(sa.select(IntegrationRow.service_id, IntegrationRow.id))}
    rotation = [h for h in ("alice", "bob", "carol") if h in people]
    lead = people.get("engineering_lead")
    start = now - timedelta(weeks=weeks)
    number = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(IncidentRow.number), 0))).scalar_one())
    item_number = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(ActionItemRow.number), 0))).scalar_one())
    incidents: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    count = 0
    for week in range(weeks):
        improving = 1.3 - 0.6 * week / max(weeks, 1)  # the team gets quicker week by week
        for _ in range(rng.randint(4, 8)):
            opened = start + timedelta(weeks=week, seconds=rng.uniform(0, 7 * 86400))
            if opened > now - timedelta(days=1):
                continue
            service = _pick(rng, list(SHARE.items()))
            name = rng.choice(ALERTS[service])[0]
            where = rng.choice(PLACES)
            sev = _pick(rng, SEVS)
            ack_m, ident_m, res_m = PACE[sev]
            unanswered = rng.random() < 0.04
            acknowledged = None if unanswered else opened + _minutes(rng, ack_m, improving)
            identified = None if acknowledged is None else acknowledged + _minutes(rng, ident_m, improving)
            resolved = (identified or opened) + _minutes(rng, res_m if not unanswered else 15, improving)
            number += 1
            count += 1
            incident_id = new_id()
            incidents.append(
                {
                    "id": incident_id,
                    "number": number,
                    "title": f"[{sev}] {name} ({where})",
                    "status": "closed" if resolved < now - timedelta(days=3) else "resolved",
                    "sev": sev,
                    "service_id": services[service],
                    "group_key": f"history:{name}",
                    "opened_at": opened,
                    "acknowledged_at": acknowledged,
                    "investigating_at": acknowledged,
                    "identified_at": identified,
                    "resolved_at": resolved,
                    "closed_at": resolved + timedelta(days=2) if resolved < now - timedelta(days=3) else None,
                    "recurrence_key": recurrence_key(f"{name} {where}"),
                    "affected_service_ids": [services[service]],
                }
            )
            events.append(
                {
                    "id": new_id(),
                    "incident_id": incident_id,
                    "at": opened,
                    "kind": "opened",
                    "actor": "",
                    "message": f"Opened at {sev} from an alert: {name} (demo history)",
                    "data": {},
                }
            )
            escalation_id = new_id()
            escalations.append(
                {
                    "id": escalation_id,
                    "incident_id": incident_id,
                    "state": "resolved",
                    "started_at": opened,
                    "steps_taken": 1,
                    "ended_at": resolved,
                }
            )
            first = on_call(opened) or (rotation[week % len(rotation)] if rotation else None)
            paged = [(first, opened + timedelta(seconds=2), 1)] if first in people else []
            if lead and (acknowledged is None or acknowledged - opened > timedelta(minutes=15)):
                paged.append(("engineering_lead", opened + timedelta(minutes=15), 2))
            for step, (handle, when, level) in enumerate(paged):
                user_id, zone = people[handle]
                pages.append(
                    {
                        "id": new_id(),
                        "escalation_id": escalation_id,
                        "incident_id": incident_id,
                        "user_id": user_id,
                        "step": step,
                        "level": level,
                        "due_at": when,
                        "paged_at": when,
                        "after_hours": after_hours(when, zone),
                    }
                )
            for index in range(rng.randint(1, 3)):
                fired = opened + timedelta(seconds=30 * index)
                alerts.append(
                    _alert(
                        services[service],
                        integrations[services[service]],
                        name,
                        fired,
                        resolved,
                        incident_id,
                        "actionable" if index == 0 else None,
                    )
                )
            if sev in ("SEV-1", "SEV-2"):
                item_number += 1
                due = (resolved + timedelta(days=7)).date()
                roll = rng.random()
                done = resolved + timedelta(days=rng.uniform(1, 6) if roll < 0.75 else rng.uniform(8, 12))
                finished = roll < 0.9 and done < now
                items.append(
                    {
                        "id": new_id(),
                        "number": item_number,
                        "incident_id": incident_id,
                        "title": f"Prevent {name} on {service}",
                        "priority": "P1" if sev == "SEV-1" else "P2",
                        "kind": "preventative",
                        "due_date": due,
                        "status": "done" if finished else "open",
                        "created_at": resolved,
                        "updated_at": done if finished else resolved,
                        "completed_at": done if finished else None,
                        "owner_id": people[rotation[0]][0] if rotation else None,
                    }
                )
        # Alerts that opened no incident: the noise the weekly review is for.
        for _ in range(rng.randint(15, 35)):
            service = _pick(rng, list(SHARE.items()))
            name, noisy = rng.choice(ALERTS[service])
            fired = start + timedelta(weeks=week, seconds=rng.uniform(0, 7 * 86400))
            if fired > now - timedelta(hours=2):
                continue
            verdict = "no_action" if rng.random() < noisy * 1.6 else ("actionable" if rng.random() < 0.3 else None)
            alerts.append(
                _alert(
                    services[service],
                    integrations[services[service]],
                    name,
                    fired,
                    fired + timedelta(minutes=rng.uniform(2, 40)),
                    None,
                    verdict,
                )
            )
    # Numbers in the order the incidents opened, as they would have been given.
    incidents.sort(key=lambda row: row["opened_at"])
    for offset, row in enumerate(incidents):
        row["number"] = number - len(incidents) + offset + 1
    for table, rows in (
        (IncidentRow, incidents),
        (IncidentEventRow, events),
        (EscalationRow, escalations),
        (PageRow, pages),
        (AlertRow, alerts),
        (ActionItemRow, items),
    ):
        if rows:
            conn.execute(sa.insert(table), rows)
    refresh(conn, since=start)
    return count


def _alert(
    service_id: str,
    integration_id: str,
    name: str,
    fired: datetime,
    resolved: datetime,
    incident_id: str | None,
    verdict: str | None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "service_id": service_id,
        "integration_id": integration_id,
        "raw_payload_id": "demo-history",
        "source": "alertmanager",
        "dedup_key": new_id(),
        "status": "resolved",
        "severity": "error",
        "summary": name,
        "name": name,
        "origin": "",
        "group_key": f"history:{name}",
        "labels": {"alertname": name},
        "details": {},
        "links": [],
        "disposition": "open_incident" if incident_id else "log_only",
        "incident_id": incident_id,
        "count": 1,
        "first_seen_at": fired,
        "last_seen_at": fired,
        "resolved_at": resolved,
        "verdict": verdict,
        "verdict_by": "demo" if verdict else "",
        "verdict_at": resolved if verdict else None,
    }
