"""The pure identity core: scopes, roles, and who may do what where.

Two things limit a caller. A **scope** is what a credential was issued for: an API token is `read`,
`respond` or `admin`; a browser session carries every scope. A **role** is what a person is: each
user has a role (viewer, responder or admin) for whatever belongs to no team, and a role on each team
they are a member of. A user who is an admin everywhere (`Role.ADMIN` as their own role) may do
anything; otherwise what they may do to a team's schedule, service or incident is their role on that
team (viewer when they are not a member), and to what belongs to no team, their own role. A token of
a user is limited by both its scope and the user's roles; a token of no user, by its scope alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from firebell.kernel.errors import PermissionDenied, ValidationFailed


class Scope(StrEnum):
    READ = "read"
    RESPOND = "respond"
    ADMIN = "admin"


class Role(StrEnum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.ADMIN: 2}
_ROLE_OF_SCOPE = {Scope.READ: Role.VIEWER, Scope.RESPOND: Role.RESPONDER, Scope.ADMIN: Role.ADMIN}
_SCOPE_OF_ROLE = {role: scope for scope, role in _ROLE_OF_SCOPE.items()}
# Tokens issued before `respond` existed were `write`; they keep working as `respond`.
_SCOPE_ALIASES = {"write": Scope.RESPOND}

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_scopes(text: str) -> frozenset[Scope]:
    """Parse `read,respond` into scopes; an unknown scope is an error naming the choices."""
    scopes: set[Scope] = set()
    for part in text.replace(" ", "").lower().split(","):
        if not part:
            continue
        if part in _SCOPE_ALIASES:
            scopes.add(_SCOPE_ALIASES[part])
            continue
        try:
            scopes.add(Scope(part))
        except ValueError as exc:
            raise ValidationFailed.field("scope", f"unknown scope {part!r}; use read, respond or admin") from exc
    if not scopes:
        raise ValidationFailed.field("scope", "give at least one of read, respond, admin")
    return frozenset(scopes)


def parse_role(text: str, field_name: str = "role") -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError as exc:
        raise ValidationFailed.field(field_name, f"unknown role {text!r}; use viewer, responder or admin") from exc


def check_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 320:
        raise ValidationFailed.field("email", "is not a valid email address")
    return email


def lowest(*roles: Role) -> Role:
    return min(roles, key=lambda r: r.rank)


@dataclass(frozen=True, slots=True)
class Team:
    """A team as permissions see it: its id and name (for messages)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user through the browser or with their token, or a token of no user."""

    name: str
    scopes: frozenset[Scope]
    user_id: str | None = None
    role: Role = Role.VIEWER
    teams: Mapping[str, Role] = field(default_factory=dict)
    token_id: str | None = None  # set when the caller used an API token

    def cap(self) -> Role:
        """The highest role the credential's scopes allow."""
        return max((_ROLE_OF_SCOPE[s] for s in self.scopes), key=lambda r: r.rank, default=Role.VIEWER)

    def role_on(self, team: Team | None) -> Role:
        """The caller's role on what `team` owns (None: on what belongs to no team)."""
        if self.user_id is None:
            return self.cap()
        if self.role is Role.ADMIN:
            own = Role.ADMIN
        elif team is None:
            own = self.role
        else:
            own = self.teams.get(team.id, Role.VIEWER)
        return lowest(own, self.cap())

    def may(self, needed: Role, team: Team | None = None) -> bool:
        return self.role_on(team).at_least(needed)

    def require(self, needed: Role, team: Team | None = None) -> None:
        """Refuse unless the caller has `needed` on `team`'s things, naming what was missing."""
        if self.may(needed, team):
            return
        if not self.cap().at_least(needed):
            raise PermissionDenied(f"this needs a token with the {_SCOPE_OF_ROLE[needed]} scope")
        where = f"on team {team.name}" if team is not None else "for what belongs to no team"
        raise PermissionDenied(f"this needs the {needed} role {where}; you are {self.role_on(team)}")

    @classmethod
    def operator(cls, name: str) -> Principal:
        """Whoever runs Firebell's own commands on its database (the demo's seeding): an admin of
        everything, as the database's credentials make them anyway."""
        return cls(name=name, scopes=frozenset({Scope.ADMIN}))

    @property
    def is_admin(self) -> bool:
        """An admin everywhere: may manage users, teams, tokens and settings."""
        return self.role_on(None) is Role.ADMIN and (self.user_id is None or self.role is Role.ADMIN)
