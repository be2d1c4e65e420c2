"""The pure identity core: scopes and who may do what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from firebell.kernel.errors import PermissionDenied, ValidationFailed


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


_IMPLIES = {
    Scope.READ: {Scope.READ},
    Scope.WRITE: {Scope.READ, Scope.WRITE},
    Scope.ADMIN: {Scope.READ, Scope.WRITE, Scope.ADMIN},
}

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_scopes(text: str) -> frozenset[Scope]:
    """Parse `read,write` into scopes; an unknown scope is an error naming the choices."""
    scopes: set[Scope] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            scopes.add(Scope(part))
        except ValueError as exc:
            raise ValidationFailed.field("scope", f"unknown scope {part!r}; use read, write or admin") from exc
    if not scopes:
        raise ValidationFailed.field("scope", "give at least one of read, write, admin")
    return frozenset(scopes)


def check_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 320:
        raise ValidationFailed.field("email", "is not a valid email address")
    return email


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user through the browser, or an API token."""

    name: str
    scopes: frozenset[Scope]
    user_id: str | None = None

    def granted(self) -> set[Scope]:
        out: set[Scope] = set()
        for scope in self.scopes:
            out |= _IMPLIES[scope]
        return out

    def require(self, scope: Scope) -> None:
        if scope not in self.granted():
            raise PermissionDenied(f"this needs the {scope} scope")
