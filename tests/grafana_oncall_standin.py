"""A stand-in for Grafana OnCall's public HTTP API v1, answering as its API reference
(grafana/oncall, docs/sources/oncall-api-reference/*.md) says, with one small instance.

Lists (`GET /api/v1/users/`, `/personal_notification_rules/`, `/teams/`, `/schedules/`,
`/on_call_shifts/`, `/escalation_chains/`, `/escalation_policies/`, `/integrations/`, `/routes/`) are pages of
`{count, next, previous, results, page_size, current_page_number, total_pages}` chosen by `page`;
`GET /api/v1/schedules/{id}/final_shifts` needs `start_date` and `end_date`. `Authorization: <token>`
is required (401 otherwise); errors are `{"detail": ...}`. `throttle` paths answer their first call
with a 429 and a `Retry-After` header; `flaky` ones answer 500 as many times as given, then data;
`broken` ones always 500, and `forbidden` ones 403 (a token without that permission).

The instance, in the shifts' own zones (the e2e test works out who is on call from these):
- Primary (web, Europe/Berlin): "Weekly" rolls weekly from Monday 2026-11-02 09:00 Berlin over ann,
  ben and cy (with dee in cy's group); "Weekend" (level 1) rolls weekly from Saturday 2026-11-07 00:00
  Berlin over dee and ben, each on call 48 hours from Saturday; ben's override (no time zone: UTC in a
  web schedule) covers 2029-11-14 11:00 to 2029-11-15 11:00 UTC; "Old" ended on 2026-01-01.
- Nights (calendar, America/New_York): "Nights" (no time zone: the schedule's) rolls daily from
  2026-11-02 18:00 over ben and dee, 12 hours each from 18:00.
- Office (calendar, UTC): "Office hours", a recurrent event for ann Monday to Friday 13:00-21:00
  America/New_York (the shift's own zone), weekly from 2026-11-02.
- Legacy (ical): its shifts come from an iCal feed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import SplitResult, parse_qs

from tests.migrate_helpers import Answer, json_handler, serve

TOKEN = "c1d2e3f4a5b6c7d8e9f0"
CHECKOUT_TOKEN = "mReAoNwDm0eMwKo1mTeTwYo"
BATCH_TOKEN = "Zq2WkX9pLmN3bV7cR1tY5uI8o"


def _user(key: str, name: str, zone: str, teams: list[str], slack: str | None = None) -> dict[str, Any]:
    return {
        "id": key,
        "grafana_id": len(key),
        "email": f"{name}@example.com" if name != "bot" else "bot",
        "slack": [{"user_id": slack, "team_id": "TSLACK001"}] if slack else [],
        "username": name,
        "role": "admin" if name == "ann" else "user",
        "timezone": zone,
        "teams": teams,
    }


USERS = [
    _user("UANN00000001", "ann", "America/New_York", ["TPLAT0000001"], slack="UANNSLACK01"),
    _user("UBEN00000002", "ben", "Europe/Berlin", ["TPLAT0000001"]),
    _user("UCY000000003", "cy", "Europe/Berlin", []),
    _user("UDEE00000004", "dee", "UTC", ["TPLAT0000001"]),
    _user("UBOT00000005", "bot", "UTC", []),
]
ANN, BEN, CY, DEE, BOT = (u["id"] for u in USERS)


def _rule(key: str, user: str, position: int, kind: str, important: bool = False, **extra: Any) -> dict[str, Any]:
    return {"id": key, "user_id": user, "position": position, "important": important, "type": kind, **extra}


RULES = [
    _rule("N01", ANN, 0, "notify_by_email"),
    _rule("N02", ANN, 1, "wait", duration=300),
    _rule("N03", ANN, 2, "notify_by_sms"),
    _rule("N04", ANN, 0, "notify_by_phone_call", important=True),
    _rule("N05", BEN, 0, "wait", duration=60),
    _rule("N06", BEN, 1, "notify_by_email"),
    _rule("N07", BEN, 0, "wait", important=True, duration=60),
    _rule("N08", BEN, 1, "notify_by_email", important=True),
    _rule("N09", CY, 0, "notify_by_slack"),
    _rule("N10", DEE, 0, "notify_by_email"),
    _rule("N11", DEE, 0, "notify_by_email", important=True),
]
TEAMS = [
    {"id": "TPLAT0000001", "grafana_id": 1, "name": "Platform", "email": "", "avatar_url": "/avatar/1"},
    {"id": "TDATA0000002", "grafana_id": 2, "name": "Data", "email": "", "avatar_url": "/avatar/2"},
]


def _schedule(key: str, name: str, kind: str, zone: str | None, shifts: list[str], **extra: Any) -> dict[str, Any]:
    schedule: dict[str, Any] = {"id": key, "name": name, "type": kind, "team_id": None, **extra}
    if kind != "ical":
        schedule["time_zone"] = zone
        schedule["shifts"] = shifts
    schedule.update(on_call_now=[], slack={"channel_id": None, "user_group_id": None})
    return schedule


SCHEDULES = [
    _schedule(
        "SPRIMARY0001",
        "Primary",
        "web",
        "Europe/Berlin",
        ["OWEEKLY00001", "OWEEKEND0002", "OOVERRIDE003", "OOLD00000004"],
        team_id="TPLAT0000001",
    ),
    _schedule("SNIGHTS00002", "Nights", "calendar", "America/New_York", ["ONIGHTS00005"], ical_url_overrides=None),
    _schedule("SOFFICE00003", "Office", "calendar", "UTC", ["OOFFICE00006"], ical_url_overrides=None),
    _schedule(
        "SLEGACY00004",
        "Legacy",
        "ical",
        None,
        [],
        ical_url_primary="https://example.com/legacy.ics",
        ical_url_overrides=None,
    ),
]


def _rolling(key: str, name: str, start: str, duration: int, frequency: str, groups: list[list[str]], **extra: Any):
    return {
        "id": key,
        "schedule": extra.pop("schedule", "SPRIMARY0001"),
        "name": name,
        "type": "rolling_users",
        "team_id": None,
        "time_zone": extra.pop("time_zone", None),
        "level": extra.pop("level", 0),
        "start": start,
        "duration": duration,
        "rotation_start": start,
        "frequency": frequency,
        "interval": 1,
        "until": extra.pop("until", None),
        "by_day": extra.pop("by_day", None),
        "by_month": None,
        "by_monthday": None,
        "rolling_users": groups,
        "start_rotation_from_user_index": 0,
        **({"week_start": "MO"} if frequency == "weekly" else {}),
        **extra,
    }


SHIFTS = [
    _rolling(
        "OWEEKLY00001",
        "Weekly",
        "2026-11-02T09:00:00",
        7 * 86400,
        "weekly",
        [[ANN], [BEN], [CY, DEE]],
        time_zone="Europe/Berlin",
    ),
    _rolling(
        "OWEEKEND0002",
        "Weekend",
        "2026-11-07T00:00:00",
        2 * 86400,
        "weekly",
        [[DEE], [BEN]],
        time_zone="Europe/Berlin",
        level=1,
        by_day=["SA"],
    ),
    {
        "id": "OOVERRIDE003",
        "schedule": "SPRIMARY0001",
        "name": "Cover for cy",
        "type": "override",
        "team_id": None,
        "time_zone": None,
        "start": "2029-11-14T11:00:00",
        "duration": 86400,
        "rotation_start": "2029-11-14T11:00:00",
        "users": [BEN],
    },
    _rolling(
        "OOLD00000004",
        "Old",
        "2025-01-06T09:00:00",
        7 * 86400,
        "weekly",
        [[DEE]],
        time_zone="Europe/Berlin",
        until="2026-01-01T00:00:00",
    ),
    _rolling(
        "ONIGHTS00005", "Nights", "2026-11-02T18:00:00", 12 * 3600, "daily", [[BEN], [DEE]], schedule="SNIGHTS00002"
    ),
    {
        "id": "OOFFICE00006",
        "schedule": "SOFFICE00003",
        "name": "Office hours",
        "type": "recurrent_event",
        "team_id": None,
        "time_zone": "America/New_York",
        "level": 0,
        "start": "2026-11-02T13:00:00",
        "duration": 8 * 3600,
        "rotation_start": "2026-11-02T13:00:00",
        "frequency": "weekly",
        "interval": 1,
        "until": None,
        "week_start": "SU",
        "by_day": ["MO", "TU", "WE", "TH", "FR"],
        "by_month": None,
        "by_monthday": None,
        "users": [ANN],
    },
]
CHAINS = [
    {"id": "FPLAT0000001", "name": "Platform EP", "team_id": "TPLAT0000001"},
    {"id": "FNIGHT000002", "name": "Nights EP", "team_id": None},
    {"id": "FEMPTY000003", "name": "Resolve only", "team_id": None},
]


def _step(key: str, chain: str, position: int, kind: str, **extra: Any) -> dict[str, Any]:
    return {"id": key, "escalation_chain_id": chain, "position": position, "type": kind, **extra}


STEPS = [
    _step("E01", "FPLAT0000001", 0, "notify_on_call_from_schedule", notify_on_call_from_schedule="SPRIMARY0001"),
    _step("E02", "FPLAT0000001", 1, "wait", duration=600),
    _step("E03", "FPLAT0000001", 2, "notify_persons", persons_to_notify=[BEN, DEE]),
    _step("E04", "FPLAT0000001", 3, "wait", duration=900),
    _step("E05", "FPLAT0000001", 4, "repeat_escalation"),
    _step(
        "E06",
        "FNIGHT000002",
        0,
        "notify_on_call_from_schedule",
        notify_on_call_from_schedule="SNIGHTS00002",
        important=True,
    ),
    _step("E07", "FNIGHT000002", 1, "trigger_webhook", action_to_trigger="WH1"),
    _step("E08", "FNIGHT000002", 2, "wait", duration=300),
    _step("E09", "FNIGHT000002", 3, "notify_person_next_each_time", persons_to_notify_next_each_time=[ANN]),
    _step("E10", "FEMPTY000003", 0, "resolve"),
]


def _integration(key: str, name: str, kind: str, link: str | None, chain: str) -> dict[str, Any]:
    return {
        "id": key,
        "name": name,
        "team_id": None,
        "link": link,
        "inbound_email": None,
        "type": kind,
        "default_route": {"id": f"R{key}", "escalation_chain_id": chain, "slack": {"channel_id": None}},
        "templates": {"grouping_key": None, "resolve_signal": None},
    }


def integrations(url: str) -> list[dict[str, Any]]:
    return [
        _integration(
            "CCHECKOUT001",
            "checkout",
            "alertmanager",
            f"{url}/integrations/v1/alertmanager/{CHECKOUT_TOKEN}/",
            "FPLAT0000001",
        ),
        _integration(
            "CBATCH000002",
            "batch",
            "grafana_alerting",
            f"{url}/integrations/v1/grafana_alerting/{BATCH_TOKEN}/",
            "FNIGHT000002",
        ),
        _integration("CMAIL0000003", "mail", "inbound_email", None, "FPLAT0000001"),
    ]


ROUTES = [
    {
        "id": "RCCHECKOUT001",
        "integration_id": "CCHECKOUT001",
        "escalation_chain_id": "FPLAT0000001",
        "routing_regex": ".*",
        "position": 1,
        "is_the_last_route": True,
        "slack": {"channel_id": None},
    },
    {
        "id": "RCRITICAL0002",
        "integration_id": "CCHECKOUT001",
        "escalation_chain_id": "FNIGHT000002",
        "routing_regex": "severity=critical",
        "position": 0,
        "is_the_last_route": False,
        "slack": {"channel_id": None},
    },
]

# Who Grafana OnCall shows on call for Primary in the week of 2029-11-12 (written out by hand): cy's
# week (the 158th since 2026-11-02), ben's override, dee's weekend (the 158th since 2026-11-07), then
# cy again until the weekly handoff on Monday at 09:00 in Berlin.
FINAL_SHIFTS = {
    "SPRIMARY0001": [
        ("cy", "2029-11-12T08:00:00Z", "2029-11-14T11:00:00Z"),
        ("ben", "2029-11-14T11:00:00Z", "2029-11-15T11:00:00Z"),
        ("cy", "2029-11-15T11:00:00Z", "2029-11-16T23:00:00Z"),
        ("dee", "2029-11-16T23:00:00Z", "2029-11-18T23:00:00Z"),
        ("cy", "2029-11-18T23:00:00Z", "2029-11-19T08:00:00Z"),
    ]
}


@dataclass
class StandIn:
    page_size: int = 50
    throttle: dict[str, int] = field(default_factory=dict)  # path -> Retry-After of its one 429
    flaky: dict[str, int] = field(default_factory=dict)  # path -> how many 500s before it answers
    broken: set[str] = field(default_factory=set)
    forbidden: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)  # path?query of every request, in order
    url: str = ""

    def page(self, path: str, items: list[dict[str, Any]], one: dict[str, str]) -> tuple[int, dict[str, Any]]:
        number = int(one.get("page", "1"))
        pages = max(1, -(-len(items) // self.page_size))
        if not 1 <= number <= pages:
            return 404, {"detail": "Invalid page."}
        results = items[(number - 1) * self.page_size : number * self.page_size]
        extra = "".join(f"&{k}={v}" for k, v in one.items() if k != "page")
        return 200, {
            "count": len(items),
            "next": f"{self.url}{path}?page={number + 1}{extra}" if number < pages else None,
            "previous": f"{self.url}{path}?page={number - 1}{extra}" if number > 1 else None,
            "results": results,
            "page_size": self.page_size,
            "current_page_number": number,
            "total_pages": pages,
        }

    def answer(self, path: str, one: dict[str, str]) -> tuple[int, dict[str, Any]]:
        lists: dict[str, list[dict[str, Any]]] = {
            "/api/v1/users/": USERS,
            "/api/v1/personal_notification_rules/": RULES,
            "/api/v1/teams/": TEAMS,
            "/api/v1/schedules/": SCHEDULES,
            "/api/v1/on_call_shifts/": SHIFTS,
            "/api/v1/escalation_chains/": CHAINS,
            "/api/v1/escalation_policies/": STEPS,
            "/api/v1/integrations/": integrations(self.url),
            "/api/v1/routes/": ROUTES,
        }
        if path in lists:
            return self.page(path, lists[path], one)
        parts = path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "schedules"] and parts[4:] == ["final_shifts"]:
            if "start_date" not in one or "end_date" not in one:
                return 400, {"detail": "start_date and end_date are required"}
            emails = {u["username"]: u for u in USERS}
            shifts = [
                {
                    "user_pk": emails[who]["id"],
                    "user_email": emails[who]["email"],
                    "user_username": who,
                    "shift_start": start,
                    "shift_end": end,
                }
                for who, start, end in FINAL_SHIFTS.get(parts[3], [])
                if one["start_date"] <= start[:10] <= one["end_date"]
            ]
            return self.page(path, shifts, one)
        return 404, {"detail": "Not found."}


def _respond(standin: StandIn, request: BaseHTTPRequestHandler, split: SplitResult) -> Answer:
    if request.headers.get("Authorization") != TOKEN:
        return 401, {"detail": "Invalid token."}, {}
    if split.path in standin.forbidden:
        return 403, {"detail": "You do not have permission to perform this action."}, {}
    if split.path in standin.broken:
        return 500, {"detail": "A server error occurred."}, {}
    if standin.flaky.get(split.path, 0) > 0:
        standin.flaky[split.path] -= 1
        return 500, {"detail": "A server error occurred."}, {}
    if split.path in standin.throttle:
        return 429, {"detail": "Request was throttled."}, {"Retry-After": str(standin.throttle.pop(split.path))}
    status, body = standin.answer(split.path, {k: v[0] for k, v in parse_qs(split.query).items()})
    return status, body, {}


@contextmanager
def serving(standin: StandIn) -> Iterator[StandIn]:
    with serve(json_handler(standin.requests, lambda request, split: _respond(standin, request, split))) as url:
        standin.url = url
        yield standin
