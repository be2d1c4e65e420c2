"""The PagerDuty translation: documents shaped as its REST API v2 description says in, apply file out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from firebell.migrate.output import render
from firebell.migrate.pagerduty import Source, translate
from firebell.oncall.config_file import load


def user(key: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"P{key.upper()}", "type": "user", "name": key.title(), "email": f"{key}@example.com", **extra}


def ref(key: str) -> dict[str, Any]:
    return {"id": f"P{key.upper()}", "type": "user_reference", "summary": key.title()}


PEOPLE = [user("ann"), user("ben"), user("cy")]


def layer(turn: int = 604800, virtual: str = "2026-11-02T09:00:00+01:00", **extra: Any) -> dict[str, Any]:
    return {
        "id": "PL1",
        "name": "Primary",
        "start": virtual,
        "end": None,
        "rotation_virtual_start": virtual,
        "rotation_turn_length_seconds": turn,
        "users": [{"user": ref("ben")}, {"user": ref("ann")}, {"user": ref("cy")}],
        "restrictions": [],
        **extra,
    }


def schedule(*layers: dict[str, Any], zone: str = "Europe/Berlin") -> dict[str, Any]:
    return {"id": "PS1", "type": "schedule", "name": "Ops", "time_zone": zone, "schedule_layers": list(layers)}


def migrate(**parts: Any) -> tuple[dict[str, Any], list[str]]:
    migration = translate(Source(users=PEOPLE, **parts))
    load(render(migration, "PagerDuty"), "migrated.yaml")  # apply accepts every file made here
    return migration.document, [f.line() for f in migration.findings]


def one_layer(*layers: dict[str, Any], zone: str = "Europe/Berlin") -> dict[str, Any]:
    doc, _ = migrate(schedules=[schedule(*layers, zone=zone)])
    return doc["schedules"][0]["layers"][0]


def test_a_weekly_layer_keeps_its_users_in_order_and_its_virtual_start_in_the_schedule_zone() -> None:
    assert one_layer(layer()) == {
        "name": "Primary",
        "type": "weekly_rotation",
        "participants": ["ben", "ann", "cy"],
        "start": "2026-11-02",
        "handoff": "09:00",
    }
    # The same instant in New York is 03:00 that day.
    assert one_layer(layer(), zone="America/New_York")["handoff"] == "03:00"


@pytest.mark.parametrize(
    ("turn", "kind", "length"),
    [
        (2 * 604800, "weekly_rotation", 2),
        (86400, "daily_rotation", 1),
        (3 * 86400, "daily_rotation", 3),
        (8 * 3600, "hourly_rotation", 8),
        (36 * 3600, "hourly_rotation", 36),
    ],
)
def test_turn_lengths_become_weeks_days_or_hours(turn: int, kind: str, length: int) -> None:
    found = one_layer(layer(turn=turn))
    assert (found["type"], found.get("length", 1)) == (kind, length)


def test_turns_that_are_not_whole_hours_are_reported() -> None:
    doc, findings = migrate(schedules=[schedule(layer(turn=5400), layer(turn=86400) | {"name": "Backup"})])
    assert [x["name"] for x in doc["schedules"][0]["layers"]] == ["Backup"]
    assert "schedule 'Ops': layer 'Primary' not carried: turns of 5400 seconds are not whole hours" in findings[0]


def test_later_layers_stay_later_so_they_still_win() -> None:
    first, second = layer(), layer(turn=86400) | {"name": "Second"}
    doc, _ = migrate(schedules=[schedule(first, second)])
    assert [x["name"] for x in doc["schedules"][0]["layers"]] == ["Primary", "Second"]


def test_a_daily_restriction_becomes_a_window_on_every_day_and_a_night_closes_next_morning() -> None:
    night = {"type": "daily_restriction", "start_time_of_day": "18:00:00", "duration_seconds": 12 * 3600}
    assert one_layer(layer(restrictions=[night]))["windows"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "18:00", "end": "06:00"}
    ]
    whole = {"type": "daily_restriction", "start_time_of_day": "00:00:00", "duration_seconds": 86400}
    assert "windows" not in one_layer(layer(restrictions=[whole]))


def test_weekly_restrictions_become_windows_cut_at_midnight_when_longer_than_a_day() -> None:
    weekdays = {
        "type": "weekly_restriction",
        "start_day_of_week": 1,
        "start_time_of_day": "09:00:00",
        "duration_seconds": 4 * 86400 + 8 * 3600,  # Monday 09:00 to Friday 17:00
    }
    assert one_layer(layer(restrictions=[weekdays]))["windows"] == [
        {"days": ["mon"], "start": "09:00", "end": "00:00"},
        {"days": ["tue", "wed", "thu"], "start": "00:00", "end": "00:00"},
        {"days": ["fri"], "start": "00:00", "end": "17:00"},
    ]
    sunday_night = {
        "type": "weekly_restriction",
        "start_day_of_week": 7,
        "start_time_of_day": "22:00:00",
        "duration_seconds": 4 * 3600,  # into Monday: wraps round the week
    }
    assert one_layer(layer(restrictions=[sunday_night]))["windows"] == [
        {"days": ["sun"], "start": "22:00", "end": "02:00"}
    ]


def test_restrictions_not_in_whole_minutes_are_reported_and_left_out() -> None:
    odd = {"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 3630}
    doc, findings = migrate(schedules=[schedule(layer(restrictions=[odd]))])
    assert "windows" not in doc["schedules"][0]["layers"][0]
    assert any("restriction daily_restriction from '09:00:00' for 3630 seconds left out" in f for f in findings)


def test_an_unknown_time_zone_falls_back_to_utc_with_a_finding() -> None:
    doc, findings = migrate(schedules=[schedule(layer(), zone="Eastern Time (US & Canada)")])
    assert doc["schedules"][0]["timezone"] == "UTC"
    assert doc["schedules"][0]["layers"][0]["handoff"] == "08:00"
    assert "schedule 'Ops': time zone 'Eastern Time (US & Canada)' is not an IANA name" in findings[0]


def test_ended_layers_are_left_out_and_ending_ones_reported() -> None:
    ended = layer(end="2026-10-01T00:00:00Z") | {"name": "Old"}
    ending = layer(end="2027-01-01T00:00:00Z") | {"name": "Ending"}
    later = layer(start="2027-02-01T00:00:00Z") | {"name": "Later"}
    read_at = datetime(2026, 11, 1, tzinfo=UTC)
    migration = translate(Source(users=PEOPLE, schedules=[schedule(ended, ending, later)], read_at=read_at))
    assert [x["name"] for x in migration.document["schedules"][0]["layers"]] == ["Ending", "Later"]
    lines = [f.line() for f in migration.findings]
    assert lines[0] == "schedule 'Ops': layer 'Old' ended at 2026-10-01T00:00:00+00:00; left out"
    assert "layer 'Ending' ends at 2027-01-01T00:00:00+00:00 in PagerDuty" in lines[1]
    assert "layer 'Later' takes effect at 2027-02-01T00:00:00+00:00 in PagerDuty" in lines[2]


def test_overrides_keep_their_instants_and_unknown_users_are_reported() -> None:
    overrides = [
        {"id": "PO2", "start": "2026-11-12T12:00:00+01:00", "end": "2026-11-13T12:00:00+01:00", "user": ref("ann")},
        {"id": "PO1", "start": "2026-11-11T12:00:00+01:00", "end": "2026-11-12T12:00:00+01:00", "user": ref("zed")},
    ]
    doc, findings = migrate(schedules=[schedule(layer())], overrides={"PS1": overrides})
    assert doc["schedules"][0]["overrides"] == [
        {"user": "ann", "start": "2026-11-12T12:00:00+01:00", "end": "2026-11-13T12:00:00+01:00"}
    ]
    assert findings == [
        "schedule 'Ops': override from '2026-11-11T12:00:00+01:00' not carried: no such user was carried"
    ]


def policy(loops: int, *rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "PE1",
        "type": "escalation_policy",
        "name": "Ops EP",
        "num_loops": loops,
        "escalation_rules": list(rules),
    }


def rule(delay: int, *targets: dict[str, Any]) -> dict[str, Any]:
    return {"escalation_delay_in_minutes": delay, "targets": list(targets)}


SCHED = {"id": "PS1", "type": "schedule_reference", "summary": "Ops"}


def test_policy_rules_become_levels_with_their_delays_and_loops_become_repeat() -> None:
    doc, findings = migrate(
        schedules=[schedule(layer())],
        escalation_policies=[policy(2, rule(10, SCHED), rule(30, ref("ben"), ref("cy")))],
    )
    assert doc["escalation_policies"] == [
        {
            "name": "Ops EP",
            "repeat": 2,
            "levels": [{"targets": ["Ops"], "timeout": "10m"}, {"targets": ["ben", "cy"], "timeout": "30m"}],
        }
    ]
    assert findings == []


def test_without_loops_the_last_level_has_no_timeout_and_too_many_loops_are_capped() -> None:
    doc, _ = migrate(escalation_policies=[policy(0, rule(10, ref("ann")), rule(30, ref("ben")))])
    assert doc["escalation_policies"][0]["levels"] == [{"targets": ["ann"], "timeout": "10m"}, {"targets": ["ben"]}]
    doc, findings = migrate(escalation_policies=[policy(50, rule(10, ref("ann")))])
    assert doc["escalation_policies"][0]["repeat"] == 20
    assert findings == ["escalation 'Ops EP': loops 50 times; Firebell repeats at most 20"]


def test_targets_firebell_cannot_page_are_reported() -> None:
    v3 = {"id": "PV3", "type": "schedule_v3_reference", "summary": "New"}
    gone = {"id": "PGONE", "type": "schedule_reference", "summary": "Gone"}
    doc, findings = migrate(escalation_policies=[policy(0, rule(5, v3, ref("ann")), rule(5, gone))])
    assert doc["escalation_policies"][0]["levels"] == [{"targets": ["ann"]}]
    assert findings == [
        "escalation 'Ops EP': rule 1: target not carried: targets of type 'schedule_v3_reference' ('New') "
        "have no Firebell counterpart",
        "escalation 'Ops EP': rule 2: target not carried: schedule 'Gone' was not carried",
        "escalation 'Ops EP': rule 2 not carried: none of its targets could be carried",
    ]


def test_contacts_are_delayed_as_the_high_urgency_rules_say_and_the_rest_is_reported() -> None:
    ann = user(
        "ann",
        contact_methods=[
            {"id": "C1", "type": "email_contact_method", "address": "ann@example.com"},
            {"id": "C2", "type": "sms_contact_method", "address": "5551234567", "country_code": 1},
            {"id": "C3", "type": "phone_contact_method", "address": "5551234567", "country_code": 1},
            {"id": "C4", "type": "email_contact_method", "address": "ann.home@example.com"},
        ],
        notification_rules=[
            {"urgency": "high", "start_delay_in_minutes": 3, "contact_method": {"id": "C2"}},
            {"urgency": "high", "start_delay_in_minutes": 0, "contact_method": {"id": "C1"}},
            {"urgency": "low", "start_delay_in_minutes": 0, "contact_method": {"id": "C1"}},
            {"urgency": "low", "start_delay_in_minutes": 0, "contact_method": {"id": "C4"}},
        ],
    )
    migration = translate(Source(users=[ann]))
    assert migration.document["users"][0]["contact_methods"] == [
        {"type": "email", "address": "ann@example.com"},
        {"type": "sms", "address": "+15551234567", "delay": "3m"},
    ]
    lines = [f.line() for f in migration.findings]
    assert lines[0] == "user 'ann@example.com': phone contact '5551234567' not carried: Firebell has no voice calls"
    assert lines[1].startswith("user 'ann@example.com': low-urgency notification rules differ from the high-urgency")
    assert lines[2] == (
        "user 'ann@example.com': email contact 'ann.home@example.com' not carried: "
        "no high-urgency notification rule uses it"
    )


def test_services_keep_their_policy_and_events_v2_routing_keys() -> None:
    services = [
        {
            "id": "PSV1",
            "name": "checkout",
            "escalation_policy": {"id": "PE1", "type": "escalation_policy_reference"},
            "integrations": [
                {"type": "events_api_v2_inbound_integration", "name": "Prom", "integration_key": "k" * 32},
                {"type": "generic_events_api_inbound_integration", "name": "Old", "integration_key": "v" * 32},
            ],
        }
    ]
    doc, findings = migrate(escalation_policies=[policy(0, rule(5, ref("ann")))], services=services)
    assert doc["services"] == [
        {
            "name": "checkout",
            "escalation_policy": "Ops EP",
            "integrations": [{"name": "Prom", "kind": "pagerduty", "key": "k" * 32}],
        }
    ]
    assert findings == [
        "integration 'checkout/Old': not carried (generic_events_api_inbound_integration): only Events API v2 "
        "integrations are carried; create a Firebell integration and point the sender at it",
    ]


def _window(key: str, start: str, end: str, *services: str) -> dict[str, Any]:
    return {
        "id": key,
        "type": "maintenance_window",
        "summary": f"Window {key}",
        "start_time": start,
        "end_time": end,
        "description": f"Window {key}",
        "services": [{"id": s, "type": "service_reference", "summary": s.lower()} for s in services],
    }


def test_open_maintenance_windows_go_to_the_services_carried() -> None:
    services = [
        {"id": "PSV1", "name": "Checkout API", "escalation_policy": {"id": "PE1"}},
        {"id": "PSV2", "name": "Checkout-API", "escalation_policy": {"id": "PE1"}},
    ]
    windows = [
        _window("PW2", "2026-11-20T22:00:00-05:00", "2026-11-21T01:00:00-05:00", "PSV1", "PGONE"),
        _window("PW1", "2026-11-10T10:00:00Z", "2026-11-10T11:00:00Z", "PSV1", "PSV2"),
        _window("PW0", "2026-10-30T10:00:00Z", "2026-10-30T11:00:00Z", "PSV2"),  # over when read
    ]
    read_at = datetime(2026, 11, 1, tzinfo=UTC)
    policies = [policy(0, rule(5, ref("ann")))]
    doc, findings = migrate(
        escalation_policies=policies, services=services, maintenance_windows=windows, read_at=read_at
    )
    first = {"start": "2026-11-10T10:00:00+00:00", "end": "2026-11-10T11:00:00+00:00", "reason": "Window PW1"}
    second = {"start": "2026-11-20T22:00:00-05:00", "end": "2026-11-21T01:00:00-05:00", "reason": "Window PW2"}
    assert doc["services"] == [
        {"name": "Checkout-API", "escalation_policy": "Ops EP", "maintenance": [first, second]},  # a Firebell name
        {"name": "Checkout-API-2", "escalation_policy": "Ops EP", "maintenance": [first]},  # and unused
    ]
    assert findings == [
        "service 'Checkout API': named 'Checkout-API' in Firebell (service names are 1-100 letters, digits, "
        "'.', '_' or '-')",
        "service 'Checkout-API': named 'Checkout-API-2' in Firebell (service names are 1-100 letters, digits, "
        "'.', '_' or '-')",
        "maintenance 'Window PW2': not carried for service 'pgone': it was not carried",
        "maintenance 'Window PW0': not carried: it is over or has no valid start and end",
    ]
    load(render(translate(Source(services=services, maintenance_windows=windows)), "PagerDuty"))  # apply reads it


def test_teams_managers_are_admins() -> None:
    team = {"id": "PT1", "type": "team", "name": "Platform"}
    members = [{"user": ref("ann"), "role": "manager"}, {"user": ref("ben"), "role": "responder"}]
    doc, findings = migrate(teams=[team], members={"PT1": members})
    assert doc["teams"] == [{"name": "Platform", "members": ["ben"], "admins": ["ann"]}]
    assert findings == []


def test_the_same_account_gives_the_same_file() -> None:
    parts = {"schedules": [schedule(layer())], "escalation_policies": [policy(1, rule(5, SCHED))]}
    first = render(translate(Source(users=PEOPLE, **parts)), "PagerDuty")  # type: ignore[arg-type]
    again = render(translate(Source(users=PEOPLE[::-1], **parts)), "PagerDuty")  # type: ignore[arg-type]
    assert first == again
