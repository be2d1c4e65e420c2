"""Reading a PagerDuty account's on-call set-up through its REST API v2 into a Source.

Calls, as PagerDuty's OpenAPI description (PagerDuty/api-schema) gives them, with
`Authorization: Token token=<token>` and `Accept: application/vnd.pagerduty+json;version=2`:
`GET /users?include[]=contact_methods&include[]=notification_rules`, `GET /teams` and each team's
`/members`, `GET /schedules` then each `GET /schedules/{id}` (its layers) and its
`/overrides?since&until`, `GET /escalation_policies`, `GET /services?include[]=integrations` and
`GET /maintenance_windows?filter=open` (those still to come or under way).
Lists are paged classically (`offset`, `limit`, `more`).

`read_folder` reads the same from saved answers: `users.json` (with contact methods and notification
rules), `teams.json`, `schedules.json` (each schedule as `GET /schedules/{id}` gives it, with its
layers), `escalation_policies.json`, `services.json` (with integrations), `maintenance_windows.json`,
each a list or a page as the API answers it (`{"users": [...], "more": false}`); and, per id,
`members/<team id>.json` and `overrides/<schedule id>.json`. A missing file is an empty list.

A 429 is waited out as its headers ask (`Retry-After`, else `ratelimit-reset`), a 5xx retried, a
bounded number of times (see migrate.http). A list that cannot be read fails the run; one schedule,
team or override list that cannot be read is a finding in the report, and the rest goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx

from firebell.migrate.common import Finding
from firebell.migrate.folder import read_each, read_lists
from firebell.migrate.http import JsonReader, ReadFailed, part, unique
from firebell.migrate.pagerduty import Source

PAGE = 100  # PagerDuty's largest page
MAX_PAGES = 10_000
OVERRIDES_AHEAD = timedelta(days=365)  # overrides read from now to a year on


@dataclass
class PagerDutyReader(JsonReader):
    wait_headers: ClassVar[tuple[str, ...]] = ("retry-after", "ratelimit-reset")

    @classmethod
    def connect(cls, api_url: str, token: str, **options: Any) -> PagerDutyReader:
        client = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Authorization": f"Token token={token}",
                "Accept": "application/vnd.pagerduty+json;version=2",
            },
            timeout=30.0,
        )
        return cls(client, **options)

    def pages(self, path: str, key: str, params: list[tuple[str, str]] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a classically paged list (`offset`/`limit`, until `more` is false)."""
        offset = 0
        for _ in range(MAX_PAGES):
            body = self.get(path, [*(params or []), ("limit", str(PAGE)), ("offset", str(offset))])
            items = body.get(key) or []
            yield from items
            if not body.get("more") or not items:
                return
            offset += len(items)


def read_account(reader: PagerDutyReader, now: datetime | None = None) -> Source:
    """The account's users, teams (with members), schedules (with overrides), policies and services."""
    now = now or datetime.now(UTC)
    source = Source(read_at=now)
    source.users = unique(
        reader.pages("/users", "users", [("include[]", "contact_methods"), ("include[]", "notification_rules")])
    )
    source.teams = unique(reader.pages("/teams", "teams"))
    for team in source.teams:
        try:
            source.members[str(team.get("id", ""))] = list(
                reader.pages(f"/teams/{part(team.get('id'))}/members", "members")
            )
        except ReadFailed as exc:
            source.problems.append(Finding("read", f"team {team.get('name', '')}", f"members not read ({exc})"))
    since, until = now.isoformat(), (now + OVERRIDES_AHEAD).isoformat()
    for listed in unique(reader.pages("/schedules", "schedules")):
        name = str(listed.get("name", ""))
        try:
            schedule = reader.get(f"/schedules/{part(listed.get('id'))}").get("schedule") or listed
        except ReadFailed as exc:
            source.problems.append(Finding("schedule", name, f"not carried: its layers could not be read ({exc})"))
            continue
        source.schedules.append(schedule)
        try:
            overrides = reader.get(
                f"/schedules/{part(listed.get('id'))}/overrides", {"since": since, "until": until}
            ).get("overrides")
        except ReadFailed as exc:
            source.problems.append(Finding("schedule", name, f"overrides not read ({exc}); carried without them"))
            continue
        if overrides:
            source.overrides[str(listed.get("id", ""))] = list(overrides)
    source.escalation_policies = unique(reader.pages("/escalation_policies", "escalation_policies"))
    source.services = unique(reader.pages("/services", "services", [("include[]", "integrations")]))
    try:
        source.maintenance_windows = unique(
            reader.pages("/maintenance_windows", "maintenance_windows", [("filter", "open")])
        )
    except ReadFailed as exc:
        source.problems.append(Finding("read", "maintenance windows", f"not read ({exc}); set them in Firebell"))
    return source


FOLDER_LISTS = ("users", "teams", "schedules", "escalation_policies", "services", "maintenance_windows")


def read_folder(path: Path, now: datetime | None = None) -> Source:
    """The account as saved under `path` (see the module's description). A missing folder, or one with
    none of the lists, raises FileNotFoundError; a file that is not a list or a page raises ValueError."""
    lists = {name: unique(items or []) for name, items in read_lists(path, FOLDER_LISTS).items()}
    return Source(
        users=lists["users"],
        teams=lists["teams"],
        members=read_each(path / "members", "members"),
        schedules=lists["schedules"],
        overrides=read_each(path / "overrides", "overrides"),
        escalation_policies=lists["escalation_policies"],
        services=lists["services"],
        maintenance_windows=lists["maintenance_windows"],
        read_at=now or datetime.now(UTC),
    )
