from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction, Outcome
from firebell.alerts.service import EventResult, Submission, ingest
from firebell.kernel.severity import Sev
from tests.unit.alerts.fakes import FakeAlertRepo, FakeConfigs, FakeIncidents, FakeStore, Joined, config

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DISK = {"alertname": "Disk"}


class Harness:
    def __init__(self, **config_overrides: object) -> None:
        self.store = FakeStore()
        self.configs = FakeConfigs(config(**config_overrides))

    def send(self, *events: AlertEvent, at: datetime = NOW) -> list[EventResult]:
        submission = Submission("int", "svc", "api", "{}", events)
        return ingest(
            submission,
            alerts=FakeAlertRepo(self.store),
            incidents=FakeIncidents(self.store),
            configs=self.configs,
            now=at,
            make_id=self.store.make_id,
        )


def trig(key: str, severity: AlertSeverity = AlertSeverity.CRITICAL, **kw: object) -> AlertEvent:
    return AlertEvent(EventAction.TRIGGER, key, f"alert {key}", severity, **kw)  # type: ignore[arg-type]


def resolve(key: str) -> AlertEvent:
    return AlertEvent(EventAction.RESOLVE, key, "")


def test_repeat_trigger_bumps_count_and_opens_one_incident() -> None:
    h = Harness()
    outcomes = [h.send(trig("k"))[0].outcome for _ in range(50)]
    assert outcomes[0] is Outcome.CREATED
    assert set(outcomes[1:]) == {Outcome.DEDUPLICATED}
    assert len(h.store.alerts) == 1
    assert next(iter(h.store.alerts.values())).count == 50
    assert len(h.store.incidents) == 1
    assert len(h.store.raw) == 50


def test_alerts_within_window_group_and_later_ones_do_not() -> None:
    h = Harness(grouping_window_seconds=60)
    first = h.send(trig("a", labels=DISK))[0]
    second = h.send(trig("b", labels=DISK), at=NOW + timedelta(seconds=60))[0]
    third = h.send(trig("c", labels=DISK), at=NOW + timedelta(seconds=61))[0]
    assert first.incident_id == second.incident_id != third.incident_id


def test_group_by_labels_separates_incidents() -> None:
    h = Harness(group_by_labels=["alertname"])
    a = h.send(trig("a", labels={"alertname": "Disk"}))[0]
    b = h.send(trig("b", labels={"alertname": "CPU"}))[0]
    c = h.send(trig("c", labels={"alertname": "Disk"}))[0]
    assert a.incident_id == c.incident_id != b.incident_id


def test_joining_alert_raises_incident_severity() -> None:
    h = Harness()
    first = h.send(trig("a", AlertSeverity.WARNING, labels=DISK))[0]
    second = h.send(trig("b", AlertSeverity.CRITICAL, labels=DISK))[0]
    assert first.incident_id is not None
    assert h.store.incidents[first.incident_id].sev is Sev.SEV1
    assert second.alert_id is not None
    assert h.store.joined == [
        Joined(first.incident_id, second.alert_id, "alert b", Sev.SEV1, Sev.SEV3, NOW, "same alert name Disk within 5m")
    ]


def test_incident_auto_resolves_when_its_last_alert_resolves() -> None:
    h = Harness()
    a = h.send(trig("a", labels=DISK), trig("b", labels=DISK))[0]
    assert a.incident_id is not None
    h.send(resolve("a"))
    assert h.store.incidents[a.incident_id].status == "detected"
    assert h.send(resolve("b"))[0].outcome is Outcome.RESOLVED
    assert h.store.incidents[a.incident_id].status == "resolved"


def test_no_auto_resolve_when_service_says_so() -> None:
    h = Harness(auto_resolve=False)
    a = h.send(trig("a"))[0]
    h.send(resolve("a"))
    assert a.incident_id is not None
    assert h.store.incidents[a.incident_id].status == "detected"


def test_resolve_for_unknown_alert_is_ignored_but_raw_kept() -> None:
    h = Harness()
    assert h.send(resolve("nope"))[0].outcome is Outcome.IGNORED
    assert h.store.raw
    assert not h.store.alerts


def test_info_alert_is_logged_without_incident() -> None:
    h = Harness()
    result = h.send(trig("i", AlertSeverity.INFO))[0]
    assert result.outcome is Outcome.LOGGED
    assert result.incident_id is None
    assert not h.store.incidents


def test_trigger_after_resolve_is_a_new_alert() -> None:
    h = Harness()
    first = h.send(trig("a"))[0]
    h.send(resolve("a"))
    again = h.send(trig("a"))[0]
    assert again.outcome is Outcome.CREATED
    assert again.alert_id != first.alert_id
    assert again.incident_id != first.incident_id


def test_acknowledge_moves_incident_to_acknowledged() -> None:
    h = Harness()
    a = h.send(trig("a"))[0]
    assert h.send(AlertEvent(EventAction.ACKNOWLEDGE, "a", ""))[0].outcome is Outcome.ACKNOWLEDGED
    assert a.incident_id is not None
    assert h.store.incidents[a.incident_id].status == "acknowledged"


def test_one_batch_handles_repeat_resolve_and_retrigger_of_one_key() -> None:
    h = Harness()
    results = h.send(trig("k"), trig("k"), resolve("k"), trig("k"), trig("k"))
    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.DEDUPLICATED,
        Outcome.RESOLVED,
        Outcome.CREATED,
        Outcome.DEDUPLICATED,
    ]
    by_status = sorted((a.status, a.count) for a in h.store.alerts.values())
    assert by_status == [("resolved", 2), ("triggered", 2)]
    # The first incident resolved with its alert; the re-trigger opened a second one.
    assert sorted(i.status for i in h.store.incidents.values()) == ["detected", "resolved"]


def test_the_alerts_category_label_goes_to_the_new_incident_for_its_policy() -> None:
    h = Harness()
    (result,) = h.send(trig("k", labels={"category": "Security"}))
    assert result.incident_id is not None
    assert h.store.incidents[result.incident_id].category == "Security"
    (plain,) = h.send(trig("other", group_key="g2"))
    assert plain.incident_id is not None
    assert h.store.incidents[plain.incident_id].category is None


def test_a_drill_label_reaches_the_incident_and_a_drill_group_joins_nothing() -> None:
    h = Harness()
    real = h.send(trig("real"))[0]
    drill = h.send(trig("drill", labels={"firebell_drill": "D1"}, group_key="drill:D1"))[0]
    assert drill.incident_id != real.incident_id
    assert drill.incident_id is not None
    assert real.incident_id is not None
    assert h.store.incidents[drill.incident_id].drill == "D1"
    assert h.store.incidents[real.incident_id].drill is None
