"""The postmortem core: deadlines, owner, status moves, readiness, and the blamelessness check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.incidents.roles import Role
from firebell.incidents.targets import DEFAULTS
from firebell.incidents.timeline import Entry
from firebell.kernel.errors import InvalidTransition, ValidationFailed
from firebell.kernel.severity import Sev
from firebell.postmortems import blameless, model
from firebell.postmortems.facts import AlertFact, IncidentFacts, analysis_facts, detection_rows, span, team_rows
from firebell.postmortems.model import SignOff, Status

T0 = datetime(2026, 1, 15, 14, 20, tzinfo=UTC)


def test_sev1_and_sev2_need_a_postmortem_sev3_and_sev4_do_not() -> None:
    assert [model.needs_postmortem(DEFAULTS[s]) for s in Sev] == [True, True, False, False]


@pytest.mark.parametrize(
    ("sev", "final_after"),
    [(Sev.SEV1, timedelta(hours=48)), (Sev.SEV2, timedelta(weeks=1)), (Sev.SEV3, None), (Sev.SEV4, None)],
)
def test_deadlines_follow_the_severity(sev: Sev, final_after: timedelta | None) -> None:
    due = model.deadlines(DEFAULTS[sev], T0)
    assert due.draft_due_at == T0 + timedelta(hours=4)
    assert due.due_at == (T0 + final_after if final_after else None)


def test_owner_is_the_postmortem_owner_else_the_latest_commander_else_nobody() -> None:
    assert model.owner([(Role.INCIDENT_COMMANDER, "ic"), (Role.POSTMORTEM_OWNER, "po")]) == "po"
    assert model.owner([(Role.INCIDENT_COMMANDER, "first"), (Role.INCIDENT_COMMANDER, "second")]) == "second"
    assert model.owner([(Role.SCRIBE, "s"), (Role.TECH_LEAD, "t")]) is None


def _ready(**overrides: object) -> model.Readiness:
    values: dict[str, object] = {
        "sections": {"executive_summary": "Outage.", "what_happened": "The pool ran dry."},
        "tables": {"root_causes": [["Primary", "Pool too small", "Capacity"]]},
        "has_why_chain": True,
        "action_items": 2,
        "unowned_action_items": 0,
        "blame_findings": 0,
        "signed": list(SignOff),
    }
    values.update(overrides)
    return model.readiness(**values)  # type: ignore[arg-type]


def test_a_complete_postmortem_is_ready() -> None:
    assert _ready().ready
    assert _ready().missing == ()


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"sections": {"what_happened": "x"}}, "write the Executive Summary section"),
        ({"sections": {"executive_summary": "x", "what_happened": "  "}}, "write the What Happened section"),
        ({"has_why_chain": False}, "add a 5 whys analysis"),
        ({"tables": {"root_causes": [["Primary", "", ""]]}}, "list the root causes"),
        ({"action_items": 0}, "add at least one action item"),
        ({"unowned_action_items": 1}, "give 1 action item(s) an owner and a due date"),
        ({"blame_findings": 2}, "reword 2 passage(s) the blamelessness check flags"),
        ({"signed": [SignOff.POSTMORTEM_OWNER]}, "sign-off by the Engineering Manager"),
    ],
)
def test_readiness_names_what_is_missing(overrides: dict[str, object], missing: str) -> None:
    found = _ready(**overrides)
    assert not found.ready
    assert missing in found.missing


def test_status_moves_every_pair() -> None:
    allowed = {
        (Status.DRAFT, Status.IN_REVIEW),
        (Status.IN_REVIEW, Status.DRAFT),
        (Status.IN_REVIEW, Status.FINAL),
        (Status.FINAL, Status.IN_REVIEW),
    }
    for current in Status:
        for target in Status:
            if (current, target) in allowed:
                assert model.move(current, target, _ready()) is target
            else:
                with pytest.raises(InvalidTransition):
                    model.move(current, target, _ready())


def test_final_waits_for_readiness_and_says_what_is_missing() -> None:
    with pytest.raises(InvalidTransition) as caught:
        model.move(Status.IN_REVIEW, Status.FINAL, _ready(signed=[]))
    assert "sign-off by the Postmortem Owner" in caught.value.message


def test_status_names_parse_and_unknown_ones_name_the_field() -> None:
    assert Status.parse("review") is Status.IN_REVIEW
    assert Status.parse("In Review") is Status.IN_REVIEW
    with pytest.raises(ValidationFailed) as caught:
        Status.parse("published")
    assert caught.value.details[0]["field"] == "status"


def test_sections_and_tables_are_checked() -> None:
    assert model.check_sections({"executive_summary": "  text \n"}) == {"executive_summary": "text"}
    with pytest.raises(ValidationFailed) as caught:
        model.check_sections({"gossip": "x"})
    assert caught.value.details[0]["field"] == "sections.gossip"
    assert model.check_tables({"root_causes": [["Primary", " a  b ", "Capacity"], ["", "", ""]]}) == {
        "root_causes": [["Primary", "a b", "Capacity"]]
    }
    with pytest.raises(ValidationFailed) as caught:
        model.check_tables({"root_causes": [["only two", "cells"]]})
    assert caught.value.details[0]["field"] == "tables.root_causes.0"


@pytest.mark.parametrize(
    "text",
    [
        "It was the fault of the database team.",
        "This was his fault entirely.",
        "The engineer was careless with the config.",
        "Ops should have known the pool was too small.",
        "Root cause: human error.",
        "The deploy was sloppy.",
        "Reviewers should have caught it.",
        "We blame the vendor.",
    ],
)
def test_blaming_language_is_flagged_with_a_principle(text: str) -> None:
    found = blameless.check([("What Happened", text)])
    assert len(found) == 1
    assert found[0].where == "What Happened"
    assert found[0].principle in {blameless.SYSTEMS, blameless.INTENT, blameless.LEARNING}


@pytest.mark.parametrize(
    "text",
    [
        "The default of 10 connections was too small for the traffic.",
        "The connection pool was exhausted because timeouts were raised to 60 s.",
        "@alice rolled back the deployment at 14:52.",
        "Alice noticed the dashboard and paged the database team.",
        "There was no alert on pool saturation, so detection took 18 minutes.",
    ],
)
def test_systems_language_passes(text: str) -> None:
    assert blameless.check([("What Happened", text)], people=["Alice", "alice"]) == []


@pytest.mark.parametrize(
    "text",
    [
        "Bob forgot to update the config.",
        "The outage happened because of Bob.",
        "@bob caused the outage by deploying on Friday.",
        "Errors rose due to @carol.",
        "Bob Smith made a mistake in the migration.",
    ],
)
def test_a_person_named_as_the_cause_is_flagged(text: str) -> None:
    found = blameless.check([("Root Causes", text)], people=["Bob", "Bob Smith", "carol"])
    assert [f.what for f in found] == ["names a person as the cause"]


def _facts(**overrides: object) -> IncidentFacts:
    values: dict[str, object] = {
        "incident_id": "01",
        "number": 42,
        "title": "[SEV-1] Checkout errors",
        "sev": Sev.SEV1,
        "status": "resolved",
        "opened_at": T0,
        "acknowledged_at": T0 + timedelta(minutes=2),
        "identified_at": T0 + timedelta(minutes=15),
        "resolving_at": T0 + timedelta(minutes=20),
        "resolved_at": T0 + timedelta(minutes=55),
        "detection_source": "alert",
        "services": ("checkout", "payments-db"),
        "team": ((Role.INCIDENT_COMMANDER, "Alice"), (Role.SCRIBE, "Carol"), (Role.SME, "Dan")),
        "timeline": (Entry(T0 + timedelta(minutes=5), "war_room", "alice", "War room opened"),),
        "alerts": (
            AlertFact("HighErrorRate", "alertmanager", T0 - timedelta(minutes=18), T0, None),
            AlertFact("HighLatency", "alertmanager", T0 - timedelta(minutes=3), T0 + timedelta(minutes=1), None),
        ),
    }
    values.update(overrides)
    return IncidentFacts(**values)  # type: ignore[arg-type]


def test_ttd_runs_from_the_first_symptom_and_ttr_from_detection() -> None:
    facts = _facts()
    assert facts.reference == "INC-0042"
    assert facts.symptom_at == T0 - timedelta(minutes=18)
    assert facts.time_to_detect == timedelta(minutes=18)
    assert facts.time_to_resolve == timedelta(minutes=55)
    assert facts.duration == timedelta(minutes=73)
    written = _facts(first_symptom_at=T0 - timedelta(minutes=30))
    assert written.time_to_detect == timedelta(minutes=30)
    declared = _facts(alerts=(), detection_source="user_report")
    assert declared.time_to_detect == timedelta(0)
    assert detection_rows(declared) == [["Customer Report", "0 s", "Declared at 14:20 UTC"]]
    assert detection_rows(facts) == [["Automated Alert", "18 min", "HighErrorRate (alertmanager) fired at 14:20 UTC"]]


def test_team_rows_follow_the_template_and_add_experts() -> None:
    rows = team_rows(_facts())
    assert rows[0] == ("Incident Commander", "Alice")
    assert rows[1] == ("Technical Lead", "—")
    assert ("Scribe", "Carol") in rows
    assert rows[-1] == ("Subject Matter Expert", "Dan")


def test_analysis_facts_are_in_time_order_with_their_kinds() -> None:
    kinds = [f.kind for f in analysis_facts(_facts())]
    assert kinds == [
        "first_symptom",
        "alert",
        "alert",
        "acknowledged",
        "declared",
        "identified",
        "resolving",
        "resolved",
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(40, "40 s"), (60, "1 min"), (3900, "1 h 05 min"), (90000, "1 d 1 h 00 min")],
)
def test_span_reads_like_a_person_writes_it(seconds: int, text: str) -> None:
    assert span(timedelta(seconds=seconds)) == text
    assert span(None) == "—"


def test_names_match_as_written_and_handles_in_any_case() -> None:
    names, handles = ["Config Owner", "Config", "Bob"], ["deploy"]
    assert blameless.check([("What Happened", "The outage came due to config drift.")], names, handles) == []
    assert blameless.check([("What Happened", "Errors rose because of Bob.")], names, handles)
    assert blameless.check([("What Happened", "It was due to Deploy.")], names, handles)
    assert blameless.check([("What Happened", "Deploy broke the cache.")], names, []) == []
