from __future__ import annotations

import itertools

import pytest

from firebell.incidents.state import IncidentStatus, allowed_moves, transition
from firebell.kernel.errors import InvalidTransition

S = IncidentStatus


def test_happy_path_moves() -> None:
    path = [S.DETECTED, S.ACKNOWLEDGED, S.INVESTIGATING, S.IDENTIFIED, S.RESOLVING, S.RESOLVED, S.CLOSED]
    for current, target in itertools.pairwise(path):
        assert transition(current, target) is target


def test_refused_move_names_the_allowed_ones() -> None:
    with pytest.raises(InvalidTransition) as info:
        transition(S.CLOSED, S.DETECTED)
    assert "allowed: none" in info.value.message
    with pytest.raises(InvalidTransition) as info:
        transition(S.RESOLVED, S.ACKNOWLEDGED)
    assert info.value.details[0]["allowed"] == ["investigating", "closed"]


def test_reopen_from_resolved() -> None:
    assert S.INVESTIGATING in allowed_moves(S.RESOLVED)


def test_nothing_moves_back_to_detected() -> None:
    assert all(S.DETECTED not in allowed_moves(s) for s in S)
