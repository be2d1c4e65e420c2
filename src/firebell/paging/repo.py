"""SQL adapter for paging: starting escalations, claiming due ones, deliveries and their log.

Claims are row leases. On PostgreSQL due escalations are locked `FOR UPDATE SKIP LOCKED` for the
transaction that pages them, so several Firebell processes share the work and never page the
same step twice; due deliveries get `lease_until` in a short transaction before they are sent, so
a process that dies mid-send hands them on when the lease runs out. On SQLite, one write
transaction at a time does the same job.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from firebell.alerts.tables import AlertRow
from firebell.catalog.tables import ServiceRow
from firebell.identity.tables import UserRow
from firebell.incidents.tables import IncidentEventRow, IncidentRow
from firebell.infra.sqltypes import all_dicts, as_utc, first_dict
from firebell.oncall.escalation import category_key
from firebell.oncall.tables import (
    ContactMethodRow,
    EscalationPolicyRow,
    ScheduleOverrideRow,
    ScheduleRow,
    TeamMemberRow,
)
from firebell.oncall.urgency import parse_urgency_map
from firebell.oncall.working_hours import from_doc
from firebell.paging.model import RESPONDER_PAGED, DeliveryStatus, EscalationState, ServicePaging
from firebell.paging.tables import DeliveryAttemptRow, DeliveryRow, EscalationRow, PageRow
from firebell.paging.timer_repo import SqlTimerRepo

_esc = cast(sa.Table, EscalationRow.__table__)
_pages = cast(sa.Table, PageRow.__table__)
_del = cast(sa.Table, DeliveryRow.__table__)
_att = cast(sa.Table, DeliveryAttemptRow.__table__)
_inc = cast(sa.Table, IncidentRow.__table__)
_events = cast(sa.Table, IncidentEventRow.__table__)
_svc = cast(sa.Table, ServiceRow.__table__)
_users = cast(sa.Table, UserRow.__table__)
_policies = cast(sa.Table, EscalationPolicyRow.__table__)
_schedules = cast(sa.Table, ScheduleRow.__table__)
_overrides = cast(sa.Table, ScheduleOverrideRow.__table__)
_members = cast(sa.Table, TeamMemberRow.__table__)
_contacts = cast(sa.Table, ContactMethodRow.__table__)
_alerts = cast(sa.Table, AlertRow.__table__)

_ACTIVE = EscalationState.ACTIVE.value
_PENDING = DeliveryStatus.PENDING.value

# Built once (the intake writer reads these for every batch an alert joins an incident in).
_SERVICE_POLICY = sa.select(_svc.c.escalation_policy_id, _svc.c.category_policies).where(
    _svc.c.id == sa.bindparam("service_id")
)
_ACTIVE_ESCALATIONS = sa.select(_esc).where(_esc.c.incident_id == sa.bindparam("incident_id"), _esc.c.state == _ACTIVE)
_ESCALATIONS_OF = sa.select(_esc).where(_esc.c.incident_id == sa.bindparam("incident_id")).order_by(_esc.c.started_at)
_SERVICE_PAGING = sa.select(_svc.c.id, _svc.c.urgency, _svc.c.working_hours).where(
    _svc.c.id.in_(sa.bindparam("service_ids", expanding=True))
)


class SqlPagingRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    # --- escalations --------------------------------------------------------------------------

    def service_policy(self, service_id: str, category: str | None = None) -> str | None:
        row = first_dict(self.conn.execute(_SERVICE_POLICY, {"service_id": service_id}))
        if row is None:
            return None
        default = row["escalation_policy_id"]
        routes: dict[str, Any] = dict(row["category_policies"] or {})
        chosen = routes.get(category_key(category)) if category else None
        value = chosen or default
        return str(value) if value else None

    def add_escalation(self, values: dict[str, Any]) -> None:
        self.conn.execute(_esc.insert(), values)

    def active_escalations(self, incident_id: str) -> list[dict[str, Any]]:
        return all_dicts(self.conn.execute(_ACTIVE_ESCALATIONS, {"incident_id": incident_id}))

    def escalations_of(self, incident_id: str) -> list[dict[str, Any]]:
        return all_dicts(self.conn.execute(_ESCALATIONS_OF, {"incident_id": incident_id}))

    def highest_level_paged(self, incident_id: str, policy_id: str) -> int:
        """The highest level (1-based) of this policy anyone was paged at for the incident; 0 if none."""
        query = (
            sa.select(sa.func.coalesce(sa.func.max(_pages.c.level), 0))
            .join(_esc, _esc.c.id == _pages.c.escalation_id)
            .where(_pages.c.incident_id == incident_id, _esc.c.policy_id == policy_id)
        )
        return int(self.conn.execute(query).scalar_one())

    def claim_due_escalations(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Due active escalations with their incident's facts, locked for this transaction."""
        query = (
            sa.select(
                *(c for c in _esc.c if c.name != "sev"),
                _esc.c.sev.label("run_sev"),
                _inc.c.number,
                _inc.c.title,
                _inc.c.sev,
                _inc.c.status.label("incident_status"),
                _inc.c.service_id,
                _inc.c.opened_at,
                _inc.c.acknowledged_at,
                _inc.c.runbook_url,
            )
            .join(_inc, _inc.c.id == _esc.c.incident_id)
            .where(_esc.c.state == _ACTIVE, _esc.c.next_due_at <= now)
            .order_by(_esc.c.next_due_at)
            .limit(limit)
        )
        if self.postgres:
            query = query.with_for_update(of=_esc, skip_locked=True)
        return all_dicts(self.conn.execute(query))

    def update_escalation(self, escalation_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_esc.update().where(_esc.c.id == escalation_id).values(**values))

    def update_escalations(self, rows: Sequence[dict[str, Any]]) -> None:
        """Several escalations at once; each row has `b_id` and the new values under `b_` names."""
        if not rows:
            return
        statement = (
            _esc.update()
            .where(_esc.c.id == sa.bindparam("b_id"))
            .values(
                steps_taken=sa.bindparam("b_steps_taken"),
                next_due_at=sa.bindparam("b_next_due_at"),
                state=sa.bindparam("b_state"),
                ended_at=sa.bindparam("b_ended_at"),
                started_at=sa.bindparam("b_started_at"),
                answer_after=sa.bindparam("b_answer_after"),
            )
        )
        self.conn.execute(statement, list(rows))

    def next_escalation_due(self) -> datetime | None:
        query = sa.select(sa.func.min(_esc.c.next_due_at)).where(_esc.c.state == _ACTIVE)
        return as_utc(self.conn.execute(query).scalar_one_or_none())

    # --- what paging needs to know --------------------------------------------------------------

    def policies(self, policy_ids: Collection[str]) -> list[dict[str, Any]]:
        return all_dicts(self.conn.execute(sa.select(_policies).where(_policies.c.id.in_(list(policy_ids)))))

    def schedules_with_overrides(
        self, schedule_ids: Collection[str]
    ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        ids = list(schedule_ids)
        if not ids:
            return []
        rows = all_dicts(self.conn.execute(sa.select(_schedules).where(_schedules.c.id.in_(ids))))
        overrides = all_dicts(
            self.conn.execute(
                sa.select(_overrides).where(_overrides.c.schedule_id.in_(ids)).order_by(_overrides.c.created_at)
            )
        )
        by_schedule: dict[str, list[dict[str, Any]]] = {}
        for override in overrides:
            by_schedule.setdefault(str(override["schedule_id"]), []).append(override)
        return [(row, by_schedule.get(str(row["id"]), [])) for row in rows]

    def team_members(self, team_ids: Collection[str]) -> dict[str, tuple[str, ...]]:
        ids = list(team_ids)
        if not ids:
            return {}
        query = sa.select(_members.c.team_id, _members.c.user_id).where(
            _members.c.team_id.in_(ids),
            _members.c.role != "viewer",  # viewers are never paged
        )
        teams: dict[str, list[str]] = {}
        for team_id, user_id in self.conn.execute(query.order_by(_members.c.position)):
            teams.setdefault(str(team_id), []).append(str(user_id))
        return {team: tuple(users) for team, users in teams.items()}

    def people(self, user_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        ids = list(user_ids)
        if not ids:
            return {}
        query = sa.select(
            _users.c.id,
            _users.c.handle,
            _users.c.display_name,
            _users.c.email,
            _users.c.timezone,
            _users.c.working_hours,
            _users.c.disabled_at,
        ).where(_users.c.id.in_(ids))
        return {str(row["id"]): row for row in all_dicts(self.conn.execute(query))}

    def contact_methods(self, user_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        ids = list(user_ids)
        if not ids:
            return {}
        query = sa.select(_contacts).where(_contacts.c.user_id.in_(ids)).order_by(_contacts.c.id)
        methods: dict[str, list[dict[str, Any]]] = {}
        for row in all_dicts(self.conn.execute(query)):
            methods.setdefault(str(row["user_id"]), []).append(row)
        return methods

    def service_paging(self, service_ids: Collection[str]) -> dict[str, ServicePaging]:
        """Each service's urgency per severity and its own working hours (if it has any)."""
        ids = list(service_ids)
        if not ids:
            return {}
        found = {}
        for row in all_dicts(self.conn.execute(_SERVICE_PAGING, {"service_ids": ids})):
            own = from_doc(row["working_hours"], "UTC") if row["working_hours"] else None
            found[str(row["id"])] = ServicePaging(parse_urgency_map(row["urgency"] or {}), own)
        return found

    def timers(self) -> SqlTimerRepo:
        return SqlTimerRepo(self.conn)

    def incident_reached(self, incident_id: str) -> bool:
        """Whether any page notification of the incident was sent, or is still on its way."""
        query = sa.select(_del.c.id).where(
            _del.c.incident_id == incident_id,
            _del.c.page_id.is_not(None),
            _del.c.status.in_((DeliveryStatus.SENT.value, _PENDING)),
        )
        return self.conn.execute(query.limit(1)).first() is not None

    def service_names(self, service_ids: Collection[str]) -> dict[str, str]:
        ids = list(service_ids)
        if not ids:
            return {}
        query = sa.select(_svc.c.id, _svc.c.name).where(_svc.c.id.in_(ids))
        return {str(i): str(n) for i, n in self.conn.execute(query)}

    def incident_alerts(self, incident_ids: Collection[str], limit: int) -> dict[str, tuple[list[dict[str, Any]], int]]:
        """Per incident, its `limit` most recently seen alerts (with labels, details and links) and
        how many others it has: what a page tells of them."""
        out: dict[str, tuple[list[dict[str, Any]], int]] = {}
        columns = (
            _alerts.c.id,
            _alerts.c.summary,
            _alerts.c.severity,
            _alerts.c.status,
            _alerts.c.source,
            _alerts.c.labels,
            _alerts.c.details,
            _alerts.c.links,
        )
        for incident_id in sorted(set(incident_ids)):
            query = (
                sa.select(*columns)
                .where(_alerts.c.incident_id == incident_id)
                .order_by(_alerts.c.last_seen_at.desc(), _alerts.c.id.desc())
                .limit(limit)
            )
            rows = all_dicts(self.conn.execute(query))
            more = 0
            if len(rows) == limit:
                total = sa.select(sa.func.count()).select_from(_alerts).where(_alerts.c.incident_id == incident_id)
                more = int(self.conn.execute(total).scalar_one()) - limit
            out[incident_id] = (rows, more)
        return out

    # --- pages and deliveries -----------------------------------------------------------------

    def add_pages(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(_pages.insert(), list(rows))

    def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(_del.insert(), list(rows))

    def add_deliveries_once(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert deliveries, skipping any whose idempotency key is already stored (another node's)."""
        if not rows:
            return
        insert = postgresql.insert if self.postgres else sqlite.insert
        self.conn.execute(insert(_del).on_conflict_do_nothing(index_elements=["idempotency_key"]), list(rows))

    def pages_of(self, incident_id: str) -> list[dict[str, Any]]:
        query = (
            sa.select(_pages, _users.c.display_name, _users.c.handle)
            .join(_users, _users.c.id == _pages.c.user_id)
            .where(_pages.c.incident_id == incident_id)
            .order_by(_pages.c.paged_at, _pages.c.step, _pages.c.level)
        )
        return all_dicts(self.conn.execute(query))

    def cancel_pending(self, incident_id: str, now: datetime, reason: str) -> list[str]:
        """Cancel an incident's page notifications not yet sent; the pages they belonged to."""
        # Rows being sent (leased) are left to their sender, which drops them if no longer wanted.
        statement = (
            _del.update()
            .where(
                _del.c.incident_id == incident_id,
                _del.c.status == _PENDING,
                _del.c.page_id.is_not(None),
                sa.or_(_del.c.lease_until.is_(None), _del.c.lease_until <= now),
            )
            .values(status=DeliveryStatus.CANCELLED.value, finished_at=now, last_error=reason)
            .returning(_del.c.page_id)
        )
        found: list[Any] = list(self.conn.execute(statement).scalars())
        return [str(p) for p in found]

    def cancel_pending_of(self, escalation_ids: Collection[str], now: datetime, reason: str) -> list[str]:
        """Cancel the page notifications not yet sent of these escalations only; their pages."""
        ids = list(escalation_ids)
        if not ids:
            return []
        pages = sa.select(_pages.c.id).where(_pages.c.escalation_id.in_(ids))
        statement = (
            _del.update()
            .where(
                _del.c.page_id.in_(pages),
                _del.c.status == _PENDING,
                sa.or_(_del.c.lease_until.is_(None), _del.c.lease_until <= now),
            )
            .values(status=DeliveryStatus.CANCELLED.value, finished_at=now, last_error=reason)
            .returning(_del.c.page_id)
        )
        found: list[Any] = list(self.conn.execute(statement).scalars())
        return [str(p) for p in found]

    def steps_never_sent(self, page_ids: Collection[str]) -> list[dict[str, Any]]:
        """Of the escalation steps these pages belong to, those none of whose notifications was sent
        or is still on its way (all cancelled or failed): each with `incident_id`, `level`, `step`."""
        ids = list(set(page_ids))
        if not ids:
            return []
        steps = (
            sa.select(_pages.c.escalation_id, _pages.c.step, _pages.c.level, _pages.c.incident_id)
            .where(_pages.c.id.in_(ids))
            .distinct()
        )
        found = []
        for row in all_dicts(self.conn.execute(steps)):
            live = (
                sa.select(_del.c.id)
                .join(_pages, _pages.c.id == _del.c.page_id)
                .where(
                    _pages.c.escalation_id == row["escalation_id"],
                    _pages.c.step == row["step"],
                    _del.c.status.in_((DeliveryStatus.SENT.value, _PENDING)),
                )
                .limit(1)
            )
            if self.conn.execute(live).first() is None:
                found.append({"incident_id": str(row["incident_id"]), "level": row["level"], "step": row["step"]})
        return sorted(found, key=lambda r: (r["incident_id"], r["step"]))

    def responder_requests(self, escalation_ids: Collection[str]) -> dict[str, str]:
        """What each responder escalation's pages say about the request (who asked, and why), by
        escalation id; kept on the timeline entry that records the request."""
        ids = set(escalation_ids)
        if not ids:
            return {}
        incidents = sa.select(_esc.c.incident_id).where(_esc.c.id.in_(list(ids)))
        query = sa.select(_events.c.data).where(_events.c.incident_id.in_(incidents), _events.c.kind == RESPONDER_PAGED)
        entries: list[Any] = list(self.conn.execute(query).scalars())
        found: dict[str, str] = {}
        for data in entries:
            escalation_id = str((data or {}).get("escalation_id", ""))
            if escalation_id in ids:
                found[escalation_id] = str(data.get("request", ""))
        return found

    def due_deliveries(
        self,
        now: datetime,
        limit: int,
        *,
        skip_channels: Collection[str] = (),
        skip_prefixes: Collection[str] = (),
    ) -> list[dict[str, Any]]:
        """Up to `limit` due deliveries no process holds, oldest first: `id`, `channel`, `address`.
        Rows of `skip_channels`, and rows whose address starts with one of `skip_prefixes` (lower case:
        destinations with no free sender) are left for later. Nothing is locked: see `lease_deliveries`."""
        due = (
            sa.select(_del.c.id, _del.c.channel, _del.c.address)
            .where(
                _del.c.status == _PENDING,
                _del.c.due_at <= now,
                sa.or_(_del.c.lease_until.is_(None), _del.c.lease_until <= now),
            )
            .order_by(_del.c.due_at)
            .limit(limit)
        )
        if skip_channels:
            due = due.where(_del.c.channel.not_in(list(skip_channels)))
        for prefix in skip_prefixes:
            address = sa.func.lower(_del.c.address)
            due = due.where(sa.not_(sa.or_(address == prefix, address.startswith(prefix + "/", autoescape=True))))
        return all_dicts(self.conn.execute(due))

    def lease_deliveries(self, ids: Collection[str], now: datetime, lease_until: datetime) -> list[dict[str, Any]]:
        """Lease those of these deliveries still due and free; each comes with its incident's status and
        escalation, read after the lease was taken.

        The lease is the gate a page passes before it is sent: it reads the escalation's state after
        any acknowledgement that touched it committed. On SQLite the claim's write transaction does
        that; on PostgreSQL the escalations are locked FOR SHARE first (in id order, before the
        deliveries, the order an acknowledgement takes them in), so an acknowledgement either
        commits first and the page is dropped, or waits for the claim and then sees the page leased.
        """
        wanted = list(ids)
        if not wanted:
            return []
        free = sa.and_(
            _del.c.id.in_(wanted),
            _del.c.status == _PENDING,
            sa.or_(_del.c.lease_until.is_(None), _del.c.lease_until <= now),
        )
        if self.postgres:
            pages = sa.select(_pages.c.escalation_id).join(_del, _del.c.page_id == _pages.c.id).where(free)
            escalations: list[Any] = list(self.conn.execute(pages.distinct()).scalars())
            if escalations:
                lock = sa.select(_esc.c.id).where(_esc.c.id.in_([str(e) for e in escalations])).order_by(_esc.c.id)
                self.conn.execute(lock.with_for_update(read=True))
            locked: list[Any] = list(
                self.conn.execute(sa.select(_del.c.id).where(free).with_for_update(skip_locked=True)).scalars()
            )
            wanted = [str(i) for i in locked]
            if not wanted:
                return []
            taken = self.conn.execute(_del.update().where(_del.c.id.in_(wanted)).values(lease_until=lease_until))
        else:
            taken = self.conn.execute(_del.update().where(free).values(lease_until=lease_until))
        if not taken.rowcount:
            return []
        query = (
            sa.select(
                _del,
                _inc.c.status.label("incident_status"),
                _inc.c.acknowledged_at,
                _esc.c.state.label("escalation_state"),
                sa.func.coalesce(_esc.c.answer_after, _esc.c.started_at).label("escalation_started_at"),
                _users.c.display_name,
                _users.c.handle,
            )
            .outerjoin(_inc, _inc.c.id == _del.c.incident_id)
            .outerjoin(_users, _users.c.id == _del.c.user_id)
            .outerjoin(_pages, _pages.c.id == _del.c.page_id)
            .outerjoin(_esc, _esc.c.id == _pages.c.escalation_id)
            .where(_del.c.id.in_(wanted), _del.c.lease_until == lease_until)
            .order_by(_del.c.due_at)
        )
        return all_dicts(self.conn.execute(query))

    def renew_leases(self, rows: Sequence[dict[str, Any]]) -> None:
        """Extend leases still held: each row has `b_id`, `b_lease` (held now) and `b_until` (new)."""
        if rows:
            statement = (
                _del.update()
                .where(
                    _del.c.id == sa.bindparam("b_id"),
                    _del.c.lease_until == sa.bindparam("b_lease"),
                    _del.c.status == _PENDING,
                )
                .values(lease_until=sa.bindparam("b_until"))
            )
            self.conn.execute(statement, list(rows))

    def sends_in_flight(self, incident_id: str, now: datetime) -> int:
        """How many of the incident's page notifications are being sent (leased) at `now`."""
        query = sa.select(sa.func.count()).where(
            _del.c.incident_id == incident_id,
            _del.c.page_id.is_not(None),
            _del.c.status == _PENDING,
            _del.c.lease_until > now,
        )
        return int(self.conn.execute(query).scalar_one())

    def finish_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write outcomes: each row has `b_id`, `b_lease` (the lease the writer holds), `b_status`,
        `b_due_at`, `b_attempts`, `b_last_error` and `b_finished_at`. A row whose lease changed (another
        process took it over) is left alone; the lease is released."""
        if not rows:
            return
        statement = (
            _del.update()
            .where(_del.c.id == sa.bindparam("b_id"), _del.c.lease_until == sa.bindparam("b_lease"))
            .values(
                status=sa.bindparam("b_status"),
                due_at=sa.bindparam("b_due_at"),
                attempts=sa.bindparam("b_attempts"),
                last_error=sa.bindparam("b_last_error"),
                finished_at=sa.bindparam("b_finished_at"),
                lease_until=None,
            )
        )
        self.conn.execute(statement, list(rows))

    def add_attempts(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(_att.insert(), list(rows))

    def next_delivery_due(self) -> datetime | None:
        due = sa.func.coalesce(_del.c.lease_until, _del.c.due_at)
        query = sa.select(sa.func.min(due)).where(_del.c.status == _PENDING)
        return as_utc(self.conn.execute(query).scalar_one_or_none())

    def resolve_open_alerts(self, incident_id: str, now: datetime) -> int:
        """Resolve an incident's alerts still open, so that one firing again opens a new incident."""
        statement = (
            _alerts.update()
            .where(_alerts.c.incident_id == incident_id, _alerts.c.status != "resolved")
            .values(status="resolved", resolved_at=now)
        )
        return int(self.conn.execute(statement).rowcount or 0)

    def existing_keys(self, keys: Collection[str]) -> set[str]:
        wanted = list(keys)
        if not wanted:
            return set()
        query = sa.select(_del.c.idempotency_key).where(_del.c.idempotency_key.in_(wanted))
        found: list[Any] = list(self.conn.execute(query).scalars())
        return {str(key) for key in found}

    def shift_facts(self, user_id: str, start: datetime, end: datetime) -> dict[str, Any]:
        """What a handoff report says about a shift: pages to the person, alerts, open incidents."""
        pages = self.conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(sa.distinct(_pages.c.incident_id)),
                sa.func.coalesce(sa.func.sum(sa.case((_pages.c.after_hours, 1), else_=0)), 0),
            ).where(_pages.c.user_id == user_id, _pages.c.paged_at >= start, _pages.c.paged_at < end)
        ).one()
        alerts = self.conn.execute(
            sa.select(sa.func.count()).where(_alerts.c.last_seen_at >= start, _alerts.c.first_seen_at < end)
        ).scalar_one()
        open_incidents = all_dicts(
            self.conn.execute(
                sa.select(_inc.c.number, _inc.c.sev, _inc.c.status, _inc.c.title)
                .where(_inc.c.status.not_in(["resolved", "closed"]))
                .order_by(_inc.c.sev, _inc.c.opened_at)
                .limit(20)
            )
        )
        return {
            "pages": int(pages[0]),
            "paged_incidents": int(pages[1]),
            "after_hours_pages": int(pages[2]),
            "alerts": int(alerts),
            "open_incidents": open_incidents,
        }

    # --- the delivery log ---------------------------------------------------------------------

    def deliveries(
        self, *, incident_id: str | None = None, status: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        query = (
            sa.select(_del, _users.c.display_name, _users.c.handle, _inc.c.number)
            .outerjoin(_users, _users.c.id == _del.c.user_id)
            .outerjoin(_inc, _inc.c.id == _del.c.incident_id)
            .order_by(_del.c.created_at.desc(), _del.c.id.desc())
            .limit(limit)
        )
        if incident_id is not None:
            query = query.where(_del.c.incident_id == incident_id)
        if status is not None:
            query = query.where(_del.c.status == status)
        return all_dicts(self.conn.execute(query))

    def attempts_of(self, delivery_ids: Collection[str]) -> list[dict[str, Any]]:
        ids = list(delivery_ids)
        if not ids:
            return []
        query = sa.select(_att).where(_att.c.delivery_id.in_(ids)).order_by(_att.c.started_at, _att.c.attempt)
        return all_dicts(self.conn.execute(query))

    def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_del).where(_del.c.id == delivery_id)))
