"""The pure grouping: each mode, each sender's identity, the window's edges and the reasons given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from firebell.alerts.grouping import (
    MAX_GROUP_KEY,
    GroupingFields,
    GroupingMode,
    GroupingPolicy,
    group_key_for,
    identity_of,
    join_reason,
    joins,
    parse_window,
    settle_grouping,
    window_text,
)
from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction, OpenIncidentRef
from firebell.alerts.normalize import from_opsgenie, from_pagerduty
from firebell.alerts.schemas import OpsgenieCreate, PagerDutyEvent
from firebell.kernel.errors import ValidationFailed

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALERT = GroupingPolicy()
LABELS = GroupingPolicy(GroupingMode.LABELS, by_labels=("cluster", "team"))
SERVICE = GroupingPolicy(GroupingMode.SERVICE)
NONE = GroupingPolicy(GroupingMode.NONE)


def event(summary: str = "s", **kw: Any) -> AlertEvent:
    return AlertEvent(action=EventAction.TRIGGER, dedup_key="k", summary=summary, severity=AlertSeverity.CRITICAL, **kw)


def pagerduty(summary: str = "CPU load 93% on host-1", **payload: str) -> AlertEvent:
    body = {"summary": summary, "source": "host-1", "severity": "critical", **payload}
    return from_pagerduty(
        PagerDutyEvent.model_validate({"routing_key": "k" * 32, "event_action": "trigger", "payload": body})
    )


def opsgenie(message: str = "Disk full", **fields: Any) -> AlertEvent:
    return from_opsgenie(OpsgenieCreate.model_validate({"message": message, **fields}))


def joined(first: AlertEvent, second: AlertEvent, policy: GroupingPolicy, after: timedelta = timedelta(0)) -> bool:
    """Whether `second`, arriving `after` the incident `first` opened, joins it."""
    opened, key = group_key_for(first, policy), group_key_for(second, policy)
    if opened is None or key is None:
        return False
    return joins(OpenIncidentRef("i1", opened, NOW), key, policy, NOW + after)


# --- Alertmanager groups hold together in every mode ----------------------------------------


@pytest.mark.parametrize("policy", [ALERT, LABELS, SERVICE, NONE, GroupingPolicy(window=timedelta(0))])
def test_an_alertmanager_group_is_one_incident_whatever_the_mode_and_window(policy: GroupingPolicy) -> None:
    a = event("Disk full", group_key='{}:{alertname="Disk"}', labels={"alertname": "Disk"})
    b = event("CPU high", group_key='{}:{alertname="Disk"}', labels={"alertname": "CPU"})
    assert group_key_for(a, policy) == 'group:{}:{alertname="Disk"}'
    assert joined(a, b, policy, after=timedelta(days=3))
    assert not joined(a, event(group_key="other group"), policy)
    assert join_reason(b, policy, 'group:{}:{alertname="Disk"}', "checkout") == "same Alertmanager group"


# --- alert: the same alert only -------------------------------------------------------------


def test_alert_mode_joins_the_same_alert_name_only() -> None:
    latency = event("p99 above 2 s on api-1", labels={"alertname": "HighLatency", "instance": "api-1"})
    again = event("p99 above 2 s on api-2", labels={"alertname": "HighLatency", "instance": "api-2"})
    errors = event("5xx above 5%", labels={"alertname": "HighErrors"})
    assert joined(latency, again, ALERT)
    assert not joined(latency, errors, ALERT)
    key = group_key_for(again, ALERT)
    assert key is not None
    assert join_reason(again, ALERT, key, "checkout") == "same alert name HighLatency within 5m"


def test_without_an_alert_name_the_summary_is_the_alert() -> None:
    heartbeat = event("Heartbeat nightly-backup missed", labels={"heartbeat": "nightly-backup"})
    typo = event("Typo in footer")
    assert not joined(typo, heartbeat, ALERT)
    assert joined(typo, event("Typo in footer", labels={"page": "home"}), ALERT)
    assert identity_of(typo) == (("name", "Typo in footer"),)


def test_window_edges() -> None:
    a, b = event(labels={"alertname": "X"}), event(labels={"alertname": "X"})
    assert joined(a, b, ALERT, after=timedelta(minutes=5))
    assert not joined(a, b, ALERT, after=timedelta(minutes=5, microseconds=1))
    assert not joined(a, b, GroupingPolicy(window=timedelta(0)))
    ten = GroupingPolicy(window=timedelta(minutes=10))
    assert joined(a, b, ten, after=timedelta(minutes=10))


def test_pagerduty_identity_is_class_else_summary_with_source_and_component() -> None:
    cpu = pagerduty(**{"class": "cpu load"})
    assert identity_of(cpu) == (("class", "cpu load"), ("source", "host-1"))
    assert joined(cpu, pagerduty("CPU load 97% on host-1", **{"class": "cpu load"}), ALERT)
    assert not joined(cpu, pagerduty(**{"class": "disk full"}), ALERT)
    assert not joined(cpu, pagerduty(**{"class": "cpu load", "source": "host-2"}), ALERT)
    assert not joined(cpu, pagerduty(**{"class": "cpu load", "component": "db"}), ALERT)
    # No class: the summary says what the problem is.
    assert joined(pagerduty(), pagerduty(), ALERT)
    assert not joined(pagerduty(), pagerduty("CPU load 97% on host-1"), ALERT)
    both = pagerduty(**{"class": "cpu load", "component": "db"})
    key = group_key_for(both, ALERT)
    assert key is not None
    assert join_reason(both, ALERT, key, "s") == "same alert class=cpu load, source=host-1, component=db within 5m"


def test_opsgenie_identity_is_the_alias_else_entity_and_message() -> None:
    assert identity_of(opsgenie(alias="disk-db-1")) == (("alias", "disk-db-1"),)
    assert joined(opsgenie(alias="disk-db-1"), opsgenie("Disk 95% full", alias="disk-db-1"), ALERT)
    assert not joined(opsgenie(alias="disk-db-1"), opsgenie(alias="disk-db-2"), ALERT)
    assert joined(opsgenie(entity="db-1"), opsgenie(entity="db-1", source="other tool"), ALERT)
    assert not joined(opsgenie(entity="db-1"), opsgenie(entity="db-2"), ALERT)
    assert not joined(opsgenie(entity="db-1"), opsgenie("Disk slow", entity="db-1"), ALERT)
    # An Opsgenie alert tagged like a Prometheus one is still known by its alias.
    tagged = opsgenie(alias="a1", tags=["alertname"])
    assert not joined(tagged, opsgenie(alias="a2", tags=["alertname"]), ALERT)


def test_senders_never_meet_under_one_name_part() -> None:
    named = event("Disk full", labels={"alertname": "Disk full"})
    assert not joined(named, opsgenie(), ALERT)
    assert not joined(pagerduty("Disk full"), opsgenie(), ALERT)


# --- labels: every group_by value shared ----------------------------------------------------


def test_labels_mode_joins_alerts_sharing_every_value() -> None:
    eu = event("a", labels={"cluster": "eu-1", "team": "web", "pod": "1"})
    assert joined(eu, event("b", labels={"cluster": "eu-1", "team": "web", "pod": "2"}), LABELS)
    assert not joined(eu, event("c", labels={"cluster": "us-1", "team": "web"}), LABELS)
    key = group_key_for(eu, LABELS)
    assert key is not None
    assert join_reason(eu, LABELS, key, "s") == "same labels cluster=eu-1, team=web within 5m"


@pytest.mark.parametrize("labels", [{"cluster": "eu-1"}, {"cluster": "eu-1", "team": ""}, {}])
def test_an_alert_lacking_a_group_by_label_joins_nothing(labels: dict[str, str]) -> None:
    lacking = event("a", labels=labels)
    assert group_key_for(lacking, LABELS) is None
    assert not joined(lacking, event("b", labels=labels), LABELS)
    assert not joined(event("b", labels={"cluster": "eu-1", "team": "web"}), lacking, LABELS)


def test_labels_mode_without_labels_joins_nothing() -> None:
    assert group_key_for(event(), GroupingPolicy(GroupingMode.LABELS)) is None


# --- service and none -------------------------------------------------------------------------


def test_service_mode_joins_any_alert_within_the_window() -> None:
    heartbeat, typo = event("Heartbeat missed"), event("Typo in footer")
    assert joined(typo, heartbeat, SERVICE)
    assert not joined(typo, heartbeat, SERVICE, after=timedelta(minutes=6))
    assert join_reason(heartbeat, SERVICE, "service:", "checkout") == "any alert of checkout within 5m"


def test_none_mode_joins_nothing_but_alertmanager_groups() -> None:
    assert group_key_for(event(labels={"alertname": "X"}), NONE) is None
    assert group_key_for(event(group_key="g"), NONE) == "group:g"


def test_modes_never_share_keys() -> None:
    alert = event("x", labels={"cluster": "eu-1", "team": "web"})
    keys = {group_key_for(alert, p) for p in (ALERT, LABELS, SERVICE)}
    assert len(keys) == 3


def test_long_keys_are_digested_and_stay_distinct() -> None:
    a, b = event("x" * 2000), event("x" * 1999 + "y")
    key_a, key_b = group_key_for(a, ALERT), group_key_for(b, ALERT)
    assert key_a is not None
    assert key_b is not None
    assert len(key_a) <= MAX_GROUP_KEY
    assert key_a.startswith("alert:sha256:")
    assert key_a != key_b
    assert len(join_reason(a, ALERT, key_a, "s")) <= 300


# --- settings ---------------------------------------------------------------------------------


def test_labels_alone_mean_the_labels_mode() -> None:
    found = settle_grouping(by_labels=["cluster", "cluster"])
    assert found == GroupingPolicy(GroupingMode.LABELS, timedelta(minutes=5), ("cluster",))
    assert settle_grouping() == GroupingPolicy()
    assert settle_grouping(mode="SERVICE", window="10m").window == timedelta(minutes=10)


def test_the_labels_mode_needs_labels_and_only_it_takes_them() -> None:
    with pytest.raises(ValidationFailed) as missing:
        settle_grouping(mode="labels", fields=GroupingFields.in_file("services[2]"))
    assert missing.value.details[0]["field"] == "services[2].group_by"
    with pytest.raises(ValidationFailed) as extra:
        settle_grouping(mode="alert", by_labels=["cluster"])
    assert extra.value.details[0]["field"] == "group_by_labels"
    current = GroupingPolicy(GroupingMode.LABELS, by_labels=("cluster",))
    with pytest.raises(ValidationFailed):
        settle_grouping(by_labels=[], current=current)
    # Leaving the labels mode drops its labels; changing only the window keeps them.
    assert settle_grouping(mode="none", current=current).by_labels == ()
    assert settle_grouping(window=0, current=current) == GroupingPolicy(GroupingMode.LABELS, timedelta(0), ("cluster",))


@pytest.mark.parametrize(("bad", "field"), [("sometimes", "grouping_mode"), ("", "grouping_mode")])
def test_an_unknown_mode_is_refused_naming_the_field(bad: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        settle_grouping(mode=bad)
    assert refused.value.details[0]["field"] == field


@pytest.mark.parametrize(
    ("text", "seconds"), [("300", 300), (300, 300), ("90s", 90), ("5m", 300), ("1h", 3600), ("0", 0)]
)
def test_windows_read(text: object, seconds: int) -> None:
    assert parse_window(text, "w") == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["5 minutes", "-5m", "2d", True, None, "1.5h"])
def test_bad_windows_are_refused(text: object) -> None:
    with pytest.raises(ValidationFailed):
        parse_window(text, "w")


def test_window_text_reads_back() -> None:
    for seconds in (0, 45, 90, 300, 3600, 5400, 86_400):
        assert parse_window(window_text(timedelta(seconds=seconds)), "w") == timedelta(seconds=seconds)
    assert window_text(timedelta(minutes=5)) == "5m"
