"""The on-call API over a configuration applied to a real database."""

from __future__ import annotations

from firebell.identity.repo import SqlIdentityRepo
from firebell.infra.db import transaction
from firebell.oncall.config_file import load
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from tests.integration.conftest import App

CONFIG = """\
users:
  - {name: Dan, handle: dan, email: dan@example.com}
  - {name: Eve, handle: eve, email: eve@example.com}
schedules:
  - name: office
    timezone: America/New_York
    layers:
      - name: weekdays
        type: daily_rotation
        start: 2026-03-02
        participants: [dan, eve]
        windows: [{days: [mon, tue, wed, thu, fri], start: '09:00', end: '17:00'}]
    overrides:
      - {user: dan, replaces: eve, start: '2026-03-03T12:00:00-05:00', end: '2026-03-03T13:00:00-05:00'}
"""


def _apply(app: App) -> None:
    config, _tree = load(CONFIG)
    with transaction(app.container.engine, write=True) as conn:
        repo = _NoServices()
        apply(config, oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), services=repo, now=app.clock.now())


class _NoServices:
    def service_by_name(self, name: str) -> None:
        return None

    def update_service(self, service_id: str, values: dict[str, object]) -> None:
        raise AssertionError("no service is bound in this file")


def test_shifts_gaps_and_warnings_over_a_range(app: App) -> None:
    _apply(app)
    r = app.client.get(
        "/api/v1/schedules/office/shifts",
        params={"from": "2026-03-02T00:00:00-05:00", "to": "2026-03-04T00:00:00-05:00"},
        headers=app.auth(),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    who = [(s["start"][11:16], s["handle"], s["source"]) for s in body["shifts"]]
    assert who == [
        ("05:00", None, None),
        ("14:00", "dan", "weekdays"),
        ("22:00", None, None),
        ("14:00", "eve", "weekdays"),
        ("17:00", "dan", "override"),
        ("18:00", "eve", "weekdays"),
        ("22:00", None, None),
    ]
    assert len(body["gaps"]) == 3
    # Two people and daily shifts: the only warning is the uncovered time.
    assert [w.split(" from")[0] for w in body["warnings"]] == ["nobody is on call"]

    now = app.client.get(
        "/api/v1/schedules/office/oncall", params={"at": "2026-03-03T12:30:00-05:00"}, headers=app.auth()
    )
    assert now.json()["handle"] == "dan"
    assert now.json()["source"] == "override"
    assert now.json()["until"].startswith("2026-03-03T18:00")


def test_bad_questions_are_4xx_naming_the_field(app: App) -> None:
    _apply(app)
    h = app.auth()
    cases = [
        (app.client.get("/api/v1/schedules/nope/oncall", headers=h), 404, "schedule"),
        (app.client.get("/api/v1/schedules/office/oncall", params={"at": "2026-03-03T12:30:00"}, headers=h), 422, "at"),
        (app.client.get("/api/v1/schedules/office/oncall", params={"at": "yesterday"}, headers=h), 422, "at"),
        (
            app.client.get("/api/v1/schedules/office/oncall", params={"at": "9999-12-31T23:00:00Z"}, headers=h),
            422,
            "at",
        ),
        (
            app.client.get("/api/v1/schedules/office/shifts", params={"from": "9999-12-30T00:00:00Z"}, headers=h),
            422,
            "from",
        ),
        (
            app.client.get(
                "/api/v1/schedules/office/shifts",
                params={"from": "2026-03-04T00:00:00Z", "to": "2026-03-02T00:00:00Z"},
                headers=h,
            ),
            422,
            "to",
        ),
        (
            app.client.get(
                "/api/v1/schedules/office/shifts",
                params={"from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"},
                headers=h,
            ),
            422,
            "to",
        ),
    ]
    for response, status, field in cases:
        assert response.status_code == status, response.text
        assert field in str(response.json()["error"]["details"]), response.text
    assert app.client.get("/api/v1/schedules/office/oncall").status_code == 401


def test_calendar_feeds_are_valid_stable_and_secret(app: App) -> None:
    from datetime import timedelta

    from icalendar import Calendar

    from firebell.oncall.service import create_feed

    _apply(app)
    app.clock.set(app.clock.now().replace(year=2026, month=3, day=2, hour=12))
    with transaction(app.container.engine, write=True) as conn:
        repo, identity = SqlOncallRepo(conn), SqlIdentityRepo(conn)
        by_schedule = create_feed(oncall=repo, identity=identity, schedule="office", user=None, now=app.clock.now())
        for_dan = create_feed(oncall=repo, identity=identity, schedule=None, user="dan", now=app.clock.now())
    first = app.client.get(f"/api/v1/calendar/{by_schedule}.ics")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(first.content)
    events = list(calendar.walk("VEVENT"))
    assert calendar["VERSION"] == "2.0"
    assert b"X-PUBLISHED-TTL:PT1H" in first.content
    assert events, "a week back and 90 days on of weekday shifts"
    for event in events:
        assert event.get("DTSTART").to_ical().endswith(b"Z")  # UTC, as calendar applications want
        assert event.get("DTEND").dt - event.get("DTSTART").dt <= timedelta(hours=8)
    # The same feed fetched again, later, names the same events: subscribers update, not duplicate.
    app.clock.advance(timedelta(hours=13))
    again = Calendar.from_ical(app.client.get(f"/api/v1/calendar/{by_schedule}.ics").content)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(e["UID"]) for e in events]
    assert first.content == app.client.get(f"/api/v1/calendar/{by_schedule}.ics").content

    mine = Calendar.from_ical(app.client.get(f"/api/v1/calendar/{for_dan}.ics").content)
    summaries = {str(e["SUMMARY"]) for e in mine.walk("VEVENT")}
    assert summaries == {"On call: Dan (office)"}
    assert str(mine["X-WR-CALNAME"]) == "On call: Dan"
    assert app.client.get("/api/v1/calendar/fbc_not-a-real-token.ics").status_code == 404


def test_an_override_by_api_wins_and_bad_ones_name_the_field(app: App) -> None:
    _apply(app)
    app.clock.set(app.clock.now().replace(year=2026, month=3, day=2, hour=12))
    h = app.auth()
    body = {"user": "eve", "replaces": "dan", "start": "2026-03-02T09:00:00-05:00", "end": "2026-03-02T17:00:00-05:00"}
    r = app.client.post("/api/v1/schedules/office/overrides", json=body, headers=h)
    assert r.status_code == 201, r.text
    at = {"at": "2026-03-02T10:00:00-05:00"}
    answer = app.client.get("/api/v1/schedules/office/oncall", params=at, headers=h).json()
    assert (answer["handle"], answer["source"]) == ("eve", "override")
    bad = [
        ({**body, "user": "zed"}, 404, "user"),
        ({**body, "replaces": "zed"}, 404, "replaces"),
        ({**body, "end": "2026-03-02T08:00:00-05:00"}, 422, "end"),
        ({**body, "start": "2026-02-01T09:00:00-05:00", "end": "2026-02-02T09:00:00-05:00"}, 422, "end"),  # past
        ({**body, "start": "soon"}, 422, "start"),
    ]
    bad.append(({**body, "bogus": 1}, 422, "bogus"))
    for payload, status, field in bad:
        response = app.client.post("/api/v1/schedules/office/overrides", json=payload, headers=h)
        assert response.status_code == status, (payload, response.text)
        assert field in str(response.json()["error"]["details"])
    assert app.client.post("/api/v1/schedules/nope/overrides", json=body, headers=h).status_code == 404
    assert app.scalar("select count(*) from schedule_overrides") == 2  # the one from the file and this one
