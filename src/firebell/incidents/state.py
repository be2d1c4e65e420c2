"""The incident lifecycle as a pure state machine."""

from __future__ import annotations

from enum import StrEnum

from firebell.kernel.errors import InvalidTransition


class IncidentStatus(StrEnum):
    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    RESOLVING = "resolving"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)


OPEN_STATUSES: tuple[IncidentStatus, ...] = tuple(s for s in IncidentStatus if s.is_open)

_S = IncidentStatus
ALLOWED: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    _S.DETECTED: frozenset({_S.ACKNOWLEDGED, _S.INVESTIGATING, _S.IDENTIFIED, _S.RESOLVING, _S.RESOLVED}),
    _S.ACKNOWLEDGED: frozenset({_S.INVESTIGATING, _S.IDENTIFIED, _S.RESOLVING, _S.RESOLVED}),
    _S.INVESTIGATING: frozenset({_S.IDENTIFIED, _S.RESOLVING, _S.RESOLVED}),
    _S.IDENTIFIED: frozenset({_S.INVESTIGATING, _S.RESOLVING, _S.RESOLVED}),
    _S.RESOLVING: frozenset({_S.IDENTIFIED, _S.RESOLVED}),
    _S.RESOLVED: frozenset({_S.CLOSED, _S.INVESTIGATING}),
    _S.CLOSED: frozenset(),
}


def allowed_moves(current: IncidentStatus) -> list[IncidentStatus]:
    """The states reachable from `current` in one move, in lifecycle order."""
    return [s for s in IncidentStatus if s in ALLOWED[current]]


def transition(current: IncidentStatus, target: IncidentStatus) -> IncidentStatus:
    """Return `target` if the move is allowed; otherwise raise naming the allowed moves."""
    if target not in ALLOWED[current]:
        moves = ", ".join(s.value for s in allowed_moves(current)) or "none"
        raise InvalidTransition(
            f"cannot move an incident from {current} to {target}; allowed: {moves}",
            details=[{"field": "status", "allowed": [s.value for s in allowed_moves(current)]}],
        )
    return target
