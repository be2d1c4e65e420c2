"""The pure rules of paging more people in: whose pages an acknowledgement stops, what a responder's
page carries, and who takes command on acknowledging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.incidents.checklists import first_duties, role_notice
from firebell.incidents.roles import Role, takes_command
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import TargetKind, due_steps
from firebell.paging.model import RESPONDER, Answer, answered, responder_policy

MAIN = ("policy", None)
BOB = (RESPONDER, "bob")
CAROL = (RESPONDER, "carol")


def test_before_the_incident_is_acknowledged_anyone_stops_all_its_paging() -> None:
    assert answered([MAIN, BOB, CAROL], "alice", acknowledged=False) == (Answer.INCIDENT, (0, 1, 2))
    assert answered([MAIN, BOB], None, acknowledged=False) == (Answer.INCIDENT, (0, 1))
    assert answered([], "alice", acknowledged=False) == (Answer.INCIDENT, ())


def test_a_person_asked_to_join_answers_only_their_own_request() -> None:
    assert answered([MAIN, BOB, CAROL], "bob", acknowledged=False) == (Answer.REQUEST, (1,))
    assert answered([BOB, CAROL], "carol", acknowledged=True) == (Answer.REQUEST, (1,))


def test_once_acknowledged_others_asked_to_join_are_paged_until_they_answer() -> None:
    reassigned = ("policy", "dave")
    assert answered([reassigned, BOB], "alice", acknowledged=True) == (Answer.INCIDENT, (0,))
    assert answered([BOB, CAROL], "alice", acknowledged=True) == (Answer.NOTHING, ())
    assert answered([BOB], None, acknowledged=True) == (Answer.NOTHING, ())
    assert answered([], "alice", acknowledged=True) == (Answer.NOTHING, ())


def test_a_responders_page_repeats_like_a_reassignment_and_says_who_asked() -> None:
    policy = responder_policy("bob-id", "Alice asks you to join this incident: replicas lag")
    (level,) = policy.levels
    assert [(t.kind, t.ref) for t in level.targets] == [(TargetKind.USER, "bob-id")]
    assert level.action == "Alice asks you to join this incident: replicas lag"
    start = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    steps = due_steps(policy, start, 0, start + timedelta(hours=1))
    assert [s.due_at - start for s in steps] == [timedelta(0), timedelta(minutes=10), timedelta(minutes=20)]


@pytest.mark.parametrize(
    ("sev", "held", "takes"),
    [
        (Sev.SEV1, set(), True),
        (Sev.SEV2, {Role.TECH_LEAD}, True),
        (Sev.SEV2, {Role.INCIDENT_COMMANDER}, False),
        (Sev.SEV3, set(), False),
        (Sev.SEV4, set(), False),
    ],
)
def test_the_acknowledger_takes_command_of_a_sev1_or_sev2_nobody_commands(
    sev: Sev, held: set[Role], takes: bool
) -> None:
    assert takes_command(sev, held) is takes


def test_a_role_notice_lists_the_roles_first_duties() -> None:
    assert first_duties(Role.INCIDENT_COMMANDER) == (
        "Confirm incident severity",
        "Establish communication channels",
        "Assign roles (Scribe, Comms Lead, Technical Lead)",
    )
    assert len(first_duties(Role.SME, 2)) == 2


def test_a_role_notice_names_the_incident_and_who_gave_the_role() -> None:
    subject, text = role_notice(
        Role.SCRIBE, by="Alice", number=12, title="Checkout down", sev="SEV-2", status="investigating"
    )
    assert subject == "[SEV-2] #12 You are Scribe: Checkout down"
    assert text.splitlines()[:4] == [
        "Alice made you Scribe of incident #12.",
        "",
        "Checkout down",
        "Severity: SEV-2   Status: investigating",
    ]
    assert text.endswith(
        "What you do first:\n  - Create incident document\n"
        "  - Record all significant events with timestamps\n"
        "  - Document hypotheses and investigation paths"
    )
    declared, _text = role_notice(Role.SME, by="Bob", number=3, title="[SEV-1] DB down", sev="SEV-1", status="detected")
    assert declared == "#3 You are Subject Matter Expert: [SEV-1] DB down"
