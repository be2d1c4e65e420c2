"""The Grafana OnCall translation: documents shaped as its API reference says in, apply file out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from firebell.migrate.grafana_oncall import Source, link_token, translate
from firebell.migrate.output import render
from firebell.oncall.config_file import load

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def user(key: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"U{key.upper()}", "email": f"{key}@example.com", "username": key, "timezone": "UTC", **extra}


PEOPLE = [user("ann"), user("ben"), user("cy")]
ANN, BEN, CY = (u["id"] for u in PEOPLE)


def rolling(**extra: Any) -> dict[str, Any]:
    return {
        "id": "O1",
        "name": "Primary",
        "type": "rolling_users",
        "time_zone": "Europe/Berlin",
        "level": 0,
        "start": "2026-11-02T09:00:00",
        "duration": 604800,
        "frequency": "weekly",
        "interval": 1,
        "week_start": "MO",
        "rolling_users": [[BEN], [ANN], [CY]],
        "start_rotation_from_user_index": 0,
        **extra,
    }


def schedule(*shifts: dict[str, Any], kind: str = "web", zone: str = "Europe/Berlin") -> dict[str, Any]:
    return {"id": "S1", "name": "Ops", "type": kind, "time_zone": zone, "shifts": [s["id"] for s in shifts]}


def migrate(**parts: Any) -> tuple[dict[str, Any], list[str]]:
    parts.setdefault("users", PEOPLE)
    migration = translate(Source(read_at=NOW, **parts))
    load(render(migration, "Grafana OnCall"), "migrated.yaml")  # apply accepts every file made here
    return migration.document, [f.line() for f in migration.findings]


def one_schedule(*shifts: dict[str, Any], **options: Any) -> tuple[dict[str, Any], list[str]]:
    doc, findings = migrate(schedules=[schedule(*shifts, **options)], shifts=list(shifts))
    return doc["schedules"][0], [f for f in findings if f.startswith("schedule")]


def test_a_weekly_rolling_shift_keeps_its_users_in_order_and_its_start_in_its_zone() -> None:
    found, findings = one_schedule(rolling())
    assert found["layers"] == [
        {
            "name": "Primary",
            "type": "weekly_rotation",
            "participants": ["ben", "ann", "cy"],
            "start": "2026-11-02",
            "handoff": "09:00",
        }
    ]
    assert findings == []
    # 09:00 in Berlin is 03:00 in New York that day; the handoff is read in the schedule's zone.
    assert one_schedule(rolling(), zone="America/New_York")[0]["layers"][0]["handoff"] == "03:00"


def test_a_shift_without_a_zone_is_utc_in_a_web_schedule_and_the_schedules_in_a_calendar_one() -> None:
    web, _ = one_schedule(rolling(time_zone=None), kind="web")
    calendar, _ = one_schedule(rolling(time_zone=None), kind="calendar")
    assert web["layers"][0]["handoff"] == "10:00"  # 09:00 UTC is 10:00 in Berlin (UTC+1 in November)
    assert calendar["layers"][0]["handoff"] == "09:00"


@pytest.mark.parametrize(
    ("frequency", "interval", "duration", "kind", "length"),
    [
        ("weekly", 2, 14 * 86400, "weekly_rotation", 2),
        ("daily", 1, 86400, "daily_rotation", 1),
        ("daily", 3, 3 * 86400, "daily_rotation", 3),
        ("hourly", 8, 8 * 3600, "hourly_rotation", 8),
    ],
)
def test_frequency_and_interval_become_the_rotation(
    frequency: str, interval: int, duration: int, kind: str, length: int
) -> None:
    layer = one_schedule(rolling(frequency=frequency, interval=interval, duration=duration))[0]["layers"][0]
    assert (layer["type"], layer.get("length", 1), layer.get("windows")) == (kind, length, None)


def test_the_user_index_to_start_from_comes_first() -> None:
    layer = one_schedule(rolling(start_rotation_from_user_index=2))[0]["layers"][0]
    assert layer["participants"] == ["cy", "ben", "ann"]


def test_a_daily_shift_shorter_than_a_day_is_on_call_in_a_window_every_day() -> None:
    layer = one_schedule(rolling(frequency="daily", start="2026-11-02T18:00:00", duration=12 * 3600))[0]["layers"][0]
    assert layer["windows"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "18:00", "end": "06:00"}
    ]


def test_by_day_becomes_windows_and_a_shift_in_another_zone_is_moved_to_the_schedules_clock() -> None:
    office = {
        "id": "O2",
        "name": "Office",
        "type": "recurrent_event",
        "time_zone": "America/New_York",
        "start": "2026-11-02T13:00:00",
        "duration": 8 * 3600,
        "frequency": "weekly",
        "interval": 1,
        "by_day": ["MO", "FR"],
        "users": [ANN],
    }
    found, findings = one_schedule(office, kind="calendar", zone="UTC")
    # 13:00-21:00 in New York (UTC-5 in November) is 18:00-02:00 UTC.
    assert found["layers"][0]["windows"] == [{"days": ["mon", "fri"], "start": "18:00", "end": "02:00"}]
    assert found["layers"][0]["handoff"] == "18:00"
    assert findings == [
        "schedule 'Ops': shift 'Office': its hours are in America/New_York, carried in the schedule's UTC "
        "as of its start"
    ]


def test_higher_levels_come_later_and_groups_and_ended_shifts_are_reported() -> None:
    low = rolling(id="O1", name="Low", level=0, rolling_users=[[ANN, BEN], [CY]])
    high = rolling(id="O2", name="High", level=2, start="2026-11-07T00:00:00", duration=86400, by_day=["SA"])
    old = rolling(id="O3", name="Old", until="2026-01-01T00:00:00")
    later = rolling(id="O4", name="Later", level=1, until="2027-01-01T00:00:00")
    found, findings = one_schedule(high, old, low, later)
    assert [layer["name"] for layer in found["layers"]] == ["Low", "Later", "High"]
    assert found["layers"][0]["participants"] == ["ann", "cy"]
    assert found["layers"][2]["windows"] == [{"days": ["sat"], "start": "00:00", "end": "00:00"}]
    assert findings == [
        "schedule 'Ops': shift 'Low': ann, ben are on call together; Firebell carries ann only",
        "schedule 'Ops': shift 'Old' ended at 2026-01-01T00:00:00+01:00; left out",
        "schedule 'Ops': shift 'Later' ends at 2027-01-01T00:00:00+01:00; Firebell's layers have no end: "
        "remove it then",
    ]


def test_overrides_and_single_events_become_overrides_and_past_ones_are_left_out() -> None:
    override = {
        "id": "O5",
        "name": "Cover",
        "type": "override",
        "time_zone": None,
        "start": "2026-11-11T11:00:00",
        "duration": 3600,
        "users": [CY],
    }
    single = {
        "id": "O6",
        "name": "Once",
        "type": "single_event",
        "time_zone": "Europe/Berlin",
        "start": "2026-12-24T09:00:00",
        "duration": 7200,
        "users": [BEN],
    }
    past = {**override, "id": "O7", "name": "Past", "start": "2026-10-01T00:00:00"}
    found, findings = one_schedule(rolling(), override, single, past)
    assert found["overrides"] == [
        {"user": "cy", "start": "2026-11-11T11:00:00+00:00", "end": "2026-11-11T12:00:00+00:00"},
        {"user": "ben", "start": "2026-12-24T09:00:00+01:00", "end": "2026-12-24T11:00:00+01:00"},
    ]
    assert "schedule 'Ops': shift 'Past' ended at 2026-10-01T01:00:00+00:00; left out" in findings
    assert (
        "schedule 'Ops': shift 'Once' is a one-off shift; carried as an override, which wins over every layer"
        in findings
    )


def test_what_windows_cannot_say_is_reported() -> None:
    found, findings = one_schedule(
        rolling(),
        rolling(id="O2", name="Monthly", frequency="monthly"),
        rolling(id="O3", name="Gappy", interval=2, duration=86400),
    )
    assert [layer["name"] for layer in found["layers"]] == ["Primary"]
    assert (
        "schedule 'Ops': shift 'Monthly' not carried: a rolling_users shift repeating monthly has no layer" in findings
    )
    assert any(f.startswith("schedule 'Ops': shift 'Gappy' not carried exactly") for f in findings)


def test_an_ical_schedule_is_reported() -> None:
    ical = {"id": "S2", "name": "Feed", "type": "ical", "ical_url_primary": "https://example.com/a.ics"}
    doc, findings = migrate(schedules=[ical])
    assert doc["schedules"] == []
    assert findings == [
        "schedule 'Feed': not carried: its shifts come from the iCal feed 'https://example.com/a.ics'; "
        "declare its rotations in Firebell"
    ]


def rule(key: str, who: str, position: int, kind: str, important: bool = False, **extra: Any) -> dict[str, Any]:
    return {"id": key, "user_id": who, "position": position, "type": kind, "important": important, **extra}


def test_the_email_contact_waits_as_the_default_rules_say_and_other_steps_are_reported() -> None:
    rules = [
        rule("N1", ANN, 0, "wait", duration=300),
        rule("N2", ANN, 1, "notify_by_sms"),
        rule("N3", ANN, 2, "wait", duration=600),
        rule("N4", ANN, 3, "notify_by_email"),
        rule("N5", ANN, 0, "notify_by_email", important=True),
        rule("N6", BEN, 0, "notify_by_telegram"),
    ]
    doc, findings = migrate(
        users=[*PEOPLE[:2], user("cy", slack=[{"user_id": "UCYS", "team_id": "T1"}])], notification_rules=rules
    )
    ann, ben, cy = doc["users"]
    assert ann["contact_methods"] == [{"type": "email", "address": "ann@example.com", "delay": "15m"}]
    assert ben["contact_methods"] == []
    assert cy["contact_methods"] == []
    assert cy["slack_member_id"] == "UCYS"
    assert findings == [
        "user 'ann@example.com': notification rule 'notify_by_sms' not carried: the API gives no phone number",
        "user 'ann@example.com': important notification rules differ from the default ones: Firebell uses one set "
        "of contact methods for every page, carried from the default rules",
        "user 'ben@example.com': notification rule 'notify_by_telegram' not carried: the API gives no Telegram account",
        "user 'ben@example.com': no default notification rule emails them; carried without contacts",
        "user 'cy@example.com': no default notification rule emails them; carried without contacts",
    ]
    # Rules that could not be read: everyone keeps their email, at once.
    unread, _ = migrate(users=PEOPLE)
    assert [u["contact_methods"] for u in unread["users"]] == [
        [{"type": "email", "address": f"{key}@example.com"}] for key in ("ann", "ben", "cy")
    ]


def test_teams_are_made_of_the_users_that_list_them() -> None:
    users = [user("ann", teams=["T1"]), user("ben", teams=["T1", "T2"]), user("cy")]
    doc, _ = migrate(users=users, teams=[{"id": "T1", "name": "Platform"}, {"id": "T2", "name": "Data"}])
    assert doc["teams"] == [
        {"name": "Data", "members": ["ben"], "admins": []},
        {"name": "Platform", "members": ["ann", "ben"], "admins": []},
    ]


def step(position: int, kind: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"E{position}", "escalation_chain_id": "F1", "position": position, "type": kind, **extra}


def test_a_chains_steps_become_levels_split_at_the_waits() -> None:
    steps = [
        step(3, "wait", duration=900),
        step(0, "notify_on_call_from_schedule", notify_on_call_from_schedule="S1"),
        step(1, "wait", duration=300),
        step(2, "notify_persons", persons_to_notify=[BEN, CY]),
        step(4, "notify_whole_channel"),
        step(5, "notify_person_next_each_time", persons_to_notify_next_each_time=[ANN]),
        step(6, "repeat_escalation"),
    ]
    doc, findings = migrate(
        schedules=[schedule(rolling())],
        shifts=[rolling()],
        teams=[{"id": "T1", "name": "Platform"}],
        escalation_chains=[{"id": "F1", "name": "Default", "team_id": "T1"}],
        escalation_policies=steps,
    )
    (policy,) = doc["escalation_policies"]
    assert (policy["name"], policy["repeat"], policy["team"]) == ("Default", 5, "Platform")
    assert [(level["targets"], level["timeout"]) for level in policy["levels"]] == [
        (["Ops"], "5m"),
        (["ben", "cy"], "15m"),
        (["ann"], "1m"),  # the chain repeats: the last level waits the shortest timeout
    ]
    assert findings == [
        "escalation 'Default': step 5 (notify_whole_channel): Firebell pages people, not a Slack channel",
        "escalation 'Default': step 6 (notify_person_next_each_time): Grafana OnCall pages one of them in turn; "
        "Firebell pages all of them",
    ]


def test_without_a_repeat_the_last_level_has_no_timeout() -> None:
    steps = [
        step(0, "notify_persons", persons_to_notify=[ANN]),
        step(1, "wait", duration=120),
        step(2, "notify_persons", persons_to_notify=[BEN]),
    ]
    doc, _ = migrate(escalation_chains=[{"id": "F1", "name": "Default"}], escalation_policies=steps)
    assert doc["escalation_policies"][0]["levels"] == [{"targets": ["ann"], "timeout": "2m"}, {"targets": ["ben"]}]


def integration(name: str, kind: str, link: str | None) -> dict[str, Any]:
    return {"id": f"C{name}", "name": name, "type": kind, "link": link, "default_route": {"escalation_chain_id": "F1"}}


def test_integrations_become_services_keeping_the_token_of_their_link_when_firebell_takes_it() -> None:
    base = "https://oncall-prod-us-central-0.grafana.net/oncall/integrations/v1"
    doc, findings = migrate(
        escalation_chains=[{"id": "F1", "name": "Default"}],
        escalation_policies=[step(0, "notify_persons", persons_to_notify=[ANN])],
        integrations=[
            integration("checkout", "alertmanager", f"{base}/alertmanager/mReAoNwDm0eMwKo1mTeTwYo/"),
            integration("short", "webhook", f"{base}/webhook/abc/"),
            integration("zabbix", "zabbix", f"{base}/zabbix/mReAoNwDm0eMwKo1mTeTwYp/"),
        ],
        routes=[
            {"id": "R1", "integration_id": "Ccheckout", "escalation_chain_id": "F1", "is_the_last_route": True},
            {
                "id": "R2",
                "integration_id": "Ccheckout",
                "escalation_chain_id": "F9",
                "routing_regex": "db",
                "position": 0,
            },
        ],
    )
    assert doc["services"] == [
        {
            "name": "checkout",
            "escalation_policy": "Default",
            "integrations": [{"name": "checkout", "kind": "alertmanager", "key": "mReAoNwDm0eMwKo1mTeTwYo"}],
        },
        {"name": "short", "escalation_policy": "Default"},
        {"name": "zabbix", "escalation_policy": "Default"},
    ]
    assert "integration 'short': not carried: the token of its link is not a key Firebell takes" in findings
    assert (
        "service 'checkout': route 'db' to 'F9' not carried: Firebell pages a service's one policy; split the "
        "senders over services, or give the policy's levels severities"
    ) in findings
    assert (
        "integration 'zabbix': not carried (zabbix): create a Firebell integration and point the sender at it"
        in findings
    )
    assert not any("firebell apply refuses" in f for f in findings)
    assert link_token("http://localhost:8080/integrations/v1/webhook/Tok/") == "Tok"
    assert link_token(None) == ""


def test_the_same_source_gives_the_same_file() -> None:
    parts: dict[str, Any] = {"schedules": [schedule(rolling())], "shifts": [rolling()]}
    first = render(translate(Source(users=PEOPLE, read_at=NOW, **parts)), "Grafana OnCall")
    again = render(translate(Source(users=list(reversed(PEOPLE)), read_at=NOW, **parts)), "Grafana OnCall")
    assert first == again
