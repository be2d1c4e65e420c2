"""Identity use cases: users, API tokens, browser sessions."""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from firebell.identity.model import Principal, Role, Scope, check_email, parse_scopes
from firebell.identity.passwords import hash_password, verify_password
from firebell.identity.ports import IdentityRepo
from firebell.kernel.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from firebell.kernel.ids import new_id, new_secret, secret_digest

security_log = logging.getLogger("firebell.security")

TOKEN_PREFIX = "fbt_"  # noqa: S105 - a prefix, not a secret
MIN_PASSWORD = 8
# Letters, digits and . _ @ + -: no spaces or colons, so `token:<name> of <email>` reads one way only.
_TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


def check_token_name(name: str) -> str:
    name = name.strip()
    if not _TOKEN_NAME.match(name):
        raise ValidationFailed.field(
            "name", "use 1 to 100 letters, digits and . _ @ + - (no spaces), starting with a letter or digit"
        )
    return name


@functools.cache
def _nobody() -> str:
    """A hash no password matches, checked for unknown emails."""
    return hash_password(secrets.token_urlsafe(16))


def create_user(*, repo: IdentityRepo, email: str, password: str, role: Role, now: datetime, name: str = "") -> str:
    """Create a user with a password; `role` is their role on what belongs to no team."""
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
            "role": role.value,
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
    working_hours: dict[str, Any] | None = None,
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
        "working_hours": working_hours,
    }
    user = repo.user_by_handle(handle) or repo.user_by_email(email)
    if user is None:
        user_id = new_id()
        repo.add_user(
            {
                "id": user_id,
                "handle": handle,
                "password_hash": "",
                "role": Role.RESPONDER.value,
                "created_at": now,
                **wanted,
            }
        )
        return user_id, "created"
    if user["email"] != email and repo.user_by_email(email) is not None:
        raise Conflict(f"another user already has the email {email}", details=[{"field": "email"}])
    changes = {k: v for k, v in {**wanted, "handle": handle}.items() if user.get(k) != v}
    if not changes:
        return str(user["id"]), None
    repo.update_user(str(user["id"]), changes)
    return str(user["id"]), "updated"


def create_token(
    *,
    repo: IdentityRepo,
    name: str,
    scope: str,
    now: datetime,
    user_id: str | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Create an API token; the secret is returned once and stored only as a digest.

    A token of a user can do no more than the user; a token of no user is limited by its scope alone.
    It works until `expires_at` (None: until revoked).
    """
    name = check_token_name(name)
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed.field("expires_at", "must be in the future")
    scopes = parse_scopes(scope)
    token = new_secret(TOKEN_PREFIX, 24)
    repo.add_token(
        {
            "id": new_id(),
            "name": name,
            "token_digest": secret_digest(token),
            "scopes": ",".join(sorted(scopes)),
            "user_id": user_id,
            "created_at": now,
            "expires_at": expires_at,
        }
    )
    return token


def principal_for_token(*, repo: IdentityRepo, token: str, now: datetime) -> Principal:
    """Who a bearer token acts for; refused when it is revoked, expired, or its user is disabled.

    Its name in audit and timelines is `token:<name>`, and for a user's token `token:<name> of
    <email>`: token names hold no spaces, so no token can pass for another user's.
    """
    row = repo.token_by_digest(secret_digest(token))
    if row is None:
        raise Unauthenticated("the API token is unknown or revoked")
    if row.get("expires_at") is not None and row["expires_at"] <= now:
        raise Unauthenticated("the API token has expired")
    scopes = parse_scopes(row["scopes"])
    name = f"token:{row['name']}"
    if row["user_id"] is None:
        return Principal(name=name, scopes=scopes, token_id=row["id"])
    user = repo.user(row["user_id"])
    if user is None or user.get("deleted_at") is not None:
        raise Unauthenticated("the API token's user no longer exists")
    if user.get("disabled_at") is not None:
        raise Unauthenticated("the API token's user is disabled")
    return Principal(
        name=f"{name} of {user['email']}",
        scopes=scopes,
        user_id=str(user["id"]),
        role=Role(user["role"]),
        teams=repo.team_roles(str(user["id"])),
        token_id=row["id"],
    )


@dataclass(frozen=True, slots=True)
class WebSession:
    token: str
    csrf_token: str
    principal: Principal
    email: str


def password_holder(user: Mapping[str, Any] | None, password: str) -> Mapping[str, Any]:
    """`user` (as found by their email), when `password` is theirs; else Unauthenticated.

    An unknown email (`user` None), or a user with no password (single sign-on only), costs the same
    hashing as a real check: the time taken tells nothing of who exists. Call it outside any
    transaction: the hashing takes a good part of a second.
    """
    stored = str(user["password_hash"] or "") if user else ""
    matches = verify_password(stored or _nobody(), password)
    if user is None or not stored or not matches:
        raise Unauthenticated("wrong email or password")
    return user


def open_session(*, repo: IdentityRepo, user: Mapping[str, Any], now: datetime, lifetime: timedelta) -> WebSession:
    """Start a browser session for `user`, who has proved who they are (and is not disabled).

    A disabled account is refused with the answer a wrong password gets, so the refusal does not
    tell a guesser that the password was right; the security log says why."""
    if user.get("disabled_at") is not None or user.get("deleted_at") is not None:
        security_log.warning("login_refused", extra={"user_id": str(user["id"]), "reason": "account_disabled"})
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
    principal = _user_principal(user["email"], Role(user["role"]), str(user["id"]), repo.team_roles(str(user["id"])))
    return WebSession(token, csrf, principal, user["email"])


def session_for(*, repo: IdentityRepo, token: str, now: datetime) -> WebSession | None:
    row = repo.session_by_digest(secret_digest(token), now)
    if row is None:
        return None
    user_id = str(row["user_id"])
    principal = _user_principal(row["email"], Role(row["role"]), user_id, repo.team_roles(user_id))
    return WebSession(token, row["csrf_token"], principal, row["email"])


def log_out(*, repo: IdentityRepo, token: str) -> None:
    repo.delete_session(secret_digest(token))


def principal_for_slack_member(*, repo: IdentityRepo, member_id: str) -> Principal | None:
    """The Firebell user whose Slack member id this is, acting through Slack's buttons (which only
    respond); None when no user has it."""
    user = repo.user_by_slack_member(member_id) if member_id else None
    if user is None or user.get("disabled_at") is not None or user.get("deleted_at") is not None:
        return None
    return Principal(
        name=str(user["display_name"] or user["email"]),
        scopes=frozenset({Scope.RESPOND}),
        user_id=str(user["id"]),
        role=Role(user["role"]),
        teams=repo.team_roles(str(user["id"])),
    )


def _user_principal(email: str, role: Role, user_id: str, teams: Mapping[str, Role]) -> Principal:
    return Principal(name=email, scopes=frozenset(Scope), user_id=user_id, role=role, teams=teams)


def set_user_role(*, repo: IdentityRepo, email: str, role: Role) -> Mapping[str, Any]:
    """Set a user's own role (on what belongs to no team); their sessions end so it takes hold now."""
    user = _user_by_email(repo, email)
    if user["role"] == role.value:
        return user
    if user["role"] == Role.ADMIN.value and user.get("disabled_at") is None and repo.count_admins() <= 1:
        raise Conflict(f"{user['email']} is the last admin; make another admin first")
    repo.update_user(str(user["id"]), {"role": role.value})
    repo.delete_sessions_of(str(user["id"]))
    return {**user, "role": role.value}


def set_team_role(*, repo: IdentityRepo, team: str, person: str, role: Role | None) -> str:
    """Make `person` (email or handle) a member of `team` with `role`, or (None) no member at all.

    Returns what changed, in words ("" for nothing).
    """
    row = repo.team_by_name(team)
    if row is None:
        raise NotFound(f"no team named {team}", details=[{"field": "team"}])
    user = repo.user_by_handle(person) or repo.user_by_email(person.strip().lower())
    if user is None:
        raise NotFound(f"no user with handle or email {person}", details=[{"field": "person"}])
    team_id, user_id = str(row["id"]), str(user["id"])
    current = repo.team_roles(user_id).get(team_id)
    who = user.get("handle") or user["email"]
    if role is None:
        if current is None:
            return ""
        repo.remove_team_member(team_id, user_id)
        return f"removed {who} from team {team}"
    if current is role:
        return ""
    repo.set_team_member(team_id, user_id, role.value)
    return f"{who} is {role} of team {team}" if current is not None else f"added {who} to team {team} as {role}"


def revoke_token(*, repo: IdentityRepo, token_id: str, by: Principal, now: datetime) -> Mapping[str, Any]:
    """Revoke a token: its own user may, and so may an admin of everything."""
    row = repo.token(token_id)
    if row is None or row["revoked_at"] is not None:
        raise NotFound(f"no live token with id {token_id}", details=[{"field": "token_id"}])
    if not by.is_admin and (by.user_id is None or row["user_id"] != by.user_id):
        raise PermissionDenied("only the token's user or an admin may revoke it")
    repo.revoke_token(token_id, now)
    return row


def _user_by_email(repo: IdentityRepo, email: str) -> Mapping[str, Any]:
    user = repo.user_by_email(email.strip().lower())
    if user is None:
        raise NotFound(f"no user with email {email}", details=[{"field": "email"}])
    return user


def user_id_of(*, repo: IdentityRepo, email: str) -> str:
    return str(_user_by_email(repo, email)["id"])


def log_in_sso(
    *,
    repo: IdentityRepo,
    subject: str,
    email: str,
    name: str,
    now: datetime,
    lifetime: timedelta,
    create_users: bool,
    default_role: Role,
    allowed_domains: Sequence[str] = (),
) -> WebSession:
    """Open a session for someone the single sign-on provider vouched for.

    They are the user linked to their subject; else the user with their email (linked from now on);
    else, where allowed, a new user with `default_role` and no password.
    """
    email = check_email(email)
    domain = email.rsplit("@", 1)[1]
    if allowed_domains and domain not in allowed_domains:
        raise Unauthenticated(f"{email} may not log in here: single sign-on is open to {', '.join(allowed_domains)}")
    user = repo.user_by_sso_subject(subject)
    if user is None:
        user = repo.user_by_email(email)
        if user is not None and user.get("sso_subject") not in (None, subject):
            raise Unauthenticated(f"{email} is linked to another single sign-on account")
        if user is not None:
            repo.update_user(str(user["id"]), {"sso_subject": subject})
        elif create_users:
            user_id = new_id()
            values = {
                "id": user_id,
                "email": email,
                "display_name": name or email.split("@")[0],
                "password_hash": "",
                "role": default_role.value,
                "sso_subject": subject,
                "created_at": now,
            }
            repo.add_user(values)
            user = values
        else:
            raise Unauthenticated(f"no Firebell user has the email {email}; ask an admin to add you")
    return open_session(repo=repo, user=user, now=now, lifetime=lifetime)
