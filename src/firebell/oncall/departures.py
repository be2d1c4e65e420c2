"""A person leaving on-call: what disabling or deleting them touches, and doing it knowingly.

Before a person on call or named by a policy is disabled, the caller sees the schedules, policies and
upcoming shifts they are in, and goes ahead only when they say so (`force`). A deleted person's row
is kept for history, so a schedule or policy that still names them would page a ghost: delete is
refused until they are taken out of every schedule and policy, naming each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from firebell.identity import lifecycle
from firebell.identity.ports import IdentityRepo
from firebell.kernel.errors import Conflict
from firebell.oncall.escalation import TargetKind
from firebell.oncall.ports import OncallRepo
from firebell.oncall.service import policy_from_row, schedule_from_row

LOOK_AHEAD = timedelta(days=14)
READ_BEYOND = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class UpcomingShift:
    schedule: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Impact:
    """Where a person is on call or paged: schedules, policies (direct targets), upcoming shifts."""

    email: str
    schedules: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    shifts: tuple[UpcomingShift, ...] = ()

    @property
    def on_call(self) -> bool:
        """Named by a schedule or policy: disabling them changes who is paged."""
        return bool(self.schedules or self.policies)

    def summary(self) -> str:
        parts = []
        if self.schedules:
            parts.append(f"schedules {', '.join(self.schedules)}")
        if self.policies:
            parts.append(f"escalation policies {', '.join(self.policies)}")
        if self.shifts:
            parts.append(f"{len(self.shifts)} shift(s) in the next {LOOK_AHEAD.days} days")
        return "; ".join(parts) or "nothing"

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "schedules": list(self.schedules),
            "policies": list(self.policies),
            "shifts": [{"schedule": s.schedule, "start": s.start, "end": s.end} for s in self.shifts],
        }


def impact_of(*, oncall: OncallRepo, identity: IdentityRepo, email: str, now: datetime) -> Impact:
    """Where the person with this email is on call or paged, from `now` on."""
    user = lifecycle.live_user(identity, email)
    user_id = str(user["id"])
    schedules: list[str] = []
    shifts: list[UpcomingShift] = []
    for row in oncall.schedules():
        overrides = [o for o in oncall.overrides(str(row["id"])) if o["ends_at"] > now]
        named = any(user_id in doc["participants"] for doc in row["layers"])
        if named or any(str(o["user_id"]) == user_id for o in overrides):
            schedules.append(str(row["name"]))
            schedule = schedule_from_row(row, overrides)
            shifts += [
                UpcomingShift(schedule.name, s.start, s.end)
                # read further than shown, so a shift starting in the window ends where it really ends
                for s in schedule.final_shifts(now, now + LOOK_AHEAD + READ_BEYOND)
                if s.user == user_id and s.start < now + LOOK_AHEAD
            ]
    policies = [
        str(row["name"])
        for row in oncall.policies()
        if any(
            t.kind is TargetKind.USER and t.ref == user_id
            for level in policy_from_row(row).levels
            for t in level.targets
        )
    ]
    shifts.sort(key=lambda s: (s.start, s.schedule))
    return Impact(str(user["email"]), tuple(sorted(schedules)), tuple(sorted(policies)), tuple(shifts))


def disable_person(
    *, oncall: OncallRepo, identity: IdentityRepo, email: str, now: datetime, force: bool
) -> tuple[Mapping[str, Any], Impact]:
    """Disable a person; refused (409, with the impact) when they are on call or paged and not `force`."""
    impact = impact_of(oncall=oncall, identity=identity, email=email, now=now)
    if impact.on_call and not force:
        raise Conflict(
            f"{impact.email} is in {impact.summary()}; disable anyway with force (they will be skipped when paged)",
            details=[{"field": "force", "impact": impact.as_dict()}],
        )
    return lifecycle.disable_user(repo=identity, email=email, now=now), impact


def delete_person(*, oncall: OncallRepo, identity: IdentityRepo, email: str, now: datetime) -> Mapping[str, Any]:
    """Delete a person; refused while a schedule or policy still names them."""
    impact = impact_of(oncall=oncall, identity=identity, email=email, now=now)
    if impact.on_call:
        raise Conflict(
            f"{impact.email} is still in {impact.summary()}; take them out of those first",
            details=[{"field": "email", "impact": impact.as_dict()}],
        )
    return lifecycle.delete_user(repo=identity, email=email, now=now)


def disabled_references(*, oncall: OncallRepo) -> list[str]:
    """A warning for each schedule and policy that names a disabled person: they are skipped when paged."""
    schedules = {str(row["name"]): _schedule_people(row) for row in oncall.schedules()}
    policies = {
        str(row["name"]): {
            t.ref for level in policy_from_row(row).levels for t in level.targets if t.kind is TargetKind.USER
        }
        for row in oncall.policies()
    }
    everyone = set().union(*schedules.values(), *policies.values())
    disabled = {
        str(u["id"]): str(u["handle"] or u["email"])
        for u in (oncall.users(sorted(everyone)) if everyone else [])
        if u.get("disabled_at") is not None
    }
    warnings = []
    for kind, named in (("schedule", schedules), ("escalation policy", policies)):
        for name, people in named.items():
            for user_id in sorted(people & disabled.keys()):
                warnings.append(f"warning: {kind} {name} names {disabled[user_id]}, who is disabled and not paged")
    return warnings


def _schedule_people(row: Mapping[str, Any]) -> set[str]:
    return {str(user) for doc in row["layers"] for user in doc["participants"]}
