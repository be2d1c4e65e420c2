"""SQL adapter for incidents and their timeline entries."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from firebell.identity.tables import UserRow
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.incidents.state import OPEN_STATUSES
from firebell.incidents.tables import (
    ChecklistItemRow,
    CommunicationRow,
    IncidentEventRow,
    IncidentRoleRow,
    IncidentRow,
    MessageTemplateRow,
    MitigationRow,
    TargetBreachRow,
)
from firebell.incidents.targets import SeverityTargets
from firebell.infra.driver_sql import DriverSql
from firebell.infra.sqltypes import as_utc, first_dict
from firebell.kernel.ids import new_id

_inc = cast(sa.Table, IncidentRow.__table__)
_ev = cast(sa.Table, IncidentEventRow.__table__)
_roles = cast(sa.Table, IncidentRoleRow.__table__)
_items = cast(sa.Table, ChecklistItemRow.__table__)
_breach = cast(sa.Table, TargetBreachRow.__table__)
_mit = cast(sa.Table, MitigationRow.__table__)
_comm = cast(sa.Table, CommunicationRow.__table__)
_tpl = cast(sa.Table, MessageTemplateRow.__table__)
_u = cast(sa.Table, UserRow.__table__)
_OPEN = [s.value for s in OPEN_STATUSES]
_OPEN_SQL = ", ".join(f"'{s}'" for s in _OPEN)

# Built once (the intake writer reads these for every batch an alert joins an incident in).
_GET = sa.select(_inc).where(_inc.c.id == sa.bindparam("incident_id"))
_ROLES = (
    sa.select(
        _roles.c.role,
        _roles.c.user_id,
        _roles.c.assigned_at,
        _roles.c.assigned_by,
        _u.c.display_name,
        _u.c.handle,
        _u.c.email,
        _u.c.slack_member_id,
    )
    .join(_u, _u.c.id == _roles.c.user_id)
    .where(_roles.c.incident_id == sa.bindparam("incident_id"), _roles.c.ended_at.is_(None))
    .order_by(_roles.c.assigned_at, _roles.c.id)
)


class SqlIncidentRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._targets: SeverityTargets | None = None

    def get(self, incident_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(_GET, {"incident_id": incident_id}))

    def open_in_groups(self, service_id: str, group_keys: Collection[str]) -> list[dict[str, Any]]:
        """The service's open incidents in these groups, oldest first."""
        # On the intake hot path (once per batch and service), hence driver-level SQL.
        db = DriverSql(self.conn)
        keys = list(group_keys)
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            query = (
                f"SELECT id, group_key, opened_at, sev FROM incidents WHERE service_id = {db.mark} "  # noqa: S608
                f"AND group_key IN ({', '.join([db.mark] * len(chunk))}) AND status IN ({_OPEN_SQL})"
            )
            found += [
                {"id": r[0], "group_key": r[1], "opened_at": db.read_ts(r[2]), "sev": r[3]}
                for r in db.fetch_positional(query, [service_id, *chunk])
            ]
        return sorted(found, key=lambda row: row["opened_at"])

    def opened_since(self, service_id: str | None, recurrence_key: str, since: datetime) -> bool:
        if not recurrence_key:
            return False
        query = (
            sa.select(_inc.c.id)
            .where(
                _inc.c.service_id.is_(None) if service_id is None else _inc.c.service_id == service_id,
                _inc.c.recurrence_key == recurrence_key,
                _inc.c.opened_at >= since,
                _inc.c.drill_id.is_(None),
            )
            .limit(1)
        )
        return self.conn.execute(query).first() is not None

    def next_number(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(_inc.c.number), 0))).scalar_one()) + 1

    def insert(self, values: dict[str, Any]) -> None:
        self.conn.execute(_inc.insert(), values)

    def update(self, incident_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_inc.update().where(_inc.c.id == incident_id).values(**values))

    def flag_page_gap(self, incident_id: str, reason: str) -> None:
        statement = _inc.update().where(_inc.c.id == incident_id, _inc.c.page_gap.is_(None))
        self.conn.execute(statement.values(page_gap=reason))

    def clear_page_gaps(self, incident_ids: Collection[str]) -> None:
        ids = list(incident_ids)
        if ids:
            statement = _inc.update().where(_inc.c.id.in_(ids), _inc.c.page_gap.is_not(None))
            self.conn.execute(statement.values(page_gap=None))

    def add_event(
        self,
        incident_id: str,
        at: datetime,
        kind: str,
        message: str,
        actor: str = "firebell",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.conn.execute(
            _ev.insert(),
            {
                "id": new_id(),
                "incident_id": incident_id,
                "at": at,
                "kind": kind,
                "actor": actor,
                "message": message,
                "data": data or {},
            },
        )

    def add_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        # Intake writes one for each alert joining an incident: in bulk on the driver (see driver_sql).
        db = DriverSql(self.conn)
        values = [
            (
                r["id"],
                r["incident_id"],
                db.ts(r["at"]),
                r["kind"],
                r["actor"],
                r["message"],
                orjson.dumps(r["data"]).decode(),
            )
            for r in rows
        ]
        db.insert_rows("incident_events", ("id", "incident_id", "at", "kind", "actor", "message", "data"), values)

    # --- roles ----------------------------------------------------------------------------------

    def roles(self, incident_id: str) -> list[dict[str, Any]]:
        """Who holds which role, with each person's name and Slack id, in the order assigned."""
        rows = [dict(r) for r in self.conn.execute(_ROLES, {"incident_id": incident_id}).mappings()]
        for row in rows:
            row["name"] = row["display_name"] or row["handle"] or row["email"]
        return rows

    def person_name(self, user_id: str) -> str | None:
        """A person's name as incidents show it (display name, handle or email); None if unknown."""
        query = sa.select(_u.c.display_name, _u.c.handle, _u.c.email).where(_u.c.id == user_id)
        row = self.conn.execute(query).first()
        return str(row[0] or row[1] or row[2]) if row is not None else None

    def role_history(self, incident_id: str) -> list[tuple[str, datetime]]:
        """(role, assigned at) of every holding, current or ended, for the assemble target."""
        query = sa.select(_roles.c.role, _roles.c.assigned_at).where(_roles.c.incident_id == incident_id)
        return [(str(r), at) for r, at in self.conn.execute(query).tuples()]

    def add_role(self, values: dict[str, Any]) -> None:
        self.conn.execute(_roles.insert(), {"id": new_id(), **values})

    def remove_role(self, incident_id: str, role: str, at: datetime, user_id: str | None = None) -> int:
        """End the role's current holding (by one person, or by everyone); how many ended."""
        statement = (
            _roles.update()
            .where(_roles.c.incident_id == incident_id, _roles.c.role == role, _roles.c.ended_at.is_(None))
            .values(ended_at=at)
        )
        if user_id is not None:
            statement = statement.where(_roles.c.user_id == user_id)
        return int(self.conn.execute(statement).rowcount or 0)

    def role_assignments(self) -> dict[str, list[tuple[str, datetime]]]:
        """(role, assigned at) per open incident, every holding ever, for the assemble target."""
        found: dict[str, list[tuple[str, datetime]]] = {}
        query = (
            sa.select(_roles.c.incident_id, _roles.c.role, _roles.c.assigned_at)
            .join(_inc, _inc.c.id == _roles.c.incident_id)
            .where(_inc.c.status.in_(_OPEN))
        )
        for incident_id, role, at in self.conn.execute(query).tuples():
            found.setdefault(str(incident_id), []).append((str(role), at))
        return found

    # --- checklists -----------------------------------------------------------------------------

    def checklist_items(self, incident_id: str) -> list[dict[str, Any]]:
        query = sa.select(_items).where(_items.c.incident_id == incident_id).order_by(_items.c.position)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def add_checklist_items(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(_items.insert(), rows)

    def set_item(self, incident_id: str, list_key: str, item_key: str, done_at: datetime | None, by: str) -> int:
        """Tick (or untick) an item; 0 when it was already so or does not exist."""
        statement = _items.update().where(
            _items.c.incident_id == incident_id, _items.c.list_key == list_key, _items.c.item_key == item_key
        )
        statement = statement.where(_items.c.done_at.is_(None) if done_at else _items.c.done_at.is_not(None))
        return int(self.conn.execute(statement.values(done_at=done_at, done_by=by if done_at else "")).rowcount or 0)

    # --- mitigation, communications, breaches, templates ----------------------------------------

    def mitigations(self, incident_id: str) -> list[dict[str, Any]]:
        query = sa.select(_mit).where(_mit.c.incident_id == incident_id).order_by(_mit.c.chosen_at, _mit.c.id)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def add_mitigation(self, values: dict[str, Any]) -> None:
        self.conn.execute(_mit.insert(), values)

    def update_mitigation(self, mitigation_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_mit.update().where(_mit.c.id == mitigation_id).values(**values))

    def communications(self, incident_id: str) -> list[dict[str, Any]]:
        query = sa.select(_comm).where(_comm.c.incident_id == incident_id).order_by(_comm.c.sent_at.desc())
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def add_communication(self, values: dict[str, Any]) -> None:
        self.conn.execute(_comm.insert(), values)

    def last_updates(self) -> dict[str, datetime]:
        """When each open incident's last status update went out."""
        query = (
            sa.select(_comm.c.incident_id, sa.func.max(_comm.c.sent_at))
            .join(_inc, _inc.c.id == _comm.c.incident_id)
            .where(_inc.c.status.in_(_OPEN), _comm.c.counts_as_update.is_(True))
            .group_by(_comm.c.incident_id)
        )
        found: dict[str, datetime] = {}
        for incident_id, at in self.conn.execute(query).tuples():
            stamp = as_utc(at)
            if stamp is not None:
                found[str(incident_id)] = stamp
        return found

    def breaches(self, incident_id: str) -> list[dict[str, Any]]:
        query = sa.select(_breach).where(_breach.c.incident_id == incident_id).order_by(_breach.c.due_at)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def breach_keys(self) -> set[tuple[str, str, datetime]]:
        """The missed targets recorded for open incidents."""
        query = (
            sa.select(_breach.c.incident_id, _breach.c.target, _breach.c.due_at)
            .join(_inc, _inc.c.id == _breach.c.incident_id)
            .where(_inc.c.status.in_(_OPEN))
        )
        return {(str(i), str(t), at) for i, t, at in self.conn.execute(query).tuples()}

    def add_breach(self, values: dict[str, Any]) -> bool:
        """Record a breach once; False when another process already did (no error either way)."""
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(_breach)
            .values(id=new_id(), **values)
            .on_conflict_do_nothing(index_elements=["incident_id", "target", "due_at"])
            .returning(_breach.c.id)
        )
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT that did nothing.
        return self.conn.execute(statement).first() is not None

    def open_incidents(self, opened_by: datetime) -> list[dict[str, Any]]:
        """Open incidents opened at or before `opened_by`. Drills are practice and imported history was
        another tool's to answer: neither has its targets watched."""
        query = sa.select(
            _inc.c.id,
            _inc.c.number,
            _inc.c.title,
            _inc.c.sev,
            _inc.c.service_id,
            _inc.c.opened_at,
            _inc.c.acknowledged_at,
            _inc.c.acknowledged_by,
            _inc.c.investigating_at,
            _inc.c.identified_at,
            _inc.c.resolving_at,
            _inc.c.resolved_at,
        ).where(
            _inc.c.status.in_(_OPEN),
            _inc.c.opened_at <= opened_by,
            _inc.c.drill_id.is_(None),
            _inc.c.external_ref.is_(None),
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def first_opened_after(self, after: datetime) -> datetime | None:
        """When the oldest open incident opened after `after` opened."""
        query = sa.select(sa.func.min(_inc.c.opened_at)).where(
            _inc.c.status.in_(_OPEN), _inc.c.opened_at > after, _inc.c.drill_id.is_(None), _inc.c.external_ref.is_(None)
        )
        return as_utc(self.conn.execute(query).scalar())

    def severity_targets(self) -> SeverityTargets:
        """Every severity's response targets as configured (read once per repository: per transaction)."""
        if self._targets is None:
            self._targets = SqlSeverityTargetsRepo(self.conn).targets()
        return self._targets

    def war_room_taken(self, name: str, incident_id: str) -> bool:
        """Whether another incident already has this war room."""
        query = sa.select(_inc.c.id).where(_inc.c.war_room == name, _inc.c.id != incident_id).limit(1)
        return self.conn.execute(query).first() is not None

    def template_overrides(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self.conn.execute(sa.select(_tpl.c.key, _tpl.c.body))}

    def save_template(self, key: str, body: str | None, at: datetime, by: str) -> None:
        """Store an edited template, or (body None) go back to the shipped one."""
        self.conn.execute(_tpl.delete().where(_tpl.c.key == key))
        if body is not None:
            self.conn.execute(_tpl.insert(), {"key": key, "body": body, "updated_at": at, "updated_by": by})
