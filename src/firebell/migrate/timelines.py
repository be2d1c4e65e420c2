"""What a source tool says its schedules will be: each schedule's final shifts, read over its REST API.

A vendor plugs into `firebell migrate verify` with an entry in VENDORS whose `connect` gives a
`Timelines`: its schedules by the name migrate gives them in Firebell, and one function giving a
schedule's final shifts (start, end, email or None) over a window. Shifts may overlap, and may run
past the window (verify cuts them).

- Opsgenie: `GET /v2/schedules`, then `GET /v2/schedules/{id}/timeline?identifierType=id&date=&interval=&
  intervalUnit=weeks`, whose `data.finalTimeline.rotations[].periods[]` have `startDate`, `endDate`
  and a `recipient` (a user's `name` is the email; a team or escalation is labelled by kind and name).
  The timeline is asked for a week more than the window, as Opsgenie may start it before `date`.
- PagerDuty: `GET /users` (ids to emails), `GET /schedules`, then `GET /schedules/{id}?since=&until=&
  time_zone=UTC`, whose `schedule.final_schedule.rendered_schedule_entries[]` have `start`, `end` and
  a user reference.
- Grafana OnCall: `GET /api/v1/schedules/`, then `GET /api/v1/schedules/{id}/final_shifts?start_date=&
  end_date=` (dates, read a day wider than the window on each side), whose shifts carry `user_email`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from firebell.migrate.common import instant
from firebell.migrate.grafana_oncall_http import GrafanaOnCallReader
from firebell.migrate.grafana_oncall_http import final_shifts as grafana_final_shifts
from firebell.migrate.http import part
from firebell.migrate.opsgenie_http import OpsgenieReader
from firebell.migrate.pagerduty_http import PagerDutyReader
from firebell.migrate.verify import Shift

NAME_LENGTH = 200  # migrate cuts names to Firebell's length


@dataclass(frozen=True, slots=True)
class Listed:
    name: str  # as migrate names it in Firebell
    key: str  # the vendor's id
    zone: str


class Timelines(Protocol):
    vendor: str

    def schedules(self) -> list[Listed]: ...

    def final_shifts(self, schedule: Listed, start: datetime, end: datetime) -> list[Shift]: ...

    def close(self) -> None: ...


def firebell_name(name: object) -> str:
    return str(name or "")[:NAME_LENGTH]


def _shift(start: object, end: object, who: str | None) -> Shift | None:
    begin, finish = instant(start), instant(end)
    if begin is None or finish is None or finish <= begin:
        return None
    return begin, finish, who


@dataclass
class OpsgenieTimelines:
    reader: OpsgenieReader
    vendor: str = "Opsgenie"

    def schedules(self) -> list[Listed]:
        found = self.reader.data("/v2/schedules") or []
        return [
            Listed(firebell_name(s.get("name")), str(s.get("id", "")), str(s.get("timezone") or "UTC"))
            for s in found
            if s.get("name")
        ]

    def final_shifts(self, schedule: Listed, start: datetime, end: datetime) -> list[Shift]:
        weeks = -(-(end - start).days // 7) + 1
        params = {"identifierType": "id", "date": start.isoformat(), "interval": weeks, "intervalUnit": "weeks"}
        timeline = self.reader.data(f"/v2/schedules/{part(schedule.key)}/timeline", params) or {}
        shifts: list[Shift] = []
        for rotation in (timeline.get("finalTimeline") or {}).get("rotations") or []:
            for period in rotation.get("periods") or []:
                found = _shift(period.get("startDate"), period.get("endDate"), _recipient(period.get("recipient")))
                if found is not None:
                    shifts.append(found)
        return shifts

    def close(self) -> None:
        self.reader.close()


def _recipient(recipient: dict[str, Any] | None) -> str | None:
    """A user's email; another kind of recipient by kind and name, so it never passes for a person."""
    if not recipient:
        return None
    kind, name = str(recipient.get("type") or "user"), str(recipient.get("name") or recipient.get("id") or "")
    if kind == "user":
        return name or None
    return f"{kind} {name}".strip()


@dataclass
class PagerDutyTimelines:
    reader: PagerDutyReader
    vendor: str = "PagerDuty"

    def __post_init__(self) -> None:
        self._emails: dict[str, str] | None = None

    def schedules(self) -> list[Listed]:
        seen: dict[str, Listed] = {}
        for s in self.reader.pages("/schedules", "schedules"):
            key = str(s.get("id", ""))
            if s.get("name") and key not in seen:
                seen[key] = Listed(firebell_name(s.get("name")), key, str(s.get("time_zone") or "UTC"))
        return list(seen.values())

    def final_shifts(self, schedule: Listed, start: datetime, end: datetime) -> list[Shift]:
        params = {"since": start.isoformat(), "until": end.isoformat(), "time_zone": "UTC"}
        found = self.reader.get(f"/schedules/{part(schedule.key)}", params).get("schedule") or {}
        entries = (found.get("final_schedule") or {}).get("rendered_schedule_entries") or []
        shifts = (_shift(e.get("start"), e.get("end"), self._email(e.get("user"))) for e in entries)
        return [s for s in shifts if s is not None]

    def _email(self, user: dict[str, Any] | None) -> str | None:
        if not user:
            return None
        if self._emails is None:
            self._emails = {str(u.get("id", "")): str(u.get("email", "")) for u in self.reader.pages("/users", "users")}
        return self._emails.get(str(user.get("id", ""))) or f"user {user.get('summary') or user.get('id')}"

    def close(self) -> None:
        self.reader.close()


@dataclass
class GrafanaOnCallTimelines:
    reader: GrafanaOnCallReader
    vendor: str = "Grafana OnCall"

    def schedules(self) -> list[Listed]:
        found = self.reader.pages("/api/v1/schedules/")
        return [
            Listed(firebell_name(s.get("name")), str(s.get("id", "")), str(s.get("time_zone") or "UTC"))
            for s in found
            if s.get("name")
        ]

    def final_shifts(self, schedule: Listed, start: datetime, end: datetime) -> list[Shift]:
        day = timedelta(days=1)
        found = grafana_final_shifts(self.reader, schedule.key, (start - day).date(), (end + day).date())
        return [(begin, finish, who or None) for begin, finish, who in found]

    def close(self) -> None:
        self.reader.close()


@dataclass(frozen=True, slots=True)
class Vendor:
    """How `migrate verify` reaches one source tool: its API, the secret it takes, its timelines."""

    label: str
    api_url: str  # the default
    option: str  # the command's option for the secret: --api-key or --token
    envvar: str  # where the secret is read when the option is not given
    connect: Callable[[str, str], Timelines]  # (api_url, secret)


def _opsgenie(api_url: str, api_key: str) -> Timelines:
    return OpsgenieTimelines(OpsgenieReader.connect(api_url, api_key))


def _pagerduty(api_url: str, token: str) -> Timelines:
    return PagerDutyTimelines(PagerDutyReader.connect(api_url, token))


def _grafana_oncall(api_url: str, token: str) -> Timelines:
    return GrafanaOnCallTimelines(GrafanaOnCallReader.connect(api_url, token))


VENDORS = {
    "opsgenie": Vendor("Opsgenie", "https://api.opsgenie.com", "--api-key", "OPSGENIE_API_KEY", _opsgenie),
    "pagerduty": Vendor("PagerDuty", "https://api.pagerduty.com", "--token", "PAGERDUTY_TOKEN", _pagerduty),
    # Grafana OnCall has no one address: Cloud's differs per stack, and OSS runs where it was installed.
    "grafana-oncall": Vendor("Grafana OnCall", "", "--token", "GRAFANA_ONCALL_TOKEN", _grafana_oncall),
}
