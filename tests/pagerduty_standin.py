"""A stand-in for PagerDuty's REST API v2, answering as its OpenAPI description (PagerDuty/api-schema,
reference/REST/openapiv3.json) says, with one small account.

Lists are paged classically: `limit` (at most `page_size` here), `offset`, and `more`/`total` in the
answer (`GET /users`, `/teams`, `/teams/{id}/members`, `/schedules`, `/escalation_policies`,
`/services`); `include[]` adds users' `contact_methods` and `notification_rules` and services'
`integrations`. `GET /maintenance_windows` (paged too) takes `filter` (past, future, ongoing, open or
all, against the real time). `GET /schedules/{id}` gives the layers (with `since` and `until`, also the
final schedule: see FINAL); `/schedules/{id}/overrides` needs `since`
and `until`. `Authorization: Token token=<token>` is required (401 otherwise); errors are
`{"error": {"message", "code"}}`. `throttle` paths answer their first call with a 429 and a
`ratelimit-reset` header, `always_throttled` ones every call; `broken` paths always answer 500.

The account, in the schedules' own zones (the e2e test works out who is on call from these):
- Primary, Europe/Berlin: layer "Old" ended on 2026-01-01; "Weekly": weekly turns from
  2026-11-02 09:00, ann, ben, cy; "Weekend": daily turns from Saturday 2026-11-07 00:00, dee,
  ben, only from Saturday 00:00 for 48 hours; cy overrides 2026-11-11 12:00 to 2026-11-12 12:00.
- Nights, America/New_York: turns of 36 hours from 2026-11-02 18:00, ben, dee, only 18:00-06:00.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.migrate_helpers import reply, serve

TOKEN = "y_NbAkKc66ryYTWUXYEu"
ROUTING_KEY = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"


def _ref(kind: str, key: str, summary: str = "") -> dict[str, Any]:
    return {"id": key, "type": f"{kind}_reference", "summary": summary or key, "self": f"https://api/{kind}s/{key}"}


def _user(key: str, name: str, zone: str, contacts: list[dict[str, Any]], rules: list[dict[str, Any]]) -> dict:
    return {
        "id": key,
        "type": "user",
        "summary": name,
        "name": name,
        "email": f"{name.split()[0].lower()}@example.com",
        "time_zone": zone,
        "role": "user",
        "contact_methods": contacts,
        "notification_rules": rules,
    }


def _contact(key: str, kind: str, address: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": key,
        "type": f"{kind}_contact_method",
        "summary": "Work",
        "label": "Work",
        "address": address,
        **extra,
    }


def _rule(key: str, contact: str, kind: str, delay: int, urgency: str = "high") -> dict[str, Any]:
    return {
        "id": key,
        "type": "assignment_notification_rule",
        "start_delay_in_minutes": delay,
        "contact_method": {"id": contact, "type": f"{kind}_contact_method_reference"},
        "urgency": urgency,
    }


USERS = [
    _user(
        "PANN001",
        "Ann Arbor",
        "America/New_York",
        [
            _contact("PC1", "email", "ann@example.com"),
            _contact("PC2", "sms", "5550001111", country_code=1),
            _contact("PC3", "push_notification", "iPhone"),
        ],
        [
            _rule("PR1", "PC1", "email", 0),
            _rule("PR2", "PC2", "sms", 5),
            _rule("PR3", "PC3", "push_notification", 0),
            _rule("PR4", "PC1", "email", 0, "low"),
        ],
    ),
    _user(
        "PBEN002",
        "Ben Bow",
        "Europe/Berlin",
        [_contact("PC4", "email", "ben@example.com")],
        [
            _rule("PR5", "PC4", "email", 0),
            _rule("PR6", "PC4", "email", 0, "low"),
        ],
    ),
    _user("PCY0003", "Cy Young", "Europe/Berlin", [_contact("PC5", "phone", "5550002222", country_code=1)], []),
    _user(
        "PDEE004",
        "Dee Dee",
        "UTC",
        [_contact("PC6", "email", "dee@example.com")],
        [
            _rule("PR7", "PC6", "email", 2),
            _rule("PR8", "PC6", "email", 2, "low"),
        ],
    ),
]
ANN, BEN, CY, DEE = (_ref("user", u["id"], u["name"]) for u in USERS)
TEAMS = [
    {
        "id": "PTEAM01",
        "type": "team",
        "summary": "Platform",
        "name": "Platform",
        "description": "",
        "default_role": "manager",
    }
]
MEMBERS = {
    "PTEAM01": [{"user": ANN, "role": "manager"}, {"user": BEN, "role": "responder"}, {"user": CY, "role": "observer"}]
}


def _layer(
    key: str,
    name: str,
    start: str,
    virtual: str,
    turn: int,
    users: list[dict],
    restrictions: list,
    end: str | None = None,
) -> dict:
    return {
        "id": key,
        "name": name,
        "start": start,
        "end": end,
        "rotation_virtual_start": virtual,
        "rotation_turn_length_seconds": turn,
        "users": [{"user": u} for u in users],
        "restrictions": restrictions,
    }


SCHEDULES = [
    {
        "id": "PSCHED1",
        "type": "schedule",
        "summary": "Primary",
        "name": "Primary",
        "time_zone": "Europe/Berlin",
        "description": "",
        "teams": [_ref("team", "PTEAM01", "Platform")],
        "schedule_layers": [
            _layer(
                "PL0",
                "Old",
                "2025-01-06T09:00:00+01:00",
                "2025-01-06T09:00:00+01:00",
                604800,
                [DEE],
                [],
                end="2026-01-01T00:00:00+01:00",
            ),
            _layer(
                "PL1", "Weekly", "2026-11-02T09:00:00+01:00", "2026-11-02T09:00:00+01:00", 604800, [ANN, BEN, CY], []
            ),
            _layer(
                "PL2",
                "Weekend",
                "2026-11-07T00:00:00+01:00",
                "2026-11-07T00:00:00+01:00",
                86400,
                [DEE, BEN],
                [
                    {
                        "type": "weekly_restriction",
                        "start_time_of_day": "00:00:00",
                        "duration_seconds": 172800,
                        "start_day_of_week": 6,
                    }
                ],
            ),
        ],
    },
    {
        "id": "PSCHED2",
        "type": "schedule",
        "summary": "Nights",
        "name": "Nights",
        "time_zone": "America/New_York",
        "teams": [],
        "schedule_layers": [
            _layer(
                "PL3",
                "Nights",
                "2026-11-02T18:00:00-05:00",
                "2026-11-02T18:00:00-05:00",
                36 * 3600,
                [BEN, DEE],
                [{"type": "daily_restriction", "start_time_of_day": "18:00:00", "duration_seconds": 43200}],
            )
        ],
    },
]
OVERRIDES = {
    "PSCHED1": [{"id": "PO1", "start": "2026-11-11T12:00:00+01:00", "end": "2026-11-12T12:00:00+01:00", "user": CY}],
    "PSCHED2": [],
}
POLICIES = [
    {
        "id": "PEP0001",
        "type": "escalation_policy",
        "summary": "Platform EP",
        "name": "Platform EP",
        "num_loops": 2,
        "escalation_rules": [
            {"id": "PER1", "escalation_delay_in_minutes": 10, "targets": [_ref("schedule", "PSCHED1", "Primary")]},
            {"id": "PER2", "escalation_delay_in_minutes": 15, "targets": [BEN, DEE]},
        ],
        "teams": [_ref("team", "PTEAM01", "Platform")],
    },
    {
        "id": "PEP0002",
        "type": "escalation_policy",
        "summary": "Nights EP",
        "name": "Nights EP",
        "num_loops": 0,
        "escalation_rules": [
            {
                "id": "PER3",
                "escalation_delay_in_minutes": 5,
                "targets": [_ref("schedule", "PSCHED2", "Nights"), _ref("schedule_v3", "PV3", "New schedule")],
                "escalation_rule_assignment_strategy": "round_robin",
            }
        ],
        "teams": [],
    },
]
SERVICES = [
    {
        "id": "PSVC001",
        "type": "service",
        "summary": "checkout",
        "name": "checkout",
        "status": "active",
        "escalation_policy": _ref("escalation_policy", "PEP0001", "Platform EP"),
        "integrations": [
            {
                "id": "PINT001",
                "type": "events_api_v2_inbound_integration",
                "summary": "Prometheus",
                "name": "Prometheus",
                "integration_key": ROUTING_KEY,
            },
            {
                "id": "PINT002",
                "type": "generic_email_inbound_integration",
                "summary": "Email",
                "name": "Email",
                "integration_email": "checkout@example.pagerduty.com",
            },
        ],
    },
    {
        "id": "PSVC002",
        "type": "service",
        "summary": "batch",
        "name": "batch",
        "status": "active",
        "escalation_policy": _ref("escalation_policy", "PEP0002", "Nights EP"),
        "integrations": [],
    },
]


def _maintenance(key: str, start: str, end: str, description: str, services: list[dict[str, Any]]) -> dict:
    return {
        "id": key,
        "type": "maintenance_window",
        "summary": description,
        "self": f"https://api/maintenance_windows/{key}",
        "html_url": f"https://example.pagerduty.com/service-directory/maintenance-windows/{key}",
        "sequence_number": int(key[-1]),
        "start_time": start,
        "end_time": end,
        "description": description,
        "created_by": _ref("user", "PANN001", "Ann Arbor"),
        "services": services,
        "teams": [],
    }


MAINTENANCE_WINDOWS = [
    _maintenance(
        "PMW0001",
        "2031-03-01T22:00:00+01:00",
        "2031-03-02T02:00:00+01:00",
        "Database upgrade",
        [_ref("service", "PSVC001", "checkout"), _ref("service", "PGONE01", "retired")],
    ),
    _maintenance("PMW0002", "2025-06-01T10:00:00Z", "2025-06-01T11:00:00Z", "Long over", [_ref("service", "PSVC002")]),
]


def _in_state(window: dict[str, Any], state: str) -> bool:
    """Whether a maintenance window answers `filter=<state>` now."""
    now = datetime.now(UTC)
    start, end = datetime.fromisoformat(window["start_time"]), datetime.fromisoformat(window["end_time"])
    states = {
        "past": end <= now,
        "future": start > now,
        "ongoing": start <= now < end,
        "open": end > now,
        "all": True,
    }
    return states.get(state, True)


@dataclass
class StandIn:
    page_size: int = 100
    throttle: dict[str, int] = field(default_factory=dict)  # path -> ratelimit-reset of its one 429
    broken: set[str] = field(default_factory=set)
    always_throttled: set[str] = field(default_factory=set)  # paths that answer 429 (reset 120 s) every time
    extra_schedules: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # path?query of every request, in order
    accepts: set[str] = field(default_factory=set)
    url: str = ""

    def listing(self, key: str, items: list[dict[str, Any]], one: dict[str, str]) -> tuple[int, dict[str, Any]]:
        limit, offset = min(int(one.get("limit", 25)), self.page_size), int(one.get("offset", 0))
        page = items[offset : offset + limit]
        more = offset + limit < len(items)
        return 200, {key: page, "limit": limit, "offset": offset, "more": more, "total": None}

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        one = {k: v[0] for k, v in query.items()}
        include = set(query.get("include[]", []))
        parts = path.strip("/").split("/")
        schedules = SCHEDULES + self.extra_schedules
        if path == "/users":
            users = [
                {k: v for k, v in u.items() if k not in {"contact_methods", "notification_rules"} - include}
                for u in USERS
            ]
            return self.listing("users", users, one)
        if path == "/teams":
            return self.listing("teams", TEAMS, one)
        if parts[0] == "teams" and parts[2:] == ["members"]:
            if parts[1] not in MEMBERS:
                return 404, {"error": {"message": "Not Found", "code": 2100}}
            return self.listing("members", MEMBERS[parts[1]], one)
        if path == "/schedules":
            return self.listing(
                "schedules", [{k: v for k, v in s.items() if k != "schedule_layers"} for s in schedules], one
            )
        if parts[0] == "schedules" and len(parts) == 2:
            found = next((s for s in schedules if s["id"] == parts[1]), None)
            final = final_schedule(parts[1], one) if found else None
            if found and final is not None:
                found = {**found, "final_schedule": final}
            return (200, {"schedule": found}) if found else (404, {"error": {"message": "Not Found", "code": 2100}})
        if parts[0] == "schedules" and parts[2:] == ["overrides"]:
            if "since" not in one or "until" not in one:
                return 400, {
                    "error": {
                        "message": "Invalid Input Provided",
                        "code": 2001,
                        "errors": ["since and until are required"],
                    }
                }
            return 200, {"overrides": OVERRIDES.get(parts[1], [])}
        if path == "/escalation_policies":
            return self.listing("escalation_policies", POLICIES, one)
        if path == "/services":
            services = [
                {k: v for k, v in s.items() if k != "integrations" or "integrations" in include} for s in SERVICES
            ]
            return self.listing("services", services, one)
        if path == "/maintenance_windows":
            state = one.get("filter", "all")
            return self.listing("maintenance_windows", [w for w in MAINTENANCE_WINDOWS if _in_state(w, state)], one)
        return 404, {"error": {"message": "Not Found", "code": 2100}}


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            standin.requests.append(self.path)
            standin.accepts.add(self.headers.get("Accept", ""))
            headers: dict[str, str] = {}
            if self.headers.get("Authorization") != f"Token token={TOKEN}":
                status, body = 401, {"error": {"message": "Unauthorized", "code": 2006}}
            elif split.path in standin.broken:
                status, body = 500, {"error": {"message": "Internal Server Error", "code": 2000}}
            elif split.path in standin.throttle or split.path in standin.always_throttled:
                reset = standin.throttle.pop(split.path, 120)
                status, body = 429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
                headers = {"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
            else:
                status, body = standin.answer(split.path, parse_qs(split.query))
            payload = json.dumps(body).encode()
            reply(self, status, payload, "application/json; charset=utf-8", headers)

    return Handler


@contextmanager
def serving(standin: StandIn) -> Iterator[StandIn]:
    with serve(_handler(standin)) as url:
        standin.url = url
        yield standin


# `GET /schedules/{id}?since=&until=`: the final schedule PagerDuty renders, written out by hand from the
# layers above for 2026-11-02 to 2026-11-16 (see the module's account); entries are cut at since and
# until (`overflow` false, PagerDuty's default). Entries from different layers are not joined.
FINAL = {
    "PSCHED1": [  # Berlin, UTC+1
        ("2026-11-02T09:00:00+01:00", "2026-11-07T00:00:00+01:00", ANN),
        ("2026-11-07T00:00:00+01:00", "2026-11-08T00:00:00+01:00", DEE),  # Weekend, turn 0
        ("2026-11-08T00:00:00+01:00", "2026-11-09T00:00:00+01:00", BEN),
        ("2026-11-09T00:00:00+01:00", "2026-11-09T09:00:00+01:00", ANN),
        ("2026-11-09T09:00:00+01:00", "2026-11-11T12:00:00+01:00", BEN),
        ("2026-11-11T12:00:00+01:00", "2026-11-12T12:00:00+01:00", CY),  # the override
        ("2026-11-12T12:00:00+01:00", "2026-11-14T00:00:00+01:00", BEN),
        ("2026-11-14T00:00:00+01:00", "2026-11-15T00:00:00+01:00", BEN),  # Weekend, turn 7
        ("2026-11-15T00:00:00+01:00", "2026-11-16T00:00:00+01:00", DEE),
        ("2026-11-16T00:00:00+01:00", "2026-11-16T09:00:00+01:00", BEN),
    ],
    "PSCHED2": [  # New York, UTC-5: 36-hour turns, on call 18:00-06:00
        ("2026-11-02T18:00:00-05:00", "2026-11-03T06:00:00-05:00", BEN),
        ("2026-11-03T18:00:00-05:00", "2026-11-04T06:00:00-05:00", BEN),
        ("2026-11-04T18:00:00-05:00", "2026-11-05T06:00:00-05:00", DEE),
        ("2026-11-05T18:00:00-05:00", "2026-11-06T06:00:00-05:00", BEN),
        ("2026-11-06T18:00:00-05:00", "2026-11-07T06:00:00-05:00", BEN),
        ("2026-11-07T18:00:00-05:00", "2026-11-08T06:00:00-05:00", DEE),
        ("2026-11-08T18:00:00-05:00", "2026-11-09T06:00:00-05:00", BEN),
        ("2026-11-09T18:00:00-05:00", "2026-11-10T06:00:00-05:00", BEN),
        ("2026-11-10T18:00:00-05:00", "2026-11-11T06:00:00-05:00", DEE),
        ("2026-11-11T18:00:00-05:00", "2026-11-12T06:00:00-05:00", BEN),
        ("2026-11-12T18:00:00-05:00", "2026-11-13T06:00:00-05:00", BEN),
        ("2026-11-13T18:00:00-05:00", "2026-11-14T06:00:00-05:00", DEE),
        ("2026-11-14T18:00:00-05:00", "2026-11-15T06:00:00-05:00", BEN),
        ("2026-11-15T18:00:00-05:00", "2026-11-16T06:00:00-05:00", BEN),
    ],
}


def final_schedule(schedule_id: str, one: dict[str, str]) -> dict[str, Any] | None:
    """The schedule's `final_schedule` between `since` and `until`, in UTC; None without either."""
    if "since" not in one or "until" not in one:
        return None
    since, until = (datetime.fromisoformat(one[k].replace("Z", "+00:00")) for k in ("since", "until"))
    entries = []
    for start, end, user in FINAL.get(schedule_id, []):
        low, high = max(datetime.fromisoformat(start), since), min(datetime.fromisoformat(end), until)
        if low < high:
            entries.append(
                {"start": low.astimezone(UTC).isoformat(), "end": high.astimezone(UTC).isoformat(), "user": user}
            )
    covered = sum(
        (datetime.fromisoformat(e["end"]) - datetime.fromisoformat(e["start"])).total_seconds() for e in entries
    )
    share = round(100 * covered / max((until - since).total_seconds(), 1), 2)
    return {"name": "Final Schedule", "rendered_schedule_entries": entries, "rendered_coverage_percentage": share}
