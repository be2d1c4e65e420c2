"""Read side of incidents: listings and the detail view."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.tables import AlertRow
from firebell.catalog.tables import ServiceRow
from firebell.changes.model import services_to_watch, window
from firebell.changes.repo import SqlChangeRepo
from firebell.incidents.checklists import BY_KEY, for_incident
from firebell.incidents.mitigation import PLANS, Outcome, Strategy, next_step
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.response import already_done
from firebell.incidents.roles import LABELS, NEEDS, Role, assembled_at, staffing
from firebell.incidents.state import IncidentStatus
from firebell.incidents.tables import OPEN_WHERE, IncidentEventRow, IncidentRow
from firebell.incidents.targets import (
    Progress,
    Terms,
    assemble_deadline,
    format_span,
    investigation_began,
    next_update_due,
    standings,
)
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.kernel.ids import parse_number
from firebell.kernel.severity import Sev

_i = cast(sa.Table, IncidentRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)
_a = cast(sa.Table, AlertRow.__table__)
_e = cast(sa.Table, IncidentEventRow.__table__)

STATUS_FILTERS = {"open", *(s.value for s in IncidentStatus)}


def _base() -> sa.Select[Any]:
    alert_count = sa.select(sa.func.count()).where(_a.c.incident_id == _i.c.id).correlate(_i).scalar_subquery()
    return sa.select(
        _i.c.id,
        _i.c.number,
        _i.c.title,
        _i.c.status,
        _i.c.sev,
        _i.c.service_id,
        _s.c.name.label("service"),
        _i.c.runbook_url,
        _i.c.opened_at,
        _i.c.acknowledged_at,
        _i.c.resolved_at,
        _i.c.closed_at,
        _i.c.investigating_at,
        _i.c.identified_at,
        _i.c.resolving_at,
        _i.c.impact,
        _i.c.detection_source,
        _i.c.declared_by,
        _i.c.war_room,
        _i.c.affected_service_ids,
        _i.c.page_gap,
        _i.c.acknowledged_by,
        alert_count.label("alert_count"),
    ).outerjoin(_s, _s.c.id == _i.c.service_id)


def list_incidents(
    conn: Connection,
    *,
    status: str | None = None,
    service: str | None = None,
    sev: str | None = None,
    limit: int = 100,
    offset: int = 0,
    worst_first: bool = False,
) -> list[dict[str, Any]]:
    """Incidents newest first; `worst_first` puts SEV-1 before SEV-2 and so on (then newest first),
    which is how an on-call board reads."""
    order = [_i.c.opened_at.desc(), _i.c.number.desc()]
    if worst_first:
        order.insert(0, _i.c.sev.asc())  # "SEV-1" < "SEV-2" < ... as text
    query = _base().order_by(*order).limit(limit).offset(offset)
    if status:
        if status not in STATUS_FILTERS:
            raise ValidationFailed.field("status", f"use one of {', '.join(sorted(STATUS_FILTERS))}")
        if status == "open":
            query = query.where(sa.text(OPEN_WHERE.replace("status", "incidents.status", 1)))
        else:
            query = query.where(_i.c.status == status)
    if service:
        query = query.where(_s.c.name == service)
    if sev:
        query = query.where(_i.c.sev == sev)
    return [dict(row) for row in conn.execute(query).mappings()]


def get_incident(conn: Connection, ref: str) -> dict[str, Any]:
    """Find an incident by id or by its number."""
    query = _base()
    number = parse_number(ref)
    query = query.where(_i.c.number == number) if number is not None else query.where(_i.c.id == ref)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"incident {ref} not found")
    return dict(row)


def fingerprint(incident: dict[str, Any]) -> dict[str, Any]:
    """What of an incident's row must be current on its page and in its API answer: all of it but the
    count of its alerts (a storm's alerts show within a second, see infra/snapshots.py)."""
    return {k: v for k, v in incident.items() if k != "alert_count"}


def timeline(conn: Connection, incident_id: str) -> list[dict[str, Any]]:
    """The incident's timeline entries, with its alerts firing and resolving woven in (read from the
    alerts themselves, so intake writes nothing more for them)."""
    query = sa.select(_e).where(_e.c.incident_id == incident_id).order_by(_e.c.at, _e.c.id)
    entries = [dict(row) for row in conn.execute(query).mappings()]
    alerts = sa.select(_a.c.id, _a.c.summary, _a.c.source, _a.c.first_seen_at, _a.c.resolved_at).where(
        _a.c.incident_id == incident_id
    )
    for alert_id, summary, source, fired, resolved in conn.execute(alerts.limit(1000)).tuples():
        entries.append(
            {"id": f"{alert_id}a", "at": fired, "kind": "alert_fired", "actor": source, "message": summary, "data": {}}
        )
        if resolved is not None:
            entries.append(
                {"id": f"{alert_id}b", "at": resolved, "kind": "alert_resolved", "actor": source, "message": summary}
                | {"data": {}}
            )
    entries.sort(key=lambda e: (e["at"], e["kind"] != "alert_fired", e["id"]))  # an alert fires, then it opens
    return entries


_LABELS = {
    "acknowledge": "Acknowledge",
    "assemble": "Team assembled",
    "investigate": "Investigating",
    "resolve": "Resolved",
    "update": "Next status update",
}


def target_view(
    incident: dict[str, Any], now: datetime, terms: Terms, next_update_at: datetime | None = None
) -> dict[str, Any]:
    """The incident's response targets (its severity's, as configured) and where it stands on each:
    met, pending with the time left, or breached and by how much. Call after `response_view`, which
    works out when the team was assembled and when the next update is due (`next_update_at`)."""
    targets = terms.targets
    progress = Progress(
        incident["opened_at"],
        incident["acknowledged_at"],
        incident.get("assembled_at"),
        investigation_began(
            incident.get("investigating_at"), incident.get("identified_at"), incident.get("resolving_at"),
            incident.get("resolved_at"),
        ),
        incident.get("resolved_at"),
    )  # fmt: skip
    checks = {c.name: c for c in standings(terms, progress, now)}
    view: dict[str, Any] = {
        "acknowledge_within": format_span(targets.acknowledge),
        "update_every": format_span(targets.update_every) if targets.update_every else None,
        "postmortem": targets.postmortem.value,
        "postmortem_within": format_span(targets.postmortem_within) if targets.postmortem_within else None,
        "business_hours": targets.business_hours,
        "working_hours": terms.hours.describe() if targets.business_hours else None,
    }
    for name in ("acknowledge", "assemble", "investigate", "resolve"):
        found = checks.get(name)
        span = getattr(targets, name)
        view[f"{name}_within"] = format_span(span) if span is not None else None
        view[name] = found.standing.value if found else None
        view[f"{name}_by"] = format_span(found.by) if found else None
    view["standings"] = [
        {
            "target": c.name,
            "label": _LABELS[c.name],
            "within": format_span(c.target),
            "due_at": c.due_at,
            "standing": c.standing.value,
            "by": format_span(c.by),
        }
        for c in checks.values()
    ]
    if next_update_at is not None and targets.update_every is not None:
        late = next_update_at < now
        view["standings"].append(
            {
                "target": "update",
                "label": _LABELS["update"],
                "within": format_span(targets.update_every),
                "due_at": next_update_at,
                "standing": "breached" if late else "pending",
                "by": format_span(abs(next_update_at - now)),
            }
        )
    return view


def response_view(conn: Connection, incident: dict[str, Any], now: datetime, terms: Terms) -> dict[str, Any]:
    """Everything the incident page and the detail API show about running the incident: roles and
    the staffing warning, checklists, mitigation steps, communications, missed targets, the next
    update's deadline and the recent changes to its services. `terms`: the incident's targets."""
    repo = SqlIncidentRepo(conn)
    incident_id = str(incident["id"])
    sev = Sev(incident["sev"])
    roles = repo.roles(incident_id)
    held: dict[Role, list[str]] = {}
    for r in roles:
        held.setdefault(Role(r["role"]), []).append(str(r["name"]))
    incident["assembled_at"] = assembled_at(sev, [(Role(r), at) for r, at in repo.role_history(incident_id)])
    staff = staffing(sev, held, assemble_deadline(terms, incident["opened_at"]), now)
    needs = NEEDS[sev]
    items = repo.checklist_items(incident_id)
    if not items:  # not written until first used: show what it will be
        done = already_done(repo, incident, set(held))
        items = [
            {
                "list_key": c.key,
                "item_key": k,
                "text": t,
                "done_at": done.get((c.key, k)),
                "done_by": "firebell" if (c.key, k) in done else "",
            }
            for c in for_incident(sev, terms.targets, set(held))
            for k, t in c.keyed()
        ]
    lists: dict[str, dict[str, Any]] = {}
    for item in items:
        checklist = BY_KEY.get(item["list_key"])
        title = checklist.title if checklist else item.get("list_title") or item["list_key"]  # a playbook's phase
        entry = lists.setdefault(item["list_key"], {"key": item["list_key"], "title": title, "items": []})
        entry["items"].append(
            {"key": item["item_key"], "text": item["text"], "done_at": item["done_at"], "done_by": item["done_by"]}
        )
    communications = repo.communications(incident_id)
    last_update = max((c["sent_at"] for c in communications if c["counts_as_update"]), default=None)
    is_open = IncidentStatus(incident["status"]).is_open
    due = next_update_due(terms, incident["opened_at"], last_update) if is_open else None
    mitigations = []
    for m in repo.mitigations(incident_id):
        plan = PLANS[Strategy(m["strategy"])]
        mitigations.append(
            m
            | {
                "title": plan.title,
                "risk": plan.risk,
                "steps": list(plan.steps),
                "verify": list(plan.verify),
                "next": next_step(Outcome(m["outcome"])) if m["outcome"] else None,
            }
        )
    return {
        "roles": [
            {
                "role": role.value,
                "label": role.label,
                "need": needs[role].value if role in needs else "optional",
                "people": [
                    {"user_id": r["user_id"], "name": r["name"], "assigned_at": r["assigned_at"]}
                    for r in roles
                    if r["role"] == role.value
                ],
                "stood_in_by": next((LABELS[o] for s, o in staff.stood_in if s is role), None),
            }
            for role in Role
        ],
        "staffing_warning": staff.warning(),
        "staffing_overdue": staff.overdue,
        "recommended_missing": [r.label for r in staff.recommended_missing],
        "checklists": list(lists.values()),
        "mitigations": mitigations,
        "communications": communications,
        "breaches": repo.breaches(incident_id),
        "next_update_due": due,
        "next_update_overdue": due is not None and due < now,
        "next_update_in": format_span(abs(due - now)) if due is not None else None,
        "recent_changes": recent_changes(conn, incident),
    }


def recent_changes(conn: Connection, incident: dict[str, Any]) -> list[dict[str, Any]]:
    """Changes to the incident's services and their dependencies since a day before it opened."""
    changes = SqlChangeRepo(conn)
    main = [s for s in [incident.get("service_id"), *(incident.get("affected_service_ids") or [])] if s]
    if not main:
        return []
    watched = services_to_watch(main, changes.dependencies())
    rows = changes.listing(service_ids=list(watched), since=window(incident["opened_at"]), limit=50)
    for row in rows:
        row["relation"] = watched.get(str(row["service_id"]), "")
        row["after_detection"] = row["at"] > incident["opened_at"]
    return rows
