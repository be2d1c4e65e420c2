"""Identity use cases: users, API tokens, browser sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from firebell.identity.model import Principal, Scope, check_email, parse_scopes
from firebell.identity.passwords import hash_password, verify_password
from firebell.identity.ports import IdentityRepo
from firebell.kernel.errors import Conflict, Unauthenticated, ValidationFailed
from firebell.kernel.ids import new_id, new_secret, secret_digest

TOKEN_PREFIX = "fbt_"  # noqa: S105 - a prefix, not a secret
MIN_PASSWORD = 8


def create_user(*, repo: IdentityRepo, email: str, password: str, admin: bool, now: datetime, name: str = "") -> str:
    email = check_email(email)
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed.field("password", f"must be at least {MIN_PASSWORD} characters")
    if repo.user_by_email(email) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user_id = new_id()
    repo.add_user(
        {
            "id": user_id,
            "email": email,
            "display_name": name or email.split("@")[0],
            "password_hash": hash_password(password),
            "is_admin": admin,
            "created_at": now,
        }
    )
    return user_id


def upsert_person(
    *,
    repo: IdentityRepo,
    handle: str,
    email: str,
    name: str,
    timezone: str,
    phone: str,
    slack_member_id: str,
    now: datetime,
) -> tuple[str, str | None]:
    """Create or update the user with this handle (or, without one yet, this email) as declared.

    Returns the user's id and "created", "updated" or None (nothing to change). A person created
    here has no password: they are paged, and can log in once an admin sets one.
    """
    email = check_email(email)
    wanted = {
        "email": email,
        "display_name": name,
        "timezone": timezone,
        "phone": phone,
        "slack_member_id": slack_member_id,
    }
    user = repo.user_by_handle(handle) or repo.user_by_email(email)
    if user is None:
        user_id = new_id()
        repo.add_user(
            {"id": user_id, "handle": handle, "password_hash": "", "is_admin": False, "created_at": now, **wanted}
        )
        return user_id, "created"
    if user["email"] != email and repo.user_by_email(email) is not None:
        raise Conflict(f"another user already has the email {email}", details=[{"field": "email"}])
    changes = {k: v for k, v in {**wanted, "handle": handle}.items() if user.get(k) != v}
    if not changes:
        return str(user["id"]), None
    repo.update_user(str(user["id"]), changes)
    return str(user["id"]), "updated"


def create_token(*, repo: IdentityRepo, name: str, scope: str, now: datetime, user_id: str | None = None) -> str:
    """Create an API token; the secret is returned once and stored only as a digest."""
    if not name.strip():
        raise ValidationFailed.field("name", "must not be empty")
    scopes = parse_scopes(scope)
    token = new_secret(TOKEN_PREFIX, 24)
    repo.add_token(
        {
            "id": new_id(),
            "name": name.strip(),
            "token_digest": secret_digest(token),
            "scopes": ",".join(sorted(scopes)),
            "user_id": user_id,
            "created_at": now,
        }
    )
    return token


def principal_for_token(*, repo: IdentityRepo, token: str) -> Principal:
    row = repo.token_by_digest(secret_digest(token))
    if row is None:
        raise Unauthenticated("the API token is unknown or revoked")
    return Principal(name=f"token:{row['name']}", scopes=parse_scopes(row["scopes"]), user_id=row["user_id"])


@dataclass(frozen=True, slots=True)
class WebSession:
    token: str
    csrf_token: str
    principal: Principal
    email: str


def log_in(*, repo: IdentityRepo, email: str, password: str, now: datetime, lifetime: timedelta) -> WebSession:
    user = repo.user_by_email(email.strip().lower())
    if user is None or not verify_password(user["password_hash"], password):
        raise Unauthenticated("wrong email or password")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    repo.add_session(
        {
            "id": new_id(),
            "token_digest": secret_digest(token),
            "user_id": user["id"],
            "csrf_token": csrf,
            "created_at": now,
            "expires_at": now + lifetime,
        }
    )
    return WebSession(token, csrf, _user_principal(user["email"], user["is_admin"], user["id"]), user["email"])


def session_for(*, repo: IdentityRepo, token: str, now: datetime) -> WebSession | None:
    row = repo.session_by_digest(secret_digest(token), now)
    if row is None:
        return None
    return WebSession(
        token, row["csrf_token"], _user_principal(row["email"], row["is_admin"], row["user_id"]), row["email"]
    )


def log_out(*, repo: IdentityRepo, token: str) -> None:
    repo.delete_session(secret_digest(token))


def _user_principal(email: str, is_admin: bool, user_id: str) -> Principal:
    scopes = frozenset({Scope.ADMIN}) if is_admin else frozenset({Scope.WRITE})
    return Principal(name=email, scopes=scopes, user_id=user_id)
