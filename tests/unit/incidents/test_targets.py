"""The playbook's response targets per severity, the configured values over them, business-hours
deadlines, and where an incident stands on each target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.incidents.business_time import DEFAULT as OFFICE_HOURS
from firebell.incidents.business_time import of_service
from firebell.incidents.targets import (
    DEFAULTS,
    Postmortem,
    Progress,
    Standing,
    Terms,
    acknowledgement,
    configured,
    format_span,
    investigation_began,
    soonest,
    standings,
    working_span,
)
from firebell.kernel.severity import Sev

T0 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday
FRIDAY_1630 = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
MONDAY = datetime(2026, 3, 9, tzinfo=UTC)
H = timedelta(hours=1)


def _terms(sev: Sev) -> Terms:
    return Terms(DEFAULTS[sev], OFFICE_HOURS)


def test_the_defaults_are_the_playbooks() -> None:
    # 000: SEV-1 5 min / 15 min / every 15 min / postmortem in 48 h; SEV-2 15 / 30 / 30 / a week;
    # SEV-3 acknowledge 1 h, investigate 4 h, daily updates, postmortem optional; SEV-4 acknowledge
    # 24 h, resolution by the next sprint, no postmortem. 002: P3/P4 are covered in business hours.
    assert [DEFAULTS[s].acknowledge for s in Sev] == [5 * H / 60, 15 * H / 60, H, 24 * H]
    assert [DEFAULTS[s].assemble for s in Sev] == [15 * H / 60, 30 * H / 60, None, None]
    assert [DEFAULTS[s].update_every for s in Sev] == [15 * H / 60, 30 * H / 60, timedelta(days=1), None]
    assert [DEFAULTS[s].investigate for s in Sev] == [None, None, 4 * H, None]
    assert [DEFAULTS[s].resolve for s in Sev] == [None, None, None, timedelta(days=14)]
    assert [DEFAULTS[s].postmortem for s in Sev] == [
        Postmortem.REQUIRED,
        Postmortem.REQUIRED,
        Postmortem.OPTIONAL,
        Postmortem.NONE,
    ]
    assert [DEFAULTS[s].postmortem_within for s in Sev] == [48 * H, timedelta(weeks=1), None, None]
    assert [DEFAULTS[s].business_hours for s in Sev] == [False, False, True, True]


def test_stored_values_override_the_defaults_field_by_field() -> None:
    targets = configured(
        {
            "SEV-3": {"acknowledge": 7200, "update_every": None, "business_hours": False},
            "SEV-4": {"resolve": 21 * 86400, "postmortem": "optional"},
        }
    )
    sev3 = targets[Sev.SEV3]
    assert (sev3.acknowledge, sev3.update_every, sev3.business_hours) == (2 * H, None, False)
    assert (sev3.investigate, sev3.postmortem) == (4 * H, Postmortem.OPTIONAL)  # not stored: the playbook's
    assert targets[Sev.SEV4].resolve == timedelta(days=21)
    assert targets[Sev.SEV4].postmortem is Postmortem.OPTIONAL
    assert targets[Sev.SEV4].acknowledge == 24 * H
    assert (targets[Sev.SEV1], targets[Sev.SEV2]) == (DEFAULTS[Sev.SEV1], DEFAULTS[Sev.SEV2])


def test_a_value_stored_wrongly_keeps_the_default() -> None:
    bad = {"acknowledge": None, "assemble": "15m", "investigate": -5, "postmortem": "maybe", "business_hours": "yes"}
    assert configured({"SEV-3": bad})[Sev.SEV3] == DEFAULTS[Sev.SEV3]


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
    check = acknowledgement(_terms(Sev.SEV1), T0, acked, T0 + now_after)
    assert (check.standing, check.by) == (standing, by)


def test_a_sev3_opened_friday_afternoon_is_due_monday_morning() -> None:
    check = acknowledgement(_terms(Sev.SEV3), FRIDAY_1630, None, MONDAY + 9 * H)
    assert check.due_at == MONDAY + 9.5 * H
    assert (check.standing, check.by) == (Standing.PENDING, timedelta(minutes=30))
    # SEV-1 is around the clock: the weekend counts.
    assert acknowledgement(_terms(Sev.SEV1), FRIDAY_1630, None, MONDAY).standing is Standing.BREACHED


def test_days_of_a_business_hours_target_are_working_days() -> None:
    sev4 = {c.name: c.due_at for c in standings(_terms(Sev.SEV4), Progress(FRIDAY_1630), FRIDAY_1630)}
    assert sev4["acknowledge"] == MONDAY + 16.5 * H  # 24 h: one business day (P4)
    assert sev4["resolve"] == datetime(2026, 3, 26, 16, 30, tzinfo=UTC)  # 14 working days later
    sev3 = {c.name: c.due_at for c in standings(_terms(Sev.SEV3), Progress(FRIDAY_1630), FRIDAY_1630)}
    assert sev3["investigate"] == MONDAY + 12.5 * H


def test_a_working_span_never_shrinks_as_the_target_grows() -> None:
    day = timedelta(hours=8)
    spans = [timedelta(minutes=m) for m in range(0, 60 * 24 * 3, 30)]
    allowed = [working_span(s, day) for s in spans]
    assert allowed == sorted(allowed)
    assert working_span(H, day) == H
    assert working_span(12 * H, day) == day
    assert working_span(timedelta(days=2), day) == 2 * day


def test_a_service_s_working_hours_are_its_own() -> None:
    berlin = of_service(
        {"zone": "Europe/Berlin", "windows": [{"days": [0, 1, 2, 3], "start": "08:00", "end": "18:00"}]}
    )
    assert berlin.day == timedelta(hours=10)
    terms = Terms(DEFAULTS[Sev.SEV3], berlin)
    # Friday is not a working day there: Thursday 17:30 Berlin (16:30 UTC) + 1 h is Monday 08:30 Berlin.
    thursday = datetime(2026, 3, 5, 16, 30, tzinfo=UTC)
    assert acknowledgement(terms, thursday, None, thursday).due_at == MONDAY + 7.5 * H
    assert OFFICE_HOURS.describe() == "Mon-Fri 09:00-17:00 UTC"


def test_investigation_began_at_the_first_state_past_acknowledged() -> None:
    assert investigation_began(None, T0 + 2 * H, T0 + H, None) == T0 + H
    assert investigation_began(None, None, None, None) is None
    progress = Progress(T0, investigating_at=investigation_began(None, T0 + H, None, None))
    check = next(c for c in standings(_terms(Sev.SEV3), progress, T0 + 5 * H) if c.name == "investigate")
    assert check.standing is Standing.MET


def test_no_target_falls_due_sooner_than_the_bound() -> None:
    assert soonest(DEFAULTS, timedelta(hours=8)) == timedelta(minutes=5)
    slow = configured({s.value: {"acknowledge": 86400, "assemble": None, "update_every": None} for s in Sev})
    assert soonest(slow, timedelta(hours=8)) == timedelta(hours=4)  # SEV-3's investigate, in working time


def test_spans_read_at_a_glance() -> None:
    assert format_span(timedelta(minutes=4, seconds=10)) == "4m 10s"
    assert format_span(timedelta(days=3, hours=4, minutes=5)) == "3d 4h"
    assert format_span(timedelta(0)) == "0s"
