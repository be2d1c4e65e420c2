"""PagerDuty's on-call set-up as a Firebell apply document, and a report of what did not carry over.

Pure: the documents PagerDuty's REST API v2 gives in, a plain mapping for `firebell apply -f` plus
findings out; no clock (the reader says when it read, `Source.read_at`), no I/O. Sorted output.

What maps where:
- a user becomes a person with a handle made from their email; their email and SMS contact methods
  become contact methods, delayed as their high-urgency notification rules say;
- a team keeps its name; managers are its admins, responders (and observers) its responders;
- a schedule keeps its name and time zone; each layer becomes a layer in the same order (later
  layers win in both tools), its turn length a weekly, daily or hourly rotation, its
  `rotation_virtual_start` the first handoff (read in the schedule's zone), its users the
  participants in order, daily and weekly restrictions weekly windows; overrides keep their instants;
- an escalation policy keeps its name; each rule is a level whose timeout is the rule's delay, and
  `num_loops` becomes `repeat`;
- a service keeps its name (made a Firebell service name where it is not one) and policy, and its
  Events API v2 integrations their keys, so senders keep the routing key they use; `firebell apply`
  creates the services that do not exist yet;
- a maintenance window still to come or under way (`GET /maintenance_windows?filter=open`) becomes a
  window of each of its services that was carried, with its description as the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from firebell.migrate.common import (
    DAY,
    EMAIL,
    MAX_LENGTH,
    MAX_REPEAT,
    Doc,
    Finding,
    Migration,
    People,
    by_name,
    instant,
    known_zone,
    maintenance_window,
    named,
    parse_clock,
    rotation_layer,
    service_name,
    weekly_windows,
    window_order,
    zone_or_utc,
)
from firebell.migrate.common import team as common_team
from firebell.oncall.escalation import format_duration

_WEEK_S, _DAY_S, _HOUR_S = 7 * 86400, 86400, 3600
_CONTACT_KINDS = {"email_contact_method": "email", "sms_contact_method": "sms"}
_NOT_SENT = {
    "phone_contact_method": "Firebell has no voice calls",
    "push_notification_contact_method": "Firebell has no mobile app push",
    "whatsapp_contact_method": "Firebell does not send WhatsApp messages",
}


@dataclass
class Source:
    """PagerDuty's documents, as its REST API v2 returns them."""

    users: list[Doc] = field(default_factory=list)  # User, with contact_methods and notification_rules included
    teams: list[Doc] = field(default_factory=list)  # Team
    members: dict[str, list[Doc]] = field(default_factory=dict)  # team id -> [{user, role}]
    schedules: list[Doc] = field(default_factory=list)  # Schedule, with schedule_layers
    overrides: dict[str, list[Doc]] = field(default_factory=dict)  # schedule id -> Override
    escalation_policies: list[Doc] = field(default_factory=list)
    services: list[Doc] = field(default_factory=list)  # Service, with integrations included
    maintenance_windows: list[Doc] = field(default_factory=list)  # MaintenanceWindow, open ones
    read_at: datetime | None = None  # layers that ended before this are left out
    problems: list[Finding] = field(default_factory=list)  # what the reader could not read


def translate(source: Source) -> Migration:
    """The Firebell apply document for `source`, and everything that did not carry over."""
    findings: list[Finding] = list(source.problems)
    people = People.of(source.users, findings, "email")
    users = [_user(u, handle, people, findings) for u, handle in people.ordered]
    teams_by_id = {str(t.get("id", "")): str(t["name"]) for t in source.teams if t.get("name")}
    teams = [
        _team(t, source.members.get(str(t.get("id", ""))), people, findings)
        for t in sorted(source.teams, key=by_name)
        if t.get("name")
    ]
    schedules: list[dict[str, Any]] = []
    schedule_names: dict[str, str] = {}
    for schedule in sorted(source.schedules, key=by_name):
        overrides = source.overrides.get(str(schedule.get("id", "")), [])
        doc = _schedule(schedule, overrides, people, teams_by_id, source.read_at, findings)
        if doc is not None:
            schedules.append(doc)
            schedule_names[str(schedule.get("id", ""))] = doc["name"]
    taken = set(teams_by_id.values()) | set(schedule_names.values())
    policies: list[dict[str, Any]] = []
    policy_names: dict[str, str] = {}
    for policy in sorted(source.escalation_policies, key=by_name):
        doc = _policy(policy, people, schedule_names, taken, teams_by_id, findings)
        if doc is not None:
            policies.append(doc)
            policy_names[str(policy.get("id", ""))] = doc["name"]
    services: list[dict[str, Any]] = []
    service_names: dict[str, str] = {}
    service_taken: set[str] = set()
    for service in sorted(source.services, key=by_name):
        doc = _service(service, policy_names, service_taken, findings)
        if doc is not None:
            services.append(doc)
            service_names[str(service.get("id", ""))] = doc["name"]
    _maintenance(source.maintenance_windows, services, service_names, source.read_at, findings)
    return Migration.of(users, teams, schedules, policies, services, findings)


# --- people -----------------------------------------------------------------------------------


def _user(user: Doc, handle: str, people: People, findings: list[Finding]) -> dict[str, Any]:
    email = str(user["email"]).strip()
    doc: dict[str, Any] = {
        "name": people.display_name(str(user.get("name") or ""), email, handle, findings),
        "handle": handle,
        "email": email,
    }
    zone = user.get("time_zone")
    if zone:
        if known_zone(str(zone)):
            doc["timezone"] = str(zone)
        else:
            findings.append(
                Finding("user", email, f"time zone {zone!r} is not an IANA name Firebell knows; set to UTC")
            )
    doc["contact_methods"] = _contact_methods(user, email, findings)
    return doc


def _contact_methods(user: Doc, email: str, findings: list[Finding]) -> list[dict[str, Any]]:
    contacts: dict[str, tuple[str, str]] = {}  # contact method id -> (type, address)
    for contact in user.get("contact_methods") or []:
        kind = str(contact.get("type", "")).removesuffix("_reference")
        label = f"{kind.removesuffix('_contact_method')} contact {contact.get('address', '')!r}"
        method = _CONTACT_KINDS.get(kind)
        address = str(contact.get("address", "")).strip()
        if method == "sms":
            address = "+" + "".join(ch for ch in f"{contact.get('country_code') or ''}{address}" if ch.isdigit())
        if method is None:
            why = _NOT_SENT.get(kind, "not an address Firebell can send to")
            findings.append(Finding("user", email, f"{label} not carried: {why}"))
        elif (method == "email" and not EMAIL.match(address)) or (method == "sms" and len(address) < 7):
            findings.append(Finding("user", email, f"{label} not carried: not an address Firebell can send to"))
        else:
            contacts[str(contact.get("id", ""))] = (method, address)
    rules = user.get("notification_rules")
    delays: dict[str, dict[str, int]] = {"high": {}, "low": {}}
    for rule in rules or []:
        ref = str((rule.get("contact_method") or {}).get("id", ""))
        urgency = str(rule.get("urgency") or "high")
        if ref in contacts and urgency in delays:
            minutes = int(rule.get("start_delay_in_minutes") or 0)
            delays[urgency][ref] = min(delays[urgency].get(ref, minutes), minutes)
    high = delays["high"] if rules is not None else dict.fromkeys(contacts, 0)
    if rules is not None and delays["low"] != high:
        findings.append(
            Finding(
                "user",
                email,
                "low-urgency notification rules differ from the high-urgency ones: Firebell uses one set of "
                "contact methods for every page, carried from the high-urgency rules (use a service's urgency "
                "to hold back low-urgency pages)",
            )
        )
    methods = []
    for ref, (method, address) in contacts.items():
        if ref not in high:
            findings.append(
                Finding(
                    "user",
                    email,
                    f"{method} contact {address!r} not carried: no high-urgency notification rule uses it",
                )
            )
            continue
        doc: dict[str, Any] = {"type": method, "address": address}
        if high[ref]:
            doc["delay"] = format_duration(timedelta(minutes=high[ref]))
        methods.append((high[ref], method, address, doc))
    return [doc for *_key, doc in sorted(methods, key=lambda m: m[:3])]


# --- teams ------------------------------------------------------------------------------------


def _team(team: Doc, members: list[Doc] | None, people: People, findings: list[Finding]) -> dict[str, Any]:
    name = str(team["name"])
    if members is None:
        findings.append(Finding("team", name, "members not read; carried without them"))
    return common_team(name, members or [], people, findings, admin="manager", plain="responder", label="summary")


# --- schedules --------------------------------------------------------------------------------


def _schedule(
    schedule: Doc,
    overrides: Sequence[Doc],
    people: People,
    teams: Mapping[str, str],
    read_at: datetime | None,
    findings: list[Finding],
) -> dict[str, Any] | None:
    name = named(schedule, "schedule", findings)
    if name is None:
        return None
    zone = zone_or_utc(str(schedule.get("time_zone") or "UTC"), "schedule", name, findings)
    layers: list[dict[str, Any]] = []
    for k, layer in enumerate(schedule.get("schedule_layers") or []):
        carried_layer = _layer(layer, k, zone, name, people, read_at, findings)
        if carried_layer is not None:
            layers.append(carried_layer)
    if not layers:
        findings.append(Finding("schedule", name, "not carried: none of its layers could be carried"))
        return None
    # A later layer wins over an earlier one where both are on call, in PagerDuty as in Firebell.
    doc: dict[str, Any] = {"name": name[:200], "timezone": zone, "layers": layers}
    owners = [teams[str(t.get("id", ""))] for t in schedule.get("teams") or [] if str(t.get("id", "")) in teams]
    if owners:
        doc["team"] = owners[0]
        if len(owners) > 1:
            findings.append(Finding("schedule", name, f"belongs to {len(owners)} teams; carried as {owners[0]!r}'s"))
    carried = [o for o in (_override(o, name, people, findings) for o in overrides) if o is not None]
    if carried:
        doc["overrides"] = sorted(carried, key=lambda o: (o["start"], o["end"], o["user"]))
    return doc


def _layer(
    layer: Doc, k: int, zone: str, schedule: str, people: People, read_at: datetime | None, findings: list[Finding]
) -> dict[str, Any] | None:
    name = str(layer.get("name") or f"Layer {k + 1}")[:200]
    where = f"layer {name!r}"
    end = instant(layer.get("end"))
    if end is not None and read_at is not None and end <= read_at:
        findings.append(Finding("schedule", schedule, f"{where} ended at {end.isoformat()}; left out"))
        return None
    anchor = instant(layer.get("rotation_virtual_start")) or instant(layer.get("start"))
    if anchor is None:
        findings.append(Finding("schedule", schedule, f"{where} not carried: no rotation_virtual_start"))
        return None
    turn = int(layer.get("rotation_turn_length_seconds") or 0)
    kind, length = _rotation(turn)
    if kind is None or not 1 <= length <= MAX_LENGTH:
        findings.append(
            Finding(
                "schedule",
                schedule,
                f"{where} not carried: turns of {turn} seconds are not whole hours of at most {MAX_LENGTH}",
            )
        )
        return None
    participants: list[str] = []
    for entry in layer.get("users") or []:
        user = entry.get("user") or {}
        handle = people.handle(user)
        if handle is None:
            label = user.get("summary") or user.get("id") or ""
            findings.append(
                Finding("schedule", schedule, f"{where}: user {label!r} left out: no such user was carried")
            )
        else:
            participants.append(handle)
    if not participants:
        findings.append(Finding("schedule", schedule, f"{where} not carried: no user could be carried"))
        return None
    windows = _windows(layer.get("restrictions") or [], where, schedule, findings)
    doc = rotation_layer(
        name=name,
        kind=kind,
        participants=participants,
        first_handoff=anchor,
        zone=zone,
        length=length,
        windows=windows,
        what=f"{where}: virtual start",
        findings=findings,
        schedule=schedule,
    )
    start = instant(layer.get("start"))
    if start is not None and start > anchor and (read_at is None or start > read_at):
        findings.append(
            Finding(
                "schedule",
                schedule,
                f"{where} takes effect at {start.isoformat()} in PagerDuty; Firebell counts it on call from its "
                f"virtual start {anchor.isoformat()}: add it after that date, or an override until then",
            )
        )
    if end is not None:
        findings.append(
            Finding(
                "schedule",
                schedule,
                f"{where} ends at {end.isoformat()} in PagerDuty; Firebell's layers have no end, so it goes on: "
                "remove the layer after that date",
            )
        )
    return doc


def _rotation(turn: int) -> tuple[str | None, int]:
    """A turn length in seconds as Firebell's rotation type and length (weeks, days or hours)."""
    for kind, unit in (("weekly_rotation", _WEEK_S), ("daily_rotation", _DAY_S), ("hourly_rotation", _HOUR_S)):
        if turn > 0 and turn % unit == 0:
            return kind, turn // unit
    return None, 0


def _windows(restrictions: Sequence[Doc], where: str, schedule: str, findings: list[Finding]) -> list[dict[str, Any]]:
    """Daily and weekly restrictions as Firebell's weekly windows (in the schedule's zone)."""
    spans: list[tuple[int, int]] = []
    for r in restrictions:
        kind = r.get("type")
        seconds = int(r.get("duration_seconds") or 0)
        try:
            start = parse_clock(str(r.get("start_time_of_day", "")))
        except ValueError:
            start = -1
        if seconds <= 0 or start < 0 or seconds % 60:
            findings.append(
                Finding(
                    "schedule",
                    schedule,
                    f"{where}: restriction {kind} from {r.get('start_time_of_day')!r} for {seconds} seconds left out: "
                    "not whole minutes",
                )
            )
            continue
        minutes = seconds // 60
        if kind == "daily_restriction":
            if minutes >= DAY:
                return []  # the whole day, every day: no restriction
            spans += [(day * DAY + start, day * DAY + start + minutes) for day in range(7)]
        elif kind == "weekly_restriction" and 1 <= int(r.get("start_day_of_week") or 0) <= 7:
            if minutes >= 7 * DAY:
                return []
            first = (int(r["start_day_of_week"]) - 1) * DAY + start
            spans.append((first, (first + minutes) % (7 * DAY)))
        else:
            findings.append(
                Finding("schedule", schedule, f"{where}: restriction of type {kind!r} not understood; left out")
            )
    return weekly_windows(spans)


def _override(override: Doc, schedule: str, people: People, findings: list[Finding]) -> dict[str, Any] | None:
    start, end = instant(override.get("start")), instant(override.get("end"))
    where = f"override from {override.get('start')!r}"
    if start is None or end is None or end <= start:
        findings.append(Finding("schedule", schedule, f"{where} not carried: it has no valid start and end"))
        return None
    handle = people.handle(override.get("user"))
    if handle is None:
        findings.append(Finding("schedule", schedule, f"{where} not carried: no such user was carried"))
        return None
    return {"user": handle, "start": start.isoformat(), "end": end.isoformat()}


# --- escalation policies ----------------------------------------------------------------------


def _policy(
    policy: Doc,
    people: People,
    schedules: Mapping[str, str],
    taken: set[str],
    teams: Mapping[str, str],
    findings: list[Finding],
) -> dict[str, Any] | None:
    name = str(policy.get("name", ""))
    levels: list[dict[str, Any]] = []
    for n, rule in enumerate(policy.get("escalation_rules") or [], start=1):
        targets: list[str] = []
        for target in rule.get("targets") or []:
            kind = str(target.get("type", "")).removesuffix("_reference")
            label = target.get("summary") or target.get("id") or ""
            if kind == "user":
                handle = people.handle(target)
                if handle is None:
                    why = f"user {label!r} was not carried"
                elif handle in taken:
                    why = f"user {handle!r} has the handle of a team or schedule, which Firebell would page instead"
                else:
                    targets.append(handle)
                    continue
            elif kind == "schedule":
                found = schedules.get(str(target.get("id", "")))
                if found is not None:
                    targets.append(found)
                    continue
                why = f"schedule {label!r} was not carried"
            else:
                why = f"targets of type {target.get('type')!r} ({label!r}) have no Firebell counterpart"
            findings.append(Finding("escalation", name, f"rule {n}: target not carried: {why}"))
        if rule.get("escalation_rule_assignment_strategy") == "round_robin":
            findings.append(
                Finding("escalation", name, f"rule {n} assigns round robin in PagerDuty; Firebell pages every target")
            )
        if not targets:
            findings.append(Finding("escalation", name, f"rule {n} not carried: none of its targets could be carried"))
            continue
        delay = int(rule.get("escalation_delay_in_minutes") or 0)
        levels.append(
            {"targets": list(dict.fromkeys(targets)), "timeout": format_duration(timedelta(minutes=max(delay, 1)))}
        )
    if not levels:
        findings.append(Finding("escalation", name, "not carried: none of its rules could be carried"))
        return None
    loops = int(policy.get("num_loops") or 0)
    if loops == 0:
        del levels[-1]["timeout"]  # nothing follows the last level
    doc: dict[str, Any] = {"name": name[:200]}
    if loops > 0:
        doc["repeat"] = min(loops, MAX_REPEAT)
        if loops > MAX_REPEAT:
            findings.append(Finding("escalation", name, f"loops {loops} times; Firebell repeats at most {MAX_REPEAT}"))
    doc["levels"] = levels
    owners = [teams[str(t.get("id", ""))] for t in policy.get("teams") or [] if str(t.get("id", "")) in teams]
    if owners:
        doc["team"] = owners[0]
    return doc


# --- services ---------------------------------------------------------------------------------


def _service(
    service: Doc, policies: Mapping[str, str], taken: set[str], findings: list[Finding]
) -> dict[str, Any] | None:
    label = str(service.get("name", ""))
    if not label:
        return None
    name = service_name(label, taken, "service", findings)
    policy = policies.get(str((service.get("escalation_policy") or {}).get("id", "")))
    if policy is None:
        label = (service.get("escalation_policy") or {}).get("summary") or "none"
        findings.append(Finding("service", name, f"escalation policy {label!r} was not carried; left unbound"))
    integrations: list[dict[str, Any]] = []
    for integration in service.get("integrations") or []:
        kind = str(integration.get("type", "")).removesuffix("_reference")
        label = str(integration.get("name") or integration.get("summary") or kind)
        key = integration.get("integration_key")
        if kind == "events_api_v2_inbound_integration" and key:
            integrations.append({"name": label[:200], "kind": "pagerduty", "key": str(key)})
        else:
            why = (
                "no integration key was read"
                if kind == "events_api_v2_inbound_integration"
                else "only Events API v2 integrations are carried; create a Firebell integration "
                "and point the sender at it"
            )
            findings.append(Finding("integration", f"{name}/{label}", f"not carried ({kind}): {why}"))
    doc: dict[str, Any] = {"name": name}
    if policy is not None:
        doc["escalation_policy"] = policy
    if integrations:
        doc["integrations"] = sorted(integrations, key=lambda i: (i["name"], i["key"]))
    return doc


def _maintenance(
    windows: Sequence[Doc],
    services: Sequence[dict[str, Any]],
    names: Mapping[str, str],
    read_at: datetime | None,
    findings: list[Finding],
) -> None:
    """Each open maintenance window on each of its services that was carried (sorted by start)."""
    by_service = {doc["name"]: doc for doc in services}
    for mw in windows:
        label = str(mw.get("description") or mw.get("summary") or mw.get("id") or "")
        carried = maintenance_window(mw.get("start_time"), mw.get("end_time"), mw.get("description"), read_at)
        if carried is None:
            findings.append(Finding("maintenance", label, "not carried: it is over or has no valid start and end"))
            continue
        for ref in mw.get("services") or []:
            name = names.get(str(ref.get("id", "")))
            if name is None:
                who = ref.get("summary") or ref.get("id")
                findings.append(Finding("maintenance", label, f"not carried for service {who!r}: it was not carried"))
                continue
            by_service[name].setdefault("maintenance", []).append(carried)
    for doc in services:
        if "maintenance" in doc:
            doc["maintenance"] = sorted(doc["maintenance"], key=window_order)
