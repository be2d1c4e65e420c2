"""Every pair of states, against the lifecycle written out by hand."""

from __future__ import annotations

import itertools

import pytest

from firebell.incidents.state import IncidentStatus, allowed_moves, transition
from firebell.kernel.errors import InvalidTransition

D, A, INV, ID, RG, RD, C = (
    "detected",
    "acknowledged",
    "investigating",
    "identified",
    "resolving",
    "resolved",
    "closed",
)
# Forward skips are allowed (a responder may learn the cause at once); back from IDENTIFIED or
# RESOLVING when the cause or the fix proves wrong; RESOLVED reopens to INVESTIGATING; CLOSED is final.
EXPECTED = {
    D: {A, INV, ID, RG, RD},
    A: {INV, ID, RG, RD},
    INV: {ID, RG, RD},
    ID: {INV, RG, RD},
    RG: {ID, RD},
    RD: {C, INV},
    C: set(),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(EXPECTED, repeat=2)))
def test_every_pair_of_states(current: str, target: str) -> None:
    if target in EXPECTED[current]:
        assert transition(IncidentStatus(current), IncidentStatus(target)) is IncidentStatus(target)
    else:
        with pytest.raises(InvalidTransition) as refused:
            transition(IncidentStatus(current), IncidentStatus(target))
        allowed = [s.value for s in allowed_moves(IncidentStatus(current))]
        assert refused.value.details == [{"field": "status", "allowed": allowed}]
        assert sorted(allowed) == sorted(EXPECTED[current])
