"""Grouping through the intake use case: which incident each new alert lands in, why, who is told,
and how many lookups a batch costs."""

from __future__ import annotations

from datetime import timedelta

from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction, Outcome
from firebell.kernel.severity import Sev
from tests.unit.alerts.fakes import Joined
from tests.unit.alerts.test_service import NOW, Harness, resolve, trig

HEARTBEAT = AlertEvent(EventAction.TRIGGER, "hb", "Heartbeat nightly missed", AlertSeverity.CRITICAL)
TYPO = AlertEvent(EventAction.TRIGGER, "typo", "Typo in footer", AlertSeverity.WARNING)


def test_by_default_unrelated_alerts_open_separate_incidents_and_raise_nothing() -> None:
    h = Harness()
    typo = h.send(TYPO)[0]
    heartbeat = h.send(HEARTBEAT, at=NOW + timedelta(seconds=30))[0]
    assert typo.incident_id is not None
    assert heartbeat.incident_id is not None
    assert typo.incident_id != heartbeat.incident_id
    assert h.store.incidents[typo.incident_id].sev is Sev.SEV3
    assert h.store.joined == []
    assert {a.join_reason for a in h.store.alerts.values()} == {None}


def test_the_service_mode_merges_any_alert_as_before_and_says_so() -> None:
    h = Harness(grouping_mode="service")
    typo = h.send(TYPO)[0]
    heartbeat = h.send(HEARTBEAT, at=NOW + timedelta(seconds=30))[0]
    assert typo.incident_id == heartbeat.incident_id
    assert heartbeat.incident_id is not None
    assert heartbeat.alert_id is not None
    assert h.store.incidents[heartbeat.incident_id].sev is Sev.SEV1
    reason = "any alert of svc within 5m"
    assert h.store.joined == [
        Joined(
            heartbeat.incident_id,
            heartbeat.alert_id,
            HEARTBEAT.summary,
            Sev.SEV1,
            Sev.SEV3,
            NOW + timedelta(seconds=30),
            reason,
        )
    ]
    assert h.store.alerts[heartbeat.alert_id].join_reason == reason
    assert typo.alert_id is not None
    assert h.store.alerts[typo.alert_id].join_reason is None  # it opened the incident


def test_each_joining_alert_is_told_once_and_repeats_are_not() -> None:
    h = Harness()
    group = '{}:{alertname="Disk"}'
    results = h.send(
        trig("a", AlertSeverity.WARNING, group_key=group),
        trig("b", AlertSeverity.WARNING, group_key=group),
        trig("b", AlertSeverity.WARNING, group_key=group),  # a repeat in the same batch
        trig("c", AlertSeverity.ERROR, group_key=group),
    )
    h.send(trig("a", group_key=group), trig("c", group_key=group))  # repeats in a later batch
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.CREATED, Outcome.DEDUPLICATED, Outcome.CREATED]
    incident = results[0].incident_id
    assert incident is not None
    assert [(j.alert_id, j.severity, j.raised_from, j.reason) for j in h.store.joined] == [
        (results[1].alert_id, Sev.SEV3, None, "same Alertmanager group"),
        (results[3].alert_id, Sev.SEV2, Sev.SEV3, "same Alertmanager group"),
    ]
    assert {j.incident_id for j in h.store.joined} == {incident}
    assert h.store.flushes == 2  # once per batch


def test_an_alert_joining_an_incident_opened_earlier_in_its_batch_is_told_too() -> None:
    h = Harness(grouping_mode="labels", group_by_labels=["cluster"])
    results = h.send(trig("a", labels={"cluster": "eu-1"}), trig("b", labels={"cluster": "eu-1"}))
    assert results[0].incident_id == results[1].incident_id
    assert [j.reason for j in h.store.joined] == ["same labels cluster=eu-1 within 5m"]


def test_labels_mode_keeps_alerts_lacking_a_label_apart() -> None:
    h = Harness(grouping_mode="labels", group_by_labels=["cluster"])
    results = h.send(trig("a"), trig("b"), trig("c", labels={"cluster": "eu-1"}))
    assert len({r.incident_id for r in results}) == 3
    assert h.store.joined == []
    groups = sorted(i.group_key for i in h.store.incidents.values())
    assert [g.split(":")[0] for g in groups] == ["alone", "alone", "labels"]
    assert groups[0] != groups[1]


def test_none_mode_opens_an_incident_per_alert_but_holds_alertmanager_groups() -> None:
    h = Harness(grouping_mode="none")
    named = {"alertname": "Disk"}
    alone = h.send(trig("a", labels=named), trig("b", labels=named))
    grouped = h.send(trig("c", group_key="g"), trig("d", group_key="g"))
    assert alone[0].incident_id != alone[1].incident_id
    assert grouped[0].incident_id == grouped[1].incident_id


def test_a_batch_looks_its_groups_up_in_one_query_and_repeats_look_nothing_up() -> None:
    h = Harness()
    h.send(*(trig(f"k{n}", labels={"alertname": f"A{n % 7}"}) for n in range(50)))
    assert len(h.store.lookups) == 1
    assert len(h.store.lookups[0]) == 7
    assert len(h.store.incidents) == 7
    h.store.lookups.clear()
    h.send(*(trig(f"k{n}", labels={"alertname": f"A{n % 7}"}) for n in range(50)))
    assert h.store.lookups == []


def test_a_refire_after_a_resolve_in_the_same_batch_finds_its_group() -> None:
    h = Harness(grouping_mode="service")
    first = h.send(trig("k"), trig("other"))
    again = h.send(resolve("k"), trig("k"))
    assert again[1].outcome is Outcome.CREATED
    assert again[1].incident_id == first[0].incident_id  # "other" keeps the incident open
