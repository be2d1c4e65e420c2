"""Grouping never hides a signal: under the default `alert` mode an alert joins only an incident of
the same alert (or of its Alertmanager group), and under `labels` only one whose labels it shares."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.alerts.grouping import GroupingMode, GroupingPolicy, group_key_for, identity_of, joins
from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction, OpenIncidentRef
from tests.unit.alerts.test_service import Harness

NOW = datetime(2026, 3, 1, tzinfo=UTC)
WORDS = st.sampled_from(["", "a", "b", "Disk", "disk", "x" * 1100, 'q"u:o{te}'])

identities = st.lists(st.tuples(st.sampled_from(["class", "source", "alias", "entity", "name"]), WORDS), max_size=3)
labels = st.dictionaries(st.sampled_from(["alertname", "alert", "cluster", "team"]), WORDS, max_size=4)


@st.composite
def alerts(draw: st.DrawFn) -> AlertEvent:
    return AlertEvent(
        EventAction.TRIGGER,
        draw(st.sampled_from(["k1", "k2", "k3", "k4", "k5"])),
        draw(WORDS) or "summary",
        draw(st.sampled_from(list(AlertSeverity))),
        group_key=draw(st.none() | st.sampled_from(["g1", "g2"])),
        labels=draw(labels),
        identity=tuple(draw(identities)),
    )


def same_alert(a: AlertEvent, b: AlertEvent) -> bool:
    if a.group_key or b.group_key:
        return a.group_key == b.group_key
    return identity_of(a) == identity_of(b)


@given(alerts(), alerts(), st.integers(min_value=0, max_value=900))
@settings(max_examples=400, deadline=None)
def test_under_alert_mode_only_the_same_alert_joins(first: AlertEvent, second: AlertEvent, after: int) -> None:
    policy = GroupingPolicy()
    opened, key = group_key_for(first, policy), group_key_for(second, policy)
    assert opened is not None
    assert key is not None
    assert len(opened) <= 1024
    if joins(OpenIncidentRef("i", opened, NOW), key, policy, NOW + timedelta(seconds=after)):
        assert same_alert(first, second)


@given(alerts(), alerts())
@settings(max_examples=300, deadline=None)
def test_under_labels_mode_a_join_shares_every_label(first: AlertEvent, second: AlertEvent) -> None:
    policy = GroupingPolicy(GroupingMode.LABELS, by_labels=("cluster", "team"))
    opened, key = group_key_for(first, policy), group_key_for(second, policy)
    if opened is None or key is None or first.group_key or second.group_key:
        return
    if joins(OpenIncidentRef("i", opened, NOW), key, policy, NOW):
        for name in policy.by_labels:
            assert first.labels.get(name)
            assert first.labels.get(name) == second.labels.get(name)


@given(st.lists(st.tuples(alerts(), st.integers(min_value=0, max_value=900)), max_size=25))
@settings(max_examples=150, deadline=None)
def test_through_intake_every_incident_holds_one_alert(stream: list[tuple[AlertEvent, int]]) -> None:
    h = Harness()
    by_alert: dict[str, AlertEvent] = {}
    for event, offset in sorted(stream, key=lambda e: e[1]):
        for result in h.send(event, at=NOW + timedelta(seconds=offset)):
            if result.alert_id is not None and result.alert_id not in by_alert:
                by_alert[result.alert_id] = event
    members: dict[str, list[AlertEvent]] = defaultdict(list)
    for alert in h.store.alerts.values():
        if alert.incident_id is not None:
            members[alert.incident_id].append(by_alert[alert.id])
    for events in members.values():
        assert all(same_alert(events[0], other) for other in events[1:])
    assert len(h.store.joined) == sum(1 for a in h.store.alerts.values() if a.join_reason is not None)
