"""The pure parts of running an incident: roles per severity, checklists, the mitigation tree,
update cadence and missed deadlines, the war-room name, and the timeline export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.incidents import checklists, mitigation
from firebell.incidents.business_time import DEFAULT as OFFICE_HOURS
from firebell.incidents.comms import description, spell_duration, subject_and_body, war_room_name
from firebell.incidents.roles import Role, assembled_at, staffing
from firebell.incidents.targets import (
    DEFAULTS,
    Progress,
    Terms,
    Watched,
    assemble_deadline,
    deadlines,
    missed_update,
    next_update_due,
)
from firebell.incidents.timeline import Entry, markdown_table, mermaid_gantt
from firebell.kernel.severity import Sev

T0 = datetime(2025, 1, 15, 14, 32, tzinfo=UTC)  # a Wednesday, in office hours
MIN = timedelta(minutes=1)


def _terms(sev: Sev) -> Terms:
    return Terms(DEFAULTS[sev], OFFICE_HOURS)


def _by(sev: Sev) -> datetime | None:
    return assemble_deadline(_terms(sev), T0)


@pytest.mark.parametrize(
    ("text", "role"),
    [("ic", Role.INCIDENT_COMMANDER), ("Technical Lead", Role.TECH_LEAD), ("comms", Role.COMMS_LEAD),
     ("scribe", Role.SCRIBE), ("SMEs", Role.SME), ("postmortem-owner", Role.POSTMORTEM_OWNER)],
)  # fmt: skip
def test_roles_parse_from_the_names_people_use(text: str, role: Role) -> None:
    assert Role.parse(text) is role


def test_sev1_needs_all_four_roles_and_warns_past_the_assemble_target() -> None:
    held = {Role.INCIDENT_COMMANDER: ["ann"], Role.TECH_LEAD: ["ben"]}
    early = staffing(Sev.SEV1, held, _by(Sev.SEV1), T0 + 10 * MIN)
    assert early.missing == (Role.COMMS_LEAD, Role.SCRIBE)
    assert not early.overdue
    late = staffing(Sev.SEV1, held, _by(Sev.SEV1), T0 + 16 * MIN)
    assert late.overdue
    assert late.warning() == "Unfilled required role(s) past the assemble target: Communications Lead, Scribe"


def test_sev2_lets_the_ic_be_the_tech_lead_and_only_recommends_a_scribe() -> None:
    result = staffing(Sev.SEV2, {Role.INCIDENT_COMMANDER: ["ann"]}, _by(Sev.SEV2), T0 + 40 * MIN)
    assert result.assembled
    assert result.stood_in == ((Role.TECH_LEAD, Role.INCIDENT_COMMANDER),)
    assert result.recommended_missing == (Role.SCRIBE,)
    assert result.warning() == ""


@pytest.mark.parametrize("sev", [Sev.SEV3, Sev.SEV4])
def test_minor_incidents_need_one_responder_and_have_no_assemble_target(sev: Sev) -> None:
    result = staffing(sev, {}, _by(sev), T0 + timedelta(days=3))
    assert result.missing == (Role.INCIDENT_COMMANDER,)
    assert result.assemble_by is None
    assert not result.overdue


def test_the_team_is_assembled_when_the_last_required_role_is_first_filled() -> None:
    assignments = [
        (Role.INCIDENT_COMMANDER, T0 + 2 * MIN),
        (Role.TECH_LEAD, T0 + 4 * MIN),
        (Role.COMMS_LEAD, T0 + 9 * MIN),
        (Role.INCIDENT_COMMANDER, T0 + 20 * MIN),  # a handover later does not move it
        (Role.SCRIBE, T0 + 12 * MIN),
    ]
    assert assembled_at(Sev.SEV1, assignments) == T0 + 12 * MIN
    assert assembled_at(Sev.SEV1, assignments[:3]) is None
    assert assembled_at(Sev.SEV2, [(Role.INCIDENT_COMMANDER, T0 + MIN)]) == T0 + MIN


def test_checklists_are_the_playbooks_and_follow_the_severity() -> None:
    detection = checklists.BY_KEY["detection"]
    assert detection.items == ("Alert acknowledged", "Severity assessed", "Incident record created", "IC assigned")
    assert checklists.BY_KEY["role:scribe"].items[0] == "Create incident document"
    assert len(checklists.BY_KEY["role:incident_commander"].items) == 8
    sev1 = [c.key for c in checklists.for_incident(Sev.SEV1, DEFAULTS[Sev.SEV1])]
    assert sev1[:5] == ["detection", "investigation", "communication", "mitigation", "resolution"]
    assert sev1[5:] == [
        "role:incident_commander",
        "role:tech_lead",
        "role:comms_lead",
        "role:scribe",
        "role:postmortem_owner",
    ]
    assert [c.key for c in checklists.for_incident(Sev.SEV4, DEFAULTS[Sev.SEV4])][5:] == ["role:incident_commander"]
    assert "role:sme" in [c.key for c in checklists.for_incident(Sev.SEV4, DEFAULTS[Sev.SEV4], {Role.SME})]
    every_key = {(c.key, k) for c in checklists.BY_KEY.values() for k, _t in c.keyed()}
    for happening in checklists.Happening:
        for pair in checklists.auto_ticks(happening):
            assert pair in every_key, (happening, pair)


@pytest.mark.parametrize(
    ("answers", "strategy"),
    [
        ({"recent_deployment": True}, mitigation.Strategy.ROLLBACK),
        ({"recent_deployment": False, "resource_issue": True}, mitigation.Strategy.SCALE_UP),
        (
            {"recent_deployment": False, "resource_issue": False, "external_dependency": True},
            mitigation.Strategy.CIRCUIT_BREAKER,
        ),
        (
            {"recent_deployment": False, "resource_issue": False, "external_dependency": False, "data_issue": True},
            mitigation.Strategy.FAILOVER,
        ),
        (
            {"recent_deployment": False, "resource_issue": False, "external_dependency": False, "data_issue": False},
            mitigation.Strategy.ENGAGE_SME,
        ),
    ],
)
def test_each_branch_of_the_mitigation_tree(answers: dict[str, bool], strategy: mitigation.Strategy) -> None:
    walk = mitigation.decide({mitigation.Question(k): v for k, v in answers.items()})
    assert walk.strategy is strategy
    assert walk.next_question is None
    assert len(walk.path) == len(answers)


def test_the_mitigation_tree_asks_in_order_and_says_what_follows() -> None:
    assert mitigation.decide({}).next_question is mitigation.Question.RECENT_DEPLOYMENT
    skipped = mitigation.decide({mitigation.Question.DATA_ISSUE: True})
    assert (skipped.strategy, skipped.next_question) == (None, mitigation.Question.RECENT_DEPLOYMENT)
    assert mitigation.next_step(mitigation.Outcome.RESOLVED) == "Monitor and verify"
    assert mitigation.next_step(mitigation.Outcome.NOT_RESOLVED) == "Escalate"


def test_update_cadence_and_its_missed_deadlines() -> None:
    assert next_update_due(_terms(Sev.SEV1), T0, None) == T0 + 15 * MIN
    assert next_update_due(_terms(Sev.SEV2), T0, T0 + 20 * MIN) == T0 + 50 * MIN
    # SEV-3's daily update counts in business hours: one working day, Wednesday 14:32 to Thursday 14:32.
    assert next_update_due(_terms(Sev.SEV3), T0, None) == T0 + timedelta(days=1)
    assert next_update_due(_terms(Sev.SEV4), T0, None) is None
    assert missed_update(_terms(Sev.SEV1), T0, None, T0 + 14 * MIN) == (None, T0 + 15 * MIN)
    assert missed_update(_terms(Sev.SEV1), T0, None, T0 + 15 * MIN) == (T0 + 15 * MIN, T0 + 30 * MIN)
    assert missed_update(_terms(Sev.SEV1), T0, None, T0 + 47 * MIN) == (T0 + 45 * MIN, T0 + 60 * MIN)
    assert missed_update(_terms(Sev.SEV4), T0, None, T0 + timedelta(days=9)) == (None, None)


def test_a_business_hours_cadence_skips_the_weekend() -> None:
    thursday = T0 + timedelta(days=1)
    friday, monday = T0 + timedelta(days=2), T0 + timedelta(days=5)
    latest, following = missed_update(_terms(Sev.SEV3), T0, None, monday + MIN)
    assert (latest, following) == (monday, monday + timedelta(days=1))
    assert missed_update(_terms(Sev.SEV3), T0, None, friday + MIN) == (friday, monday)
    assert missed_update(_terms(Sev.SEV3), T0, None, thursday - MIN) == (None, thursday)


def test_acknowledge_and_assemble_deadlines_stay_once_missed() -> None:
    on_time = Watched("i", _terms(Sev.SEV1), Progress(T0, T0 + 4 * MIN, T0 + 14 * MIN), None)
    assert deadlines(on_time) == []
    late = Watched("i", _terms(Sev.SEV1), Progress(T0, T0 + 6 * MIN), None)
    assert [(d.target, d.due_at) for d in deadlines(late)] == [
        ("acknowledge", T0 + 5 * MIN),
        ("assemble", T0 + 15 * MIN),
    ]
    minor = Watched("i", _terms(Sev.SEV3), Progress(T0), None)
    assert [(d.target, d.due_at) for d in deadlines(minor)] == [
        ("acknowledge", T0 + timedelta(hours=1)),
        # Four working hours: 2 h 28 m until 17:00, the rest from 09:00 on Thursday.
        ("investigate", datetime(2025, 1, 16, 10, 32, tzinfo=UTC)),
    ]


def test_war_room_names_are_legal_slack_channels() -> None:
    assert war_room_name(T0, "[SEV-1] API Service Outage") == "incident-2025-01-15-api-service-outage"
    long = war_room_name(T0, "Checkout: 5xx >5% on EU/US — payments & auth timeouts (again!) and more words")
    assert long == "incident-2025-01-15-checkout-5xx-5-on-eu"
    assert war_room_name(T0, "[SEV-2] !!!") == "incident-2025-01-15-incident"
    assert len(war_room_name(T0, "word " * 100)) <= 80
    assert description("[P1] API down") == "API down"


def test_durations_and_subjects_read_like_the_templates() -> None:
    assert spell_duration(28 * MIN) == "28 minutes"
    assert spell_duration(65 * MIN) == "1 hour 5 minutes"
    assert spell_duration(timedelta(days=2, hours=3)) == "2 days 3 hours"
    assert subject_and_body("Subject: [P1] API - RESOLVED\n\nBody\n", "x") == ("[P1] API - RESOLVED", "Body\n")
    assert subject_and_body("Body only\n", "fallback") == ("fallback", "Body only\n")


def test_the_timeline_exports_as_a_table_and_a_gantt() -> None:
    entries = [
        Entry(T0, "alert_fired", "alertmanager", "High error rate"),
        Entry(T0 + 3 * MIN, "acknowledged", "ann", "Acknowledged via Slack"),
        Entry(T0 + 10 * MIN, "note", "bob", "Config diff: timeout 5s → 60s | suspicious"),
        Entry(T0 + 18 * MIN, "status_changed", "ann", "identified → resolving (rollback)"),
        Entry(T0 + 28 * MIN, "status_changed", "ann", "resolving → resolved"),
    ]
    table = markdown_table(entries).splitlines()
    assert table[2] == "| 2025-01-15 14:32:00 | Alert fired: High error rate | alertmanager |"
    assert table[4] == "| 2025-01-15 14:42:00 | Note: Config diff: timeout 5s → 60s \\| suspicious | bob |"
    gantt = mermaid_gantt(entries, "API outage: 100% errors", T0 + 30 * MIN)
    assert gantt.splitlines()[:4] == [
        "gantt",
        "    title API outage - 100 pct errors",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        "    axisFormat %H:%M",
    ]
    assert "    section Detection\n    High error rate :2025-01-15 14:32:00, 3m\n" in gantt
    assert "    Acknowledged via Slack :milestone, 2025-01-15 14:35:00, 0m" in gantt
    assert "    section Mitigation\n    identified → resolving (rollback) :2025-01-15 14:50:00, 10m\n" in gantt
    assert "    section Recovery\n    resolving → resolved :milestone, 2025-01-15 15:00:00, 0m\n" in gantt
