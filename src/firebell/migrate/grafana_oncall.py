"""Grafana OnCall's on-call set-up as a Firebell apply document, and a report of what did not carry over.

Pure: the documents Grafana OnCall's public HTTP API v1 gives in, a plain mapping for `firebell apply -f`
plus findings out; no clock (the reader says when it read, `Source.read_at`), no I/O. Sorted output.

What maps where:
- a user becomes a person with a handle made from their email, their time zone and Slack member id;
  the API gives no phone number, so the only contact method carried is their email, delayed by the
  `wait` steps before the first `notify_by_email` of their default (not important) personal rules;
- a team keeps its name; the users that list it are its responders;
- a `web` or `calendar` schedule keeps its name and time zone. Its `rolling_users` and
  `recurrent_event` shifts become layers ordered by `level` (the higher level wins in both tools):
  `frequency` and `interval` the rotation type and length, `start` the first handoff (a wall-clock
  time in the shift's `time_zone`, else in the schedule's for `calendar` schedules and UTC for `web`
  ones, as Grafana OnCall reads it), `start_rotation_from_user_index` the first participant, and a
  `duration` shorter than the turn, or `by_day`, weekly windows. `override` shifts become overrides;
  `single_event` shifts too (reported: an override wins over every layer). `ical` schedules are
  reported;
- an escalation chain keeps its name; its policies, in `position` order, become levels: every step
  that pages (`notify_persons`, `notify_person_next_each_time`, `notify_on_call_from_schedule`,
  `notify_team_members`) adds targets to a level, and a `wait` closes it with the wait as its timeout;
  `repeat_escalation` repeats the chain (5 times, as Grafana OnCall does);
- an integration becomes a service (`firebell apply` creates it; a name Firebell does not take is
  changed and reported) bound to its default route's chain (its other routes are reported); Alertmanager and Grafana
  Alerting integrations become `alertmanager` integrations and webhook ones `webhook` integrations,
  each keeping the token of its `link` as its key when the token is a key Firebell takes, so a sender
  changes only the host and path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from firebell.catalog.service import BROUGHT_KEY
from firebell.migrate.common import (
    DAY,
    MAX_LENGTH,
    WEEK,
    Doc,
    Finding,
    Migration,
    People,
    by_name,
    carried,
    named,
    rotation_layer,
    service_name,
    weekly_windows,
    zone_or_utc,
)
from firebell.migrate.common import team as common_team
from firebell.oncall.escalation import format_duration

ROTATIONS = {"hourly": ("hourly_rotation", 60), "daily": ("daily_rotation", DAY), "weekly": ("weekly_rotation", WEEK)}
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
REPEATS = 5  # Grafana OnCall's repeat_escalation goes round the chain this often
KINDS = {"alertmanager": "alertmanager", "grafana_alerting": "alertmanager", "webhook": "webhook"}
_RULE_WHY = {
    "notify_by_sms": "the API gives no phone number",
    "notify_by_phone_call": "the API gives no phone number, and Firebell has no voice calls",
    "notify_by_slack": "Firebell's Slack contact is a webhook URL; the Slack member id is kept as slack_member_id",
    "notify_by_telegram": "the API gives no Telegram account",
    "notify_by_mobile_app": "Firebell has no mobile app push",
    "notify_by_mobile_app_critical": "Firebell has no mobile app push",
    "notify_by_msteams": "the API gives no Teams address",
    "notify_by_webhook": "the API gives no webhook address",
}
_STEP_WHY = {
    "notify_user_group": "Slack user groups have no Firebell counterpart",
    "notify_whole_channel": "Firebell pages people, not a Slack channel",
    "trigger_webhook": "outgoing webhooks are not carried; add a webhook contact or playbook step",
    "resolve": "Firebell does not resolve alerts from a policy",
    "notify_if_time_from_to": "Firebell's levels have no time-of-day condition; the following steps always run",
    "notify_if_num_alerts_in_window": "Firebell's levels have no alert-count condition",
    "declare_incident": "Firebell opens incidents from alerts, not from a policy step",
    "final_notify": "not a step Firebell has",
}


@dataclass
class Source:
    """Grafana OnCall's documents, as its public API v1 lists them (the `results` of each page)."""

    users: list[Doc] = field(default_factory=list)
    notification_rules: list[Doc] | None = None  # personal_notification_rules; None: not read
    teams: list[Doc] = field(default_factory=list)
    schedules: list[Doc] = field(default_factory=list)
    shifts: list[Doc] = field(default_factory=list)  # on_call_shifts
    escalation_chains: list[Doc] = field(default_factory=list)
    escalation_policies: list[Doc] = field(default_factory=list)
    integrations: list[Doc] = field(default_factory=list)
    routes: list[Doc] = field(default_factory=list)
    read_at: datetime | None = None  # shifts that ended before this are left out
    problems: list[Finding] = field(default_factory=list)  # what the reader could not read


def translate(source: Source) -> Migration:
    """The Firebell apply document for `source`, and everything that did not carry over."""
    findings: list[Finding] = list(source.problems)
    people = People.of(source.users, findings, "email")
    rules: dict[str, list[Doc]] = {}
    for rule in source.notification_rules or []:
        rules.setdefault(str(rule.get("user_id", "")), []).append(rule)
    users = [
        _user(
            u,
            handle,
            people,
            None if source.notification_rules is None else rules.get(str(u.get("id", "")), []),
            findings,
        )
        for u, handle in people.ordered
    ]
    teams_by_id = {str(t.get("id", "")): str(t["name"]) for t in source.teams if t.get("name")}
    teams = [_team(t, source.users, people, findings) for t in sorted(source.teams, key=by_name) if t.get("name")]
    shifts = {str(s.get("id", "")): s for s in source.shifts}
    known = Known(people, teams_by_id, source.read_at)
    schedules, schedule_names = carried(
        source.schedules, lambda schedule: _schedule(schedule, _shifts_of(schedule, shifts), known, findings)
    )
    steps: dict[str, list[Doc]] = {}
    for step in source.escalation_policies:
        steps.setdefault(str(step.get("escalation_chain_id", "")), []).append(step)
    targets = Targets(people, schedule_names, teams_by_id, set(teams_by_id.values()) | set(schedule_names.values()))
    policies, policy_names = carried(
        source.escalation_chains,
        lambda chain: _policy(chain, steps.get(str(chain.get("id", "")), []), targets, findings),
    )
    routes: dict[str, list[Doc]] = {}
    for route in source.routes:
        routes.setdefault(str(route.get("integration_id", "")), []).append(route)
    taken: set[str] = set()
    services, _ = carried(
        source.integrations,
        lambda integration: _service(
            integration, routes.get(str(integration.get("id", "")), []), policy_names, taken, findings
        ),
    )
    return Migration.of(users, teams, schedules, policies, services, findings)


# --- people -----------------------------------------------------------------------------------


def _user(user: Doc, handle: str, people: People, rules: list[Doc] | None, findings: list[Finding]) -> dict[str, Any]:
    email = str(user["email"]).strip()
    doc: dict[str, Any] = {
        "name": people.display_name(str(user.get("name") or user.get("username") or ""), email, handle, findings),
        "handle": handle,
        "email": email,
    }
    zone = str(user.get("timezone") or "")
    if zone and zone_or_utc(zone, "user", email, findings) != "UTC":
        doc["timezone"] = zone
    slack = [s for s in user.get("slack") or [] if isinstance(s, Mapping) and s.get("user_id")]
    if slack:
        doc["slack_member_id"] = str(slack[0]["user_id"])
    if rules is None:
        doc["contact_methods"] = [{"type": "email", "address": email}]
        return doc
    default = _email_delay([r for r in rules if not r.get("important")], email, findings)
    important = _email_delay([r for r in rules if r.get("important")], email, [])
    if important != default:
        findings.append(
            Finding(
                "user",
                email,
                "important notification rules differ from the default ones: Firebell uses one set of contact "
                "methods for every page, carried from the default rules",
            )
        )
    if default is None:
        findings.append(Finding("user", email, "no default notification rule emails them; carried without contacts"))
        doc["contact_methods"] = []
    else:
        method: dict[str, Any] = {"type": "email", "address": email}
        if default:
            method["delay"] = format_duration(timedelta(seconds=default))
        doc["contact_methods"] = [method]
    return doc


def _email_delay(rules: Sequence[Doc], email: str, findings: list[Finding]) -> int | None:
    """Seconds of `wait` before the first `notify_by_email` step, None if no step emails; the other
    steps are reported."""
    waited, found = 0, None
    for rule in sorted(rules, key=lambda r: int(r.get("position") or 0)):
        kind = str(rule.get("type", ""))
        if kind == "wait":
            waited += int(rule.get("duration") or 0)
        elif kind == "notify_by_email":
            found = waited if found is None else found
        else:
            why = _RULE_WHY.get(kind, "not a contact Firebell can send to")
            findings.append(Finding("user", email, f"notification rule {kind!r} not carried: {why}"))
    return found


def _team(team: Doc, users: Sequence[Doc], people: People, findings: list[Finding]) -> dict[str, Any]:
    key = str(team.get("id", ""))
    members = [{"user": u, "role": "member"} for u in users if key in [str(t) for t in u.get("teams") or []]]
    return common_team(str(team["name"]), members, people, findings, admin="admin", plain="member", label="email")


# --- schedules --------------------------------------------------------------------------------


def _shifts_of(schedule: Doc, shifts: Mapping[str, Doc]) -> list[Doc]:
    """The schedule's shifts: those it lists, and those that name it."""
    key = str(schedule.get("id", ""))
    listed = [str(s) for s in schedule.get("shifts") or []]
    return [s for k, s in sorted(shifts.items()) if k in listed or str(s.get("schedule") or "") == key]


def _schedule(schedule: Doc, shifts: Sequence[Doc], known: Known, findings: list[Finding]) -> dict[str, Any] | None:
    name = named(schedule, "schedule", findings)
    if name is None:
        return None
    if schedule.get("type") == "ical":
        findings.append(
            Finding(
                "schedule",
                name,
                f"not carried: its shifts come from the iCal feed {schedule.get('ical_url_primary')!r}; "
                "declare its rotations in Firebell",
            )
        )
        return None
    if schedule.get("ical_url_overrides"):
        findings.append(Finding("schedule", name, "overrides from an iCal feed not carried: add them in Firebell"))
    zone = zone_or_utc(str(schedule.get("time_zone") or "UTC"), "schedule", name, findings)
    default_zone = zone if schedule.get("type") == "calendar" else "UTC"
    ordered = sorted(shifts, key=lambda s: (int(s.get("level") or 0), str(s.get("start", "")), *by_name(s)))
    made: dict[bool, list[dict[str, Any] | None]] = {True: [], False: []}  # is an override -> made
    for shift in ordered:
        shift_zone = zone_or_utc(str(shift.get("time_zone") or default_zone), "schedule", name, findings)
        where = f"shift {str(shift.get('name') or shift.get('id', ''))!r}"
        start = _start(shift.get("start"), shift_zone)
        if start is None:
            findings.append(Finding("schedule", name, f"{where} not carried: no valid start"))
            continue
        shift_at = Shift(shift, where, start, shift_zone, name)
        single = shift.get("type") in ("override", "single_event")
        made[single].append(
            _override(shift_at, known.people, known.read_at, findings)
            if single
            else _layer(shift_at, zone, known.people, known.read_at, findings)
        )
    layers = [layer for layer in made[False] if layer is not None]
    overrides = [override for override in made[True] if override is not None]
    if not layers:
        findings.append(Finding("schedule", name, "not carried: none of its rotations could be carried"))
        return None
    doc: dict[str, Any] = {"name": name[:200], "timezone": zone, "layers": layers}
    team = known.teams.get(str(schedule.get("team_id") or ""))
    if team:
        doc["team"] = team
    if overrides:
        doc["overrides"] = sorted(overrides, key=lambda o: (o["start"], o["end"], o["user"]))
    return doc


@dataclass(frozen=True, slots=True)
class Known:
    """What a schedule's shifts are read against."""

    people: People
    teams: Mapping[str, str]  # team id -> name
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class Shift:
    doc: Doc
    where: str
    start: datetime  # aware, in `zone`
    zone: str
    schedule: str

    def note(self, message: str, findings: list[Finding]) -> None:
        findings.append(Finding("schedule", self.schedule, f"{self.where}{message}"))

    def ends(self, read_at: datetime | None, findings: list[Finding]) -> bool:
        """Whether the shift ended before `read_at` (reported); a later end is reported too."""
        until = _start(self.doc.get("until"), self.zone)
        if until is None:
            return False
        if read_at is not None and until <= read_at:
            self.note(f" ended at {until.isoformat()}; left out", findings)
            return True
        self.note(f" ends at {until.isoformat()}; Firebell's layers have no end: remove it then", findings)
        return False


def _start(value: object, zone: str) -> datetime | None:
    """A shift's `start` or `until`: a wall-clock time in `zone` (an offset, if given, wins)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(zone))


def _first_users(
    shift: Shift, groups: Sequence[Sequence[object]], people: People, findings: list[Finding]
) -> list[str]:
    """The first carried user of each group (Firebell puts one person on call a turn)."""
    found: list[str] = []
    for group in groups:
        handles = [people.by_id.get(str(u)) for u in group]
        for user, handle in zip(group, handles, strict=True):
            if handle is None:
                shift.note(f": user {user!r} left out: no such user was carried", findings)
        carried = [h for h in handles if h is not None]
        if len(carried) > 1:
            shift.note(f": {', '.join(carried)} are on call together; Firebell carries {carried[0]} only", findings)
        if carried:
            found.append(carried[0])
    return found


def _override(shift: Shift, people: People, read_at: datetime | None, findings: list[Finding]) -> dict[str, Any] | None:
    end = shift.start + timedelta(seconds=int(shift.doc.get("duration") or 0))
    if end <= shift.start:
        shift.note(" not carried: it has no duration", findings)
        return None
    if read_at is not None and end <= read_at:
        shift.note(f" ended at {end.isoformat()}; left out", findings)
        return None
    users = _first_users(shift, [shift.doc.get("users") or []], people, findings)
    if not users:
        shift.note(" not carried: no user could be carried", findings)
        return None
    if shift.doc.get("type") == "single_event":
        shift.note(" is a one-off shift; carried as an override, which wins over every layer", findings)
    return {"user": users[0], "start": shift.start.isoformat(), "end": end.isoformat()}


def _layer(
    shift: Shift, zone: str, people: People, read_at: datetime | None, findings: list[Finding]
) -> dict[str, Any] | None:
    doc = shift.doc
    frequency = str(doc.get("frequency") or "")
    if doc.get("type") not in ("rolling_users", "recurrent_event") or frequency not in ROTATIONS:
        shift.note(f" not carried: a {doc.get('type')} shift repeating {frequency or 'never'} has no layer", findings)
        return None
    if shift.ends(read_at, findings):
        return None
    kind, unit = ROTATIONS[frequency]
    interval = int(doc.get("interval") or 1)
    if not 1 <= interval <= MAX_LENGTH:
        shift.note(f" not carried: an interval of {interval} is more than Firebell's {MAX_LENGTH}", findings)
        return None
    if doc.get("type") == "rolling_users":
        groups: list[list[object]] = [list(g or []) for g in doc.get("rolling_users") or []]
        first = int(doc.get("start_rotation_from_user_index") or 0) % max(len(groups), 1)
        groups = groups[first:] + groups[:first]
    else:
        groups = [list(doc.get("users") or [])]
    participants = _first_users(shift, groups, people, findings)
    if not participants:
        shift.note(" not carried: no user could be carried", findings)
        return None
    spans = _spans(shift, unit, interval, findings)
    if spans is None:
        return None
    offset = _offset(shift, zone, findings) if spans else 0
    return rotation_layer(
        name=str(doc.get("name") or doc.get("id") or "Rotation")[:200],
        kind=kind,
        participants=participants,
        first_handoff=shift.start,
        zone=zone,
        length=interval,
        windows=weekly_windows(((a + offset) % WEEK, (b + offset) % WEEK) for a, b in spans) if spans else [],
        what=f"{shift.where}: start",
        findings=findings,
        schedule=shift.schedule,
    )


def _spans(shift: Shift, unit: int, interval: int, findings: list[Finding]) -> list[tuple[int, int]] | None:
    """The spans of the week (minutes from Monday 00:00, in the shift's zone) the shift is on call in,
    [] for all of its turns; None (reported) when Firebell's windows cannot say it."""
    doc = shift.doc
    turn, minutes = unit * interval, int(doc.get("duration") or 0) // 60
    local = shift.start
    at = local.weekday() * DAY + local.hour * 60 + local.minute
    days = [ICAL_DAYS.index(d) for d in doc.get("by_day") or [] if d in ICAL_DAYS]
    if minutes <= 0:
        shift.note(" not carried: it has no duration", findings)
        return None
    if not days and minutes >= turn:
        if minutes > turn:
            shift.note(f": {minutes} minutes on call a turn of {turn}; carried as whole turns", findings)
        return []
    exact = interval == 1 and unit in (DAY, WEEK) and minutes <= WEEK
    if not exact or (days and unit == DAY and doc.get("type") == "rolling_users"):
        shift.note(
            " not carried exactly: Firebell's windows repeat every week, its turns pass on every "
            f"{'day' if unit == DAY else 'week'}; check the layer",
            findings,
        )
        if not exact:
            return None
    if days:
        clock = at % DAY
        if len(days) > 1 and doc.get("type") == "rolling_users":
            shift.note(
                ": Grafana OnCall hands each listed day to the next user; Firebell hands over each turn", findings
            )
        return [(d * DAY + clock, d * DAY + clock + minutes) for d in days]
    if unit == DAY:
        return [(d * DAY + at % DAY, d * DAY + at % DAY + minutes) for d in range(7)]
    return [(at, at + minutes)]


def _offset(shift: Shift, zone: str, findings: list[Finding]) -> int:
    """Minutes the schedule's clock is ahead of the shift's at its start (windows are read in the
    schedule's zone); a difference is reported, as a change of daylight saving time moves it."""
    if shift.zone == zone:
        return 0
    there = shift.start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    here = shift.start.replace(tzinfo=None)
    shift.note(f": its hours are in {shift.zone}, carried in the schedule's {zone} as of its start", findings)
    return int((there - here).total_seconds() // 60)


# --- escalation chains ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Targets:
    people: People
    schedules: Mapping[str, str]
    teams: Mapping[str, str]
    taken: set[str]  # team and schedule names: a user with such a handle would not be paged

    def users(self, ids: object) -> tuple[list[str], list[str]]:
        """Handles of the carried users, and why the others are not carried."""
        found, why = [], []
        for key in ids if isinstance(ids, list) else []:
            handle = self.people.by_id.get(str(key))
            if handle is None:
                why.append(f"user {key!r} was not carried")
            elif handle in self.taken:
                why.append(f"user {handle!r} has the handle of a team or schedule, which Firebell would page instead")
            else:
                found.append(handle)
        return found, why

    def named(self, names: Mapping[str, str], key: object, kind: str) -> tuple[list[str], list[str]]:
        found = names.get(str(key or ""))
        return ([found], []) if found else ([], [f"{kind} {key!r} was not carried"])


def _policy(chain: Doc, steps: Sequence[Doc], targets: Targets, findings: list[Finding]) -> dict[str, Any] | None:
    name = str(chain.get("name", ""))
    levels: list[dict[str, Any]] = []
    pending: list[str] = []
    repeat = 0
    for n, step in enumerate(sorted(steps, key=lambda s: int(s.get("position") or 0)), start=1):
        kind = str(step.get("type", ""))
        where = f"step {n} ({kind})"
        if kind == "wait":
            seconds = int(step.get("duration") or 0)
            if pending:
                levels.append({"targets": list(dict.fromkeys(pending)), "timeout": seconds})
                pending = []
            elif levels:
                levels[-1]["timeout"] += seconds
            else:
                findings.append(Finding("escalation", name, f"{where}: a wait before anyone is paged is not carried"))
            continue
        if kind == "repeat_escalation":
            repeat = REPEATS
            continue
        if kind in ("notify_persons", "notify_person_next_each_time"):
            found, why = targets.users(step.get("persons_to_notify") or step.get("persons_to_notify_next_each_time"))
            if kind == "notify_person_next_each_time":
                why.append("Grafana OnCall pages one of them in turn; Firebell pages all of them")
        elif kind == "notify_on_call_from_schedule":
            found, why = targets.named(targets.schedules, step.get("notify_on_call_from_schedule"), "schedule")
        elif kind == "notify_team_members":
            found, why = targets.named(targets.teams, step.get("team_to_notify"), "team")
        else:
            found, why = [], [_STEP_WHY.get(kind, "not a step Firebell has")]
        if step.get("important"):
            why.append("pages as important; Firebell has one set of contact methods")
        findings += [Finding("escalation", name, f"{where}: {reason}") for reason in why]
        pending += found
    if pending:
        levels.append({"targets": list(dict.fromkeys(pending)), "timeout": 0})
    if not levels:
        findings.append(Finding("escalation", name, "not carried: none of its steps pages anyone Firebell knows"))
        return None
    for level in levels:
        level["timeout"] = format_duration(timedelta(seconds=max(int(level["timeout"]), 60)))
    if not repeat:
        del levels[-1]["timeout"]  # nothing follows the last level
    doc: dict[str, Any] = {"name": name}
    if repeat:
        doc["repeat"] = repeat
    doc["levels"] = levels
    team = targets.teams.get(str(chain.get("team_id") or ""))
    if team:
        doc["team"] = team
    return doc


# --- integrations -----------------------------------------------------------------------------


def link_token(link: object) -> str:
    """The token at the end of an integration's inbound URL (…/integrations/v1/<type>/<token>/)."""
    parts = [p for p in urlsplit(str(link or "")).path.split("/") if p]
    return parts[-1] if parts else ""


def _service(
    integration: Doc, routes: Sequence[Doc], policies: Mapping[str, str], taken: set[str], findings: list[Finding]
) -> dict[str, Any] | None:
    label = str(integration.get("name", "")).strip()
    if not label:
        return None
    name = service_name(label, taken, "integration", findings)
    kind = str(integration.get("type", ""))
    chain = str((integration.get("default_route") or {}).get("escalation_chain_id") or "")
    policy = policies.get(chain)
    if policy is None:
        findings.append(Finding("service", name, f"escalation chain {chain or 'none'!r} was not carried; left unbound"))
    doc: dict[str, Any] = {"name": name}
    if policy is not None:
        doc["escalation_policy"] = policy
    token = link_token(integration.get("link"))
    if kind not in KINDS:
        findings.append(
            Finding(
                "integration", label, f"not carried ({kind}): create a Firebell integration and point the sender at it"
            )
        )
    elif not BROUGHT_KEY.match(token):
        findings.append(Finding("integration", label, "not carried: the token of its link is not a key Firebell takes"))
    else:
        doc["integrations"] = [{"name": label[:200], "kind": KINDS[kind], "key": token}]
        if kind != "alertmanager":
            findings.append(
                Finding(
                    "integration",
                    name,
                    f"{kind} carried as an integration of kind {KINDS[kind]}: check the sender's payload",
                )
            )
    for route in sorted(routes, key=lambda r: int(r.get("position") or 0)):
        if not route.get("is_the_last_route"):
            chain_name = policies.get(str(route.get("escalation_chain_id") or ""), route.get("escalation_chain_id"))
            findings.append(
                Finding(
                    "service",
                    name,
                    f"route {route.get('routing_regex')!r} to {chain_name!r} not carried: Firebell pages a service's "
                    "one policy; split the senders over services, or give the policy's levels severities",
                )
            )
    return doc
