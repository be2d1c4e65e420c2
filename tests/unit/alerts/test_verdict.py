"""Responders' verdicts on alerts: what people type, and the use cases on in-memory fakes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from firebell.alerts.verdict import (
    JudgedAlert,
    Verdict,
    alert_message,
    incident_message,
    parse_verdict,
    parse_verdict_or_clear,
    stored_verdict,
)
from firebell.alerts.verdict_service import EVENT_KIND, set_alert_verdict, set_incident_verdict
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["no_action", "no-action", "No Action", "no action needed", "noise", "false positive", "False-Positive", " fp "],
)
def test_no_action_is_read_from_what_people_type(text: str) -> None:
    assert parse_verdict(text) is Verdict.NO_ACTION


@pytest.mark.parametrize("text", ["actionable", "ACTIONABLE", "real", "Real", "true positive"])
def test_actionable_is_read_from_what_people_type(text: str) -> None:
    assert parse_verdict(text) is Verdict.ACTIONABLE


@pytest.mark.parametrize("text", ["clear", "none", "CLEAR", " unset "])
def test_clear_takes_the_verdict_back(text: str) -> None:
    assert parse_verdict_or_clear(text) is None


@pytest.mark.parametrize("text", ["maybe", "", "no", "clear-ish"])
def test_anything_else_is_refused_naming_the_field_and_the_choices(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_verdict_or_clear(text, field="verdict")
    assert caught.value.details == [{"field": "verdict", "message": "use no-action, actionable or clear"}]


def test_parse_verdict_alone_does_not_take_clear() -> None:
    with pytest.raises(ValidationFailed):
        parse_verdict("clear")


def test_stored_values_of_a_verdict_and_of_clearing_one() -> None:
    assert stored_verdict(Verdict.NO_ACTION, actor="alice", at=NOW) == {
        "verdict": "no_action",
        "verdict_by": "alice",
        "verdict_at": NOW,
    }
    assert stored_verdict(None, actor="alice", at=NOW) == {"verdict": None, "verdict_by": "", "verdict_at": None}


def test_timeline_words() -> None:
    alert = JudgedAlert("a1", "HighLatency", "i1", None)
    assert (
        alert_message(alert, Verdict.NO_ACTION, actor="alice") == "Alert 'HighLatency' marked no action needed by alice"
    )
    assert alert_message(alert, Verdict.ACTIONABLE, actor="bob", note="  paged  twice ") == (
        "Alert 'HighLatency' marked actionable by bob: paged twice"
    )
    assert alert_message(alert, None, actor="alice") == "Alert 'HighLatency' verdict cleared by alice"
    assert alert_message(replace(alert, name=""), None, actor="x").startswith("Alert 'a1' ")
    assert incident_message(3, Verdict.NO_ACTION, actor="alice") == (
        "Every alert of the incident (3 alerts) marked no action needed by alice"
    )
    assert (
        incident_message(1, None, actor="alice") == "Verdicts cleared on every alert of the incident (1 alert) by alice"
    )


# --- the use cases on fakes ---------------------------------------------------------------------


@dataclass
class FakeAlerts:
    alerts: dict[str, JudgedAlert] = field(default_factory=dict)
    stored: dict[str, dict[str, object]] = field(default_factory=dict)

    def judged_alert(self, alert_id: str) -> JudgedAlert | None:
        return self.alerts.get(alert_id)

    def judged_alerts_of_incident(self, incident_id: str) -> list[JudgedAlert]:
        return [a for a in self.alerts.values() if a.incident_id == incident_id]

    def set_verdict(self, alert_ids: Collection[str], values: dict[str, object]) -> None:
        for alert_id in alert_ids:
            verdict = values["verdict"]
            self.alerts[alert_id] = replace(self.alerts[alert_id], verdict=Verdict(verdict) if verdict else None)
            self.stored[alert_id] = values


@dataclass
class FakeTimeline:
    events: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add_event(
        self,
        incident_id: str,
        at: datetime,
        kind: str,
        message: str,
        actor: str = "firebell",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.events.append((incident_id, kind, message, actor))


def _fakes() -> tuple[FakeAlerts, FakeTimeline]:
    alerts = FakeAlerts(
        {
            "a1": JudgedAlert("a1", "HighLatency", "i1", None),
            "a2": JudgedAlert("a2", "ErrorRate", "i1", Verdict.ACTIONABLE),
            "a3": JudgedAlert("a3", "DiskFull", None, None),
        }
    )
    return alerts, FakeTimeline()


def test_one_alert_is_marked_and_its_incident_timeline_says_so() -> None:
    alerts, timeline = _fakes()
    done = set_alert_verdict(
        alerts=alerts, timeline=timeline, alert_id="a1", verdict=Verdict.NO_ACTION, actor="alice", now=NOW
    )
    assert done is True
    assert alerts.stored["a1"] == {"verdict": "no_action", "verdict_by": "alice", "verdict_at": NOW}
    assert timeline.events == [("i1", EVENT_KIND, "Alert 'HighLatency' marked no action needed by alice", "alice")]


def test_saying_it_again_changes_nothing_and_adds_no_entry() -> None:
    alerts, timeline = _fakes()
    kwargs: dict[str, Any] = {"alerts": alerts, "timeline": timeline, "alert_id": "a2", "now": NOW}
    assert set_alert_verdict(verdict=Verdict.ACTIONABLE, actor="bob", **kwargs) is False
    assert alerts.stored == {}
    assert timeline.events == []


def test_an_alert_outside_any_incident_is_marked_without_a_timeline() -> None:
    alerts, timeline = _fakes()
    set_alert_verdict(alerts=alerts, timeline=timeline, alert_id="a3", verdict=Verdict.ACTIONABLE, actor="x", now=NOW)
    assert alerts.alerts["a3"].verdict is Verdict.ACTIONABLE
    assert timeline.events == []


def test_an_unknown_alert_is_not_found() -> None:
    alerts, timeline = _fakes()
    with pytest.raises(NotFound):
        set_alert_verdict(alerts=alerts, timeline=timeline, alert_id="zz", verdict=None, actor="x", now=NOW)


def test_every_alert_of_an_incident_at_once_with_one_entry() -> None:
    alerts, timeline = _fakes()
    changed = set_incident_verdict(
        alerts=alerts, timeline=timeline, incident_id="i1", verdict=Verdict.NO_ACTION, actor="alice", now=NOW
    )
    assert changed == 2
    assert {a.verdict for a in alerts.judged_alerts_of_incident("i1")} == {Verdict.NO_ACTION}
    assert alerts.alerts["a3"].verdict is None
    assert [e[2] for e in timeline.events] == [
        "Every alert of the incident (2 alerts) marked no action needed by alice"
    ]
    again = set_incident_verdict(
        alerts=alerts, timeline=timeline, incident_id="i1", verdict=Verdict.NO_ACTION, actor="bob", now=NOW
    )
    assert again == 0
    assert len(timeline.events) == 1


def test_an_incident_without_alerts_has_nothing_to_mark() -> None:
    alerts, timeline = _fakes()
    with pytest.raises(Conflict):
        set_incident_verdict(alerts=alerts, timeline=timeline, incident_id="i9", verdict=None, actor="x", now=NOW)
