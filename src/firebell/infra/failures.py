"""Database failures that are not the request's fault, as the errors a client can act on.

An unreachable or restarting database is 503 Service Unavailable and a full disk 507 Insufficient
Storage, each with Retry-After; either way the transaction rolled back and nothing was stored. Any
other exception stays a bug (500).
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from firebell.kernel.errors import DomainError, StorageFull, Unavailable

_FULL = ("database or disk is full", "no space left on device", "disk i/o error", "disk full")
_LOCKED = ("database is locked",)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__ or current.__context__
    return seen


def storage_failure(exc: BaseException) -> DomainError | None:
    """The 503 or 507 this failure means, or None when it is not the database's."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(marker in text for marker in _FULL) and any(
        isinstance(e, sa.exc.OperationalError | sqlite3.OperationalError | OSError) for e in chain
    ):
        return StorageFull("the database's disk is full: nothing was stored; retry once there is room")
    if any(isinstance(e, sa.exc.DBAPIError) and e.connection_invalidated for e in chain) or any(
        isinstance(e, sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.DisconnectionError) for e in chain
    ):
        if any(marker in text for marker in _LOCKED):
            return Unavailable("the database is busy: nothing was stored; retry", retry_after=1)
        return Unavailable("the database is unavailable: nothing was stored; retry")
    return None
