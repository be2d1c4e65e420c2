"""The Opsgenie translation: vendor documents (shaped as its OpenAPI description says) in, apply file out."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from firebell.migrate.opsgenie import Source, translate
from firebell.migrate.opsgenie_dir import read_backup
from firebell.migrate.output import render, report
from firebell.oncall.config_file import load

BACKUP = Path(__file__).parents[2] / "fixtures" / "opsgenie_backup"


def user(key: str, email: str, zone: str = "UTC", contacts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": f"u-{key}",
        "username": email,
        "fullName": key.title(),
        "timeZone": zone,
        "userContacts": contacts or [],
    }


def ref(key: str, email: str) -> dict[str, Any]:
    return {"type": "user", "id": f"u-{key}", "username": email}


PEOPLE = [user("ann", "ann@example.com"), user("ben", "ben@example.com"), user("cy", "cy@example.com")]
ANN, BEN, CY = (ref("ann", "ann@example.com"), ref("ben", "ben@example.com"), ref("cy", "cy@example.com"))


def schedule(*rotations: dict[str, Any], zone: str = "UTC", name: str = "Ops") -> dict[str, Any]:
    return {"id": f"s-{name}", "name": name, "timezone": zone, "enabled": True, "rotations": list(rotations)}


def rotation(kind: str = "weekly", start: str = "2026-11-02T09:00:00Z", **extra: Any) -> dict[str, Any]:
    return {"name": "Primary", "type": kind, "startDate": start, "participants": [ANN, BEN, CY], **extra}


def one_layer(*rotations: dict[str, Any], zone: str = "UTC") -> dict[str, Any]:
    migration = translate(Source(users=PEOPLE, schedules=[schedule(*rotations, zone=zone)]))
    return migration.document["schedules"][0]["layers"][0]


def lines(source: Source) -> list[str]:
    return [f.line() for f in translate(source).findings]


def test_a_weekly_rotation_keeps_its_participants_in_order_and_its_first_handoff() -> None:
    layer = one_layer(rotation(participants=[BEN, ANN, CY]))
    assert layer == {
        "name": "Primary",
        "type": "weekly_rotation",
        "participants": ["ben", "ann", "cy"],
        "start": "2026-11-02",
        "handoff": "09:00",
    }


@pytest.mark.parametrize(
    ("kind", "length", "expected"), [("daily", 3, "daily_rotation"), ("hourly", 12, "hourly_rotation")]
)
def test_daily_and_hourly_rotations_keep_their_custom_length(kind: str, length: int, expected: str) -> None:
    layer = one_layer(rotation(kind, length=length))
    assert (layer["type"], layer["length"]) == (expected, length)


def test_the_first_handoff_is_read_in_the_schedules_zone_summer_and_winter() -> None:
    # 07:00 UTC in July and 08:00 UTC in November are both 09:00 in Berlin.
    summer = one_layer(rotation(start="2026-07-01T07:00:00Z"), zone="Europe/Berlin")
    winter = one_layer(rotation(start="2026-11-02T08:00:00.000Z"), zone="Europe/Berlin")
    assert (summer["start"], summer["handoff"]) == ("2026-07-01", "09:00")
    assert (winter["start"], winter["handoff"]) == ("2026-11-02", "09:00")
    # An offset other than UTC, and a handoff late in the evening that is the next day in Kolkata.
    late = one_layer(rotation(start="2026-11-02T22:00:00-05:00"), zone="Asia/Kolkata")
    assert (late["start"], late["handoff"]) == ("2026-11-03", "08:30")


def test_an_unknown_zone_becomes_utc_and_is_reported() -> None:
    source = Source(users=PEOPLE, schedules=[schedule(rotation(), zone="Mars/Olympus")])
    migration = translate(source)
    assert migration.document["schedules"][0]["timezone"] == "UTC"
    assert any("'Mars/Olympus' is not an IANA name" in f.line() for f in migration.findings)


def test_a_time_of_day_restriction_is_one_window_every_day_and_a_night_wraps() -> None:
    night = {"type": "time-of-day", "restriction": {"startHour": 22, "startMin": 30, "endHour": 6, "endMin": 0}}
    layer = one_layer(rotation("daily", timeRestriction=night))
    assert layer["windows"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "22:30", "end": "06:00"}
    ]
    whole_day = {"type": "time-of-day", "restriction": {"startHour": 0, "startMin": 0, "endHour": 0, "endMin": 0}}
    assert "windows" not in one_layer(rotation(timeRestriction=whole_day))


def test_weekday_restrictions_spanning_days_are_cut_at_midnight() -> None:
    restriction = {
        "type": "weekday-and-time-of-day",
        "restrictions": [
            {"startDay": "monday", "startHour": 9, "startMin": 0, "endDay": "wednesday", "endHour": 17, "endMin": 30},
            {"startDay": "thursday", "startHour": 22, "startMin": 0, "endDay": "friday", "endHour": 6, "endMin": 0},
            # Friday evening to Monday morning wraps round the end of the week.
            {"startDay": "friday", "startHour": 20, "startMin": 0, "endDay": "monday", "endHour": 7, "endMin": 0},
        ],
    }
    assert one_layer(rotation(timeRestriction=restriction))["windows"] == [
        {"days": ["mon"], "start": "00:00", "end": "07:00"},
        {"days": ["mon"], "start": "09:00", "end": "00:00"},
        {"days": ["tue", "sat", "sun"], "start": "00:00", "end": "00:00"},
        {"days": ["wed"], "start": "00:00", "end": "17:30"},
        {"days": ["thu"], "start": "22:00", "end": "06:00"},
        {"days": ["fri"], "start": "20:00", "end": "00:00"},
    ]


def test_overrides_keep_their_instants_and_unusable_ones_are_reported() -> None:
    two = schedule(rotation(), {**rotation("daily"), "name": "Nights", "participants": [CY]})
    overrides = [
        {
            "alias": "late",
            "user": BEN,
            "startDate": "2026-12-24T09:00:00+01:00",
            "endDate": "2026-12-27T09:00:00+01:00",
        },
        {
            "alias": "early",
            "user": CY,
            "startDate": "2026-12-01T00:00:00Z",
            "endDate": "2026-12-02T00:00:00Z",
            "rotations": [{"id": "r1", "name": "Nights"}],
        },
        {
            "alias": "nobody",
            "user": {"type": "none"},
            "startDate": "2026-12-05T00:00:00Z",
            "endDate": "2026-12-06T00:00:00Z",
        },
    ]
    migration = translate(Source(users=PEOPLE, schedules=[two], overrides={"s-Ops": overrides}))
    assert migration.document["schedules"][0]["overrides"] == [
        {"user": "cy", "start": "2026-12-01T00:00:00+00:00", "end": "2026-12-02T00:00:00+00:00"},
        {"user": "ben", "start": "2026-12-24T09:00:00+01:00", "end": "2026-12-27T09:00:00+01:00"},
    ]
    found = [f.line() for f in migration.findings]
    assert any("override 'nobody' not carried: it leaves nobody on call" in line for line in found)
    assert any("override 'early' applied to rotations Nights" in line for line in found)
    assert any("'Primary' and 'Nights' are both on call" in line for line in found)  # no restrictions: overlap


def test_rotations_on_separate_hours_do_not_count_as_overlapping() -> None:
    day = {"type": "time-of-day", "restriction": {"startHour": 8, "startMin": 0, "endHour": 20, "endMin": 0}}
    night = {"type": "time-of-day", "restriction": {"startHour": 20, "startMin": 0, "endHour": 8, "endMin": 0}}
    both = schedule(
        {**rotation(timeRestriction=day), "name": "Day"}, {**rotation(timeRestriction=night), "name": "Night"}
    )
    assert not any("both on call" in line for line in lines(Source(users=PEOPLE, schedules=[both])))


def test_unknown_participants_types_and_contacts_are_reported_not_guessed() -> None:
    odd = rotation(participants=[ANN, {"type": "none"}, {"type": "team", "id": "t1", "name": "SRE"}, BEN])
    people = [
        user("ann", "ann@example.com", contacts=[{"contactMethod": "voice", "to": "1-5550100", "enabled": True}]),
        *PEOPLE[1:],
    ]
    source = Source(
        users=people,
        schedules=[schedule(odd), schedule({**rotation(), "type": "monthly"}, name="Odd")],
        integrations=[{"id": "i1", "name": "Datadog", "type": "Datadog"}],
    )
    migration = translate(source)
    assert [s["name"] for s in migration.document["schedules"]] == ["Ops"]
    assert migration.document["schedules"][0]["layers"][0]["participants"] == ["ann", "ben"]
    text = report(migration, "Opsgenie")
    assert "participant none '' left out: a turn with nobody on call" in text
    assert "participant team 'SRE' left out: Firebell's rotations take people, not teams" in text
    assert "rotation 'Primary' not carried: unknown type 'monthly'" in text
    assert "schedule 'Odd': not carried: none of its rotations could be carried" in text
    assert "voice contact '1-5550100' not carried: Firebell has no voice calls" in text
    assert "integration 'Datadog': not carried (Datadog)" in text


def test_contacts_follow_the_new_alert_notification_rule_steps() -> None:
    contacts = [
        {"contactMethod": "email", "to": "ann@example.com", "enabled": True},
        {"contactMethod": "sms", "to": "1-2125550123", "enabled": True},
        {"contactMethod": "email", "to": "ann@home.example", "enabled": True},
    ]
    steps = [
        {"contact": {"method": "sms", "to": "1-2125550123"}, "sendAfter": {"timeAmount": 2, "timeUnit": "minutes"}},
        {"contact": {"method": "email", "to": "ann@example.com"}, "sendAfter": {"timeAmount": 0}},
    ]
    rules = {"u-ann": [{"name": "New", "actionType": "create-alert", "steps": steps, "enabled": True}]}
    source = Source(users=[user("ann", "ann@example.com", contacts=contacts)], notification_rules=rules)
    migration = translate(source)
    assert migration.document["users"][0]["contact_methods"] == [
        {"type": "email", "address": "ann@example.com"},
        {"type": "sms", "address": "+12125550123", "delay": "2m"},
    ]
    assert any("'ann@home.example' not carried: no new-alert notification rule" in f.line() for f in migration.findings)
    # Rules not read at all: every usable contact, at once.
    unread = translate(Source(users=[user("ann", "ann@example.com", contacts=contacts)]))
    assert len(unread.document["users"][0]["contact_methods"]) == 3


def test_handles_come_from_emails_and_never_collide() -> None:
    users = [user("a", "Sam.Smith@example.com"), user("b", "sam.smith@example.org"), user("c", "not-an-email")]
    migration = translate(Source(users=users))
    assert [(u["handle"], u["email"]) for u in migration.document["users"]] == [
        ("sam.smith", "Sam.Smith@example.com"),  # by email, whatever the case
        ("sam.smith-2", "sam.smith@example.org"),
    ]
    assert any(
        "'not-an-email': not carried: the username is not an email address" in f.line() for f in migration.findings
    )


def rule(delay: int, recipient: dict[str, Any], unit: str = "minutes", **extra: Any) -> dict[str, Any]:
    return {
        "condition": "if-not-acked",
        "notifyType": "default",
        "delay": {"timeAmount": delay, "timeUnit": unit},
        "recipient": recipient,
        **extra,
    }


def test_escalation_rules_become_levels_whose_timeouts_are_the_gaps_between_delays() -> None:
    team = {"id": "t1", "name": "SRE", "members": [{"user": {"id": "u-ann"}, "role": "admin"}]}
    escalation = {
        "id": "e1",
        "name": "Ops_escalation",
        "ownerTeam": {"id": "t1", "name": "SRE"},
        "rules": [
            rule(30, ANN),
            rule(0, {"type": "schedule", "id": "s-Ops", "name": "Ops"}),
            rule(30, {"type": "team", "id": "t1", "name": "SRE"}, notifyType="all"),
            rule(1, BEN, unit="hours"),
            rule(90, {"type": "escalation", "id": "e2", "name": "Other"}),
            rule(2, CY, unit="hours", condition="if-not-closed"),
            rule(3, BEN, unit="hours", condition="if-not-closed"),
        ],
        "repeat": {"waitInterval": 15, "count": 3},
    }
    source = Source(users=PEOPLE, teams=[team], schedules=[schedule(rotation())], escalations=[escalation])
    migration = translate(source)
    assert migration.document["escalation_policies"] == [
        {
            "name": "Ops_escalation",
            "repeat": 3,
            "levels": [
                {"targets": ["Ops"], "timeout": "30m"},
                {"targets": ["ann", "SRE"], "timeout": "30m"},
                {"targets": ["ben"], "timeout": "15m"},
            ],
            # The first rule that pages until the alert is closed, whether acknowledged or not.
            "unresolved": {sev: {"after": "2h", "page": "cy"} for sev in ("SEV-1", "SEV-2", "SEV-3", "SEV-4")},
            "team": "SRE",
        }
    ]
    text = report(migration, "Opsgenie")
    assert "rule after 90m not carried: recipients of type 'escalation'" in text
    assert "rule after 3h (if-not-closed) not carried: Firebell pages once for an incident still unresolved" in text


def test_a_first_rule_that_waits_is_reported() -> None:
    late = {"id": "e1", "name": "Late", "rules": [rule(5, ANN)]}
    assert any("the first rule waited 5m" in line for line in lines(Source(users=PEOPLE, escalations=[late])))


def test_the_fixture_backup_translates_to_a_file_apply_accepts_and_the_same_file_every_time() -> None:
    source = read_backup(BACKUP)
    text = render(translate(source), "Opsgenie")
    config, _tree = load(text, "migrated.yaml")
    assert [s.name for s in config.schedules] == ["Nights", "Platform_schedule", "Support"]
    assert {p.name for p in config.escalation_policies} == {"Platform_escalation", "Nights_escalation"}
    # The same documents in another order give the same text.
    shuffled = read_backup(BACKUP / "OpsGenieBackups")
    for items in (shuffled.users, shuffled.teams, shuffled.schedules, shuffled.escalations):
        random.Random(7).shuffle(items)
    assert render(translate(shuffled), "Opsgenie") == text
    assert report(translate(shuffled), "Opsgenie") == report(translate(source), "Opsgenie")


def test_the_directory_reader_reports_bad_files_and_unread_folders(tmp_path: Path) -> None:
    (tmp_path / "users").mkdir()
    (tmp_path / "users" / "broken.json").write_text("{not json")
    (tmp_path / "users" / "ann.json").write_text(json.dumps({"user": PEOPLE[0]}))
    (tmp_path / "maintenance").mkdir()
    (tmp_path / "maintenance" / "m.json").write_text("{}")
    (tmp_path / "policiesV2").mkdir()
    (tmp_path / "policiesV2" / "p.json").write_text("{}")
    source = read_backup(tmp_path)
    assert [u["username"] for u in source.users] == ["ann@example.com"]
    assert source.notification_rules == {}  # the file had no notificationRuleList: the rules were not read
    problems = [p.line() for p in source.problems]
    assert problems[0].startswith("read 'users/broken.json': not read:")
    assert problems[1:] == [
        "read 'maintenance/m.json': not read: a maintenance window without its time",
        "read 'policiesV2/': 1 file(s) not carried: alert and notification policies have no Firebell counterpart "
        "in an apply file",
    ]
    with pytest.raises(FileNotFoundError):
        read_backup(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no Opsgenie backup"):
        read_backup(tmp_path / "empty")


def test_a_name_that_reads_as_another_persons_handle_is_made_distinct() -> None:
    users = [user("a", "sam@example.com"), {**user("b", "samuel@example.com"), "fullName": "Sam"}]
    migration = translate(Source(users=users))
    assert [u["name"] for u in migration.document["users"]] == ["A", "Sam (samuel@example.com)"]
    assert any("name 'Sam' is another person's handle" in f.line() for f in migration.findings)


@pytest.mark.parametrize(
    "start",
    ["2026-11-02T08:00:00Z", "2026-11-02T08:00:00.000+0000", "2026-11-02 08:00", 1793606400000],
    ids=["api", "joda", "backup-date-format", "epoch-millis"],
)
def test_every_date_form_the_api_or_the_backup_tool_writes_is_read(start: object) -> None:
    layer = one_layer(rotation(start=start), zone="Europe/Berlin")  # type: ignore[arg-type]
    assert (layer["start"], layer["handoff"]) == ("2026-11-02", "09:00")


TEAM = {"id": "t1", "name": "Platform", "members": []}
ESCALATION = {
    "id": "e1",
    "name": "Platform_escalation",
    "ownerTeam": {"id": "t1", "name": "Platform"},
    "rules": [{"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 0}, "recipient": ANN}],
}


def integration(key: str, kind: str, **extra: Any) -> dict[str, Any]:
    """An integration as `GET /v2/integrations/{id}` gives it (Integration, with its apiKey)."""
    return {"id": f"i-{key}", "name": key, "type": kind, "enabled": True, **extra}


def test_alert_api_integrations_become_services_that_keep_their_keys() -> None:
    integrations = [
        integration("Alertmanager prod", "Prometheus", apiKey="3e1c9a52-7b4d-4c1e-9f0a-6d2b8e4f1a37", teamId="t1"),
        integration("api", "API", apiKey="9b7d5f31-2c4e-4a6b-8d0f-1e3a5c7e9b2d", isDefaultIntegration=True),
        integration("Dashboards", "Grafana", apiKey="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", ownerTeam=TEAM),
        integration("Short", "API", apiKey="abc"),
        integration("Unread", "API"),  # its details could not be read: no apiKey
        integration("Off", "API", apiKey="ffffffff-4e5f-4a6b-8c7d-9e0f1a2b3c4d", enabled=False),
        integration("Mail", "Email", emailUsername="ops"),
        integration("Jira out", "JiraServiceDesk"),
        integration("Hook", "Webhook", url="https://hooks.example.com/x"),
    ]
    migration = translate(Source(users=PEOPLE, teams=[TEAM], escalations=[ESCALATION], integrations=integrations))
    load(render(migration, "Opsgenie"), "migrated.yaml")
    assert migration.document["services"] == [
        {
            "name": "Alertmanager-prod",
            "escalation_policy": "Platform_escalation",
            "owner_team": "Platform",
            "integrations": [
                {"name": "Alertmanager prod", "kind": "opsgenie", "key": "3e1c9a52-7b4d-4c1e-9f0a-6d2b8e4f1a37"}
            ],
        },
        {
            "name": "Dashboards",
            "escalation_policy": "Platform_escalation",
            "owner_team": "Platform",
            "integrations": [{"name": "Dashboards", "kind": "opsgenie", "key": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}],
        },
        {
            "name": "api",
            "integrations": [{"name": "api", "kind": "opsgenie", "key": "9b7d5f31-2c4e-4a6b-8d0f-1e3a5c7e9b2d"}],
        },
    ]
    lines = [f.line() for f in migration.findings if f.kind == "integration"]
    assert lines == [
        "integration 'Alertmanager prod': named 'Alertmanager-prod' in Firebell (service names are 1-100 letters, "
        "digits, '.', '_' or '-')",
        "integration 'Hook': not carried (Webhook): it sends from Opsgenie and takes no alerts; Firebell's webhooks "
        "and channels do this",
        "integration 'Jira out': not carried (JiraServiceDesk): the tool posts to an Opsgenie endpoint of its own; "
        "point it at a Firebell integration (firebell integration create) and bind its service to a policy",
        "integration 'Mail': not carried (Email): Firebell takes no alerts by email; send them to a Firebell "
        "integration instead",
        "integration 'Off': not carried (API): it is disabled",
        "integration 'Short': not carried (API): its API key is not one Firebell takes (16 to 128 letters, digits, "
        "'.', '_', '~' or '-')",
        "integration 'Unread': not carried (API): no API key was read; create a Firebell opsgenie integration and "
        "give the tool its key",
        "integration 'api': belongs to no team carried; bind service 'api' to a policy",
    ]


def maintenance(key: str, time: dict[str, Any], *rules: tuple[str, str, str], status: str = "planned") -> dict:
    """A window as `GET /v1/maintenance/{id}` gives it (Maintenance, with its rules)."""
    return {
        "id": f"m-{key}",
        "status": status,
        "description": key,
        "time": time,
        "rules": [{"state": state, "entity": {"id": ident, "type": kind}} for state, ident, kind in rules],
    }


def test_maintenance_of_carried_integrations_goes_to_their_services() -> None:
    prom = integration("prom", "Prometheus", apiKey="3e1c9a52-7b4d-4c1e-9f0a-6d2b8e4f1a37")
    mail = integration("mail", "Email", emailUsername="ops")
    planned = {"type": "schedule", "startDate": "2026-12-01T22:00:00+01:00", "endDate": "2026-12-02T02:00:00+01:00"}
    hour = {"type": "for-1-hour", "startDate": "2026-11-20T10:00:00Z", "endDate": "2026-11-20T11:00:00Z"}
    windows = [
        maintenance(
            "upgrade",
            planned,
            ("disabled", "i-prom", "integration"),
            ("disabled", "i-mail", "integration"),
            ("enabled", "p1", "policy"),
        ),
        maintenance("quiet", hour, ("noise", "i-prom", "integration"), status="active"),
        maintenance(
            "forever",
            {"type": "indefinitely", "startDate": "2026-11-20T10:00:00Z"},
            ("disabled", "i-prom", "integration"),
        ),
        maintenance("done", hour, ("disabled", "i-prom", "integration"), status="past"),
    ]
    migration = translate(Source(users=PEOPLE, integrations=[prom, mail], maintenance=windows))
    load(render(migration, "Opsgenie"), "migrated.yaml")
    (service,) = migration.document["services"]
    assert service["maintenance"] == [  # in time order, whatever their offsets
        {"start": "2026-11-20T10:00:00+00:00", "end": "2026-11-20T11:00:00+00:00", "reason": "quiet"},
        {"start": "2026-12-01T22:00:00+01:00", "end": "2026-12-02T02:00:00+01:00", "reason": "upgrade"},
    ]
    assert [f.line() for f in migration.findings if f.kind == "maintenance"] == [
        "maintenance 'done': not carried: it is past",
        "maintenance 'forever': not carried: it lasts indefinitely; Firebell's windows have an end",
        "maintenance 'quiet': marks 'prom''s alerts as noise; Firebell suppresses them",
        "maintenance 'upgrade': integration 'mail' was not carried",
        "maintenance 'upgrade': its rule on policy 'p1' is not carried: Firebell's windows are a service's",
    ]
