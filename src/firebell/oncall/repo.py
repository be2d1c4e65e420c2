"""SQL adapter for on-call: teams, contact methods, schedules, overrides and escalation policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.identity.tables import UserRow
from firebell.infra.sqltypes import first_dict
from firebell.oncall.tables import (
    CalendarFeedRow,
    ContactMethodRow,
    EscalationPolicyRow,
    ScheduleOverrideRow,
    ScheduleRow,
    TeamMemberRow,
    TeamRow,
)

_schedules = cast(sa.Table, ScheduleRow.__table__)
_overrides = cast(sa.Table, ScheduleOverrideRow.__table__)
_teams = cast(sa.Table, TeamRow.__table__)
_members = cast(sa.Table, TeamMemberRow.__table__)
_contacts = cast(sa.Table, ContactMethodRow.__table__)
_policies = cast(sa.Table, EscalationPolicyRow.__table__)
_users = cast(sa.Table, UserRow.__table__)
_feeds = cast(sa.Table, CalendarFeedRow.__table__)


class SqlOncallRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _one(self, query: sa.Select[Any]) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(query))

    def schedule_by_name(self, name: str) -> dict[str, Any] | None:
        return self._one(sa.select(_schedules).where(_schedules.c.name == name))

    def schedule(self, schedule_id: str) -> dict[str, Any] | None:
        return self._one(sa.select(_schedules).where(_schedules.c.id == schedule_id))

    def schedules(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sa.select(_schedules).order_by(_schedules.c.name)).mappings()]

    def add_schedule(self, values: dict[str, Any]) -> None:
        self.conn.execute(_schedules.insert(), values)

    def update_schedule(self, schedule_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_schedules.update().where(_schedules.c.id == schedule_id).values(**values))

    def overrides(self, schedule_id: str) -> list[dict[str, Any]]:
        query = sa.select(_overrides).where(_overrides.c.schedule_id == schedule_id).order_by(_overrides.c.created_at)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def add_override(self, values: dict[str, Any]) -> None:
        self.conn.execute(_overrides.insert(), values)

    def team_by_name(self, name: str) -> dict[str, Any] | None:
        return self._one(sa.select(_teams).where(_teams.c.name == name))

    def add_team(self, values: dict[str, Any]) -> None:
        self.conn.execute(_teams.insert(), values)

    def team_members(self, team_id: str) -> list[str]:
        query = sa.select(_members.c.user_id).where(_members.c.team_id == team_id).order_by(_members.c.position)
        members: list[Any] = list(self.conn.execute(query).scalars())
        return [str(member) for member in members]

    def team_roles(self, team_id: str) -> dict[str, str]:
        query = sa.select(_members.c.user_id, _members.c.role).where(_members.c.team_id == team_id)
        return {str(user_id): str(role) for user_id, role in self.conn.execute(query)}

    def set_team_members(self, team_id: str, user_ids: list[str], roles: dict[str, str] | None = None) -> None:
        """Make these the team's members, in order; with no `roles`, members keep the role they had."""
        kept = self.team_roles(team_id)
        wanted = roles if roles is not None else kept
        self.conn.execute(_members.delete().where(_members.c.team_id == team_id))
        if user_ids:
            rows = [
                {"team_id": team_id, "user_id": u, "position": i, "role": wanted.get(u, "responder")}
                for i, u in enumerate(user_ids)
            ]
            self.conn.execute(_members.insert(), rows)

    def contact_methods(self, user_id: str) -> list[dict[str, Any]]:
        query = sa.select(_contacts).where(_contacts.c.user_id == user_id).order_by(_contacts.c.id)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def set_contact_methods(self, user_id: str, rows: list[dict[str, Any]]) -> None:
        self.conn.execute(_contacts.delete().where(_contacts.c.user_id == user_id))
        if rows:
            self.conn.execute(_contacts.insert(), rows)

    def policy_by_name(self, name: str) -> dict[str, Any] | None:
        return self._one(sa.select(_policies).where(_policies.c.name == name))

    def add_policy(self, values: dict[str, Any]) -> None:
        self.conn.execute(_policies.insert(), values)

    def update_policy(self, policy_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_policies.update().where(_policies.c.id == policy_id).values(**values))

    def users(self, user_ids: list[str]) -> list[dict[str, Any]]:
        query = sa.select(
            _users.c.id,
            _users.c.handle,
            _users.c.display_name,
            _users.c.email,
            _users.c.timezone,
            _users.c.disabled_at,
        )
        return [dict(r) for r in self.conn.execute(query.where(_users.c.id.in_(user_ids))).mappings()]

    def teams(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sa.select(_teams).order_by(_teams.c.name)).mappings()]

    def policies(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sa.select(_policies).order_by(_policies.c.name)).mappings()]

    def add_feed(self, values: dict[str, Any]) -> None:
        self.conn.execute(_feeds.insert(), values)

    def feed_by_digest(self, digest: str) -> dict[str, Any] | None:
        """The live feed with this digest: not revoked, and not of a disabled or deleted person."""
        query = (
            sa.select(_feeds)
            .outerjoin(_users, _users.c.id == _feeds.c.user_id)
            .where(
                _feeds.c.token_digest == digest,
                _feeds.c.revoked_at.is_(None),
                _users.c.disabled_at.is_(None),
                _users.c.deleted_at.is_(None),
            )
        )
        return self._one(query)

    def revoke_feed(self, digest: str, now: datetime) -> bool:
        live = (_feeds.c.token_digest == digest, _feeds.c.revoked_at.is_(None))
        return bool(self.conn.execute(_feeds.update().where(*live).values(revoked_at=now)).rowcount)
