"""Drafting an incident's postmortem from what Firebell knows of it, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from firebell.catalog.queries import slo_rows
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.roles import Role
from firebell.postmortems import service
from firebell.postmortems.queries import load_facts, similar_incidents
from firebell.postmortems.repo import SqlPostmortemRepo


def ensure_draft(conn: Connection, incident: dict[str, Any], *, actor: str, at: datetime) -> dict[str, Any]:
    """The incident's postmortem, drafted now if it has none (`incident` as `get_incident` gives it)."""
    incidents = SqlIncidentRepo(conn)
    roles = [(Role(r["role"]), str(r["user_id"])) for r in incidents.roles(str(incident["id"]))]
    service_ids = [
        *([incident["service_id"]] if incident["service_id"] else []),
        *(incident["affected_service_ids"] or []),
    ]
    return service.draft(
        SqlPostmortemRepo(conn),
        incidents,
        facts=load_facts(conn, incident),
        roles=roles,
        similar=similar_incidents(conn, incident),
        slos=slo_rows(conn, [str(s) for s in service_ids]),
        actor=actor,
        at=at,
    )
