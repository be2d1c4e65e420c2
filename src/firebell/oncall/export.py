"""`firebell export`: the stored on-call configuration, written in the format `firebell apply` reads.

Applying an export to the database it came from changes nothing, and applying it to an empty one
recreates the same configuration (users, contact methods, teams, schedules with their layers and
overrides, escalation policies and the services' bindings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from firebell.catalog.model import DEFAULT_TIER
from firebell.identity.ports import IdentityRepo
from firebell.incidents.severity_config import SeverityStore, export_severities
from firebell.oncall.escalation import TargetKind, format_duration
from firebell.oncall.ports import OncallRepo
from firebell.oncall.schemas import DAYS

_FACTS = ("owner_team", "slos", "slis", "dashboards")  # the catalog facts `apply` sets
_TYPES = {"weeks": "weekly_rotation", "days": "daily_rotation", "hours": "hourly_rotation"}


class ServiceListing(Protocol):
    def services(self) -> Sequence[Mapping[str, Any]]: ...


def policy_documents(*, oncall: OncallRepo, identity: IdentityRepo) -> dict[str, dict[str, Any]]:
    """Every escalation policy as `apply` reads it, by name (the policy editor's documents)."""
    handle = {str(p["id"]): str(p["handle"]) for p in identity.people() if p.get("handle")}
    schedules = {str(s["id"]): s for s in oncall.schedules()}
    teams = {str(t["id"]): t for t in oncall.teams()}
    return {str(p["name"]): policy_document(p, schedules, teams, handle) for p in oncall.policies()}


def export(
    *, oncall: OncallRepo, identity: IdentityRepo, services: ServiceListing, severities: SeverityStore | None = None
) -> dict[str, Any]:
    """The whole configuration as plain data (dump it as YAML)."""
    people = {str(p["id"]): p for p in identity.people() if p.get("handle")}
    handle = {user_id: str(p["handle"]) for user_id, p in people.items()}
    schedules = {str(s["id"]): s for s in oncall.schedules()}
    teams = {str(t["id"]): t for t in oncall.teams()}
    policies = {str(p["id"]): p for p in oncall.policies()}
    all_services = list(services.services())
    service_names = {str(s["id"]): str(s["name"]) for s in all_services}
    return {
        "users": [_user(person, oncall) for person in people.values()],
        "teams": [_team(t, oncall, handle) for t in teams.values()],
        "schedules": [_schedule(s, oncall, handle, teams) for s in schedules.values()],
        "escalation_policies": [policy_document(p, schedules, teams, handle) for p in policies.values()],
        "services": [
            _service(s, policies, service_names)
            for s in all_services
            if s.get("tier") != DEFAULT_TIER
            or any(
                s.get(key)
                for key in (
                    "escalation_policy_id",
                    "category_policies",
                    "dependencies",
                    "urgency",
                    "working_hours",
                    *_FACTS,
                )
            )
            or _grouping(s)
        ],
        **export_severities(severities),
    }


def _team(team: Mapping[str, Any], oncall: OncallRepo, handle: Mapping[str, str]) -> dict[str, Any]:
    """The team as `apply` reads it; roles other than responder are listed only when someone has one."""
    team_id = str(team["id"])
    roles = oncall.team_roles(team_id)
    by_role: dict[str, list[str]] = {"responder": [], "admin": [], "viewer": []}
    for member in oncall.team_members(team_id):
        by_role[roles.get(member, "responder")].append(handle.get(member, member))
    document: dict[str, Any] = {"name": team["name"], "members": by_role["responder"]}
    if by_role["admin"] or by_role["viewer"]:
        document["admins"] = by_role["admin"]
        document["viewers"] = by_role["viewer"]
    return document


def _user(person: Mapping[str, Any], oncall: OncallRepo) -> dict[str, Any]:
    user: dict[str, Any] = {
        "name": person["display_name"] or person["handle"],
        "handle": person["handle"],
        "email": person["email"],
        "timezone": person["timezone"],
    }
    if person.get("phone"):
        user["phone"] = person["phone"]
    if person.get("slack_member_id"):
        user["slack_member_id"] = person["slack_member_id"]
    if person.get("working_hours"):
        user["working_hours"] = _windows(person["working_hours"]["windows"])
    methods = []
    stored = oncall.contact_methods(str(person["id"]))
    for row in sorted(stored, key=lambda m: (m["delay_seconds"] or 0, m["kind"], m["address"])):
        method: dict[str, Any] = {"type": row["kind"], "address": row["address"]}
        if row["label"]:
            method["label"] = row["label"]
        if row["delay_seconds"] is not None:
            method["delay"] = format_duration_seconds(int(row["delay_seconds"]))
        methods.append(method)
    if methods:
        user["contact_methods"] = methods
    return user


def format_duration_seconds(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds)) if seconds else "0s"


def _schedule(
    row: Mapping[str, Any], oncall: OncallRepo, handle: Mapping[str, str], teams: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    zone = ZoneInfo(str(row["zone"]))
    layers = []
    for doc in row["layers"]:
        first = datetime.fromisoformat(doc["start"]).astimezone(zone)
        delays = doc.get("delays") or {}
        layer: dict[str, Any] = {
            "name": doc["name"],
            "type": _TYPES[doc["unit"]],
            "participants": [
                {"name": handle.get(p, p), "escalation_delay": format_duration_seconds(int(delays[p]))}
                if p in delays
                else handle.get(p, p)
                for p in doc["participants"]
            ],
            "start": first.date().isoformat(),
            "handoff": first.strftime("%H:%M"),
        }
        if doc["length"] != 1:
            layer["length"] = doc["length"]
        if doc.get("windows"):
            layer["windows"] = _windows(doc["windows"])
        layers.append(layer)
    schedule: dict[str, Any] = {"name": row["name"], "timezone": row["zone"], "layers": layers}
    if row.get("team_id") and str(row["team_id"]) in teams:
        schedule["team"] = teams[str(row["team_id"])]["name"]
    overrides = [
        {
            "user": handle.get(str(o["user_id"]), str(o["user_id"])),
            "start": o["starts_at"].isoformat(),
            "end": o["ends_at"].isoformat(),
            **({"replaces": handle.get(str(o["replaces_user_id"]), "")} if o["replaces_user_id"] else {}),
        }
        for o in oncall.overrides(str(row["id"]))
    ]
    if overrides:
        schedule["overrides"] = overrides
    return schedule


def policy_document(
    row: Mapping[str, Any],
    schedules: Mapping[str, Mapping[str, Any]],
    teams: Mapping[str, Mapping[str, Any]],
    handle: Mapping[str, str],
) -> dict[str, Any]:
    def name_of(target: Mapping[str, str]) -> str:
        kind, ref = TargetKind(target["kind"]), target["ref"]
        if kind is TargetKind.SCHEDULE:
            return str(schedules[ref]["name"]) if ref in schedules else ref
        if kind is TargetKind.TEAM:
            return str(teams[ref]["name"]) if ref in teams else ref
        return handle.get(ref, ref)

    levels = []
    for number, level in enumerate(row["levels"], start=1):
        out: dict[str, Any] = {
            "level": number,
            "targets": [name_of(t) for t in level["targets"]],
            "timeout": format_duration_seconds(int(level["timeout_seconds"])),
        }
        for key in ("action", "severities", "urgency"):
            if level.get(key):
                out[key] = level[key]
        levels.append(out)
    policy: dict[str, Any] = {"name": row["name"]}
    if row.get("team_id") and str(row["team_id"]) in teams:
        policy["team"] = teams[str(row["team_id"])]["name"]
    policy["levels"] = levels
    if row["repeat"]:
        policy["repeat"] = row["repeat"]
    rules = row.get("rules") or {}
    if rules.get("unresolved") is not None:
        policy["unresolved"] = {
            sev: {
                "after": format_duration_seconds(int(rule["after_seconds"])),
                **({"page": name_of(rule["to"])} if rule.get("to") else {}),
            }
            for sev, rule in rules["unresolved"].items()
        }
    if rules.get("acknowledgement_timeout_seconds"):
        policy["acknowledgement_timeout"] = format_duration_seconds(int(rules["acknowledgement_timeout_seconds"]))
    return policy


def _windows(docs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"days": [DAYS[d] for d in sorted(w["days"])], "start": w["start"], "end": w["end"]} for w in docs]


def _service(
    row: Mapping[str, Any], policies: Mapping[str, Mapping[str, Any]], service_names: Mapping[str, str]
) -> dict[str, Any]:
    def name_of(policy_id: str) -> str:
        return str(policies[policy_id]["name"]) if policy_id in policies else policy_id

    service: dict[str, Any] = {"name": row["name"]}
    if row.get("escalation_policy_id"):
        service["escalation_policy"] = name_of(str(row["escalation_policy_id"]))
    categories = row.get("category_policies") or {}
    if categories:
        service["categories"] = {category: name_of(str(p)) for category, p in sorted(categories.items())}
    if row.get("dependencies"):
        service["depends_on"] = [service_names.get(str(d), str(d)) for d in row["dependencies"]]
    if row.get("urgency"):
        service["urgency"] = dict(row["urgency"])
    if row.get("working_hours"):
        hours = row["working_hours"]
        service["working_hours"] = {"timezone": hours["zone"], "windows": _windows(hours["windows"])}
    service.update({key: row[key] for key in _FACTS if row.get(key)})
    service["tier"] = row["tier"]
    service.update(_grouping(row))
    return service


def _grouping(row: Mapping[str, Any]) -> dict[str, Any]:
    """The service's grouping as `apply` reads it, where it differs from the default (alert, 5m)."""
    found: dict[str, Any] = {}
    mode = row.get("grouping_mode") or "alert"
    if mode != "alert":
        found["grouping"] = mode
    if mode == "labels":
        found["group_by"] = list(row.get("group_by_labels") or [])
    seconds = int(row.get("grouping_window_seconds", 300))
    if seconds != 300:
        found["grouping_window"] = format_duration_seconds(seconds)
    return found
