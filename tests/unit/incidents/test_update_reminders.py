"""Whom an overdue status update reminds: the IC, else the Communications Lead, else whoever
acknowledged, else the people on call at the highest escalation level reached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firebell.incidents.roles import Role
from firebell.incidents.update_reminders import Paged, whom_to_remind

T0 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
PAGES = [
    Paged(1, "alice", T0),
    Paged(2, "carol", T0 + 5 * MIN),
    Paged(1, "alice", T0 + 15 * MIN),  # the policy repeated
    Paged(2, "dave", T0 + 20 * MIN),
    Paged(2, "erin", T0 + 20 * MIN),  # a team at level 2: paged together
]


def test_the_incident_commander_first() -> None:
    roles = [(Role.COMMS_LEAD, "carol"), (Role.INCIDENT_COMMANDER, "ann"), (Role.SCRIBE, "sam")]
    chosen = whom_to_remind(roles, "bob", PAGES)
    assert chosen is not None
    assert (chosen.user_ids, chosen.why) == (("ann",), "Incident Commander")


def test_the_communications_lead_without_a_commander() -> None:
    chosen = whom_to_remind([(Role.COMMS_LEAD, "carol"), (Role.SCRIBE, "sam")], "bob", PAGES)
    assert chosen is not None
    assert chosen.user_ids == ("carol",)
    assert chosen.why.startswith("Communications Lead; nobody is Incident Commander")


def test_whoever_acknowledged_without_either_role() -> None:
    chosen = whom_to_remind([(Role.SCRIBE, "sam")], "bob", PAGES)
    assert chosen is not None
    assert chosen.user_ids == ("bob",)
    assert chosen.why.startswith("acknowledged it")


def test_the_latest_page_at_the_highest_level_reached_last() -> None:
    chosen = whom_to_remind([], None, PAGES)
    assert chosen is not None
    assert chosen.user_ids == ("dave", "erin")
    assert chosen.why.startswith("on call at escalation level 2, the highest reached")
    only_first = whom_to_remind([], None, [p for p in PAGES if p.level == 1])
    assert only_first is not None
    assert only_first.user_ids == ("alice",)


def test_nobody_when_nothing_points_at_anyone() -> None:
    assert whom_to_remind([(Role.SME, "sam")], None, []) is None


def test_a_disabled_person_is_passed_over_for_the_next_in_order() -> None:
    roles = [(Role.INCIDENT_COMMANDER, "ann"), (Role.COMMS_LEAD, "carol")]
    chosen = whom_to_remind(roles, "bob", PAGES, disabled={"ann"})
    assert chosen is not None
    assert chosen.user_ids == ("carol",)
    chosen = whom_to_remind(roles, "bob", PAGES, disabled={"ann", "carol", "bob"})
    assert chosen is not None
    assert chosen.user_ids == ("dave", "erin")
    chosen = whom_to_remind([], None, PAGES, disabled={"dave"})
    assert chosen is not None
    assert chosen.user_ids == ("erin",)
    assert whom_to_remind([(Role.INCIDENT_COMMANDER, "ann")], None, [], disabled={"ann"}) is None
