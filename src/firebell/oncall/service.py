"""On-call use cases: apply a configuration file, and ask who is on call.

`apply` is idempotent: it compares what is declared with what is stored and writes only the
differences, so applying the same file twice reports no changes the second time. People are the
identity domain's users (created through its service); a service the file declares is created
through the catalog's use case when it does not exist, and its policy and windows set through the
catalog's repository. Everything happens in the caller's transaction: a file that fails halfway
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from firebell.alerts.grouping import GroupingFields
from firebell.catalog.service import (
    CatalogRepo,
    DeclaredIntegration,
    IntegrationStore,
    add_maintenance,
    apply_facts,
    apply_grouping,
    apply_integrations,
    create_service,
)
from firebell.identity.model import Principal
from firebell.identity.ports import IdentityRepo
from firebell.identity.service import upsert_person
from firebell.incidents.severity_config import SeverityStore, apply_severities
from firebell.kernel.errors import DomainError, NotFound, ValidationFailed
from firebell.kernel.ids import new_id, new_secret, secret_digest
from firebell.kernel.netpolicy import OutboundPolicy, literal_refusal, scheme_refusal
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import (
    DEFAULT_UNRESOLVED,
    Level,
    Policy,
    PolicyRules,
    Target,
    TargetKind,
    Unresolved,
    category_key,
    parse_duration,
)
from firebell.oncall.gate import Gate
from firebell.oncall.notification_rules import ContactKind
from firebell.oncall.ports import OncallRepo
from firebell.oncall.schedule import Layer, OnCall, Override, Rotation, Schedule, ShiftUnit, Window, warnings
from firebell.oncall.schemas import (
    DAYS,
    IntegrationIn,
    LayerIn,
    LevelIn,
    OncallConfig,
    ParticipantIn,
    PolicyIn,
    ScheduleIn,
    ServiceIn,
    TeamIn,
    WindowIn,
)
from firebell.oncall.timeline import WINDOW_DAYS, Timeline, timeline
from firebell.oncall.urgency import parse_urgency_map

DEFAULT_START = date(2024, 1, 1)  # a Monday: weekly rotations hand off on Mondays unless told otherwise
CATALOG_FACTS = {"owner_team", "tier", "slos", "slis", "dashboards"}
_UNITS = {"weekly_rotation": ShiftUnit.WEEKS, "daily_rotation": ShiftUnit.DAYS, "hourly_rotation": ShiftUnit.HOURS}


class ServiceBinding(IntegrationStore, CatalogRepo, Protocol):
    def service_by_name(self, name: str) -> Mapping[str, Any] | None: ...

    def update_service(self, service_id: str, values: dict[str, Any]) -> None: ...

    def maintenance(self, service_id: str, *, current_at: datetime | None = None) -> Sequence[Mapping[str, Any]]: ...


@dataclass
class _People:
    """Who the file's names and handles mean: declared users first, then stored ones."""

    by_key: dict[str, str]
    lookup: Callable[[str], str | None]

    def resolve(self, name: str, field: str) -> str:
        key = name.strip().lower()
        found = self.by_key.get(key) or self.lookup(key)
        if found is None:
            raise ValidationFailed.field(field, f"no user with the handle or name {name!r}")
        return found


def apply(
    config: OncallConfig,
    *,
    oncall: OncallRepo,
    identity: IdentityRepo,
    services: ServiceBinding,
    now: datetime,
    outbound: OutboundPolicy | None = None,
    severities: SeverityStore | None = None,
    caller: Principal | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Make the stored configuration match `config`; the list of what changed, in words.

    `environ`: where integrations' `key_env` names are looked up (the CLI's environment); without
    it a file naming one is refused.

    Webhook addresses at internal IP addresses (or localhost) are refused unless `outbound` allows
    them (default: none allowed); names are checked again each time a message is sent. With a
    `caller`, a change the caller may not make (see oncall.gate) refuses the whole file.
    """
    _refuse_duplicates(config)
    _refuse_internal_addresses(config, outbound or OutboundPolicy())
    gate = Gate(caller, {str(t["id"]): str(t["name"]) for t in oncall.teams()}) if caller else Gate()
    changes: list[str] = []
    people = _apply_users(config, oncall, identity, now, gate, changes)
    _apply_teams(config, oncall, people, now, gate, changes)
    schedule_ids = {
        declared.name: _apply_schedule(declared, where, oncall, people, now, gate, changes)
        for where, declared in _schedule_places(config)
    }
    policy_ids = _apply_policies(config, schedule_ids, oncall, people, now, gate, changes)
    # Every declared service exists before any is set up, so one may depend on another declared later.
    for i, service in enumerate(config.services):
        _create_service(i, service, services, gate, changes, now)
    for i, service in enumerate(config.services):
        _apply_service(i, service, services, oncall, policy_ids, gate, changes, now, environ)
    if config.severities:
        if severities is None:
            raise ValidationFailed.field("severities", "severity targets are not applied here: use firebell apply")
        gate.admin("severities", None)
        changes += apply_severities(config.severities, store=severities, now=now)
    return changes


def _apply_users(
    config: OncallConfig, oncall: OncallRepo, identity: IdentityRepo, now: datetime, gate: Gate, changes: list[str]
) -> _People:
    people = _People({}, lambda key: _stored_user(identity, key))
    for i, user in enumerate(config.users):
        before = len(changes)
        try:
            user_id, change = upsert_person(
                repo=identity,
                handle=user.handle,
                email=user.email,
                name=user.name,
                timezone=user.timezone,
                phone=user.phone,
                slack_member_id=user.slack_member_id,
                now=now,
                working_hours=_hours_doc(user.working_hours, user.timezone),
            )
        except DomainError as exc:
            raise ValidationFailed.field(f"users[{i}].email", exc.message) from None
        people.by_key[user.handle] = user_id
        people.by_key[user.name.strip().lower()] = user_id
        if change:
            changes.append(f"{change} user {user.handle}")
        wanted = [
            {
                "kind": m.type.value,
                "address": m.address,
                "label": m.label,
                "delay_seconds": int(parse_duration(m.delay).total_seconds()) if m.delay else None,
            }
            for m in user.contact_methods
        ]
        current = [
            {k: row[k] for k in ("kind", "address", "label", "delay_seconds")}
            for row in oncall.contact_methods(user_id)
        ]
        if sorted(map(repr, current)) != sorted(map(repr, wanted)):  # the same methods, in any order
            rows = [{"id": new_id(), "user_id": user_id, **w} for w in wanted]
            oncall.set_contact_methods(user_id, rows)
            changes.append(f"set {len(rows)} contact methods of user {user.handle} (users[{i}])")
        if len(changes) > before:
            # People belong to no team. Asked once the change is known: a refusal rolls it all back.
            gate.admin(f"users[{i}]", None)
    return people


def _apply_teams(
    config: OncallConfig, oncall: OncallRepo, people: _People, now: datetime, gate: Gate, changes: list[str]
) -> None:
    for i, team in enumerate(config.teams):
        members, roles = _team_members(team, i, people)
        row = oncall.team_by_name(team.name)
        if row is None:
            gate.admin(f"teams[{i}]", None)  # a new team is a site admin's to make
            team_id = new_id()
            oncall.add_team({"id": team_id, "name": team.name, "created_at": now})
            changes.append(f"created team {team.name}")
        else:
            team_id = str(row["id"])
        if oncall.team_members(team_id) != members:
            gate.admin(f"teams[{i}]", team_id)
            oncall.set_team_members(team_id, members, roles)
            changes.append(f"set members of team {team.name}")
        elif roles is not None and oncall.team_roles(team_id) != roles:
            gate.admin(f"teams[{i}]", team_id)
            oncall.set_team_members(team_id, members, roles)
            changes.append(f"set roles in team {team.name}")


def _schedule_places(config: OncallConfig) -> list[tuple[str, ScheduleIn]]:
    """Every declared schedule with where the file declares it (`schedule` or `schedules[i]`)."""
    places = [("schedule", config.schedule)] if config.schedule is not None else []
    return places + [(f"schedules[{i}]", s) for i, s in enumerate(config.schedules)]


@dataclass(frozen=True, slots=True)
class _DeclaredPolicy:
    name: str
    repeat: int
    levels: list[LevelIn]
    where: str  # the policy's place in the file
    levels_at: str  # the place of its levels
    team: str | None
    declared: PolicyIn | None = None  # the file's entry (rules); None for a schedule's nested policy


def _declared_policies(config: OncallConfig) -> list[_DeclaredPolicy]:
    """The file's policies, then those nested in schedules (named after the schedule, of its team)."""
    found = [
        _DeclaredPolicy(
            p.name, p.repeat, p.levels, f"escalation_policies[{i}]", f"escalation_policies[{i}].levels", p.team, p
        )
        for i, p in enumerate(config.escalation_policies)
    ]
    for where, declared in _schedule_places(config):
        if declared.escalation_policy is not None:
            at = f"{where}.escalation_policy"
            found.append(_DeclaredPolicy(declared.name, 0, declared.escalation_policy, at, at, declared.team))
    return found


def _apply_policies(
    config: OncallConfig,
    schedule_ids: Mapping[str, str],
    oncall: OncallRepo,
    people: _People,
    now: datetime,
    gate: Gate,
    changes: list[str],
) -> dict[str, str]:
    only_schedule = next(iter(schedule_ids.values())) if len(schedule_ids) == 1 else None
    policy_ids: dict[str, str] = {}
    for declared in _declared_policies(config):
        own = schedule_ids.get(declared.name, only_schedule)

        def resolve(text: str, field: str, own: str | None = own) -> dict[str, str]:
            return _target(text, field, oncall, people, schedule_ids, own)

        at = declared.levels_at
        wanted = {
            "levels": [_level_document(level, f"{at}[{li}]", resolve) for li, level in enumerate(declared.levels)],
            "repeat": declared.repeat,
            "rules": _rules_document(declared.declared, declared.where, resolve),
            "team_id": _team_id(oncall, declared.team, f"{declared.where}.team"),
        }
        policy_ids[declared.name] = _store_policy(declared, wanted, oncall, now, gate, changes)
    return policy_ids


def _store_policy(
    declared: _DeclaredPolicy, wanted: dict[str, Any], oncall: OncallRepo, now: datetime, gate: Gate, changes: list[str]
) -> str:
    row = oncall.policy_by_name(declared.name)
    if row is None:
        gate.admin(declared.where, wanted["team_id"])
        policy_id = new_id()
        oncall.add_policy({"id": policy_id, "name": declared.name, **wanted, "created_at": now, "updated_at": now})
        changes.append(f"created escalation policy {declared.name}")
        return policy_id
    if any((row[k] or {} if k == "rules" else row[k]) != v for k, v in wanted.items()):
        # Both the team that has it and the one it is given to: no one hands a policy over alone.
        gate.admin(declared.where, row["team_id"], wanted["team_id"])
        oncall.update_policy(str(row["id"]), {**wanted, "updated_at": now})
        changes.append(f"updated escalation policy {declared.name}")
    return str(row["id"])


def _team_id(oncall: OncallRepo, name: str | None, field: str) -> str | None:
    if name is None:
        return None
    team = oncall.team_by_name(name)
    if team is None:
        raise ValidationFailed.field(field, f"no team named {name}; declare it under teams")
    return str(team["id"])


def _apply_service(
    i: int,
    service: ServiceIn,
    services: ServiceBinding,
    oncall: OncallRepo,
    policy_ids: Mapping[str, str],
    gate: Gate,
    changes: list[str],
    now: datetime,
    environ: Mapping[str, str] | None,
) -> None:
    row = services.service_by_name(service.name)
    if row is None:  # made by _create_service
        raise NotFound(f"no service named {service.name!r}", details=[{"field": f"services[{i}].name"}])
    before = len(changes)
    bound = _policy_id(service.escalation_policy, f"services[{i}].escalation_policy", oncall, policy_ids)
    if row.get("escalation_policy_id") != bound:
        services.update_service(str(row["id"]), {"escalation_policy_id": bound})
        changes.append(f"set the escalation policy of service {service.name}")
    by_category = {
        category_key(category): _policy_id(name, f"services[{i}].categories.{category}", oncall, policy_ids)
        for category, name in service.categories.items()
    }
    if (row.get("category_policies") or {}) != by_category:
        services.update_service(str(row["id"]), {"category_policies": by_category})
        changes.append(f"set the policies by category of service {service.name}")
    if service.depends_on is not None:
        _apply_dependencies(i, service, row, services, changes)
    paging = _service_paging(service)
    if paging and any((row.get(k) or None) != (v or None) for k, v in paging.items()):
        services.update_service(str(row["id"]), paging)
        changes.append(f"set the urgency and working hours of service {service.name}")
    facts = service.model_dump(include=CATALOG_FACTS, exclude_none=True)
    changed = apply_facts(repo=services, row=row, facts=facts, where=f"services[{i}]")
    if changed:
        changes.append(f"set the {', '.join(changed)} of service {service.name}")
    fields = GroupingFields.in_file(f"services[{i}]")
    mode, labels, window = service.grouping, service.group_by, service.grouping_window
    if apply_grouping(repo=services, row=row, mode=mode, by_labels=labels, window=window, fields=fields):
        changes.append(f"set the grouping of service {service.name}")
    if service.integrations is not None:
        declared = [
            DeclaredIntegration(
                item.name,
                item.kind,
                _key_of(item, f"services[{i}].integrations[{j}]", environ),
                item.mapping,
                item.forward_to,
            )
            for j, item in enumerate(service.integrations)
        ]
        where = f"services[{i}]"
        changes += apply_integrations(repo=services, service=row, declared=declared, where=where, now=now)
    if service.maintenance is not None:
        _apply_maintenance(service, row, services, changes, now)
    if len(changes) > before:
        # The team owning the service, and the one it is handed to; a refusal rolls it all back.
        owners = [row.get("owner_team"), *([service.owner_team] if service.owner_team is not None else [])]
        gate.admin(f"services[{i}]", *(_owner_id(oncall, owner) for owner in owners))


def _create_service(
    i: int, service: ServiceIn, services: ServiceBinding, gate: Gate, changes: list[str], now: datetime
) -> None:
    """Create a declared service that does not exist yet, as `firebell service create` would; the
    settings the file declares are then applied to it like to any other."""
    if services.service_by_name(service.name) is not None:
        return
    gate.admin(f"services[{i}]", None)  # a new service is a site admin's to make, as over the catalog API
    try:
        create_service(repo=services, name=service.name, now=now)
    except ValidationFailed as exc:
        detail = exc.details[0] if exc.details else {}
        raise ValidationFailed.field(f"services[{i}].name", str(detail.get("message", exc.message))) from None
    changes.append(f"created service {service.name}")


def _apply_maintenance(
    service: ServiceIn, row: Mapping[str, Any], services: ServiceBinding, changes: list[str], now: datetime
) -> None:
    """Add the declared windows the service lacks (matched by start and end); those already over are skipped."""
    stored = {(w["starts_at"], w["ends_at"]) for w in services.maintenance(str(row["id"]))}
    for window in service.maintenance or []:
        if window.end <= now or (window.start, window.end) in stored:
            continue
        stored.add((window.start, window.end))
        add_maintenance(
            repo=services,
            service=service.name,
            starts_at=window.start,
            ends_at=window.end,
            reason=window.reason,
            now=now,
        )
        changes.append(
            f"added a maintenance window to service {service.name} "
            f"({window.start.isoformat()} to {window.end.isoformat()})"
        )


def _key_of(item: IntegrationIn, field: str, environ: Mapping[str, str] | None) -> str:
    if item.key is not None:
        return item.key
    name = str(item.key_env)
    if environ is None:
        raise ValidationFailed.field(f"{field}.key_env", "keys from the environment are read only by firebell apply")
    value = environ.get(name)
    if not value:
        raise ValidationFailed.field(f"{field}.key_env", f"the environment has no {name}")
    return value


def _owner_id(oncall: OncallRepo, name: object) -> str | None:
    """The id of the team a service's `owner_team` names (None: no such team, so no team owns it)."""
    team = oncall.team_by_name(str(name)) if name else None
    return str(team["id"]) if team is not None else None


def _apply_dependencies(
    i: int, service: ServiceIn, row: Mapping[str, Any], services: ServiceBinding, changes: list[str]
) -> None:
    needs: list[str] = []
    for j, name in enumerate(service.depends_on or []):
        dep = services.service_by_name(name)
        if dep is None or name == service.name:
            problem = "a service cannot depend on itself" if dep else f"no service named {name!r}"
            raise ValidationFailed.field(f"services[{i}].depends_on[{j}]", problem)
        needs.append(str(dep["id"]))
    needs = list(dict.fromkeys(needs))
    if list(row.get("dependencies") or []) != needs:
        services.update_service(str(row["id"]), {"dependencies": needs})
        changes.append(f"set the dependencies of service {service.name}")


def _level_document(level: LevelIn, where: str, resolve: Callable[[str, str], dict[str, str]]) -> dict[str, Any]:
    """A level as stored: targets resolved to ids, and only the fields that say something."""
    document: dict[str, Any] = {
        "targets": [resolve(t, f"{where}.targets[{ti}]") for ti, t in enumerate(level.targets)],
        "timeout_seconds": int(parse_duration(level.timeout).total_seconds()),
    }
    if level.action:
        document["action"] = level.action
    if level.severities:
        document["severities"] = level.severities
    if level.urgency:
        document["urgency"] = {sev: value.value for sev, value in sorted(level.urgency.items())}
    return document


def _rules_document(
    policy: PolicyIn | None, where: str, resolve: Callable[[str, str], dict[str, str]]
) -> dict[str, Any]:
    """A policy's unresolved escalation and acknowledgement timeout as stored (absent: the defaults)."""
    if policy is None:
        return {}
    rules: dict[str, Any] = {}
    if policy.unresolved is not None:
        rules["unresolved"] = {
            sev: {
                "after_seconds": int(parse_duration(rule.after).total_seconds()),
                "to": None if rule.page == "next_level" else resolve(rule.page, f"{where}.unresolved.{sev}.page"),
            }
            for sev, rule in sorted(policy.unresolved.items())
        }
    if policy.acknowledgement_timeout:
        rules["acknowledgement_timeout_seconds"] = int(parse_duration(policy.acknowledgement_timeout).total_seconds())
    return rules


def _hours_doc(windows: list[WindowIn] | None, zone: str) -> dict[str, Any] | None:
    if windows is None:
        return None
    return {"zone": zone, "windows": [_window_doc(w) for w in windows]}


def _window_doc(window: WindowIn) -> dict[str, Any]:
    return {
        "days": [DAYS.index(d) for d in window.days],
        "start": window.start.isoformat("minutes"),
        "end": window.end.isoformat("minutes"),
    }


def _service_paging(service: ServiceIn) -> dict[str, Any]:
    """The urgency and working hours a service entry declares (each omitted one is left as is)."""
    values: dict[str, Any] = {}
    if service.urgency is not None:
        values["urgency"] = {sev: value.value for sev, value in sorted(service.urgency.items())}
    if service.working_hours is not None:
        values["working_hours"] = _hours_doc(service.working_hours.windows, service.working_hours.timezone)
    return values


def _policy_id(name: str | None, field: str, oncall: OncallRepo, declared: Mapping[str, str]) -> Any:
    if name is None:
        return None
    found = declared.get(name)
    if found is None:
        existing = oncall.policy_by_name(name)
        found = str(existing["id"]) if existing else None
    if found is None:
        raise ValidationFailed.field(field, f"no escalation policy named {name!r}")
    return found


def _refuse_internal_addresses(config: OncallConfig, policy: OutboundPolicy) -> None:
    for i, user in enumerate(config.users):
        for j, method in enumerate(user.contact_methods):
            if method.type not in (ContactKind.SLACK, ContactKind.WEBHOOK, ContactKind.APPRISE):
                continue
            host = urlsplit(method.address.strip()).hostname or ""
            # An apprise URL's host may be a numeric id (a Discord webhook, a Telegram bot).
            bare = method.type is not ContactKind.APPRISE
            reason = scheme_refusal(method.address, policy) if not bare else None
            if reason is None and host:
                reason = literal_refusal(host, policy, bare_numbers=bare)
            if reason is not None:
                raise ValidationFailed.field(f"users[{i}].contact_methods[{j}].address", reason)


def _team_members(team: TeamIn, i: int, people: _People) -> tuple[list[str], dict[str, str] | None]:
    """The team's members in order (responders, then admins, then viewers), and their declared roles."""
    members: list[str] = []
    roles: dict[str, str] = {}
    lists = (
        ("members", team.members, "responder"),
        ("admins", team.admins, "admin"),
        ("viewers", team.viewers, "viewer"),
    )
    for key, names, role in lists:
        for j, name in enumerate(names or []):
            user_id = people.resolve(name, f"teams[{i}].{key}[{j}]")
            if user_id not in roles:
                members.append(user_id)
            roles[user_id] = role
    return members, (roles if team.declares_roles() else None)


def _stored_user(identity: IdentityRepo, key: str) -> str | None:
    """A stored user by handle, email, or display name (when only one person has it)."""
    user = identity.user_by_handle(key) or identity.user_by_email(key)
    if user is None:
        named = identity.users_by_name(key)
        user = named[0] if len(named) == 1 else None
    return str(user["id"]) if user else None


def _refuse_duplicates(config: OncallConfig) -> None:
    """Two entries for one thing would silently fight (and never settle on re-apply): refuse them."""
    checks: list[tuple[str, list[str]]] = [
        ("users[{}].handle", [u.handle for u in config.users]),
        ("users[{}].email", [u.email.strip().lower() for u in config.users]),
        ("teams[{}].name", [t.name for t in config.teams]),
        ("escalation_policies[{}].name", [p.name for p in config.escalation_policies]),
        ("schedules[{}].name", [s.name for s in config.schedules]),
    ]
    for template, values in checks:
        seen: set[str] = set()
        for i, value in enumerate(values):
            if value in seen:
                raise ValidationFailed.field(template.format(i), f"{value!r} is declared twice in this file")
            seen.add(value)
    schedule_names = [s.name for s in config.all_schedules()]
    if config.schedule is not None and config.schedule.name in schedule_names[1:]:
        index = schedule_names[1:].index(config.schedule.name)
        raise ValidationFailed.field(
            f"schedules[{index}].name", f"{config.schedule.name!r} is declared twice in this file"
        )
    nested = {s.name for s in config.all_schedules() if s.escalation_policy is not None}
    for i, policy in enumerate(config.escalation_policies):
        if policy.name in nested:
            raise ValidationFailed.field(
                f"escalation_policies[{i}].name",
                f"{policy.name!r} is also the escalation policy of the schedule of that name; keep one",
            )


def _participant(value: ParticipantIn | str) -> str:
    return value if isinstance(value, str) else value.name


def _layer_document(layer: LayerIn, zone: str, where: str, people: _People) -> dict[str, Any]:
    first = datetime.combine(layer.start or DEFAULT_START, layer.handoff, tzinfo=ZoneInfo(zone))
    delays = {
        people.resolve(p.name, f"{where}.participants[{j}]"): int(parse_duration(p.escalation_delay).total_seconds())
        for j, p in enumerate(layer.participants)
        if isinstance(p, ParticipantIn) and p.escalation_delay
    }
    return {
        **({"delays": delays} if delays else {}),
        "name": layer.name,
        "unit": _UNITS[layer.type].value,
        "length": layer.length,
        "start": first.astimezone(ZoneInfo("UTC")).isoformat(),
        "participants": [
            people.resolve(_participant(p), f"{where}.participants[{j}]") for j, p in enumerate(layer.participants)
        ],
        "windows": [_window_doc(w) for w in layer.windows],
    }


def _apply_schedule(
    declared: ScheduleIn,
    where: str,
    oncall: OncallRepo,
    people: _People,
    now: datetime,
    gate: Gate,
    changes: list[str],
) -> str:
    layers = [
        _layer_document(
            layer, declared.timezone, where if k == 0 and declared.participants else f"{where}.layers[{k}]", people
        )
        for k, layer in enumerate(declared.all_layers())
    ]
    team_id = _team_id(oncall, declared.team, f"{where}.team")
    row = oncall.schedule_by_name(declared.name)
    if row is None:
        gate.admin(where, team_id)
        schedule_id = new_id()
        oncall.add_schedule(
            {
                "id": schedule_id,
                "name": declared.name,
                "zone": declared.timezone,
                "layers": layers,
                "team_id": team_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        changes.append(f"created schedule {declared.name}")
    else:
        schedule_id = str(row["id"])
        wanted = {"layers": layers, "zone": declared.timezone, "team_id": team_id}
        if any(row[k] != v for k, v in wanted.items()):
            gate.admin(where, row["team_id"], team_id)
            oncall.update_schedule(schedule_id, {**wanted, "updated_at": now})
            changes.append(f"updated schedule {declared.name}")
    # Declared overrides are added once; overrides made elsewhere (the UI, the API) are kept.
    stored = {(o["user_id"], o["starts_at"], o["ends_at"]) for o in oncall.overrides(schedule_id)}
    for j, override in enumerate(declared.overrides):
        user_id = people.resolve(override.user, f"{where}.overrides[{j}].user")
        replaces = people.resolve(override.replaces, f"{where}.overrides[{j}].replaces") if override.replaces else None
        if (user_id, override.start, override.end) not in stored:
            gate.admin(where, team_id)
            oncall.add_override(
                {
                    "id": new_id(),
                    "schedule_id": schedule_id,
                    "user_id": user_id,
                    "replaces_user_id": replaces,
                    "starts_at": override.start,
                    "ends_at": override.end,
                    "created_at": now,
                }
            )
            changes.append(f"added an override to schedule {declared.name}")
    return schedule_id


def _target(
    text: str,
    field: str,
    oncall: OncallRepo,
    people: _People,
    schedule_ids: Mapping[str, str],
    own_schedule: str | None,
) -> dict[str, str]:
    if text == "current_on_call":
        if own_schedule is None:
            raise ValidationFailed.field(field, "current_on_call needs the policy's schedule: name it instead")
        return {"kind": TargetKind.SCHEDULE.value, "ref": own_schedule}
    if text in schedule_ids:
        return {"kind": TargetKind.SCHEDULE.value, "ref": schedule_ids[text]}
    stored_schedule = oncall.schedule_by_name(text)
    if stored_schedule is not None:
        return {"kind": TargetKind.SCHEDULE.value, "ref": str(stored_schedule["id"])}
    team = oncall.team_by_name(text)
    if team is not None:
        return {"kind": TargetKind.TEAM.value, "ref": str(team["id"])}
    return {"kind": TargetKind.USER.value, "ref": people.resolve(text, field)}


# --- reading ----------------------------------------------------------------------------------


def schedule_from_row(row: Mapping[str, Any], overrides: Sequence[Mapping[str, Any]]) -> Schedule:
    """The pure schedule a stored row describes (participants and override users are user ids)."""
    zone = str(row["zone"])
    layers = []
    for doc in row["layers"]:
        rotation = Rotation(
            tuple(doc["participants"]),
            start=datetime.fromisoformat(doc["start"]),
            zone=zone,
            unit=ShiftUnit(doc["unit"]),
            length=int(doc["length"]),
        )
        windows = tuple(
            Window(frozenset(w["days"]), time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
            for w in doc.get("windows", [])
        )
        layers.append(Layer(doc["name"], rotation, windows))
    delays = {
        str(user): timedelta(seconds=int(seconds))
        for doc in row["layers"]
        for user, seconds in (doc.get("delays") or {}).items()
    }
    return Schedule(
        str(row["name"]),
        tuple(layers),
        tuple(Override(o["starts_at"], o["ends_at"], str(o["user_id"]), o["replaces_user_id"]) for o in overrides),
        delays,
    )


def policy_from_row(row: Mapping[str, Any]) -> Policy:
    return Policy(
        str(row["name"]),
        tuple(_level(level) for level in row["levels"]),
        repeat=int(row["repeat"]),
        rules=rules_from_doc(row.get("rules") or {}),
    )


def _level(doc: Mapping[str, Any]) -> Level:
    severities = doc.get("severities")
    return Level(
        tuple(Target(TargetKind(t["kind"]), t["ref"]) for t in doc["targets"]),
        timedelta(seconds=doc["timeout_seconds"]),
        str(doc.get("action", "")),
        frozenset(Sev(s) for s in severities) if severities else None,
        parse_urgency_map(doc.get("urgency") or {}),
    )


def rules_from_doc(doc: Mapping[str, Any]) -> PolicyRules:
    """Stored rules; a policy that says nothing of unresolved incidents follows the playbook's."""
    stored = doc.get("unresolved")
    unresolved = DEFAULT_UNRESOLVED
    if stored is not None:
        unresolved = {
            Sev(sev): Unresolved(
                timedelta(seconds=int(rule["after_seconds"])),
                Target(TargetKind(rule["to"]["kind"]), rule["to"]["ref"]) if rule.get("to") else None,
            )
            for sev, rule in stored.items()
        }
    timeout = doc.get("acknowledgement_timeout_seconds")
    return PolicyRules(unresolved, timedelta(seconds=int(timeout)) if timeout else None)


@dataclass(frozen=True, slots=True)
class OnCallNow:
    schedule: str
    at: datetime
    user_id: str | None
    handle: str | None
    name: str | None
    source: str | None  # "override" or the layer's name
    until: datetime | None  # when this answer changes (within the next 90 days)


def on_call(*, oncall: OncallRepo, schedule_name: str, at: datetime) -> OnCallNow:
    row = oncall.schedule_by_name(schedule_name)
    if row is None:
        raise NotFound(f"no schedule named {schedule_name!r}", details=[{"field": "schedule"}])
    schedule = schedule_from_row(row, oncall.overrides(str(row["id"])))
    answer: OnCall | None = schedule.on_call_at(at)
    shifts = schedule.final_shifts(at, at + timedelta(days=90))
    until = shifts[0].end if shifts and shifts[0].end < at + timedelta(days=90) else None
    if answer is None:
        return OnCallNow(schedule.name, at, None, None, None, None, until)
    (user,) = oncall.users([answer.user]) or [{}]
    return OnCallNow(schedule.name, at, answer.user, user.get("handle"), user.get("display_name"), answer.source, until)


@dataclass(frozen=True, slots=True)
class ShiftView:
    start: datetime
    end: datetime
    user_id: str | None  # None: nobody is on call (a gap)
    handle: str | None
    name: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class ScheduleView:
    name: str
    zone: str
    shifts: list[ShiftView]
    warnings: list[str]


MAX_RANGE = timedelta(days=366)


def schedule_view(
    *, oncall: OncallRepo, schedule_name: str, start: datetime, end: datetime, zone: str = "UTC"
) -> ScheduleView:
    """The final shifts of a schedule over [start, end), with names, and the playbook's warnings
    (their times read in `zone`)."""
    if end <= start:
        raise ValidationFailed.field("to", "must be after from")
    if end - start > MAX_RANGE:
        raise ValidationFailed.field("to", "ask for at most a year at a time")
    row = oncall.schedule_by_name(schedule_name)
    if row is None:
        raise NotFound(f"no schedule named {schedule_name!r}", details=[{"field": "schedule"}])
    schedule = schedule_from_row(row, oncall.overrides(str(row["id"])))
    shifts = schedule.final_shifts(start, end)
    ids = sorted({s.user for s in shifts if s.user is not None})
    people = {str(u["id"]): u for u in oncall.users(ids)} if ids else {}
    views = [
        ShiftView(
            s.start,
            s.end,
            s.user,
            people.get(s.user or "", {}).get("handle"),
            people.get(s.user or "", {}).get("display_name"),
            s.source,
        )
        for s in shifts
    ]
    found = [w.message for w in warnings(schedule, start, end, zone=zone)]
    named = [_name_people(message, people) for message in found]
    return ScheduleView(schedule.name, str(row["zone"]), views, named)


@dataclass(frozen=True, slots=True)
class TimelineView:
    """A schedule's timeline in one zone, with the same window's final shifts as a list."""

    name: str
    schedule_zone: str
    day: date  # the window's first day, in `timeline.zone`
    days: int
    timeline: Timeline
    people: Mapping[str, Mapping[str, Any]]  # user id: the person (handle, display_name)
    view: ScheduleView


def schedule_timeline(
    *, oncall: OncallRepo, schedule_name: str, zone: str | None, day: date | None, days: int, now: datetime
) -> TimelineView:
    """`days` days (1, 7 or 14) from local midnight of `day` (default: today) in `zone` (default: the
    schedule's own): each layer, the overrides and the final rotation."""
    if days not in WINDOW_DAYS:
        raise ValidationFailed.field("days", f"show {', '.join(map(str, WINDOW_DAYS))} days")
    row = oncall.schedule_by_name(schedule_name)
    if row is None:
        raise NotFound(f"no schedule named {schedule_name!r}", details=[{"field": "schedule"}])
    shown = zone or str(row["zone"])
    try:
        tz = ZoneInfo(shown)
    except (ValueError, KeyError):
        raise ValidationFailed.field("zone", f"unknown time zone {shown!r}") from None
    first = day or now.astimezone(tz).date()
    schedule = schedule_from_row(row, oncall.overrides(str(row["id"])))
    drawn = timeline(schedule, day=first, days=days, zone=shown, now=now)
    view = schedule_view(oncall=oncall, schedule_name=schedule_name, start=drawn.start, end=drawn.end, zone=shown)
    ids = sorted({s.user for r in drawn.rows for s in r.segments if s.user is not None})
    people = {str(u["id"]): u for u in oncall.users(ids)} if ids else {}
    return TimelineView(schedule_name, str(row["zone"]), first, days, drawn, people, view)


def _name_people(message: str, people: Mapping[str, Mapping[str, Any]]) -> str:
    for user_id, person in people.items():
        message = message.replace(user_id, str(person.get("handle") or user_id))
    return message


def schedule_names(oncall: OncallRepo) -> list[str]:
    return [str(row["name"]) for row in oncall.schedules()]


# --- calendar feeds ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedShift:
    schedule_id: str
    schedule_name: str
    start: datetime
    end: datetime
    user_id: str
    person: str


FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=90)


def create_feed(
    *, oncall: OncallRepo, identity: IdentityRepo, schedule: str | None, user: str | None, now: datetime
) -> str:
    """A new secret feed URL token for one schedule or one person (shown once, stored hashed)."""
    if (schedule is None) == (user is None):
        raise ValidationFailed.field("schedule", "name either a schedule or a user")
    schedule_id = user_id = None
    if schedule is not None:
        row = oncall.schedule_by_name(schedule)
        if row is None:
            raise NotFound(f"no schedule named {schedule!r}", details=[{"field": "schedule"}])
        schedule_id = str(row["id"])
    else:
        user_id = _stored_user(identity, str(user).strip().lower())
        if user_id is None:
            raise NotFound(f"no user with the handle or email {user!r}", details=[{"field": "user"}])
    token = new_secret("fbc_")
    oncall.add_feed(
        {
            "id": new_id(),
            "token_digest": secret_digest(token),
            "schedule_id": schedule_id,
            "user_id": user_id,
            "created_at": now,
        }
    )
    return token


def feed(*, oncall: OncallRepo, token: str, now: datetime) -> tuple[str, list[FeedShift], datetime]:
    """(title, shifts, last change) of the feed this token opens, from a week ago to 90 days on."""
    row = oncall.feed_by_digest(secret_digest(token))
    if row is None:
        raise NotFound("no calendar feed has this address", details=[{"field": "token"}])
    # The window moves a week at a time (from a Monday 00:00 UTC), so the events clipped at its edges
    # keep their UIDs between fetches rather than changing at every one.
    back = (now - FEED_PAST).astimezone(UTC)
    start = datetime.combine(back.date() - timedelta(days=back.weekday()), time(0), tzinfo=UTC)
    end = start + FEED_PAST + FEED_AHEAD + timedelta(days=7)
    rows = [oncall.schedule(str(row["schedule_id"]))] if row["schedule_id"] else list(oncall.schedules())
    shifts: list[FeedShift] = []
    changed = datetime(2024, 1, 1, tzinfo=start.tzinfo)
    for schedule_row in rows:
        if schedule_row is None:
            continue
        overrides = oncall.overrides(str(schedule_row["id"]))
        schedule = schedule_from_row(schedule_row, overrides)
        changed = max([changed, schedule_row["updated_at"], *(o["created_at"] for o in overrides)])
        for shift in schedule.final_shifts(start, end):
            if shift.user is not None and (row["user_id"] is None or shift.user == row["user_id"]):
                shifts.append(FeedShift(str(schedule_row["id"]), schedule.name, shift.start, shift.end, shift.user, ""))
    people = {str(u["id"]): u for u in oncall.users(sorted({s.user_id for s in shifts}))} if shifts else {}
    named = [
        FeedShift(s.schedule_id, s.schedule_name, s.start, s.end, s.user_id, _person(people.get(s.user_id)))
        for s in shifts
    ]
    if row["user_id"]:
        (person,) = oncall.users([str(row["user_id"])]) or [{}]
        title = f"On call: {_person(person)}"
    else:
        title = f"On call: {rows[0]['name'] if rows and rows[0] else 'schedule'}"
    return title, sorted(named, key=lambda s: (s.start, s.schedule_name)), changed


def _person(user: Mapping[str, Any] | None) -> str:
    if not user:
        return "someone"
    return str(user.get("display_name") or user.get("handle") or "someone")


# --- overrides --------------------------------------------------------------------------------


def add_override(
    *,
    oncall: OncallRepo,
    identity: IdentityRepo,
    schedule_name: str,
    user: str,
    start: datetime,
    end: datetime,
    replaces: str | None,
    now: datetime,
) -> str:
    """`user` covers the schedule from `start` to `end` (for `replaces`, if given): vacation swaps."""
    row = oncall.schedule_by_name(schedule_name)
    if row is None:
        raise NotFound(f"no schedule named {schedule_name!r}", details=[{"field": "schedule"}])
    for field, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValidationFailed.field(field, "give the time with its UTC offset, as in 2026-12-24T09:00:00+01:00")
    if end <= start:
        raise ValidationFailed.field("end", "must be after start")
    if end <= now:
        raise ValidationFailed.field("end", "is in the past: an override covers time still to come")
    if end - start > MAX_RANGE:
        raise ValidationFailed.field("end", "an override lasts at most a year")
    user_id = _stored_user(identity, user.strip().lower())
    if user_id is None:
        raise NotFound(f"no user with the handle or email {user!r}", details=[{"field": "user"}])
    replaced = None
    if replaces:
        replaced = _stored_user(identity, replaces.strip().lower())
        if replaced is None:
            raise NotFound(f"no user with the handle or email {replaces!r}", details=[{"field": "replaces"}])
    override_id = new_id()
    oncall.add_override(
        {
            "id": override_id,
            "schedule_id": str(row["id"]),
            "user_id": user_id,
            "replaces_user_id": replaced,
            "starts_at": start,
            "ends_at": end,
            "created_at": now,
        }
    )
    return override_id
