"""Reading an Opsgenie account's on-call set-up through its REST API v2 into a Source.

Calls, as Opsgenie's OpenAPI description gives them (`Authorization: GenieKey <key>`):
`GET /v2/users` (paged: `limit`/`offset`, `totalCount` and `paging.next`), `GET /v2/users/{id}?expand=contact`,
`GET /v2/users/{id}/notification-rules` and each new-alert rule by id, `GET /v2/teams` and each team,
`GET /v2/schedules?expand=rotation` with each schedule's `/overrides`, `GET /v2/escalations`,
`GET /v2/integrations` and each enabled one by id (its `apiKey`), and `GET /v1/maintenance?type=non-expired`
with each window by id (its rules).

A 429 is waited out as its headers ask (`Retry-After`, else `X-RateLimit-Period-In-Sec`, at most a
minute) and a 5xx is retried with backoff, a bounded number of times (a refused or dropped
connection twice). A
list that cannot be read fails the whole run; one entity's details that cannot be read are a finding
in the report, and the rest goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx

from firebell.migrate.common import Finding
from firebell.migrate.http import JsonReader, ReadFailed, part
from firebell.migrate.opsgenie import Source

PAGE = 100  # Opsgenie's default and largest page of users
MAX_PAGES = 10_000


@dataclass
class OpsgenieReader(JsonReader):
    wait_headers: ClassVar[tuple[str, ...]] = ("retry-after", "x-ratelimit-period-in-sec")

    @classmethod
    def connect(cls, api_url: str, api_key: str, **options: Any) -> OpsgenieReader:
        client = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={"Authorization": f"GenieKey {api_key}", "Accept": "application/json"},
            timeout=30.0,
        )
        return cls(client, **options)

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paged list: `paging.next` when the answer gives it, else `offset` up to `totalCount`."""
        offset, limit = 0, PAGE
        for _ in range(MAX_PAGES):
            body = self.get(path, {**(params or {}), "limit": limit, "offset": offset})
            data = body.get("data") or []
            yield from data
            following = (body.get("paging") or {}).get("next")
            total = body.get("totalCount")
            if following:
                query = parse_qs(urlsplit(str(following)).query)
                step = int(query.get("offset", [offset + len(data)])[0])
                limit = int(query.get("limit", [limit])[0])
            elif isinstance(total, int) and offset + len(data) < total:
                step = offset + len(data)
            else:
                return
            if not data or step <= offset:
                return
            offset = step

    def data(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.get(path, params).get("data")


def read_account(reader: OpsgenieReader) -> Source:
    """The account's users, teams, schedules (with overrides), escalations and integrations."""
    source = Source()
    seen: set[str] = set()
    for listed in reader.pages("/v2/users"):
        user_id = str(listed.get("id", ""))
        if user_id in seen:
            continue  # a page that shifted while being read
        seen.add(user_id)
        source.users.append(_user_details(reader, listed, source))
    for listed in reader.data("/v2/teams") or []:
        try:
            source.teams.append(reader.data(f"/v2/teams/{part(listed.get('id'))}") or listed)
        except ReadFailed as exc:
            source.problems.append(
                Finding("team", str(listed.get("name", "")), f"members not read ({exc}); carried without them")
            )
            source.teams.append(listed)
    for schedule in reader.data("/v2/schedules", {"expand": "rotation"}) or []:
        source.schedules.append(schedule)
        try:
            overrides = reader.data(f"/v2/schedules/{part(schedule.get('id'))}/overrides") or []
        except ReadFailed as exc:
            source.problems.append(
                Finding("schedule", str(schedule.get("name", "")), f"overrides not read ({exc}); carried without them")
            )
            continue
        if overrides:
            source.overrides[str(schedule.get("id", ""))] = list(overrides)
    source.escalations.extend(reader.data("/v2/escalations") or [])
    try:
        listed_integrations = reader.data("/v2/integrations") or []
    except ReadFailed as exc:
        source.problems.append(Finding("read", "integrations", f"not read ({exc}); check them by hand"))
        listed_integrations = []
    for listed in listed_integrations:
        source.integrations.append(_details(reader, "/v2/integrations", listed, source, "integration"))
    try:
        windows = reader.data("/v1/maintenance", {"type": "non-expired"}) or []
    except ReadFailed as exc:
        source.problems.append(Finding("read", "maintenance", f"not read ({exc}); set the windows in Firebell"))
        windows = []
    for listed in windows:
        source.maintenance.append(_details(reader, "/v1/maintenance", listed, source, "maintenance"))
    return source


def _details(reader: OpsgenieReader, path: str, listed: dict[str, Any], source: Source, kind: str) -> dict[str, Any]:
    """An enabled entity read by id over what its list said; what cannot be read is reported."""
    if listed.get("enabled") is False:
        return listed
    try:
        return {**listed, **(reader.data(f"{path}/{part(listed.get('id'))}") or {})}
    except ReadFailed as exc:
        label = str(listed.get("name") or listed.get("description") or listed.get("id") or "")
        source.problems.append(Finding(kind, label, f"details not read ({exc})"))
        return listed


def _user_details(reader: OpsgenieReader, listed: dict[str, Any], source: Source) -> dict[str, Any]:
    user_id = part(listed.get("id"))
    name = str(listed.get("username", ""))
    try:
        user = reader.data(f"/v2/users/{user_id}", {"expand": "contact"}) or listed
    except ReadFailed as exc:
        source.problems.append(Finding("user", name, f"contacts not read ({exc}); carried without them"))
        return listed
    try:
        metas = reader.data(f"/v2/users/{user_id}/notification-rules") or []
        rules = [
            reader.data(f"/v2/users/{user_id}/notification-rules/{part(meta.get('id'))}") or meta
            if meta.get("actionType") == "create-alert" and meta.get("enabled") is not False
            else meta
            for meta in metas
        ]
    except ReadFailed as exc:
        source.problems.append(
            Finding("user", name, f"notification rules not read ({exc}); every contact is carried, at once")
        )
    else:
        source.notification_rules[str(listed.get("id", ""))] = rules
    return user
