"""A stand-in for Opsgenie's REST API v2, answering as its OpenAPI description (opsgenie/opsgenie-oas) says.

It serves the documents of the configuration backup in tests/fixtures/opsgenie_backup: `GET /v2/users`
in pages (`limit`, `offset`, `totalCount`, `paging.next`; at most `page_size` users a page), each user
with `?expand=contact`, their notification rules (list of metas, then each rule by id), `GET /v2/teams`
(without members) and each team, `GET /v2/schedules?expand=rotation`, each schedule's `/overrides`,
`GET /v2/escalations`, `GET /v2/integrations` (IntegrationMeta: id, name, enabled, type, teamId) and
each integration by id (with its `apiKey`), `GET /v1/maintenance?type=all|past|non-expired`
(MaintenanceMeta: id, status, time, description) and each window by id (with its rules), and each
schedule's final `/timeline` (see TIMELINES). Every answer carries `took` and `requestId`.
`Authorization: GenieKey <key>` is required (401 otherwise). `throttle` paths answer their first call
with a 429 and Opsgenie's rate-limit headers; `broken` paths always answer 500.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.migrate_helpers import reply, serve

BACKUP = Path(__file__).parent / "fixtures" / "opsgenie_backup" / "OpsGenieBackups"
API_KEY = "d1f2e3c4-test-key"


def _load(folder: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((BACKUP / folder).glob("*.json"))]


@dataclass
class StandIn:
    page_size: int = 2
    throttle: dict[str, int] = field(default_factory=dict)  # path -> X-RateLimit-Period-In-Sec of its one 429
    broken: set[str] = field(default_factory=set)
    always_throttled: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)  # path?query of every request, in order
    url: str = ""

    def __post_init__(self) -> None:
        users = _load("users")
        self.users = [u["user"] for u in users]
        self.rules = {u["user"]["id"]: u.get("notificationRuleList", []) for u in users}
        self.teams = [t["team"] for t in _load("teams")]
        schedules = _load("schedules")
        self.schedules = [s["schedule"] for s in schedules]
        self.overrides = {s["schedule"]["id"]: s.get("scheduleOverrideList", []) for s in schedules}
        self.escalations = _load("escalations")
        self.integrations = [i["integration"] for i in _load("integrations")]
        self.maintenance = _load("maintenance")

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        one = {k: v[0] for k, v in query.items()}
        parts = path.strip("/").split("/")
        if path == "/v2/users":
            limit, offset = min(int(one.get("limit", 20)), self.page_size), int(one.get("offset", 0))
            page = [{k: v for k, v in u.items() if k != "userContacts"} for u in self.users[offset : offset + limit]]
            paging = {"first": f"{self.url}/v2/users?limit={limit}&offset=0"}
            if offset + limit < len(self.users):
                paging["next"] = f"{self.url}/v2/users?limit={limit}&offset={offset + limit}&order=asc"
            return 200, {"data": page, "totalCount": len(self.users), "paging": paging}, {}
        if parts[:2] == ["v2", "users"] and len(parts) == 3:
            user = next((u for u in self.users if parts[2] in (u["id"], u["username"])), None)
            if user is None:
                return 404, {"message": "User not found"}, {}
            if "contact" not in one.get("expand", "").split(","):
                user = {k: v for k, v in user.items() if k != "userContacts"}
            return 200, {"data": user, "expandable": ["contact"]}, {}
        if parts[:2] == ["v2", "users"] and parts[3:4] == ["notification-rules"]:
            rules = self.rules.get(parts[2], [])
            if len(parts) == 4:
                keys = ("id", "name", "actionType", "order", "enabled")
                return 200, {"data": [{k: r[k] for k in keys if k in r} for r in rules]}, {}
            rule = next((r for r in rules if r["id"] == parts[4]), None)
            return (200, {"data": rule}, {}) if rule else (404, {"message": "Notification rule not found"}, {})
        if path == "/v2/teams":
            return (
                200,
                {
                    "data": [{k: t[k] for k in ("id", "name", "description")} for t in self.teams],
                    "expandable": ["member"],
                },
                {},
            )
        if parts[:2] == ["v2", "teams"] and len(parts) == 3:
            team = next((t for t in self.teams if t["id"] == parts[2]), None)
            return (200, {"data": team, "expandable": []}, {}) if team else (404, {"message": "Team not found"}, {})
        if path == "/v2/schedules":
            expand = "rotation" in one.get("expand", "").split(",")
            data = [s if expand else {k: v for k, v in s.items() if k != "rotations"} for s in self.schedules]
            return 200, {"data": data, "expandable": ["rotation"]}, {}
        if parts[:2] == ["v2", "schedules"] and parts[3:] == ["overrides"]:
            if parts[2] not in self.overrides:
                return 404, {"message": "Schedule not found"}, {}
            return 200, {"data": self.overrides[parts[2]]}, {}
        if parts[:2] == ["v2", "schedules"] and parts[3:] == ["timeline"]:
            return timeline(parts[2], one)
        if path == "/v2/escalations":
            return 200, {"data": self.escalations}, {}
        if path == "/v2/integrations":
            keys = ("id", "name", "enabled", "type")
            return 200, {"data": [{k: i[k] for k in keys} | _team_id(i) for i in self.integrations]}, {}
        if parts[:2] == ["v2", "integrations"] and len(parts) == 3:
            found = next((i for i in self.integrations if i["id"] == parts[2]), None)
            return (200, {"data": found}, {}) if found else (404, {"message": "Integration not found"}, {})
        if path == "/v1/maintenance":
            wanted = {"past": {"past"}, "non-expired": {"active", "planned"}}.get(one.get("type", "all"))
            meta = [
                {k: m[k] for k in ("id", "status", "time", "description")}
                for m in self.maintenance
                if wanted is None or m["status"] in wanted
            ]
            return 200, {"data": meta}, {}
        if parts[:2] == ["v1", "maintenance"] and len(parts) == 3:
            window = next((m for m in self.maintenance if m["id"] == parts[2]), None)
            return (200, {"data": window}, {}) if window else (404, {"message": "Maintenance not found"}, {})
        return 404, {"message": "Not found"}, {}


def _team_id(integration: dict[str, Any]) -> dict[str, str]:
    team = integration.get("ownerTeam")
    return {"teamId": team["id"]} if team else {}


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            standin.requests.append(self.path)
            headers: dict[str, str] = {}
            if self.headers.get("Authorization") != f"GenieKey {API_KEY}":
                status, body = 401, {"message": "Could not authenticate"}
            elif split.path in standin.broken:
                status, body = 500, {"message": "Internal Server Error"}
            elif split.path in standin.always_throttled or standin.throttle.get(split.path):
                period = standin.throttle.pop(split.path, 60)
                status, body = (
                    429,
                    {"message": "You are making too many requests! To avoid errors, we recommend you limit requests."},
                )
                headers = {
                    "X-RateLimit-State": "THROTTLED",
                    "X-RateLimit-Reason": "ACCOUNT",
                    "X-RateLimit-Period-In-Sec": str(period),
                }
            else:
                status, body, headers = standin.answer(split.path, parse_qs(split.query))
            payload = json.dumps({**body, "took": 0.01, "requestId": str(uuid.uuid4())}).encode()
            sent = {"X-Request-ID": str(uuid.uuid4()), **({"X-RateLimit-State": "OK"} if status == 200 else {})}
            reply(self, status, payload, "application/json", {**sent, **headers})

    return Handler


@contextmanager
def serving(standin: StandIn) -> Iterator[StandIn]:
    with serve(_handler(standin)) as url:
        standin.url = url
        yield standin


# `GET /v2/schedules/{identifier}/timeline`: the final timeline Opsgenie renders, written out by hand
# from the schedules in the backup for 2026-11-16T00:00Z to 2026-11-30T00:00Z (a window asked for
# outside it gets only what falls inside). Periods are cut at the timeline's bounds, as Opsgenie does.
TIMELINE_FROM, TIMELINE_TO = "2026-11-16T00:00:00Z", "2026-11-30T00:00:00Z"
ALICE, BOB, CAROL, DAVE = "alice@example.com", "bob@example.com", "carol@example.com", "dave.diaz@example.com"
# Platform_schedule: weekly handoffs on Mondays at 09:00 in Berlin (08:00Z); dave's override.
_PLATFORM = [
    ("2026-11-09T08:00:00Z", "2026-11-16T08:00:00Z", BOB, "default"),
    ("2026-11-16T08:00:00Z", "2026-11-20T12:00:00Z", CAROL, "default"),
    ("2026-11-20T12:00:00Z", "2026-11-21T12:00:00Z", DAVE, "override"),
    ("2026-11-21T12:00:00Z", "2026-11-23T08:00:00Z", CAROL, "default"),
    ("2026-11-23T08:00:00Z", "2026-11-30T08:00:00Z", ALICE, "default"),
]
# Nights: two-day turns from 2026-11-02 22:00 in New York (bob, dave), on call 22:00-06:00 (03:00Z-11:00Z).
# The night that starts on 15 November local is bob's (turn 6), then two nights each.
_NIGHTS = [
    (f"2026-11-{d + 1:02d}T03:00:00Z", f"2026-11-{d + 1:02d}T11:00:00Z", who, "default")
    for d, who in zip(
        range(15, 29), [BOB, DAVE, DAVE, BOB, BOB, DAVE, DAVE, BOB, BOB, DAVE, DAVE, BOB, BOB, DAVE], strict=True
    )
]
# Support: 8-hour turns from 09:00 in Kolkata (03:30Z), carol, alice, bob: every day carol 09:00-17:00,
# alice 17:00-01:00, bob 01:00-09:00 local; on call from Monday 09:00 to Friday 18:00 local. The team
# rotation "Escalation pool" has the team Platform on call the whole time.
_WEEKDAY_TURNS = [("03:30", "11:30", CAROL), ("11:30", "19:30", ALICE), ("19:30", "03:30", BOB)]
_SUPPORT = [
    (f"2026-11-{day:02d}T{a}:00Z", f"2026-11-{day + (b < a):02d}T{b}:00Z", who, "default")
    for monday in (16, 23)
    for day in range(monday, monday + 5)
    for a, b, who in (_WEEKDAY_TURNS if day < monday + 4 else [*_WEEKDAY_TURNS[:1], ("11:30", "12:30", ALICE)])
]
TIMELINES = {
    "5c4e0000-0000-0000-0000-000000000001": [("r071-0001", "Weekly primary", _PLATFORM)],
    "5c4e0000-0000-0000-0000-000000000002": [("r071-0002", "Night shift", _NIGHTS)],
    "5c4e0000-0000-0000-0000-000000000003": [
        ("r071-0003", "Working week", _SUPPORT),
        (
            "r071-0004",
            "Escalation pool",
            [("2026-11-02T03:30:00Z", "2026-12-07T03:30:00Z", "team:Platform", "default")],
        ),
    ],
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timeline(schedule_id: str, one: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The schedule's timeline from `date` for `interval` weeks (days with intervalUnit=days)."""
    if schedule_id not in TIMELINES or one.get("identifierType", "id") != "id":
        return 404, {"message": "Schedule not found"}, {}
    start = _at(one["date"]) if "date" in one else datetime.now(UTC)
    unit = {"days": timedelta(days=1), "weeks": timedelta(weeks=1)}.get(one.get("intervalUnit", "weeks"))
    if unit is None:
        return 422, {"message": "Interval unit must be one of days, weeks, months"}, {}
    end = start + int(one.get("interval", 1)) * unit
    rotations = []
    for order, (key, name, periods) in enumerate(TIMELINES[schedule_id], start=1):
        cut = []
        for begin, finish, who, kind in periods:
            low, high = max(_at(begin), start), min(_at(finish), end)
            if low < high:
                kind_of, _, label = who.rpartition(":")
                recipient = {"type": kind_of or "user", "name": label, "id": label}
                cut.append({"startDate": _iso(low), "endDate": _iso(high), "type": kind, "recipient": recipient})
        rotations.append({"id": key, "name": name, "order": float(order), "periods": cut})
    parent = {"id": schedule_id, "name": "", "enabled": True}
    data = {
        "_parent": parent,
        "startDate": _iso(start),
        "endDate": _iso(end),
        "finalTimeline": {"rotations": rotations},
    }
    return 200, {"data": data, "expandable": ["base", "forwarding", "override"]}, {}
