"""What every vendor's migration shares: findings, the result, people by email, and small readers. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from firebell.catalog.model import RESERVED_NAMES

SHORT_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 24 * 60  # minutes
WEEK = 7 * DAY
MAX_REPEAT = 20  # Firebell's limit on `repeat`
MAX_LENGTH = 24 * 31  # Firebell's limit on a rotation's `length`
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NOT_HANDLE = re.compile(r"[^a-z0-9_.-]+")
_NOT_SERVICE = re.compile(r"[^A-Za-z0-9_.-]+")

Doc = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Finding:
    """Something that was not carried over, or not exactly; `kind` and `name` say which thing."""

    kind: str  # user, team, schedule, escalation, service, integration, maintenance, or read
    name: str
    message: str

    def line(self) -> str:
        return f"{self.kind} {self.name!r}: {self.message}" if self.name else f"{self.kind}: {self.message}"


def service_name(name: str, taken: set[str], kind: str, findings: list[Finding]) -> str:
    """A Firebell service name for the vendor's `name` (letters, digits, '.', '_', '-'; at most 100),
    unused so far; a name changed on the way is reported."""
    base = _NOT_SERVICE.sub("-", name.strip()).strip("-._")[:100].rstrip("-._") or "service"
    found, n = base, 2
    while found in taken or found in RESERVED_NAMES:
        suffix = f"-{n}"
        found, n = base[: 100 - len(suffix)] + suffix, n + 1
    taken.add(found)
    if found != name:
        findings.append(
            Finding(
                kind, name, f"named {found!r} in Firebell (service names are 1-100 letters, digits, '.', '_' or '-')"
            )
        )
    return found


def maintenance_window(start: object, end: object, reason: object, after: datetime | None) -> dict[str, str] | None:
    """A maintenance window of the apply format; None when it has no valid times or is over by `after`."""
    begins, ends = instant(start), instant(end)
    if begins is None or ends is None or ends <= begins or (after is not None and ends <= after):
        return None
    return {"start": begins.isoformat(), "end": ends.isoformat(), "reason": str(reason or "")[:500]}


def window_order(carried: Mapping[str, str]) -> tuple[datetime, datetime, str]:
    """Maintenance windows in time order, whatever their offsets."""
    return datetime.fromisoformat(carried["start"]), datetime.fromisoformat(carried["end"]), carried["reason"]


@dataclass(frozen=True, slots=True)
class Migration:
    document: dict[str, Any]
    findings: tuple[Finding, ...]

    @classmethod
    def of(
        cls,
        users: list[dict[str, Any]],
        teams: list[dict[str, Any]],
        schedules: list[dict[str, Any]],
        policies: list[dict[str, Any]],
        services: list[dict[str, Any]],
        findings: Iterable[Finding],
    ) -> Migration:
        """The file apply takes: `services` only when there are some."""
        document: dict[str, Any] = {
            "users": users,
            "teams": teams,
            "schedules": schedules,
            "escalation_policies": policies,
        }
        if services:
            document["services"] = services
        return cls(document, tuple(findings))

    def counts(self) -> dict[str, int]:
        keys = ("users", "teams", "schedules", "escalation_policies", "services")
        return {key: len(self.document.get(key, [])) for key in keys}


@dataclass
class People:
    """The users carried, each with a handle made from their email; `email_field` names the vendor's field."""

    ordered: list[tuple[Doc, str]]  # (user, handle), by email
    by_id: dict[str, str]
    by_email: dict[str, str]
    email_field: str

    @property
    def handles(self) -> set[str]:
        return {handle for _user, handle in self.ordered}

    @classmethod
    def of(cls, users: Sequence[Doc], findings: list[Finding], email_field: str) -> People:
        ordered: list[tuple[Doc, str]] = []
        by_id: dict[str, str] = {}
        by_email: dict[str, str] = {}
        taken: set[str] = set()
        for user in sorted(users, key=lambda u: (str(u.get(email_field, "")).lower(), str(u.get("id", "")))):
            email = str(user.get(email_field, "")).strip()
            if not EMAIL.match(email):
                findings.append(Finding("user", email, f"not carried: the {email_field} is not an email address"))
                continue
            if email.lower() in by_email:
                findings.append(Finding("user", email, "not carried: another user has this email"))
                continue
            handle = make_handle(email, taken)
            taken.add(handle)
            ordered.append((user, handle))
            by_email[email.lower()] = handle
            if user.get("id"):
                by_id[str(user["id"])] = handle
        return cls(ordered, by_id, by_email, email_field)

    def handle(self, ref: Doc | None) -> str | None:
        """The handle of a user reference ({id} or {id, email}), if that user was carried."""
        if not ref:
            return None
        found = self.by_id.get(str(ref.get("id", "")))
        return found or self.by_email.get(str(ref.get(self.email_field, "")).strip().lower())

    def display_name(self, name: str, email: str, handle: str, findings: list[Finding]) -> str:
        """`name`, unless it reads as another person's handle (Firebell finds people by handle or name)."""
        name = (name or email).strip()[:200]
        if name.lower() in self.handles and name.lower() != handle:
            findings.append(Finding("user", email, f"name {name!r} is another person's handle; named {name} ({email})"))
            name = f"{name} ({email})"[:200]
        return name


def make_handle(email: str, taken: set[str]) -> str:
    base = _NOT_HANDLE.sub("-", email.split("@", 1)[0].lower()).lstrip("_.-")[:90] or "user"
    handle, n = base, 2
    while handle in taken:
        handle, n = f"{base}-{n}", n + 1
    return handle


def weekly_windows(spans: Iterable[tuple[int, int]]) -> list[dict[str, Any]]:
    """Spans of the week (minutes, Monday 00:00 = 0; an end at or before the start wraps round the
    week) as Firebell's windows, one per (start, end) with its days."""
    windows: dict[tuple[str, str], set[int]] = {}
    for first, last in spans:
        for day, start, end in _daily(first, last):
            windows.setdefault((clock(start), clock(end)), set()).add(day)
    return [
        {"days": [SHORT_DAYS[d] for d in sorted(days)], "start": start, "end": end}
        for (start, end), days in sorted(windows.items(), key=lambda kv: (min(kv[1]), kv[0]))
    ]


def _daily(first: int, last: int) -> Iterable[tuple[int, int, int]]:
    """A span of the week as Firebell windows (day, start minute, end minute); an end at or before the
    start closes the next day. A span of a day or less stays one window, a longer one is cut at midnights."""
    if last <= first:
        last += WEEK  # wraps round the end of the week
    if last - first <= DAY:
        yield (first // DAY) % 7, first % DAY, last % DAY
        return
    at = first
    while at < last:
        midnight = (at // DAY + 1) * DAY
        stop = min(midnight, last)
        yield (at // DAY) % 7, at % DAY, stop % DAY
        at = stop


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_clock(text: str) -> int:
    hours, minutes = text.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def instant(value: object) -> datetime | None:
    """A date-time: ISO 8601, or milliseconds since the epoch; None when it is neither."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return (frozenset(available_timezones()) | {"UTC"}) - {"localtime", "posixrules", "Factory"}


def known_zone(zone: str) -> bool:
    return zone in _zones()


def team(
    name: str, members: Iterable[Doc], people: People, findings: list[Finding], *, admin: str, plain: str, label: str
) -> dict[str, Any]:
    """A team with its members: those with the vendor's `admin` role are admins, everyone else a
    responder (a role other than `plain` is reported); `label` names the user reference's field shown."""
    responders: set[str] = set()
    admins: set[str] = set()
    for member in members:
        user = member.get("user") or {}
        handle = people.handle(user)
        if handle is None:
            who = user.get(label) or user.get("id")
            findings.append(Finding("team", name, f"member {who!r} not carried: no such user was carried"))
            continue
        role = str(member.get("role") or plain)
        if role == admin:
            admins.add(handle)
        else:
            responders.add(handle)
            if role != plain:
                findings.append(
                    Finding("team", name, f"member {handle!r} has the role {role!r}; carried as a responder")
                )
    return {"name": name[:200], "members": sorted(responders), "admins": sorted(admins - responders)}


def zone_or_utc(zone: str, kind: str, name: str, findings: list[Finding]) -> str:
    """`zone` if Firebell knows it, else UTC with a finding."""
    if known_zone(zone):
        return zone
    findings.append(Finding(kind, name, f"time zone {zone!r} is not an IANA name Firebell knows; used UTC"))
    return "UTC"


def rotation_layer(
    *,
    name: str,
    kind: str,
    participants: list[str],
    first_handoff: datetime,
    zone: str,
    length: int,
    windows: list[dict[str, Any]],
    what: str,
    findings: list[Finding],
    schedule: str,
) -> dict[str, Any]:
    """A layer of the apply format: its first handoff read in the schedule's zone (to the minute)."""
    local = first_handoff.astimezone(ZoneInfo(zone))
    if local.second or local.microsecond:
        findings.append(Finding("schedule", schedule, f"{what} {first_handoff.isoformat()} rounded to the minute"))
    layer: dict[str, Any] = {
        "name": name,
        "type": kind,
        "participants": participants,
        "start": local.date().isoformat(),
        "handoff": local.strftime("%H:%M"),
    }
    if length != 1:
        layer["length"] = length
    if windows:
        layer["windows"] = windows
    return layer


def named(doc: Doc, kind: str, findings: list[Finding]) -> str | None:
    """The document's name; a document without one is reported and not carried."""
    name = str(doc.get("name", ""))
    if not name:
        findings.append(Finding(kind, str(doc.get("id", "")), "not carried: it has no name"))
    return name or None


def carried(
    docs: Iterable[Doc], make: Callable[[Doc], dict[str, Any] | None]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """What `make` makes of each document, in name order, and the carried ones' names by source id."""
    made: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for doc in sorted(docs, key=by_name):
        out = make(doc)
        if out is not None:
            made.append(out)
            names[str(doc.get("id", ""))] = out["name"]
    return made, names


def by_name(doc: Doc) -> tuple[str, str]:
    """The order things are written in: by name, then id."""
    return str(doc.get("name", "")), str(doc.get("id", ""))
