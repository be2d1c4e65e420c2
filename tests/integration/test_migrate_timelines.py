"""Reading a vendor's final schedule over HTTP for `migrate verify`: the stand-ins' rendered timelines."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from firebell.migrate.http import ReadFailed
from firebell.migrate.opsgenie_http import OpsgenieReader
from firebell.migrate.pagerduty_http import PagerDutyReader
from firebell.migrate.timelines import Listed, OpsgenieTimelines, PagerDutyTimelines
from tests import opsgenie_standin, pagerduty_standin


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_opsgenie_final_timeline_periods_become_shifts_with_emails_and_labels() -> None:
    standin = opsgenie_standin.StandIn(throttle={"/v2/schedules/5c4e0000-0000-0000-0000-000000000001/timeline": 3})
    waits: list[float] = []
    with opsgenie_standin.serving(standin):
        source = OpsgenieTimelines(OpsgenieReader.connect(standin.url, opsgenie_standin.API_KEY, sleep=waits.append))
        try:
            listed = {s.name: s for s in source.schedules()}
            start, end = at("2026-11-20T00:00:00+00:00"), at("2026-11-22T00:00:00+00:00")
            platform = source.final_shifts(listed["Platform_schedule"], start, end)
            support = source.final_shifts(listed["Support"], start, end)
        finally:
            source.close()
    assert sorted(listed) == ["Nights", "Platform_schedule", "Support"]
    assert listed["Nights"].zone == "America/New_York"
    assert waits == [3.0]  # the 429 waited out as X-RateLimit-Period-In-Sec asked
    assert platform[:3] == [
        (start, at("2026-11-20T12:00:00+00:00"), "carol@example.com"),
        (at("2026-11-20T12:00:00+00:00"), at("2026-11-21T12:00:00+00:00"), "dave.diaz@example.com"),
        (at("2026-11-21T12:00:00+00:00"), at("2026-11-23T08:00:00+00:00"), "carol@example.com"),  # past the window
    ]
    assert "team Platform" in {who for _s, _e, who in support}
    query = parse_qs(urlsplit(next(r for r in standin.requests if "/timeline" in r)).query)
    assert query["identifierType"] == ["id"]
    assert query["intervalUnit"] == ["weeks"]
    assert query["interval"] == ["2"]  # a week more than the window, which Opsgenie may start earlier
    assert datetime.fromisoformat(query["date"][0]) == start


def test_pagerduty_rendered_entries_become_shifts_with_the_users_emails() -> None:
    standin = pagerduty_standin.StandIn(page_size=2)
    with pagerduty_standin.serving(standin):
        source = PagerDutyTimelines(PagerDutyReader.connect(standin.url, pagerduty_standin.TOKEN))
        try:
            listed = {s.name: s for s in source.schedules()}
            start, end = at("2026-11-11T00:00:00+01:00"), at("2026-11-13T00:00:00+01:00")
            shifts = source.final_shifts(listed["Primary"], start, end)
        finally:
            source.close()
    assert listed["Primary"] == Listed("Primary", "PSCHED1", "Europe/Berlin")
    assert shifts == [
        (start, at("2026-11-11T12:00:00+01:00"), "ben@example.com"),
        (at("2026-11-11T12:00:00+01:00"), at("2026-11-12T12:00:00+01:00"), "cy@example.com"),
        (at("2026-11-12T12:00:00+01:00"), end, "ben@example.com"),
    ]
    asked = next(r for r in standin.requests if r.startswith("/schedules/PSCHED1?"))
    assert parse_qs(urlsplit(asked).query)["time_zone"] == ["UTC"]


def test_a_schedule_that_cannot_be_read_fails_the_read() -> None:
    standin = pagerduty_standin.StandIn(broken={"/schedules/PSCHED2"})
    with pagerduty_standin.serving(standin):
        source = PagerDutyTimelines(
            PagerDutyReader.connect(standin.url, pagerduty_standin.TOKEN, sleep=lambda _s: None)
        )
        try:
            nights = next(s for s in source.schedules() if s.name == "Nights")
            with pytest.raises(ReadFailed, match="HTTP 500"):
                source.final_shifts(nights, datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
        finally:
            source.close()
