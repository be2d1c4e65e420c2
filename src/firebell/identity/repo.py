"""SQL adapter for users, API tokens and web sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.identity.model import Role
from firebell.identity.tables import ApiTokenRow, PasswordResetRow, UserRow, WebSessionRow
from firebell.infra.sqltypes import first_dict
from firebell.oncall.tables import CalendarFeedRow, ContactMethodRow, TeamMemberRow, TeamRow

_users = cast(sa.Table, UserRow.__table__)
_tokens = cast(sa.Table, ApiTokenRow.__table__)
_sessions = cast(sa.Table, WebSessionRow.__table__)
_members = cast(sa.Table, TeamMemberRow.__table__)
_teams = cast(sa.Table, TeamRow.__table__)
_resets = cast(sa.Table, PasswordResetRow.__table__)
_contacts = cast(sa.Table, ContactMethodRow.__table__)
_feeds = cast(sa.Table, CalendarFeedRow.__table__)


class SqlIdentityRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_users).where(_users.c.email == email)))

    def user(self, user_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_users).where(_users.c.id == user_id)))

    def add_user(self, values: dict[str, Any]) -> None:
        self.conn.execute(_users.insert(), values)

    def user_by_slack_member(self, member_id: str) -> dict[str, Any] | None:
        query = sa.select(_users).where(_users.c.slack_member_id == member_id, _users.c.slack_member_id != "")
        return first_dict(self.conn.execute(query.limit(1)))

    def user_by_handle(self, handle: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_users).where(_users.c.handle == handle)))

    def users_by_name(self, name: str) -> list[dict[str, Any]]:
        query = sa.select(_users).where(sa.func.lower(_users.c.display_name) == name.strip().lower())
        return [dict(row) for row in self.conn.execute(query).mappings()]

    def update_user(self, user_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_users.update().where(_users.c.id == user_id).values(**values))

    def people(self) -> list[dict[str, Any]]:
        query = sa.select(_users).order_by(_users.c.handle, _users.c.email)
        return [dict(row) for row in self.conn.execute(query).mappings()]

    def add_token(self, values: dict[str, Any]) -> None:
        self.conn.execute(_tokens.insert(), values)

    def token_by_digest(self, digest: str) -> dict[str, Any] | None:
        query = sa.select(_tokens).where(_tokens.c.token_digest == digest, _tokens.c.revoked_at.is_(None))
        return first_dict(self.conn.execute(query))

    def add_session(self, values: dict[str, Any]) -> None:
        self.conn.execute(_sessions.insert(), values)

    def session_by_digest(self, digest: str, now: datetime) -> dict[str, Any] | None:
        query = (
            sa.select(_sessions, _users.c.email, _users.c.role, _users.c.display_name)
            .join(_users, _users.c.id == _sessions.c.user_id)
            .where(
                _sessions.c.token_digest == digest,
                _sessions.c.expires_at > now,
                _users.c.disabled_at.is_(None),
                _users.c.deleted_at.is_(None),
            )
        )
        return first_dict(self.conn.execute(query))

    def delete_session(self, digest: str) -> None:
        self.conn.execute(_sessions.delete().where(_sessions.c.token_digest == digest))

    def delete_sessions_of(self, user_id: str) -> None:
        self.conn.execute(_sessions.delete().where(_sessions.c.user_id == user_id))

    def team_roles(self, user_id: str) -> dict[str, Role]:
        query = sa.select(_members.c.team_id, _members.c.role).where(_members.c.user_id == user_id)
        return {str(team_id): Role(str(role)) for team_id, role in self.conn.execute(query)}

    def memberships(self, user_id: str) -> list[dict[str, Any]]:
        query = (
            sa.select(_teams.c.name.label("team"), _members.c.role)
            .join(_teams, _teams.c.id == _members.c.team_id)
            .where(_members.c.user_id == user_id)
            .order_by(_teams.c.name)
        )
        return [dict(row) for row in self.conn.execute(query).mappings()]

    def user_by_sso_subject(self, subject: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_users).where(_users.c.sso_subject == subject)))

    def tokens(self) -> list[dict[str, Any]]:
        query = (
            sa.select(
                _tokens.c.id,
                _tokens.c.name,
                _tokens.c.scopes,
                _tokens.c.user_id,
                _tokens.c.created_at,
                _tokens.c.revoked_at,
                _tokens.c.expires_at,
                _users.c.email.label("user_email"),
            )
            .outerjoin(_users, _users.c.id == _tokens.c.user_id)
            .order_by(_tokens.c.created_at, _tokens.c.id)
        )
        return [dict(row) for row in self.conn.execute(query).mappings()]

    def token(self, token_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_tokens).where(_tokens.c.id == token_id)))

    def revoke_token(self, token_id: str, now: datetime) -> None:
        self.conn.execute(_tokens.update().where(_tokens.c.id == token_id).values(revoked_at=now))

    def count_admins(self) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(_users)
            .where(_users.c.role == Role.ADMIN.value, _users.c.disabled_at.is_(None), _users.c.deleted_at.is_(None))
        )
        return int(self.conn.execute(query).scalar_one())

    def team_by_name(self, name: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_teams).where(_teams.c.name == name)))

    def set_team_member(self, team_id: str, user_id: str, role: str) -> None:
        """Set a member's role, or add them (last in the team's order) with it."""
        where = (_members.c.team_id == team_id, _members.c.user_id == user_id)
        if self.conn.execute(_members.update().where(*where).values(role=role)).rowcount:
            return
        last: int | None = self.conn.execute(
            sa.select(sa.func.max(_members.c.position)).where(_members.c.team_id == team_id)
        ).scalar_one()
        position = -1 if last is None else int(last)
        self.conn.execute(_members.insert().values(team_id=team_id, user_id=user_id, role=role, position=position + 1))

    def remove_team_member(self, team_id: str, user_id: str) -> None:
        self.conn.execute(_members.delete().where(_members.c.team_id == team_id, _members.c.user_id == user_id))

    def teams_with_members(self) -> list[dict[str, Any]]:
        """Every team with its members' handles, emails and roles, in the team's order."""
        query = (
            sa.select(
                _teams.c.name.label("team"),
                _users.c.handle,
                _users.c.email,
                _users.c.display_name,
                _members.c.role,
            )
            .select_from(_teams)
            .outerjoin(_members, _members.c.team_id == _teams.c.id)
            .outerjoin(_users, _users.c.id == _members.c.user_id)
            .order_by(_teams.c.name, _members.c.position)
        )
        teams: dict[str, list[dict[str, Any]]] = {}
        for row in self.conn.execute(query).mappings():
            members = teams.setdefault(str(row["team"]), [])
            if row["email"] is not None:
                members.append({k: row[k] for k in ("handle", "email", "display_name", "role")})
        return [{"name": name, "members": members} for name, members in teams.items()]

    def users_with_roles(self) -> list[dict[str, Any]]:
        """Every user with their own role and their teams' roles."""
        users = [
            {
                "id": str(u["id"]),
                "email": u["email"],
                "handle": u["handle"],
                "display_name": u["display_name"],
                "role": u["role"],
                "sso": u["sso_subject"] is not None,
                "disabled_at": u["disabled_at"],
                "deleted_at": u["deleted_at"],
                "teams": [],
            }
            for u in self.conn.execute(sa.select(_users).order_by(_users.c.email)).mappings()
        ]
        by_id = {u["id"]: u for u in users}
        query = (
            sa.select(_members.c.user_id, _teams.c.name, _members.c.role)
            .join(_teams, _teams.c.id == _members.c.team_id)
            .order_by(_teams.c.name)
        )
        for user_id, team, role in self.conn.execute(query):
            if str(user_id) in by_id:
                by_id[str(user_id)]["teams"].append({"team": team, "role": role})
        return users

    # --- the account lifecycle ---------------------------------------------------------------

    def revoke_tokens_of(self, user_id: str, now: datetime) -> int:
        live = (_tokens.c.user_id == user_id, _tokens.c.revoked_at.is_(None))
        return int(self.conn.execute(_tokens.update().where(*live).values(revoked_at=now)).rowcount)

    def delete_personal_data(self, user_id: str) -> None:
        """Contact methods, team memberships, calendar feeds, reset links and sessions of a person."""
        for table in (_contacts, _members, _feeds, _resets, _sessions):
            self.conn.execute(table.delete().where(table.c.user_id == user_id))

    def delete_other_sessions(self, user_id: str, keep_digest: str) -> None:
        keep = _sessions.c.token_digest != keep_digest
        self.conn.execute(_sessions.delete().where(_sessions.c.user_id == user_id, keep))

    def add_reset(self, values: dict[str, Any]) -> None:
        self.conn.execute(_resets.insert(), values)

    def void_resets_of(self, user_id: str, now: datetime) -> None:
        unused = (_resets.c.user_id == user_id, _resets.c.used_at.is_(None))
        self.conn.execute(_resets.update().where(*unused).values(used_at=now))

    def reset_by_digest(self, digest: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_resets).where(_resets.c.token_digest == digest)))

    def use_reset(self, reset_id: str, now: datetime) -> bool:
        """Mark a link used; False when another request used it first."""
        unused = (_resets.c.id == reset_id, _resets.c.used_at.is_(None))
        return bool(self.conn.execute(_resets.update().where(*unused).values(used_at=now)).rowcount)
