"""An account's life after it is made: disabled, enabled, deleted; passwords changed and reset.

A disabled person keeps their row, tokens and on-call places, but may not log in, no session or
token of theirs works, and nobody pages them. A deleted person keeps only their row with their name
(so incident timelines and the audit log still say who), under an email that frees the old one; their
access and personal data (password, sessions, tokens, contact methods, teams, feeds) are gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from firebell.identity.model import Role
from firebell.identity.passwords import hash_password, verify_password
from firebell.identity.ports import IdentityRepo
from firebell.identity.service import MIN_PASSWORD
from firebell.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from firebell.kernel.ids import new_id, new_secret, secret_digest

RESET_LIFETIME = timedelta(hours=1)
RESET_PREFIX = "fbr_"
MAX_PASSWORD = 1000


def live_user(repo: IdentityRepo, email: str) -> Mapping[str, Any]:
    """The user with this email (or handle) who has not been deleted."""
    user = repo.user_by_email(email.strip().lower()) or repo.user_by_handle(email.strip())
    if user is None or user.get("deleted_at") is not None:
        raise NotFound(f"no user with email {email}", details=[{"field": "email"}])
    return user


def _not_last_admin(repo: IdentityRepo, user: Mapping[str, Any], doing: str) -> None:
    if user["role"] == Role.ADMIN.value and user.get("disabled_at") is None and repo.count_admins() <= 1:
        raise Conflict(f"{user['email']} is the last admin; make another admin before you {doing} them")


def disable_user(*, repo: IdentityRepo, email: str, now: datetime) -> Mapping[str, Any]:
    """Stop a person's access at once: their sessions end, their tokens are refused from now on."""
    user = live_user(repo, email)
    if user.get("disabled_at") is not None:
        return user
    _not_last_admin(repo, user, "disable")
    repo.update_user(str(user["id"]), {"disabled_at": now})
    repo.delete_sessions_of(str(user["id"]))
    return {**user, "disabled_at": now}


def enable_user(*, repo: IdentityRepo, email: str) -> Mapping[str, Any]:
    """Give a disabled person their access back (their unrevoked tokens work again)."""
    user = live_user(repo, email)
    if user.get("disabled_at") is not None:
        repo.update_user(str(user["id"]), {"disabled_at": None})
    return {**user, "disabled_at": None}


def delete_user(*, repo: IdentityRepo, email: str, now: datetime) -> Mapping[str, Any]:
    """Remove a person's access and personal data; their row keeps their name for history."""
    user = live_user(repo, email)
    _not_last_admin(repo, user, "delete")
    user_id = str(user["id"])
    repo.revoke_tokens_of(user_id, now)
    repo.delete_personal_data(user_id)
    repo.update_user(
        user_id,
        {
            "email": f"deleted-{user_id.lower()}@deleted.invalid",
            "password_hash": "",
            "handle": None,
            "sso_subject": None,
            "phone": "",
            "slack_member_id": "",
            "working_hours": None,
            "disabled_at": user.get("disabled_at") or now,
            "deleted_at": now,
        },
    )
    return user


def check_password(password: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed.field(field, f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed.field(field, f"must be at most {MAX_PASSWORD} characters")
    return password


def change_password(
    *, repo: IdentityRepo, user_id: str, current: str, new: str, keep_session: str | None = None
) -> Mapping[str, Any]:
    """A person sets a new password, proving the current one; every other session of theirs ends.

    `keep_session` is the digest of the session the change was made in, which stays open.
    """
    user = repo.user(user_id)
    if user is None or user.get("deleted_at") is not None:
        raise NotFound("no such user", details=[{"field": "user"}])
    if not user["password_hash"] or not verify_password(str(user["password_hash"]), current):
        raise PermissionDenied("the current password is wrong")
    check_password(new, "new_password")
    repo.update_user(user_id, {"password_hash": hash_password(new)})
    if keep_session is None:
        repo.delete_sessions_of(user_id)
    else:
        repo.delete_other_sessions(user_id, keep_session)
    return user


def issue_reset(
    *, repo: IdentityRepo, email: str, by: str, now: datetime, lifetime: timedelta = RESET_LIFETIME
) -> tuple[str, datetime]:
    """A one-time link token for a person to set a new password (stored as a digest), and its expiry.

    Issuing one makes any earlier unused link of theirs void.
    """
    user = live_user(repo, email)
    if user.get("disabled_at") is not None:
        raise Conflict(f"{user['email']} is disabled; enable them first")
    token = new_secret(RESET_PREFIX, 24)
    repo.void_resets_of(str(user["id"]), now)
    expires_at = now + lifetime
    repo.add_reset(
        {
            "id": new_id(),
            "token_digest": secret_digest(token),
            "user_id": user["id"],
            "created_by": by,
            "created_at": now,
            "expires_at": expires_at,
            "used_at": None,
        }
    )
    return token, expires_at


def reset_holder(*, repo: IdentityRepo, token: str, now: datetime) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The live reset link this token opens and the person it is for; unknown, used or expired: 404."""
    row = repo.reset_by_digest(secret_digest(token))
    gone = NotFound("this reset link is unknown, used or expired; ask an admin for a new one")
    if row is None or row["used_at"] is not None or row["expires_at"] <= now:
        raise gone
    user = repo.user(str(row["user_id"]))
    if user is None or user.get("deleted_at") is not None or user.get("disabled_at") is not None:
        raise gone
    return row, user


def reset_password(*, repo: IdentityRepo, token: str, password: str, now: datetime) -> Mapping[str, Any]:
    """Set a new password through a reset link, which is then used up; every session of theirs ends."""
    row, user = reset_holder(repo=repo, token=token, now=now)
    check_password(password)
    if not repo.use_reset(str(row["id"]), now):
        raise NotFound("this reset link is unknown, used or expired; ask an admin for a new one")
    repo.update_user(str(user["id"]), {"password_hash": hash_password(password)})
    repo.delete_sessions_of(str(user["id"]))
    return user
