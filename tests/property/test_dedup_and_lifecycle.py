from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction
from firebell.incidents.state import ALLOWED, IncidentStatus, transition
from firebell.kernel.errors import InvalidTransition
from tests.unit.alerts.test_service import Harness

NOW = datetime(2026, 3, 1, tzinfo=UTC)

events = st.lists(
    st.tuples(
        st.sampled_from(list(EventAction)),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(list(AlertSeverity)),
        st.integers(min_value=0, max_value=900),
    ),
    max_size=40,
)


@given(events)
@settings(max_examples=150, deadline=None)
def test_at_most_one_open_alert_per_key_and_counts_add_up(
    stream: list[tuple[EventAction, str, AlertSeverity, int]],
) -> None:
    h = Harness(grouping_window_seconds=120)
    triggers_while_open: dict[str, int] = {}
    for action, key, severity, offset in sorted(stream, key=lambda e: e[3]):
        h.send(AlertEvent(action, key, key, severity), at=NOW + timedelta(seconds=offset))
        open_keys = [a.dedup_key for a in h.store.alerts.values() if a.status != "resolved"]
        assert len(open_keys) == len(set(open_keys))
        if action is EventAction.TRIGGER:
            triggers_while_open[key] = triggers_while_open.get(key, 0) + 1
    total = sum(a.count for a in h.store.alerts.values())
    assert total == sum(triggers_while_open.values())
    for alert in h.store.alerts.values():
        assert (alert.incident_id is None) == (alert.disposition != "open_incident")


@given(st.integers(min_value=1, max_value=200))
@settings(max_examples=30, deadline=None)
def test_repeated_trigger_is_idempotent_apart_from_count(n: int) -> None:
    h = Harness()
    for _ in range(n):
        h.send(AlertEvent(EventAction.TRIGGER, "same", "same", AlertSeverity.ERROR))
    assert len(h.store.alerts) == 1
    assert len(h.store.incidents) == 1
    assert next(iter(h.store.alerts.values())).count == n


class Lifecycle(RuleBasedStateMachine):
    """Random moves: legal ones succeed, illegal ones raise and change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.status = IncidentStatus.DETECTED

    @rule(goal=st.sampled_from(list(IncidentStatus)))
    def move(self, goal: IncidentStatus) -> None:
        before = self.status
        try:
            self.status = transition(self.status, goal)
        except InvalidTransition:
            assert goal not in ALLOWED[before]
            assert self.status is before
        else:
            assert goal in ALLOWED[before]

    @invariant()
    def closed_is_final(self) -> None:
        if self.status is IncidentStatus.CLOSED:
            assert not ALLOWED[self.status]


TestLifecycle = Lifecycle.TestCase


@given(events)
@settings(max_examples=100, deadline=None)
def test_one_batch_ends_where_one_at_a_time_ends(stream: list[tuple[EventAction, str, AlertSeverity, int]]) -> None:
    """Group commit must not change meaning: a batch ends in the same state as its events one by one."""
    one_by_one = Harness(grouping_window_seconds=0)
    for action, key, severity, _ in stream:
        one_by_one.send(AlertEvent(action, key, key, severity))
    batched = Harness(grouping_window_seconds=0)
    batched.send(*(AlertEvent(action, key, key, severity) for action, key, severity, _ in stream))

    def shape(h: Harness) -> list[tuple[str, str, int, str]]:
        incidents = {i.id: i.status for i in h.store.incidents.values()}
        return sorted(
            (a.dedup_key, a.status, a.count, incidents.get(a.incident_id or "", "")) for a in h.store.alerts.values()
        )

    assert shape(one_by_one) == shape(batched)
