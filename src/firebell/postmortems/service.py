"""Postmortem use cases: draft one from the incident, edit it, analyse, review, sign off, finalise.

Each runs in the caller's transaction. Edits carry the version the editor loaded, so two people
editing at once cannot silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from firebell.incidents.checklists import Happening
from firebell.incidents.ports import ResponseRepo
from firebell.incidents.response import happened
from firebell.incidents.roles import Role
from firebell.kernel.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.postmortems import model
from firebell.postmortems.facts import IncidentFacts, span, starter_rows
from firebell.postmortems.model import Readiness, SignOff, Status


class PostmortemRepo(Protocol):
    def for_incident(self, incident_id: str) -> dict[str, Any] | None: ...

    def insert(self, values: dict[str, Any]) -> bool: ...

    def update(self, postmortem_id: str, values: dict[str, Any], *, version: int | None = None) -> bool: ...

    def signoffs(self, postmortem_id: str) -> list[dict[str, Any]]: ...

    def add_signoff(self, values: dict[str, Any]) -> None: ...

    def clear_signoffs(self, postmortem_id: str) -> int: ...


# What a postmortem writes on its incident: timeline entries and checklist ticks.
IncidentSide = ResponseRepo


def draft(
    repo: PostmortemRepo,
    incidents: IncidentSide,
    *,
    facts: IncidentFacts,
    roles: Sequence[tuple[Role, str]],
    similar: Sequence[tuple[str, str, str]],
    actor: str,
    at: datetime,
    slos: Sequence[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    """The incident's postmortem, drafted now if it has none: owner, due dates, and the rows
    Firebell can fill in. `roles` are (role, user id) in the order assigned."""
    existing = repo.for_incident(facts.incident_id)
    if existing is not None:
        return existing
    due = model.deadlines(incidents.severity_targets()[facts.sev], facts.resolved_at or at)
    owner_id = model.owner(roles)
    tables = {**model.starter_tables(), **starter_rows(facts, similar, slos)}
    values = {
        "id": new_id(),
        "incident_id": facts.incident_id,
        "status": Status.DRAFT.value,
        "owner_id": owner_id,
        "draft_due_at": due.draft_due_at,
        "due_at": due.due_at,
        "first_symptom_at": None,
        "sections": {},
        "tables": tables,
        "rca": {},
        "meeting": {},
        "version": 1,
        "created_at": at,
        "created_by": actor[:200],
        "updated_at": at,
        "updated_by": actor[:200],
        "finalized_at": None,
        "final_markdown": "",
        "reminded_at": None,
    }
    if repo.insert(values):
        when = f"due {due.due_at:%Y-%m-%d %H:%M} UTC" if due.due_at else "no due date at this severity"
        owner = model.owner(facts.team)
        who = f"owner {owner}" if owner else "no owner yet (assign a Postmortem Owner or an IC)"
        incidents.add_event(
            facts.incident_id,
            at,
            "postmortem",
            f"Postmortem drafted ({facts.sev}: {when}; {who}); TTD {span(facts.time_to_detect)}, "
            f"TTR {span(facts.time_to_resolve)}",
            actor=actor,
        )
        happened(incidents, facts.incident_id, Happening.POSTMORTEM_DRAFTED, at, actor)
    found = repo.for_incident(facts.incident_id)
    assert found is not None  # noqa: S101 - written by us or by whoever won
    return found


def _writable(pm: Mapping[str, Any]) -> None:
    if pm["status"] == Status.FINAL:
        raise Conflict(
            "the postmortem is final; move it back to in_review to change it",
            details=[{"field": "status", "message": "final"}],
        )


def _save(
    repo: PostmortemRepo,
    incidents: IncidentSide,
    pm: Mapping[str, Any],
    values: dict[str, Any],
    *,
    version: int | None,
    actor: str,
    at: datetime,
    content: bool = True,
) -> None:
    """Write an edit if `version` is still current; an edit of the content in review clears the
    sign-offs (they approved what it said before)."""
    current = int(pm["version"])
    if version is not None and version != current:
        raise Conflict(
            f"the postmortem changed since you loaded it (by {pm['updated_by'] or 'someone'} at "
            f"{pm['updated_at']:%H:%M:%S} UTC); reload it and make your change again",
            details=[{"field": "version", "message": f"current version is {current}"}],
        )
    values = {**values, "version": current + 1, "updated_at": at, "updated_by": actor[:200]}
    if not repo.update(str(pm["id"]), values, version=current):
        raise Conflict(
            "the postmortem changed while saving; reload it", details=[{"field": "version", "message": "stale"}]
        )
    if content and pm["status"] == Status.IN_REVIEW and repo.clear_signoffs(str(pm["id"])):
        incidents.add_event(
            str(pm["incident_id"]), at, "postmortem", "Postmortem changed in review: sign-offs cleared", actor=actor
        )


UNSET: Any = object()


def edit(
    repo: PostmortemRepo,
    incidents: IncidentSide,
    *,
    pm: Mapping[str, Any],
    sections: Mapping[str, object] | None = None,
    tables: Mapping[str, object] | None = None,
    first_symptom_at: datetime | None = UNSET,
    owner_id: str | None = UNSET,
    version: int | None,
    actor: str,
    at: datetime,
) -> None:
    _writable(pm)
    values: dict[str, Any] = {}
    if sections:
        values["sections"] = {**pm["sections"], **model.check_sections(sections)}
    if tables:
        values["tables"] = {**pm["tables"], **model.check_tables(tables)}
    if first_symptom_at is not UNSET:
        if first_symptom_at is not None:
            first_symptom_at = first_symptom_at.astimezone(UTC)
            if first_symptom_at > pm["opened_at"]:
                raise ValidationFailed.field(
                    "first_symptom_at",
                    f"users were affected before detection: give a time before {pm['opened_at']:%Y-%m-%d %H:%M} UTC",
                )
        values["first_symptom_at"] = first_symptom_at
    if owner_id is not UNSET:
        values["owner_id"] = owner_id
    if not values:
        raise ValidationFailed.field("body", "nothing to change")
    _save(repo, incidents, pm, values, version=version, actor=actor, at=at)


def set_rca(
    repo: PostmortemRepo,
    incidents: IncidentSide,
    *,
    pm: Mapping[str, Any],
    tool: str,
    data: dict[str, Any] | None,
    version: int | None,
    actor: str,
    at: datetime,
) -> None:
    """Store one RCA tool's analysis (already validated into its JSON form), or remove it with None."""
    _writable(pm)
    rca = dict(pm["rca"] or {})
    if data is None:
        rca.pop(tool, None)
    else:
        rca[tool] = data
    _save(repo, incidents, pm, {"rca": rca}, version=version, actor=actor, at=at)


def sign(
    repo: PostmortemRepo,
    incidents: IncidentSide,
    *,
    pm: Mapping[str, Any],
    role: SignOff,
    user_id: str,
    user_name: str,
    actor: str,
    at: datetime,
) -> None:
    if pm["status"] != Status.IN_REVIEW:
        raise InvalidTransition(
            "sign-off happens in review: move the postmortem to in_review first",
            details=[{"field": "status", "message": str(pm["status"])}],
        )
    if role is SignOff.POSTMORTEM_OWNER and pm["owner_id"] and pm["owner_id"] != user_id:
        raise PermissionDenied(
            f"only the postmortem's owner ({pm['owner'] or 'set on the postmortem'}) signs as Postmortem Owner",
            details=[{"field": "role", "message": "not the owner"}],
        )
    repo.add_signoff(
        {"id": new_id(), "postmortem_id": pm["id"], "role": role.value, "user_id": user_id, "signed_at": at}
    )
    incidents.add_event(
        str(pm["incident_id"]), at, "postmortem", f"Postmortem signed off by {user_name} as {role.label}", actor=actor
    )


def move(
    repo: PostmortemRepo,
    incidents: IncidentSide,
    *,
    pm: Mapping[str, Any],
    target: Status,
    ready: Readiness,
    final_markdown: Callable[[], str],
    actor: str,
    at: datetime,
) -> Status:
    current = Status(pm["status"])
    model.move(current, target, ready)
    values: dict[str, Any] = {"status": target.value, "updated_at": at, "updated_by": actor[:200]}
    if target is Status.FINAL:
        values["finalized_at"] = at
        values["final_markdown"] = final_markdown()
    elif current is Status.FINAL:
        values["finalized_at"] = None
    if target is Status.DRAFT:
        repo.clear_signoffs(str(pm["id"]))
    values["version"] = int(pm["version"]) + 1
    repo.update(str(pm["id"]), values)
    incidents.add_event(
        str(pm["incident_id"]), at, "postmortem", f"Postmortem {current.label} → {target.label}", actor=actor
    )
    return target


def schedule_meeting(
    repo: PostmortemRepo,
    incidents: IncidentSide,
    *,
    pm: Mapping[str, Any],
    when: datetime,
    attendees: Sequence[str],
    actor: str,
    at: datetime,
) -> None:
    when = when.astimezone(UTC)
    meeting = {**(pm["meeting"] or {}), "at": when.isoformat(), "attendees": list(dict.fromkeys(attendees))[:100]}
    _save(repo, incidents, pm, {"meeting": meeting}, version=None, actor=actor, at=at, content=False)
    incidents.add_event(
        str(pm["incident_id"]),
        at,
        "postmortem",
        f"Postmortem meeting scheduled for {when:%Y-%m-%d %H:%M} UTC"
        + (f" with {', '.join(attendees[:10])}" if attendees else ""),
        actor=actor,
    )
    happened(incidents, str(pm["incident_id"]), Happening.POSTMORTEM_SCHEDULED, at, actor)


def tick(
    repo: PostmortemRepo,
    incidents: IncidentSide,
    *,
    pm: Mapping[str, Any],
    phase: str,
    item: str,
    done: bool,
    actor: str,
    at: datetime,
) -> None:
    """Tick (or untick) an item of the before / during / after meeting checklist."""
    if (phase, item) not in model.MEETING_ITEMS:
        raise ValidationFailed.field("item", f"no meeting checklist item {phase}/{item}")
    meeting = dict(pm["meeting"] or {})
    ticks = dict(meeting.get("ticks") or {})
    key = f"{phase}:{item}"
    if done:
        ticks[key] = {"at": at.isoformat(), "by": actor[:200]}
    else:
        ticks.pop(key, None)
    meeting["ticks"] = ticks
    _save(repo, incidents, pm, {"meeting": meeting}, version=None, actor=actor, at=at, content=False)
