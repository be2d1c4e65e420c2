from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from firebell.postmortems.rca import (
    Fact,
    FactKind,
    Measure,
    Timeline,
    duration_text,
    parse_timeline,
    timeline_analysis,
)
from tests.unit.postmortems.examples import API_OUTAGE, at
from tests.unit.postmortems.helpers import refused

K = FactKind


def test_the_guides_api_outage() -> None:
    analysis = timeline_analysis(API_OUTAGE)
    expected = {
        Measure.DETECTION: timedelta(minutes=1, seconds=15),  # 14:32:00 → 14:33:15
        Measure.RESPONSE: timedelta(minutes=1, seconds=45),  # 14:33:15 → 14:35:00, the guide's MTTA
        Measure.ASSEMBLY: timedelta(minutes=2, seconds=45),  # 14:33:15 → 14:36:00
        Measure.INVESTIGATION: timedelta(minutes=12),  # war room 14:36 → identified 14:48
        Measure.RESOLUTION: timedelta(minutes=17),  # 14:48 → 15:05
        Measure.RECOVERY: timedelta(minutes=3),  # rollback completed 14:55 → normal 14:58
        Measure.TIME_TO_DETECT: timedelta(minutes=1, seconds=15),
        Measure.TIME_TO_RESOLVE: timedelta(minutes=31, seconds=45),  # alert 14:33:15 → 15:05
    }
    assert {m: analysis.duration(m) for m in Measure} == expected
    assert [s.measure for s in analysis.phases] == [
        Measure.RESOLUTION,
        Measure.INVESTIGATION,
        Measure.RECOVERY,
        Measure.ASSEMBLY,
        Measure.RESPONSE,
        Measure.DETECTION,
    ]
    assert all(s.problem is None for s in analysis.spans)
    assert analysis.out_of_order == ()


def test_the_first_fact_of_each_kind_counts_whatever_the_input_order() -> None:
    facts = [*reversed(API_OUTAGE), Fact(at("14:40:00"), K.ALERT, "a second alert")]
    assert timeline_analysis(facts) == timeline_analysis(API_OUTAGE)


def test_missing_facts_leave_their_figures_empty_and_say_which() -> None:
    facts = [f for f in API_OUTAGE if f.kind not in (K.FIRST_SYMPTOM, K.DECLARED, K.RESOLVING, K.RECOVERED)]
    analysis = timeline_analysis(facts)
    assert analysis.duration(Measure.DETECTION) is None
    assert analysis.span(Measure.DETECTION).problem == "no first symptom fact"
    assert analysis.duration(Measure.ASSEMBLY) is None
    # Without a war room, the investigation starts at the acknowledgement; without the rollback's end and
    # the recovery, recovery runs from the mitigation's start to the resolution.
    assert analysis.duration(Measure.INVESTIGATION) == timedelta(minutes=13)
    assert analysis.duration(Measure.RECOVERY) == timedelta(minutes=13)
    assert analysis.duration(Measure.TIME_TO_DETECT) is None
    assert analysis.duration(Measure.TIME_TO_RESOLVE) == timedelta(minutes=31, seconds=45)
    empty = timeline_analysis([])
    assert all(s.duration is None for s in empty.spans)
    assert empty.phases == ()
    assert empty.span(Measure.RECOVERY).problem == (
        "no resolving or mitigation started and no recovered or resolved fact"
    )


def test_without_an_alert_detection_is_the_first_page_or_declaration() -> None:
    facts = [
        Fact(at("10:00:00"), K.FIRST_SYMPTOM, "customers report errors"),
        Fact(at("10:20:00"), K.DECLARED, "declared from a support ticket"),
        Fact(at("10:50:00"), K.RESOLVED),
    ]
    analysis = timeline_analysis(facts)
    assert analysis.duration(Measure.TIME_TO_DETECT) == timedelta(minutes=20)
    assert analysis.duration(Measure.TIME_TO_RESOLVE) == timedelta(minutes=30)
    assert analysis.duration(Measure.DETECTION) is None


def test_an_end_before_its_start_gives_no_figure_never_a_negative_one() -> None:
    facts = [
        Fact(at("14:33:00"), K.ALERT),
        Fact(at("14:30:00"), K.ACKNOWLEDGED, "acknowledged before the alert (clock skew)"),
        Fact(at("14:40:00"), K.IDENTIFIED),
        Fact(at("14:50:00"), K.RESOLVED),
    ]
    analysis = timeline_analysis(facts)
    span = analysis.span(Measure.RESPONSE)
    assert span.duration is None
    assert span.problem == "Acknowledged (2025-01-15 14:30:00 UTC) is before Alert (2025-01-15 14:33:00 UTC)"
    assert analysis.out_of_order == (span,)
    assert analysis.duration(Measure.INVESTIGATION) == timedelta(minutes=10)  # from the acknowledgement
    assert all(s.duration is None or s.duration >= timedelta(0) for s in analysis.spans)


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=45), "45 s"),
        (timedelta(0), "0 s"),
        (timedelta(minutes=3), "3 min"),
        (timedelta(minutes=1, seconds=5), "1 min 05 s"),
        (timedelta(hours=1, minutes=5, seconds=40), "1 h 05 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(days=2, hours=3, minutes=10), "2 d 03 h"),
        (timedelta(seconds=-90), "-1 min 30 s"),
    ],
)
def test_duration_text(span: timedelta, text: str) -> None:
    assert duration_text(span) == text


def test_json_round_trips_in_utc_and_sorted() -> None:
    data = [
        {"at": "2025-01-15T15:35:00+01:00", "kind": "Acknowledged", "text": "ack"},
        {"at": "2025-01-15T14:33:15Z", "kind": "alert"},
    ]
    timeline = parse_timeline(data)
    assert timeline == Timeline(
        (Fact(at("14:33:15"), K.ALERT, ""), Fact(at("14:35:00"), K.ACKNOWLEDGED, "ack")),
    )
    assert timeline.facts[1].at.tzinfo is UTC
    assert timeline.to_json()[0] == {"at": "2025-01-15T14:33:15+00:00", "kind": "alert", "text": ""}
    assert parse_timeline(timeline.to_json()) == timeline


AT = "2025-01-15T14:33:15Z"
EXAMPLE = "2025-01-15T14:32:00Z"  # the example the messages give
KINDS = ", ".join(k.value for k in FactKind)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "timeline", "must be a list"),
        ([{"at": AT[:-1], "kind": "alert"}], "timeline.0.at", f"give the time with its UTC offset, as in {EXAMPLE}"),
        ([{"at": "yesterday", "kind": "alert"}], "timeline.0.at", f"give an ISO 8601 time, as in {EXAMPLE}"),
        ([{"at": AT, "kind": "party"}], "timeline.0.kind", f"unknown kind; use one of {KINDS}"),
        ([{"at": AT, "kind": "note", "by": "x"}], "timeline.0.by", "unknown field; use at, kind, text"),
        ([{"at": AT, "kind": "note", "text": None}], "timeline.0.text", "must be a string"),
        ([{"at": AT, "kind": "note"}] * 501, "timeline", "has 501 items; at most 500"),
    ],
)
def test_bad_facts_name_the_field(data: object, field: str, message: str) -> None:
    assert refused(parse_timeline, data) == (field, message)


def test_facts_need_aware_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Fact(datetime(2025, 1, 15, 14, 0), K.NOTE)
    paris = timezone(timedelta(hours=1))
    local = Fact(datetime(2025, 1, 15, 15, 33, 15, tzinfo=paris), K.ALERT)
    assert timeline_analysis([local, Fact(at("14:35:00"), K.ACKNOWLEDGED)]).duration(Measure.RESPONSE) == timedelta(
        minutes=1, seconds=45
    )
