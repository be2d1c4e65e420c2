"""Reading a Grafana OnCall set-up through its public HTTP API v1 (or a folder of its answers) into a Source.

Calls, as Grafana OnCall's API reference gives them, with `Authorization: <token>` under the
instance's URL (Grafana Cloud's https://oncall-prod-....grafana.net/oncall, or the OSS engine's
http://localhost:8080): `GET /api/v1/users/`, `/personal_notification_rules/`, `/teams/`,
`/schedules/`, `/on_call_shifts/`, `/escalation_chains/`, `/escalation_policies/` and
`/integrations/` and `/routes/`. Lists are paged by page number (`page`, while the answer's `next` is set).

A 429 is waited out as its `Retry-After` asks, a 5xx retried, a bounded number of times (see
migrate.http). A list that cannot be read fails the run, except the personal notification rules
(Grafana OnCall answers them to user tokens only): then users keep their email, and the report says so.

`read_folder` reads the same lists from files: one JSON file per endpoint, named after it
(`users.json`, `personal_notification_rules.json`, `teams.json`, `schedules.json`,
`on_call_shifts.json`, `escalation_chains.json`, `escalation_policies.json`, `integrations.json`,
`routes.json`),
each a list or a page as the API answers it ({"results": [...], ...}); a missing file is an empty list.

`final_shifts` reads who a schedule puts on call between two dates, for comparing with Firebell's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from firebell.migrate.common import Finding, instant
from firebell.migrate.folder import read_lists
from firebell.migrate.grafana_oncall import Source
from firebell.migrate.http import JsonReader, ReadFailed, part, unique

MAX_PAGES = 10_000
LISTS = (
    "users",
    "personal_notification_rules",
    "teams",
    "schedules",
    "on_call_shifts",
    "escalation_chains",
    "escalation_policies",
    "integrations",
    "routes",
)


@dataclass
class GrafanaOnCallReader(JsonReader):
    @classmethod
    def connect(cls, api_url: str, token: str, **options: Any) -> GrafanaOnCallReader:
        client = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={"Authorization": token, "Accept": "application/json"},
            timeout=30.0,
        )
        return cls(client, **options)

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list paged by number (`page`, while the answer's `next` is set)."""
        for page in range(1, MAX_PAGES + 1):
            body = self.get(path, {**(params or {}), "page": str(page)})
            results = body.get("results") or []
            yield from results
            if not body.get("next") or not results:
                return


def read_account(reader: GrafanaOnCallReader, now: datetime | None = None) -> Source:
    """The instance's users (with their notification rules), teams, schedules (with their shifts),
    escalation chains (with their policies) and integrations (with their routes)."""
    source = Source(read_at=now or datetime.now(UTC))
    source.users = unique(reader.pages("/api/v1/users/"))
    try:
        source.notification_rules = unique(reader.pages("/api/v1/personal_notification_rules/"))
    except ReadFailed as exc:
        source.problems.append(
            Finding("read", "personal notification rules", f"not read ({exc}); users carried with their email only")
        )
    source.teams = unique(reader.pages("/api/v1/teams/"))
    source.schedules = unique(reader.pages("/api/v1/schedules/"))
    source.shifts = unique(reader.pages("/api/v1/on_call_shifts/"))
    source.escalation_chains = unique(reader.pages("/api/v1/escalation_chains/"))
    source.escalation_policies = unique(reader.pages("/api/v1/escalation_policies/"))
    source.integrations = unique(reader.pages("/api/v1/integrations/"))
    source.routes = unique(reader.pages("/api/v1/routes/"))
    return source


def read_folder(path: Path, now: datetime | None = None) -> Source:
    """The lists saved under `path`, one JSON file per endpoint. A missing folder, or one with none of
    the files, raises FileNotFoundError; a file that is not a list or a page raises ValueError."""
    found = read_lists(path, LISTS)
    lists = {name: unique(items or []) for name, items in found.items()}
    return Source(
        users=lists["users"],
        notification_rules=None
        if found["personal_notification_rules"] is None
        else lists["personal_notification_rules"],
        teams=lists["teams"],
        schedules=lists["schedules"],
        shifts=lists["on_call_shifts"],
        escalation_chains=lists["escalation_chains"],
        escalation_policies=lists["escalation_policies"],
        integrations=lists["integrations"],
        routes=lists["routes"],
        read_at=now or datetime.now(UTC),
    )


def final_shifts(
    reader: GrafanaOnCallReader, schedule_id: str, start: date, end: date
) -> list[tuple[datetime, datetime, str]]:
    """Who the schedule puts on call from `start` to `end` (dates, both included, at most 365 days
    apart): (start, end, email) of each final shift, in order; a shift without a valid time raises
    ReadFailed."""
    path = f"/api/v1/schedules/{part(schedule_id)}/final_shifts"
    shifts: list[tuple[datetime, datetime, str]] = []
    for shift in reader.pages(path, {"start_date": start.isoformat(), "end_date": end.isoformat()}):
        began, ended = instant(shift.get("shift_start")), instant(shift.get("shift_end"))
        if began is None or ended is None:
            raise ReadFailed(f"GET {path}: a final shift without a valid shift_start and shift_end")
        shifts.append((began, ended, str(shift.get("user_email") or "")))
    return sorted(shifts)
