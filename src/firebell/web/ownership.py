"""Which team owns what a request is about, read from the route's path parameters.

A service is its `owner_team`'s (when a team of that name exists); its incidents, alerts and drills
follow it; a schedule and an escalation policy are their `team_id`'s; an action item, and a public
status-page incident linked to an incident, follow that incident; a runbook follows its service, or
has a `team_id` of its own when it has no service. Whatever else a route touches belongs to no team.
One table, so every endpoint is guarded the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.actionitems.model import parse_reference as action_item_number
from firebell.actionitems.tables import ActionItemRow
from firebell.alerts.tables import AlertRow
from firebell.catalog.tables import ServiceRow
from firebell.drills.model import parse_reference as drill_number
from firebell.drills.tables import DrillRow
from firebell.identity.model import Team
from firebell.incidents.tables import IncidentRow
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.ids import parse_number
from firebell.oncall.tables import EscalationPolicyRow, ScheduleRow, TeamRow
from firebell.runbooks.tables import RunbookRow
from firebell.statuspage.tables import StatusIncidentRow

_svc = cast(sa.Table, ServiceRow.__table__)
_teams = cast(sa.Table, TeamRow.__table__)
_inc = cast(sa.Table, IncidentRow.__table__)
_alerts = cast(sa.Table, AlertRow.__table__)
_sched = cast(sa.Table, ScheduleRow.__table__)
_items = cast(sa.Table, ActionItemRow.__table__)
_drills = cast(sa.Table, DrillRow.__table__)
_policies = cast(sa.Table, EscalationPolicyRow.__table__)
_runbooks = cast(sa.Table, RunbookRow.__table__)
_public = cast(sa.Table, StatusIncidentRow.__table__)


def _team_of_services(conn: Connection, where: Any, *joins: tuple[sa.Table, Any]) -> Team | None:
    query = sa.select(_teams.c.id, _teams.c.name).select_from(_svc)
    for table, on in joins:
        query = query.join(table, on)
    query = query.join(_teams, _teams.c.name == _svc.c.owner_team).where(where)
    row = conn.execute(query.limit(1)).first()
    return Team(str(row[0]), str(row[1])) if row is not None else None


def _service(conn: Connection, name: str) -> Team | None:
    return _team_of_services(conn, _svc.c.name == name)


def _incident(conn: Connection, ref: str) -> Team | None:
    number = parse_number(ref)
    where = _inc.c.number == number if number is not None else _inc.c.id == ref
    return _team_of_services(conn, where, (_inc, _inc.c.service_id == _svc.c.id))


def _alert(conn: Connection, alert_id: str) -> Team | None:
    return _team_of_services(conn, _alerts.c.id == alert_id, (_alerts, _alerts.c.service_id == _svc.c.id))


def _team_column(conn: Connection, table: sa.Table, where: Any) -> Team | None:
    """The team a row names in its own `team_id`."""
    query = sa.select(_teams.c.id, _teams.c.name).join(table, table.c.team_id == _teams.c.id)
    row = conn.execute(query.where(where).limit(1)).first()
    return Team(str(row[0]), str(row[1])) if row is not None else None


def _schedule(conn: Connection, name: str) -> Team | None:
    return _team_column(conn, _sched, _sched.c.name == name)


def _policy(conn: Connection, name: str) -> Team | None:
    return _team_column(conn, _policies, _policies.c.name == name)


def _runbook(conn: Connection, runbook_id: str) -> Team | None:
    service_id = conn.execute(sa.select(_runbooks.c.service_id).where(_runbooks.c.id == runbook_id)).scalar()
    if service_id is not None:
        return _team_of_services(conn, _svc.c.id == service_id)
    return _team_column(conn, _runbooks, _runbooks.c.id == runbook_id)


def _public_incident(conn: Connection, public_id: str) -> Team | None:
    joins = ((_inc, _inc.c.service_id == _svc.c.id), (_public, _public.c.internal_incident_id == _inc.c.id))
    return _team_of_services(conn, _public.c.id == public_id, *joins)


def _action_item(conn: Connection, ref: str) -> Team | None:
    try:
        number = action_item_number(ref)
    except ValidationFailed:
        return None  # the endpoint answers for the bad reference
    joins = ((_inc, _inc.c.service_id == _svc.c.id), (_items, _items.c.incident_id == _inc.c.id))
    return _team_of_services(conn, _items.c.number == number, *joins)


def _drill(conn: Connection, ref: str) -> Team | None:
    try:
        number = drill_number(ref)
    except ValidationFailed:
        return None
    return _team_of_services(conn, _drills.c.number == number, (_drills, _drills.c.service_id == _svc.c.id))


def _team(conn: Connection, name: str) -> Team | None:
    row = conn.execute(sa.select(_teams.c.id, _teams.c.name).where(_teams.c.name == name)).first()
    return Team(str(row[0]), str(row[1])) if row is not None else None


# (a route path segment, its parameter, how to find the owner); the first match wins.
_OWNERS: tuple[tuple[str, str, Callable[[Connection, str], Team | None]], ...] = (
    ("/incidents/{ref}", "ref", _incident),
    ("/alerts/{alert_id}", "alert_id", _alert),
    ("/services/{name}", "name", _service),
    ("/schedules/{name}", "name", _schedule),
    ("/oncall/{name}", "name", _schedule),
    ("/action-items/{ref}", "ref", _action_item),
    ("/drills/{ref}", "ref", _drill),
    ("/teams/{name}", "name", _team),
    ("/policies/{name}", "name", _policy),
    ("/runbooks/{runbook_id}", "runbook_id", _runbook),
    # a status-page incident (API and admin page); "/incidents/{ref}" above is an internal one
    ("/incidents/{incident_id}", "incident_id", _public_incident),
)


def owner_parameter(route_path: str) -> str | None:
    """The path parameter naming what owns a route's subject, when the table knows the route."""
    return next((param for segment, param, _find in _OWNERS if segment in route_path), None)


def owner_of_route(conn: Connection, route_path: str, params: Mapping[str, Any]) -> Team | None:
    """The team owning what the route `route_path` with these path parameters is about, if any."""
    for segment, param, find in _OWNERS:
        if segment in route_path and param in params:
            return find(conn, str(params[param]))
    return None


def owner_of_service(conn: Connection, name: str) -> Team | None:
    return _service(conn, name)


def owner_of_incident(conn: Connection, ref: str) -> Team | None:
    return _incident(conn, ref.strip().lstrip("#"))


def owner_of_team(conn: Connection, name: str) -> Team | None:
    return _team(conn, name)


def owner_of_runbook(conn: Connection, runbook_id: str) -> Team | None:
    return _runbook(conn, runbook_id)
