"""Read side of postmortems: the incident's facts as the postmortem reads them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.tables import AlertRow
from firebell.catalog.tables import ServiceRow
from firebell.identity.tables import UserRow
from firebell.incidents.queries import timeline
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.roles import Role
from firebell.incidents.tables import IncidentRow, MitigationRow
from firebell.incidents.timeline import Entry
from firebell.infra.sqltypes import as_utc
from firebell.kernel.severity import Sev
from firebell.postmortems.facts import AlertFact, IncidentFacts

_a = cast(sa.Table, AlertRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)
_i = cast(sa.Table, IncidentRow.__table__)
_m = cast(sa.Table, MitigationRow.__table__)
_u = cast(sa.Table, UserRow.__table__)

SIMILAR_WITHIN = timedelta(days=90)  # the guide's recurrence window


def load_facts(conn: Connection, incident: dict[str, Any], first_symptom_at: datetime | None = None) -> IncidentFacts:
    """`incident` as `incidents.queries.get_incident` returns it."""
    incident_id = str(incident["id"])
    ids = list(
        dict.fromkeys(
            [*([incident["service_id"]] if incident["service_id"] else []), *(incident["affected_service_ids"] or [])]
        )
    )
    names: dict[str, str] = {}
    if ids:
        names = {str(i): str(n) for i, n in conn.execute(sa.select(_s.c.id, _s.c.name).where(_s.c.id.in_(ids)))}
    roles = SqlIncidentRepo(conn).roles(incident_id)
    alerts = conn.execute(
        sa.select(_a.c.summary, _a.c.labels, _a.c.source, _a.c.occurred_at, _a.c.first_seen_at, _a.c.resolved_at)
        .where(_a.c.incident_id == incident_id)
        .order_by(_a.c.first_seen_at)
        .limit(200)
    ).tuples()
    alert_facts = tuple(
        AlertFact(
            str((labels or {}).get("alertname") or summary),
            str(source),
            min(occurred, first) if occurred is not None else first,
            first,
            resolved,
        )
        for summary, labels, source, occurred, first, resolved in alerts
    )
    started = conn.execute(
        sa.select(sa.func.min(_m.c.chosen_at)).where(_m.c.incident_id == incident_id)
    ).scalar_one_or_none()
    entries = tuple(Entry(e["at"], e["kind"], e["actor"], e["message"]) for e in timeline(conn, incident_id))
    return IncidentFacts(
        incident_id=incident_id,
        number=int(incident["number"]),
        title=str(incident["title"]),
        sev=Sev(incident["sev"]),
        status=str(incident["status"]),
        opened_at=incident["opened_at"],
        acknowledged_at=incident["acknowledged_at"],
        identified_at=incident["identified_at"],
        resolving_at=incident["resolving_at"],
        resolved_at=incident["resolved_at"],
        detection_source=str(incident["detection_source"]),
        services=tuple(names[i] for i in ids if i in names),
        team=tuple((Role(r["role"]), str(r["name"])) for r in roles),
        timeline=entries,
        alerts=alert_facts,
        mitigation_started_at=as_utc(started),
        first_symptom_at=first_symptom_at,
    )


def similar_incidents(conn: Connection, incident: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Earlier incidents of the same service within 90 days: (INC-reference, date, title)."""
    if not incident["service_id"]:
        return []
    query = (
        sa.select(_i.c.number, _i.c.opened_at, _i.c.title)
        .where(
            _i.c.service_id == incident["service_id"],
            _i.c.id != incident["id"],
            _i.c.drill_id.is_(None),
            _i.c.opened_at < incident["opened_at"],
            _i.c.opened_at >= incident["opened_at"] - SIMILAR_WITHIN,
        )
        .order_by(_i.c.opened_at.desc())
        .limit(5)
    )
    return [(f"INC-{n:04d}", f"{at:%Y-%m-%d}", str(t)) for n, at, t in conn.execute(query).tuples()]


def people_names(conn: Connection, facts: IncidentFacts) -> tuple[list[str], list[str]]:
    """Who the blamelessness check looks for as a cause: (names, matched as written: every user's
    display name and first name; handles, matched in any case: the incident's people and actors).
    Handles and email names of everyone else are left out: many are ordinary words ("config")."""
    names: list[str] = []
    for (display_name,) in conn.execute(sa.select(_u.c.display_name).where(_u.c.display_name != "").limit(5000)):
        full = str(display_name).strip()
        names += [full, full.split()[0]] if full else []
    handles: list[str] = []
    for row in SqlIncidentRepo(conn).roles(facts.incident_id):
        handles += [str(row[k]) for k in ("handle",) if row.get(k)]
        handles.append(str(row["email"]).split("@")[0])
    machine = {"firebell", "alert source"}
    handles += [
        e.actor
        for e in facts.timeline
        if e.actor
        and e.kind not in {"alert_fired", "alert_resolved"}
        and e.actor not in machine
        and not e.actor.startswith("token:")
    ]
    return _distinct(names), _distinct(handles)


def _distinct(items: list[str]) -> list[str]:
    return list(dict.fromkeys(n for n in items if len(n) >= 3))
