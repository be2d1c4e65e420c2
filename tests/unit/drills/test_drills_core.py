"""Drills: the hypothesis and its verdict, the pipeline's step timings, and the synthetic alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.alerts.model import DRILL_LABEL
from firebell.drills.model import (
    Result,
    Statement,
    Step,
    alert_summary,
    hypothesis,
    millis,
    missing_steps,
    record_outcome,
    timings,
    verdict,
)
from firebell.drills.service import alert_for
from firebell.kernel.errors import ValidationFailed

T0 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def test_hypothesis_statements_are_cleaned_deduplicated_and_bounded() -> None:
    assert hypothesis(["  p99 latency  < 500 ms ", "", "p99 latency < 500 ms", "no data loss"]) == (
        Statement("p99 latency < 500 ms"),
        Statement("no data loss"),
    )
    with pytest.raises(ValidationFailed) as caught:
        hypothesis(["x"] * 21 + [str(i) for i in range(21)])
    assert caught.value.details[0]["field"] == "hypothesis"


def test_the_verdict_fails_on_any_broken_statement_and_waits_for_all() -> None:
    three = hypothesis(["a", "b", "c"])
    assert verdict(three) is None
    partly = record_outcome(three, {0: True, 2: True})
    assert verdict(partly) is None
    assert verdict(record_outcome(partly, {1: True})) is Result.PASSED
    assert verdict(record_outcome(partly, {1: False}, {1: "2.4 %"})) is Result.FAILED
    assert record_outcome(partly, {1: False}, {1: "2.4 %"})[1] == Statement("b", False, "2.4 %")
    with pytest.raises(ValidationFailed) as caught:
        record_outcome(three, {3: True})
    assert caught.value.details[0]["field"] == "held.3"


def test_timings_run_from_the_alert_and_missing_steps_are_named() -> None:
    stamps = {
        Step.FIRED: T0,
        Step.ACCEPTED: T0 + timedelta(milliseconds=4),
        Step.INCIDENT: T0 + timedelta(milliseconds=4),
        Step.ESCALATION: T0 + timedelta(milliseconds=4),
        Step.PAGED: T0 + timedelta(milliseconds=31),
    }
    found = timings(stamps)
    assert [t.step for t in found] == list(Step)
    assert [millis(t.since_fired) for t in found] == [0, 4, 4, 4, 31, None, None, None]
    assert missing_steps(found) == [Step.NOTIFIED]
    assert missing_steps(found, need_ack=True) == [Step.NOTIFIED, Step.ACKNOWLEDGED]
    assert missing_steps(timings({Step.FIRED: T0}))[0] is Step.ACCEPTED


def test_the_synthetic_alert_is_marked_and_groups_alone() -> None:
    drill = {"id": "01DRILL", "number": 7, "service": "checkout", "target": "<b>checkout</b> paging", "dedup_key": "k"}
    event = alert_for(drill)
    assert event.summary == "[DRILL] checkout: bcheckoutb paging (practice, not a real incident)"
    assert event.labels[DRILL_LABEL] == "01DRILL"
    assert event.labels["drill"] == "DR-7"
    assert event.group_key == "drill:01DRILL"
    assert alert_summary("api", "") == "[DRILL] api: paging drill (practice, not a real incident)"
