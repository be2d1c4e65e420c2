"""Shift reminders and handoffs: which notices a run of shifts produces, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firebell.oncall.reminders import CHECKLISTS, NoticeKind, due_between, merged
from firebell.oncall.schedule import Shift

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def _shifts() -> list[Shift]:
    return [
        Shift(T0 - WEEK, T0, "alice"),
        Shift(T0, T0 + WEEK, "bob"),
        Shift(T0 + WEEK, T0 + WEEK + timedelta(hours=12), None),  # a gap
        Shift(T0 + WEEK + timedelta(hours=12), T0 + 2 * WEEK, "carol"),
    ]


def test_each_shift_gets_48h_24h_and_start_reminders_and_a_handoff() -> None:
    found = due_between(_shifts(), T0 - timedelta(days=3), T0 + timedelta(hours=1))
    assert [(n.kind, n.user, n.due_at - T0) for n in found] == [
        (NoticeKind.BEFORE_48H, "bob", timedelta(hours=-48)),
        (NoticeKind.BEFORE_24H, "bob", timedelta(hours=-24)),
        (NoticeKind.HANDOFF, "alice", timedelta(0)),  # the outgoing person's report comes first
        (NoticeKind.START, "bob", timedelta(0)),
    ]
    handoff = found[2]
    assert (handoff.next_user, handoff.start, handoff.end) == ("bob", T0 - WEEK, T0)


def test_the_window_is_half_open_so_consecutive_windows_never_repeat_a_notice() -> None:
    edge = T0 - timedelta(hours=24)
    first = due_between(_shifts(), T0 - timedelta(days=3), edge)
    second = due_between(_shifts(), edge, T0 + timedelta(minutes=1))
    assert [n.kind for n in first] == [NoticeKind.BEFORE_48H]
    assert [n.kind for n in second] == [NoticeKind.BEFORE_24H, NoticeKind.HANDOFF, NoticeKind.START]


def test_gaps_get_no_notices_and_the_next_person_after_a_gap_is_nobody() -> None:
    found = due_between(_shifts(), T0 + WEEK - timedelta(hours=1), T0 + WEEK + timedelta(hours=13))
    assert [(n.kind, n.user, n.next_user) for n in found] == [
        (NoticeKind.HANDOFF, "bob", None),
        (NoticeKind.START, "carol", None),
    ]


def test_back_to_back_stretches_of_one_person_are_one_shift() -> None:
    split = [Shift(T0, T0 + timedelta(days=1), "bob"), Shift(T0 + timedelta(days=1), T0 + WEEK, "bob", "override")]
    assert merged(split) == [Shift(T0, T0 + WEEK, "bob")]
    found = due_between(split, T0 - timedelta(hours=1), T0 + WEEK + timedelta(hours=1))
    assert [n.kind for n in found] == [NoticeKind.START, NoticeKind.HANDOFF]


def test_every_notice_has_the_playbooks_checklist() -> None:
    assert set(CHECKLISTS) == set(NoticeKind)
    assert all(len(items) >= 4 for items in CHECKLISTS.values())
