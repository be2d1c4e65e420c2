"""SQL adapter for users, API tokens and web sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.identity.tables import ApiTokenRow, UserRow, WebSessionRow
from firebell.infra.sqltypes import first_dict

_users = cast(sa.Table, UserRow.__table__)
_tokens = cast(sa.Table, ApiTokenRow.__table__)
_sessions = cast(sa.Table, WebSessionRow.__table__)


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
            sa.select(_sessions, _users.c.email, _users.c.is_admin, _users.c.display_name)
            .join(_users, _users.c.id == _sessions.c.user_id)
            .where(_sessions.c.token_digest == digest, _sessions.c.expires_at > now)
        )
        return first_dict(self.conn.execute(query))

    def delete_session(self, digest: str) -> None:
        self.conn.execute(_sessions.delete().where(_sessions.c.token_digest == digest))
