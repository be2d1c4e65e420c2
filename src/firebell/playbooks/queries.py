"""Read side of playbooks: the list and one playbook as the API and the pages show them, and an
incident's playbooks (attached, with progress, and suggested, with the reason)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from firebell.alerts.queries import list_alerts
from firebell.incidents.repo import SqlIncidentRepo
from firebell.playbooks.model import LIST_PREFIX, Listed
from firebell.playbooks.repo import SqlPlaybookRepo
from firebell.playbooks.service import find, playbooks
from firebell.playbooks.suggest import Clues, suggest


def summary(listed: Listed, row: Mapping[str, Any] | None = None) -> dict[str, Any]:
    playbook = listed.playbook
    return {
        "key": playbook.key,
        "name": playbook.name,
        "incident_type": playbook.incident_type,
        "summary": playbook.summary,
        "source": listed.source.value,
        "phase_count": len(playbook.phases),
        "step_count": playbook.step_count,
        "updated_at": row["updated_at"] if row else None,
        "updated_by": str(row["updated_by"]) if row else None,
        "url": f"/playbooks#{playbook.key}",
    }


def full(listed: Listed, row: Mapping[str, Any] | None = None) -> dict[str, Any]:
    phases = [
        {"key": p.key, "title": p.title, "list_key": listed.playbook.list_key(p), "steps": list(p.steps)}
        for p in listed.playbook.phases
    ]
    return {**summary(listed, row), "phases": phases}


def all_playbooks(conn: Connection) -> list[dict[str, Any]]:
    """Every playbook in use, with its phases and steps."""
    repo = SqlPlaybookRepo(conn)
    rows = {str(r["key"]): r for r in repo.stored()}
    return [full(listed, rows.get(listed.playbook.key)) for listed in playbooks(repo)]


def one_playbook(conn: Connection, key: str) -> dict[str, Any]:
    repo = SqlPlaybookRepo(conn)
    return full(find(repo, key), repo.get(key))


def clues_of(incident: Mapping[str, Any], alerts: Sequence[Mapping[str, Any]]) -> Clues:
    return Clues(
        title=str(incident.get("title") or ""),
        impact=str(incident.get("impact") or ""),
        alert_summaries=tuple(str(a.get("summary") or "") for a in alerts),
        labels=tuple({str(k): str(v) for k, v in (a.get("labels") or {}).items()} for a in alerts),
    )


def incident_playbooks(
    conn: Connection, incident: Mapping[str, Any], alerts: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The incident's attached playbooks (with steps done), the suggested ones (with the reason), and
    every playbook as a choice, suggested first."""
    incident_id = str(incident["id"])
    if alerts is None:
        alerts = list_alerts(conn, incident_id=incident_id, limit=500)
    repo = SqlPlaybookRepo(conn)
    listed = playbooks(repo)
    items = SqlIncidentRepo(conn).checklist_items(incident_id)
    attached = []
    for row in repo.attachments(incident_id):
        mine = [i for i in items if str(i["list_key"]).startswith(f"{LIST_PREFIX}{row['playbook_key']}:")]
        attached.append(
            {
                "key": str(row["playbook_key"]),
                "name": str(row["name"]),
                "attached_at": row["attached_at"],
                "attached_by": str(row["attached_by"]),
                "steps": len(mine),
                "done": sum(1 for i in mine if i["done_at"] is not None),
            }
        )
    suggested = [
        {"key": s.key, "name": s.name, "reason": s.reason} for s in suggest(clues_of(incident, alerts), listed)
    ]
    first = {s["key"]: s["reason"] for s in suggested}
    have = {a["key"] for a in attached}
    choices = sorted(
        (
            {
                "key": p.playbook.key,
                "name": p.playbook.name,
                "suggested": p.playbook.key in first,
                "reason": first.get(p.playbook.key, ""),
                "attached": p.playbook.key in have,
            }
            for p in listed
        ),
        key=lambda c: list(first).index(c["key"]) if c["key"] in first else len(first),
    )
    return {"attached": attached, "suggested": suggested, "choices": choices}
