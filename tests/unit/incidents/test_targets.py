"""The playbook's response targets per severity, and the acknowledge target's standing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.incidents.targets import TARGETS, Postmortem, Standing, acknowledgement, format_span
from firebell.kernel.severity import Sev

T0 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def test_the_targets_are_the_playbooks() -> None:
    assert [TARGETS[s].acknowledge for s in Sev] == [
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=24),
    ]
    assert [TARGETS[s].assemble for s in Sev] == [timedelta(minutes=15), timedelta(minutes=30), None, None]
    assert [TARGETS[s].update_every for s in Sev] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(days=1),
        None,
    ]
    assert [TARGETS[s].postmortem for s in Sev] == [
        Postmortem.REQUIRED,
        Postmortem.REQUIRED,
        Postmortem.OPTIONAL,
        Postmortem.NONE,
    ]
    assert [TARGETS[s].postmortem_within for s in Sev] == [timedelta(hours=48), timedelta(weeks=1), None, None]


@pytest.mark.parametrize(
    ("acked_after", "now_after", "standing", "by"),
    [
        (timedelta(minutes=4), timedelta(hours=1), Standing.MET, timedelta(0)),
        (timedelta(minutes=5), timedelta(hours=1), Standing.MET, timedelta(0)),
        (timedelta(minutes=7), timedelta(hours=1), Standing.BREACHED, timedelta(minutes=2)),
        (None, timedelta(minutes=3), Standing.PENDING, timedelta(minutes=2)),
        (None, timedelta(minutes=9), Standing.BREACHED, timedelta(minutes=4)),
    ],
)
def test_acknowledge_standing(
    acked_after: timedelta | None, now_after: timedelta, standing: Standing, by: timedelta
) -> None:
    acked = T0 + acked_after if acked_after is not None else None
    check = acknowledgement(Sev.SEV1, T0, acked, T0 + now_after)
    assert (check.standing, check.by) == (standing, by)


def test_spans_read_at_a_glance() -> None:
    assert format_span(timedelta(minutes=4, seconds=10)) == "4m 10s"
    assert format_span(timedelta(days=3, hours=4, minutes=5)) == "3d 4h"
    assert format_span(timedelta(0)) == "0s"
