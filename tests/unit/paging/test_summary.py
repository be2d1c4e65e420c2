"""The incident page's summary: who is paged now, whether it got through, and what comes next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from firebell.oncall.escalation import Level, Policy, Target, TargetKind
from firebell.paging.model import direct_policy
from firebell.paging.summary import format_age, summarize

T0 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
POLICY = Policy(
    "checkout-primary",
    (
        Level((Target(TargetKind.CURRENT_ON_CALL),), timedelta(minutes=15)),
        Level((Target(TargetKind.USER, "lead"),), timedelta(minutes=30)),
    ),
)
NAMES = {"u-alice": "Alice Moreau", "u-lead": "Erin Lead", "u-bob": "Bob Okafor"}


def _incident(**changes: Any) -> dict[str, Any]:
    row = {"status": "detected", "sev": "SEV-1", "service": "checkout", "opened_at": T0}
    return row | {"acknowledged_at": None, "acknowledged_by": None, "resolved_at": None} | changes


def _escalation(**changes: Any) -> dict[str, Any]:
    row = {"id": "e1", "policy_id": "p1", "assignee_id": None, "state": "active", "started_at": T0}
    return row | {"steps_taken": 1, "next_due_at": T0 + timedelta(minutes=15), "sev": None, "kind": "policy"} | changes


def _page(page_id: str, user: str, level: int, at: datetime, escalation: str = "e1") -> dict[str, Any]:
    name = NAMES[user]
    return {"id": page_id, "escalation_id": escalation, "user_id": user, "step": level - 1, "level": level} | {
        "paged_at": at,
        "display_name": name,
        "handle": name.split()[0].lower(),
    }


def _delivery(page_id: str, channel: str, status: str, at: datetime, error: str = "") -> dict[str, Any]:
    return {"id": f"d-{page_id}-{channel}-{at.timestamp()}", "page_id": page_id, "channel": channel} | {
        "status": status,
        "last_error": error,
        "created_at": at,
    }


def _summary(incident: dict[str, Any], escalations: list[dict[str, Any]], pages: list[Any], deliveries: list[Any]):  # type: ignore[no-untyped-def]
    return summarize(
        incident,
        escalations=escalations,
        pages=pages,
        deliveries=deliveries,
        policies={"p1": POLICY},
        names=NAMES,
        now=T0 + timedelta(minutes=4, seconds=30),
    )


def test_a_fresh_incident_names_who_is_paged_how_each_channel_fared_and_the_next_level() -> None:
    at = T0 + timedelta(seconds=5)
    summary = _summary(
        _incident(),
        [_escalation()],
        [_page("pg1", "u-alice", 1, at)],
        [
            _delivery("pg1", "email", "sent", at),
            _delivery("pg1", "sms", "pending", at),  # retried: the newest delivery per channel counts
            _delivery("pg1", "sms", "failed", at - timedelta(seconds=1), "no route"),
            _delivery("other", "email", "failed", at),  # another page's
        ],
    )
    assert (summary.status, summary.sev, summary.service, summary.age) == ("detected", "SEV-1", "checkout", "4m")
    assert summary.paging_now
    assert not summary.ended
    [alice] = summary.paged
    assert (alice.person, alice.level, alice.policy, alice.responder) == ("Alice Moreau", 1, "checkout-primary", False)
    assert [(c.channel, c.status) for c in alice.channels] == [("email", "sent"), ("sms", "pending")]
    assert alice.delivery == "sent"
    assert summary.next is not None
    assert summary.next.what == "level 2 of checkout-primary"
    assert summary.next.due_at == T0 + timedelta(minutes=15)
    assert not summary.next.exhausts


def test_a_page_that_failed_everywhere_reads_failed_and_a_person_without_contact_methods_none() -> None:
    at = T0 + timedelta(minutes=15)
    summary = _summary(
        _incident(),
        [_escalation(steps_taken=2, next_due_at=T0 + timedelta(minutes=45))],
        [_page("pg1", "u-alice", 1, T0), _page("pg2", "u-lead", 2, at)],
        [_delivery("pg1", "email", "failed", T0, "refused"), _delivery("pg2", "email", "failed", at)],
    )
    assert [(p.person, p.delivery) for p in summary.paged] == [("Alice Moreau", "failed"), ("Erin Lead", "failed")]
    assert summary.paged[0].channels[0].error == "refused"
    assert [p.person for p in summary.failed] == ["Alice Moreau", "Erin Lead"]
    # Every level paged: what comes next is that escalation runs out.
    assert summary.next is not None
    assert summary.next.exhausts
    assert summary.next.what == "checkout-primary runs out: nobody left to page"
    bare = _summary(_incident(), [_escalation()], [_page("pg1", "u-alice", 1, T0)], [])
    assert bare.paged[0].delivery == "none"


def test_a_second_round_is_named_and_a_repeat_page_shows_once() -> None:
    policy = Policy(POLICY.name, POLICY.levels, repeat=1)
    summary = summarize(
        _incident(),
        escalations=[_escalation(steps_taken=2, next_due_at=T0 + timedelta(minutes=45))],
        pages=[_page("pg1", "u-alice", 1, T0), _page("pg3", "u-alice", 1, T0 + timedelta(minutes=45))],
        deliveries=[_delivery("pg3", "email", "sent", T0 + timedelta(minutes=45))],
        policies={"p1": policy},
        names=NAMES,
        now=T0 + timedelta(minutes=46),
    )
    assert summary.next is not None
    assert summary.next.what == "level 1, round 2 of checkout-primary"
    [alice] = summary.paged
    assert alice.paged_at == T0 + timedelta(minutes=45)
    assert alice.delivery == "sent"


def test_acknowledged_names_who_and_stops_the_countdown_but_still_shows_who_was_paged() -> None:
    acked = T0 + timedelta(minutes=3)
    summary = _summary(
        _incident(status="acknowledged", acknowledged_at=acked, acknowledged_by="u-alice"),
        [_escalation(state="acknowledged", next_due_at=None, ended_at=acked)],
        [_page("pg1", "u-alice", 1, T0)],
        [_delivery("pg1", "email", "sent", T0)],
    )
    assert (summary.acknowledged_by, summary.acknowledged_at) == ("Alice Moreau", acked)
    assert not summary.paging_now
    assert summary.next is None
    assert [p.person for p in summary.paged] == ["Alice Moreau"]


def test_a_responder_still_paged_after_the_acknowledgement_is_the_next_step() -> None:
    summary = _summary(
        _incident(status="acknowledged", acknowledged_at=T0, acknowledged_by="u-alice"),
        [
            _escalation(state="acknowledged", next_due_at=None),
            _escalation(
                id="e2", policy_id=None, assignee_id="u-bob", kind="responder", next_due_at=T0 + timedelta(minutes=5)
            ),
        ],
        [_page("pg1", "u-alice", 1, T0), _page("pg2", "u-bob", 1, T0 + timedelta(minutes=1), escalation="e2")],
        [],
    )
    assert [(p.person, p.responder) for p in summary.paged] == [("Bob Okafor", True)]
    assert summary.next is not None
    assert summary.next.what == "Bob Okafor paged again"
    # A person paged directly is paged a set number of times; then the page runs out.
    last = _escalation(policy_id=None, assignee_id="u-bob", steps_taken=direct_policy("u-bob").step_count)
    ran_out = _summary(_incident(), [last], [], [])
    assert ran_out.next is not None
    assert ran_out.next.exhausts
    assert ran_out.next.what == "Bob Okafor's page runs out: nobody acknowledged"


def test_resolved_pages_nobody_and_counts_how_long_it_lasted() -> None:
    summary = _summary(
        _incident(status="resolved", resolved_at=T0 + timedelta(hours=2, minutes=5)),
        [_escalation()],  # not yet ended by the engine: the incident's state wins
        [_page("pg1", "u-alice", 1, T0)],
        [],
    )
    assert summary.ended
    assert not summary.paging_now
    assert summary.next is None
    assert summary.age == "2h 5m"


def test_nobody_paged_without_a_policy() -> None:
    summary = _summary(_incident(service=None), [], [], [])
    assert summary.paged == ()
    assert summary.next is None
    assert summary.service == ""


def test_ages_read_in_their_two_largest_units() -> None:
    assert [format_age(s) for s in (0, 45, 60, 14 * 60 + 59, 7200, 7500, 86400, 97200, -3)] == [
        "0s", "45s", "1m", "14m", "2h", "2h 5m", "1d", "1d 3h", "0s",
    ]  # fmt: skip
