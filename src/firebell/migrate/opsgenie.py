"""Opsgenie's on-call set-up as a Firebell apply document, and a report of what did not carry over.

Pure: the vendor's documents in (as its REST API v2 and its configuration backup tool give them),
a plain mapping for `firebell apply -f` plus findings out; no clock, no I/O. The output is sorted
(people by email, teams, schedules and policies by name), so the same input gives the same file.

What maps where:
- a user (`username` is the email) becomes a person with a handle made from the email; their
  enabled email and SMS contacts become contact methods, delayed as the steps of their new-alert
  notification rules say (a contact no new-alert rule uses is left out and reported);
- a team keeps its name; members with the `admin` role are its admins, everyone else a responder;
- a schedule keeps its name and time zone; each rotation becomes a layer, in order, with its type,
  length, participants, first handoff (read in the schedule's zone) and time restriction as weekly
  windows; overrides keep their instants;
- an escalation keeps its name; its rules, ordered by delay, become levels (rules with one delay
  share a level) whose timeouts are the gaps between delays; `repeat.count` becomes `repeat`.

- an enabled integration that takes alerts through Opsgenie's Alert API with its API key (types API,
  Prometheus, that is Alertmanager's `opsgenie_configs`, and Grafana) becomes a service named after
  the integration, with an `opsgenie` integration keeping that key: senders change only the host.
  The service is bound to its team's escalation when the team has exactly one, and owned by the team;
- a maintenance window not over yet (`schedule`, or `for-...` with its end) that disables or quiets
  an integration carried becomes a window of that integration's service.

Everything else (voice and mobile-app contacts, `none` and team participants, rotation end dates,
rules that wait for close, email and outgoing integrations, policy maintenance, ...) is reported
with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from firebell.catalog.service import BROUGHT_KEY
from firebell.kernel.severity import Sev
from firebell.migrate.common import DAY as _DAY
from firebell.migrate.common import EMAIL as _EMAIL
from firebell.migrate.common import (
    MAX_LENGTH,
    MAX_REPEAT,
    SHORT_DAYS,
    Doc,
    Finding,
    Migration,
    by_name,
    maintenance_window,
    rotation_layer,
    service_name,
    weekly_windows,
    window_order,
    zone_or_utc,
)
from firebell.migrate.common import WEEK as _WEEK
from firebell.migrate.common import People as _People
from firebell.migrate.common import instant as _instant
from firebell.migrate.common import known_zone as _known_zone
from firebell.migrate.common import parse_clock as _parse_clock
from firebell.migrate.common import team as common_team
from firebell.oncall.escalation import format_duration

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SLOT = 30  # minutes: Opsgenie's restrictions and handoffs fall on :00 or :30
_ROTATION_TYPES = {"daily": "daily_rotation", "weekly": "weekly_rotation", "hourly": "hourly_rotation"}
_UNIT_SECONDS = {
    "days": 86400.0,
    "hours": 3600.0,
    "minutes": 60.0,
    "seconds": 1.0,
    "miliseconds": 0.001,
    "milliseconds": 0.001,
    "micros": 1e-6,
    "nanos": 1e-9,
}
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{5,30}$")


@dataclass
class Source:
    """Opsgenie's documents, as its API returns them (each list's `data` items)."""

    users: list[Doc] = field(default_factory=list)  # User, with userContacts
    # user id -> NotificationRule (with steps); a user missing here had their rules left unread
    notification_rules: dict[str, list[Doc]] = field(default_factory=dict)
    teams: list[Doc] = field(default_factory=list)  # Team, with members
    schedules: list[Doc] = field(default_factory=list)  # Schedule, with rotations
    overrides: dict[str, list[Doc]] = field(default_factory=dict)  # schedule id -> ScheduleOverride
    escalations: list[Doc] = field(default_factory=list)
    integrations: list[Doc] = field(default_factory=list)  # Integration (with apiKey), else IntegrationMeta
    maintenance: list[Doc] = field(default_factory=list)  # Maintenance, with rules
    problems: list[Finding] = field(default_factory=list)  # what the reader could not read


def translate(source: Source) -> Migration:
    """The Firebell apply document for `source`, and everything that did not carry over."""
    findings: list[Finding] = list(source.problems)
    people = _People.of(source.users, findings, "username")
    users = [_user(u, handle, people, source.notification_rules, findings) for u, handle in people.ordered]
    teams_by_id = {str(t.get("id", "")): str(t.get("name", "")) for t in source.teams if t.get("name")}
    teams = [_team(t, people, findings) for t in sorted(source.teams, key=by_name) if t.get("name")]
    schedules: list[dict[str, Any]] = []
    schedule_names: dict[str, str] = {}
    for schedule in sorted(source.schedules, key=by_name):
        doc = _schedule(schedule, source.overrides.get(str(schedule.get("id", "")), []), people, teams_by_id, findings)
        if doc is not None:
            schedules.append(doc)
            schedule_names[str(schedule.get("id", ""))] = doc["name"]
            schedule_names["name:" + doc["name"]] = doc["name"]
    targets = _Targets(people, teams_by_id, set(teams_by_id.values()), schedule_names)
    policies = [
        doc
        for escalation in sorted(source.escalations, key=by_name)
        if (doc := _policy(escalation, targets, teams_by_id, findings)) is not None
    ]
    services, by_integration = _services(source.integrations, teams_by_id, policies, set(), findings)
    labels = {str(i.get("id", "")): str(i.get("name", "")) for i in source.integrations}
    _maintenance(source.maintenance, services, by_integration, labels, findings)
    return Migration.of(users, teams, schedules, policies, services, findings)


# --- people -----------------------------------------------------------------------------------


def _user(
    user: Doc, handle: str, people: _People, rules: Mapping[str, list[Doc]], findings: list[Finding]
) -> dict[str, Any]:
    email = str(user["username"]).strip()
    name = people.display_name(str(user.get("fullName") or ""), email, handle, findings)
    doc: dict[str, Any] = {"name": name, "handle": handle, "email": email}
    zone = user.get("timeZone")
    if zone:
        if _known_zone(str(zone)):
            doc["timezone"] = str(zone)
        else:
            findings.append(
                Finding("user", email, f"time zone {zone!r} is not an IANA name Firebell knows; set to UTC")
            )
    contacts = _contacts(user, email, findings)
    own_rules = rules.get(str(user.get("id", "")))
    doc["contact_methods"] = _contact_methods(contacts, own_rules, email, findings)
    return doc


def _contacts(user: Doc, email: str, findings: list[Finding]) -> dict[tuple[str, str], str]:
    """The user's enabled contacts Firebell can send to, as (method, Opsgenie address) -> Firebell address."""
    found: dict[tuple[str, str], str] = {}
    for contact in user.get("userContacts") or []:
        method = str(contact.get("contactMethod") or contact.get("method") or "")
        to = str(contact.get("to", "")).strip()
        where = f"{method} contact {to!r}"
        if contact.get("enabled") is False or (contact.get("status") or {}).get("enabled") is False:
            findings.append(Finding("user", email, f"{where} not carried: it is disabled in Opsgenie"))
        elif method == "email" and _EMAIL.match(to):
            found[(method, to)] = to
        elif method == "sms" and _PHONE.match(phone := _phone(to)):
            found[(method, to)] = phone
        elif method in ("voice", "mobile"):
            what = "voice calls" if method == "voice" else "mobile app push"
            findings.append(Finding("user", email, f"{where} not carried: Firebell has no {what}"))
        else:
            findings.append(Finding("user", email, f"{where} not carried: not an address Firebell can send to"))
    return found


def _phone(to: str) -> str:
    """Opsgenie writes numbers as `countrycode-number` (1-5551234567); Firebell as +15551234567."""
    digits = re.sub(r"[^0-9]", "", to)
    return f"+{digits}" if digits else to


def _contact_methods(
    contacts: Mapping[tuple[str, str], str], rules: list[Doc] | None, email: str, findings: list[Finding]
) -> list[dict[str, Any]]:
    delays: dict[tuple[str, str], timedelta] = {}
    if rules is None:  # the rules were not read: every contact at once
        delays = dict.fromkeys(contacts, timedelta(0))
    for rule in sorted(rules or [], key=lambda r: (r.get("order") or 0, str(r.get("name", "")))):
        name = str(rule.get("name", ""))
        if rule.get("enabled") is False:
            continue
        if rule.get("actionType") != "create-alert":
            findings.append(
                Finding(
                    "user",
                    email,
                    f"notification rule {name!r} ({rule.get('actionType')}) not carried: "
                    "Firebell's contact methods are for pages (it sends its own shift reminders)",
                )
            )
            continue
        lost = [
            what
            for what, present in (
                ("its conditions", (rule.get("criteria") or {}).get("type", "match-all") != "match-all"),
                ("its time restriction", bool(rule.get("timeRestriction"))),
                ("its repeat", bool((rule.get("repeat") or {}).get("enabled"))),
            )
            if present
        ]
        if lost:
            findings.append(
                Finding(
                    "user",
                    email,
                    f"notification rule {name!r}: {' and '.join(lost)} not carried; "
                    "Firebell uses the contact methods for every page",
                )
            )
        for step in rule.get("steps") or []:
            if step.get("enabled") is False:
                continue
            contact = step.get("contact") or {}
            key = (str(contact.get("method", "")), str(contact.get("to", "")).strip())
            if key not in contacts:
                continue  # reported with the contact itself
            after = _seconds(step.get("sendAfter"))
            delay = timedelta(seconds=round(after)) if after is not None else timedelta(0)
            delays[key] = min(delays.get(key, delay), delay)
    for key in contacts:
        if key not in delays:
            findings.append(
                Finding(
                    "user",
                    email,
                    f"{key[0]} contact {key[1]!r} not carried: no new-alert notification rule in Opsgenie uses it",
                )
            )
    methods = []
    for key, delay in sorted(delays.items(), key=lambda kv: (kv[1], kv[0])):
        method: dict[str, Any] = {"type": key[0], "address": contacts[key]}
        if delay > timedelta(0):
            method["delay"] = format_duration(delay)
        methods.append(method)
    return methods


# --- teams ------------------------------------------------------------------------------------


def _team(team: Doc, people: _People, findings: list[Finding]) -> dict[str, Any]:
    members = team.get("members") or []
    return common_team(str(team["name"]), members, people, findings, admin="admin", plain="user", label="username")


# --- schedules --------------------------------------------------------------------------------


def _schedule(
    schedule: Doc, overrides: Sequence[Doc], people: _People, teams: Mapping[str, str], findings: list[Finding]
) -> dict[str, Any] | None:
    name = str(schedule.get("name", ""))
    if not name:
        findings.append(Finding("schedule", str(schedule.get("id", "")), "not carried: it has no name"))
        return None
    zone = zone_or_utc(str(schedule.get("timezone") or "UTC"), "schedule", name, findings)
    if schedule.get("enabled") is False:
        findings.append(Finding("schedule", name, "is disabled in Opsgenie; carried, and Firebell will use it"))
    layers: list[dict[str, Any]] = []
    for k, rotation in enumerate(schedule.get("rotations") or []):
        layer = _layer(rotation, k, zone, name, people, findings)
        if layer is not None:
            layers.append(layer)
    if not layers:
        findings.append(Finding("schedule", name, "not carried: none of its rotations could be carried"))
        return None
    _report_overlaps(layers, name, findings)
    doc: dict[str, Any] = {"name": name[:200], "timezone": zone, "layers": layers}
    team = _owner(schedule.get("ownerTeam"), teams)
    if team:
        doc["team"] = team
    carried = [o for o in (_override(o, len(layers), name, people, findings) for o in overrides) if o is not None]
    if carried:
        doc["overrides"] = sorted(carried, key=lambda o: (o["start"], o["end"], o["user"]))
    return doc


def _layer(
    rotation: Doc, k: int, zone: str, schedule: str, people: _People, findings: list[Finding]
) -> dict[str, Any] | None:
    name = str(rotation.get("name") or f"Rotation {k + 1}")[:200]
    where = f"rotation {name!r}"
    kind = _ROTATION_TYPES.get(str(rotation.get("type", "")))
    if kind is None:
        findings.append(Finding("schedule", schedule, f"{where} not carried: unknown type {rotation.get('type')!r}"))
        return None
    start = _instant(rotation.get("startDate"))
    if start is None:
        findings.append(Finding("schedule", schedule, f"{where} not carried: no start date"))
        return None
    length = int(rotation.get("length") or 1)
    if not 1 <= length <= MAX_LENGTH:
        findings.append(
            Finding("schedule", schedule, f"{where} not carried: length {length} is outside 1..{MAX_LENGTH}")
        )
        return None
    participants: list[str] = []
    for p in rotation.get("participants") or []:
        ptype = p.get("type")
        handle = people.handle(p) if ptype == "user" else None
        if handle is not None:
            participants.append(handle)
            continue
        label = p.get("username") or p.get("name") or p.get("id") or ""
        why = {
            "none": "a turn with nobody on call; Firebell's rotations take turns among people only, so the "
            "others' turns come round sooner",
            "team": "Firebell's rotations take people, not teams",
            "escalation": "Firebell's rotations take people, not escalation policies",
            "user": "no such user was carried",
        }.get(str(ptype), f"participants of type {ptype!r} are not understood")
        findings.append(Finding("schedule", schedule, f"{where}: participant {ptype} {label!r} left out: {why}"))
    if not participants:
        findings.append(Finding("schedule", schedule, f"{where} not carried: no participant could be carried"))
        return None
    windows = _windows(rotation.get("timeRestriction"), where, schedule, findings)
    layer = rotation_layer(
        name=name,
        kind=kind,
        participants=participants,
        first_handoff=start,
        zone=zone,
        length=length,
        windows=windows,
        what=f"{where}: start",
        findings=findings,
        schedule=schedule,
    )
    end = _instant(rotation.get("endDate"))
    if end is not None:
        findings.append(
            Finding(
                "schedule",
                schedule,
                f"{where} ends at {end.isoformat()} in Opsgenie; Firebell's rotations have "
                "no end, so it goes on: remove the layer after that date",
            )
        )
    return layer


def _windows(restriction: Doc | None, where: str, schedule: str, findings: list[Finding]) -> list[dict[str, Any]]:
    """A time restriction as Firebell's weekly windows (in the schedule's zone)."""
    if not restriction:
        return []
    spans: list[tuple[int, int]] = []  # minutes of the week, Monday 00:00 = 0
    if restriction.get("type") == "time-of-day":
        r = restriction.get("restriction") or {}
        start, end = _minute(r, "start"), _minute(r, "end")
        if start % _DAY == end % _DAY:
            return []  # the whole day: no restriction
        if end <= start:
            end += _DAY  # a night: closes the next morning
        spans = [(day * _DAY + start, day * _DAY + end) for day in range(7)]
    elif restriction.get("type") == "weekday-and-time-of-day":
        for r in restriction.get("restrictions") or []:
            try:
                first = DAYS.index(str(r.get("startDay", "")).lower()) * _DAY + _minute(r, "start")
                last = DAYS.index(str(r.get("endDay", "")).lower()) * _DAY + _minute(r, "end")
            except ValueError:
                findings.append(
                    Finding("schedule", schedule, f"{where}: a time restriction with an unknown day left out")
                )
                continue
            spans.append((first, last))
    else:
        findings.append(
            Finding(
                "schedule",
                schedule,
                f"{where}: time restriction of type {restriction.get('type')!r} not understood; "
                "the rotation is carried without it",
            )
        )
        return []
    return weekly_windows(spans)


def _coverage(layer: Mapping[str, Any]) -> set[int]:
    """The half-hour slots of the week a layer's windows cover (all of them without windows)."""
    if not layer.get("windows"):
        return set(range(_WEEK // _SLOT))
    slots: set[int] = set()
    for window in layer["windows"]:
        start, end = _parse_clock(window["start"]), _parse_clock(window["end"])
        length = end - start if end > start else end - start + _DAY
        for day in window["days"]:
            first = SHORT_DAYS.index(day) * _DAY + start
            slots.update((m // _SLOT) % (_WEEK // _SLOT) for m in range(first, first + length, _SLOT))
    return slots


def _report_overlaps(layers: Sequence[Mapping[str, Any]], schedule: str, findings: list[Finding]) -> None:
    for i, lower in enumerate(layers):
        for higher in layers[i + 1 :]:
            if _coverage(lower) & _coverage(higher):
                findings.append(
                    Finding(
                        "schedule",
                        schedule,
                        f"rotations {lower['name']!r} and {higher['name']!r} are both on "
                        f"call at some hours: Opsgenie notifies both, Firebell only the later one "
                        f"({higher['name']!r}); make them separate schedules if both must be paged",
                    )
                )


def _override(
    override: Doc, layer_count: int, schedule: str, people: _People, findings: list[Finding]
) -> dict[str, Any] | None:
    start, end = _instant(override.get("startDate")), _instant(override.get("endDate"))
    user = override.get("user") or {}
    label = override.get("alias") or (start.isoformat() if start else "?")
    where = f"override {label!r}"
    if start is None or end is None or end <= start:
        findings.append(Finding("schedule", schedule, f"{where} not carried: it has no valid start and end"))
        return None
    if user.get("type") == "none":
        findings.append(
            Finding(
                "schedule",
                schedule,
                f"{where} not carried: it leaves nobody on call, which Firebell's overrides cannot say",
            )
        )
        return None
    handle = people.handle(user)
    if handle is None:
        findings.append(Finding("schedule", schedule, f"{where} not carried: no such user was carried"))
        return None
    if override.get("rotations") and layer_count > 1:
        names = ", ".join(str(r.get("name") or r.get("id")) for r in override["rotations"])
        findings.append(
            Finding(
                "schedule",
                schedule,
                f"{where} applied to rotations {names} in Opsgenie; Firebell's override covers the whole schedule",
            )
        )
    return {"user": handle, "start": start.isoformat(), "end": end.isoformat()}


# --- escalation policies ----------------------------------------------------------------------


@dataclass
class _Targets:
    people: _People
    teams_by_id: Mapping[str, str]
    team_names: set[str]
    schedules: Mapping[str, str]  # schedule id, or "name:" + name -> carried schedule name

    def of(self, recipient: Doc, notify: str) -> tuple[str | None, str | None]:
        """The level target for a rule's recipient, or None and why not."""
        kind = recipient.get("type")
        label = recipient.get("username") or recipient.get("name") or recipient.get("id") or ""
        if kind == "user":
            handle = self.people.handle(recipient)
            if handle is None:
                return None, f"user {label!r} was not carried"
            if handle in self.team_names or "name:" + handle in self.schedules:
                return None, f"user {handle!r} has the handle of a team or schedule, which Firebell would page instead"
            return handle, None
        if kind == "schedule":
            name = self.schedules.get(str(recipient.get("id", ""))) or self.schedules.get(f"name:{label}")
            if name is None:
                return None, f"schedule {label!r} was not carried"
            if notify in ("next", "previous"):
                return None, f"the {notify} on-call of schedule {name!r}: Firebell pages the current one only"
            return name, None
        if kind == "team":
            name = self.teams_by_id.get(str(recipient.get("id", ""))) or (label if label in self.team_names else None)
            if name is None:
                return None, f"team {label!r} was not carried"
            if "name:" + name in self.schedules:
                return None, f"team {name!r} has the name of a schedule, which Firebell would page instead"
            return name, None
        return None, f"recipients of type {kind!r} ({label!r}) have no Firebell counterpart"


def _policy(
    escalation: Doc, targets: _Targets, teams: Mapping[str, str], findings: list[Finding]
) -> dict[str, Any] | None:
    name = str(escalation.get("name", ""))
    levels: dict[int, list[str]] = {}
    unresolved: dict[str, dict[str, str]] | None = None
    for rule in sorted(escalation.get("rules") or [], key=lambda r: _seconds(r.get("delay")) or 0):
        delay = round(_seconds(rule.get("delay")) or 0)
        after = format_duration(timedelta(seconds=delay))
        recipient = rule.get("recipient") or {}
        notify = str(rule.get("notifyType") or "default")
        condition = str(rule.get("condition") or "if-not-acked")
        if condition not in ("if-not-acked", "if-not-closed"):
            findings.append(Finding("escalation", name, f"rule after {after} not carried: condition {condition!r}"))
            continue
        target, why = targets.of(recipient, notify)
        if target is None:
            findings.append(Finding("escalation", name, f"rule after {after} not carried: {why}"))
            continue
        if recipient.get("type") == "team" and notify not in ("default", "all", "users"):
            findings.append(
                Finding(
                    "escalation",
                    name,
                    f"team {target!r} was notified as {notify!r}; Firebell pages the team's responders and admins",
                )
            )
        elif recipient.get("type") == "team" and notify == "default":
            findings.append(
                Finding(
                    "escalation",
                    name,
                    f"team {target!r} was notified through its own routing in Opsgenie; "
                    "Firebell pages the team's responders and admins",
                )
            )
        if condition == "if-not-closed":
            # Paged even when acknowledged, once the alert is this old: Firebell's `unresolved:`.
            if unresolved is None and delay > 0:
                unresolved = {sev.value: {"after": after, "page": target} for sev in Sev}
            else:
                findings.append(
                    Finding(
                        "escalation",
                        name,
                        f"rule after {after} (if-not-closed) not carried: Firebell pages once for an incident "
                        "still unresolved after some time"
                        + (" (the earliest such rule is carried)" if unresolved is not None else ", not at once"),
                    )
                )
            continue
        if target not in levels.setdefault(delay, []):
            levels[delay].append(target)
    if not levels:
        findings.append(Finding("escalation", name, "not carried: none of its rules could be carried"))
        return None
    delays = sorted(levels)
    if delays[0] > 0:
        findings.append(
            Finding(
                "escalation",
                name,
                f"the first rule waited {format_duration(timedelta(seconds=delays[0]))} in "
                "Opsgenie; Firebell pages the first level at once",
            )
        )
    repeat = escalation.get("repeat") or {}
    count = int(repeat.get("count") or 0)
    wait = int(repeat.get("waitInterval") or 0)
    out_levels: list[dict[str, Any]] = []
    for i, delay in enumerate(delays):
        level: dict[str, Any] = {"targets": levels[delay]}
        if i + 1 < len(delays):
            level["timeout"] = format_duration(timedelta(seconds=delays[i + 1] - delay))
        elif count > 0:
            level["timeout"] = format_duration(timedelta(minutes=max(wait, 1)))
        out_levels.append(level)
    doc: dict[str, Any] = {"name": name[:200]}
    if count > 0:
        doc["repeat"] = min(count, MAX_REPEAT)
        if count > MAX_REPEAT:
            findings.append(
                Finding("escalation", name, f"repeats {count} times; Firebell repeats at most {MAX_REPEAT}")
            )
        for flag, what in (
            ("resetRecipientStates", "resetting recipients"),
            ("closeAlertAfterAll", "closing the alert"),
        ):
            if repeat.get(flag):
                findings.append(Finding("escalation", name, f"{what} after the repeats is not carried"))
    doc["levels"] = out_levels
    if unresolved is not None:
        doc["unresolved"] = unresolved
    team = _owner(escalation.get("ownerTeam"), teams)
    if team:
        doc["team"] = team
    return doc


# --- small readers ----------------------------------------------------------------------------


def _owner(ref: Doc | None, teams: Mapping[str, str]) -> str | None:
    if not ref:
        return None
    name = teams.get(str(ref.get("id", ""))) or ref.get("name")
    return str(name) if name and str(name) in teams.values() else None


def _minute(restriction: Doc, prefix: str) -> int:
    return int(restriction.get(f"{prefix}Hour") or 0) * 60 + int(restriction.get(f"{prefix}Min") or 0)


def _seconds(duration: Doc | None) -> float | None:
    if not duration:
        return None
    unit = str(duration.get("timeUnit") or "minutes")
    return float(duration.get("timeAmount") or 0) * _UNIT_SECONDS.get(unit, 60.0)


# --- integrations and maintenance -------------------------------------------------------------

# Integrations whose senders post to Opsgenie's Alert API (`/v2/alerts`, `Authorization: GenieKey`),
# which Firebell answers as well: Alertmanager's `opsgenie_configs` (Opsgenie's Prometheus type) and
# Grafana's Opsgenie contact point among them.
ALERT_API_TYPES = frozenset({"API", "Prometheus", "Grafana"})


def _services(
    integrations: Sequence[Doc],
    teams: Mapping[str, str],
    policies: Sequence[Mapping[str, Any]],
    taken: set[str],
    findings: list[Finding],
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A service for each integration that can be carried, and the service name by integration id."""
    services: list[dict[str, Any]] = []
    by_integration: dict[str, str] = {}
    for integration in sorted(integrations, key=by_name):
        label = str(integration.get("name", ""))
        kind = str(integration.get("type") or "unknown type")
        why = _not_carried(integration, kind)
        if why:
            findings.append(Finding("integration", label, f"not carried ({kind}): {why}"))
            continue
        name = service_name(label, taken, "integration", findings)
        doc: dict[str, Any] = {"name": name}
        team = _owner(integration.get("ownerTeam") or {"id": integration.get("teamId")}, teams)
        if team is not None:
            owned = [p["name"] for p in policies if p.get("team") == team]
            if len(owned) == 1:
                doc["escalation_policy"] = owned[0]
            else:
                findings.append(
                    Finding(
                        "integration",
                        label,
                        f"team {team!r} has {len(owned)} escalations carried; bind service {name!r} to one",
                    )
                )
            doc["owner_team"] = team
        else:
            findings.append(
                Finding("integration", label, f"belongs to no team carried; bind service {name!r} to a policy")
            )
        doc["integrations"] = [{"name": label[:200], "kind": "opsgenie", "key": str(integration["apiKey"])}]
        services.append(doc)
        by_integration[str(integration.get("id", ""))] = name
    return services, by_integration


def _not_carried(integration: Doc, kind: str) -> str | None:
    """Why an integration is not carried; None when it is."""
    if integration.get("enabled") is False:
        return "it is disabled"
    if kind.endswith("Email") or kind == "Email" or "emailUsername" in integration:
        return "Firebell takes no alerts by email; send them to a Firebell integration instead"
    if "Outgoing" in kind or kind.endswith("Webhook") or kind == "Webhook":
        return "it sends from Opsgenie and takes no alerts; Firebell's webhooks and channels do this"
    if kind not in ALERT_API_TYPES:
        return (
            "the tool posts to an Opsgenie endpoint of its own; point it at a Firebell integration "
            "(firebell integration create) and bind its service to a policy"
        )
    key = integration.get("apiKey")
    if not key:
        return "no API key was read; create a Firebell opsgenie integration and give the tool its key"
    if not BROUGHT_KEY.match(str(key)):
        return "its API key is not one Firebell takes (16 to 128 letters, digits, '.', '_', '~' or '-')"
    return None


def _maintenance(
    maintenance: Sequence[Doc],
    services: Sequence[dict[str, Any]],
    by_integration: Mapping[str, str],
    labels: Mapping[str, str],
    findings: list[Finding],
) -> None:
    """Each window not over yet on the services of the integrations it disables or quiets."""
    by_service = {doc["name"]: doc for doc in services}
    for item in sorted(maintenance, key=lambda m: (str(m.get("description", "")), str(m.get("id", "")))):
        label = str(item.get("description") or item.get("id") or "")
        if item.get("status") in ("past", "cancelled"):
            findings.append(Finding("maintenance", label, f"not carried: it is {item['status']}"))
            continue
        time = item.get("time") or {}
        carried = maintenance_window(time.get("startDate"), time.get("endDate"), item.get("description"), None)
        if carried is None:
            why = "it lasts indefinitely" if time.get("type") == "indefinitely" else "it has no valid start and end"
            findings.append(Finding("maintenance", label, f"not carried: {why}; Firebell's windows have an end"))
            continue
        for rule in item.get("rules") or []:
            entity = rule.get("entity") or {}
            state = str(rule.get("state") or "")
            if entity.get("type") != "integration":
                findings.append(
                    Finding(
                        "maintenance",
                        label,
                        f"its rule on {entity.get('type')} {entity.get('id')!r} is not carried: Firebell's windows "
                        "are a service's",
                    )
                )
                continue
            name = by_integration.get(str(entity.get("id", "")))
            if name is None:
                ref = labels.get(str(entity.get("id", "")), entity.get("id"))
                findings.append(Finding("maintenance", label, f"integration {ref!r} was not carried"))
            elif state in ("disabled", "noise"):
                by_service[name].setdefault("maintenance", []).append(carried)
                if state == "noise":
                    findings.append(
                        Finding("maintenance", label, f"marks {name!r}'s alerts as noise; Firebell suppresses them")
                    )
    for doc in services:
        if "maintenance" in doc:
            doc["maintenance"] = sorted(doc["maintenance"], key=window_order)
