"""Running an incident: roles, checklists, notes, severity changes, the mitigation step and
communications. Each use case writes its change and its timeline entry in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from firebell.incidents import checklists, mitigation
from firebell.incidents.checklists import Happening, role_notice
from firebell.incidents.comms import TEMPLATES, Audience, Facts, context, subject_and_body, war_room_name
from firebell.incidents.ports import Messenger, ResponseRepo
from firebell.incidents.roles import SINGLE, Role, takes_command
from firebell.incidents.service import titled
from firebell.incidents.state import IncidentStatus
from firebell.incidents.targets import Terms, next_update_due
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.kernel.severity import Sev

MAX_NOTE = 10_000


def _incident(repo: ResponseRepo, incident_id: str) -> Mapping[str, Any]:
    row = repo.get(incident_id)
    if row is None:
        raise NotFound(f"incident {incident_id} not found")
    return row


def _not_closed(row: Mapping[str, Any], what: str) -> None:
    if row["status"] == IncidentStatus.CLOSED:
        raise Conflict(f"cannot {what} on a closed incident", details=[{"field": "status", "allowed": []}])


# --- checklists -----------------------------------------------------------------------------------


def ensure_checklists(repo: ResponseRepo, incident_id: str) -> list[dict[str, Any]]:
    """The incident's checklist items, writing the lists it should have and lacks (the first time,
    and when someone takes a role whose list it does not have yet)."""
    row = _incident(repo, incident_id)
    items = repo.checklist_items(incident_id)
    held = {Role(r["role"]) for r in repo.roles(incident_id)}
    have = {i["list_key"] for i in items}
    position = max((i["position"] for i in items), default=-1) + 1
    already = already_done(repo, row, held) if not items else {}
    new_rows: list[dict[str, Any]] = []
    sev = Sev(row["sev"])
    for checklist in checklists.for_incident(sev, repo.severity_targets()[sev], held):
        if checklist.key in have:
            continue
        for item_key, text in checklist.keyed():
            done_at = already.get((checklist.key, item_key))
            new_rows.append(
                {
                    "id": new_id(),
                    "incident_id": incident_id,
                    "list_key": checklist.key,
                    "item_key": item_key,
                    "position": position,
                    "text": text,
                    "done_at": done_at,
                    "done_by": "firebell" if done_at else "",
                }
            )
            position += 1
    repo.add_checklist_items(new_rows)
    return items + new_rows if new_rows else items


def tick(
    repo: ResponseRepo, *, incident_id: str, list_key: str, item_key: str, done: bool, actor: str, at: datetime
) -> bool:
    """Tick (or untick) one item; the change goes on the timeline. False when nothing changed."""
    _not_closed(_incident(repo, incident_id), "change a checklist")
    items = ensure_checklists(repo, incident_id)
    item = next((i for i in items if i["list_key"] == list_key and i["item_key"] == item_key), None)
    if item is None:
        raise ValidationFailed.field("item", f"no checklist item {list_key}/{item_key} on this incident")
    if not repo.set_item(incident_id, list_key, item_key, at if done else None, actor):
        return False
    title = checklists.BY_KEY[list_key].title if list_key in checklists.BY_KEY else item.get("list_title") or list_key
    verb = "Ticked" if done else "Unticked"
    repo.add_event(
        incident_id,
        at,
        "checklist",
        f"{verb} “{item['text']}” ({title})",
        actor=actor,
        data={"list": list_key, "item": item_key, "done": done},
    )
    return True


def happened(repo: ResponseRepo, incident_id: str, happening: Happening, at: datetime, actor: str) -> None:
    """Tick the items that `happening` completes (without a timeline entry: the happening has one).
    People acting on an incident write its checklists, which take what already happened (`already_done`)."""
    ensure_checklists(repo, incident_id)
    for list_key, item_key in checklists.auto_ticks(happening):
        repo.set_item(incident_id, list_key, item_key, at, actor)


def already_done(repo: ResponseRepo, row: Mapping[str, Any], held: set[Role]) -> dict[tuple[str, str], datetime]:
    """The auto-ticked items whose happening took place before the checklists were written."""
    done: dict[tuple[str, str], datetime] = dict.fromkeys(checklists.DONE_ON_CREATION, row["opened_at"])
    facts: list[tuple[Happening, datetime | None]] = [
        (Happening.ACKNOWLEDGED, row.get("acknowledged_at")),
        (Happening.RESOLVED, row.get("resolved_at")),
        (Happening.CLOSED, row.get("closed_at")),
        (Happening.COMMANDER_ASSIGNED, row["opened_at"] if Role.INCIDENT_COMMANDER in held else None),
    ]
    mitigations = repo.mitigations(str(row["id"]))
    if mitigations:
        facts.append((Happening.MITIGATION_CHOSEN, mitigations[0]["chosen_at"]))
    for happening, at in facts:
        if at is not None:
            for pair in checklists.auto_ticks(happening):
                done.setdefault(pair, at)
    return done


# --- roles ----------------------------------------------------------------------------------------


def assign_role(
    repo: ResponseRepo,
    *,
    incident_id: str,
    role: Role,
    user: tuple[str, str],
    actor: str,
    at: datetime,
    actor_id: str | None = None,
    messenger: Messenger | None = None,
    reason: str = "",
) -> bool:
    """Give `role` to the user (id, name). Single-holder roles are handed over; SMEs add up. With a
    `messenger`, the person is told (unless they gave it to themselves, `actor_id`).
    False when the person already holds it."""
    row = _incident(repo, incident_id)
    _not_closed(row, "assign a role")
    user_id, name = user
    current = [r for r in repo.roles(incident_id) if r["role"] == role.value]
    if any(r["user_id"] == user_id for r in current):
        return False
    message = f"{name} is {role.label}" + (f" ({reason})" if reason else "")
    if role in SINGLE and current:
        repo.remove_role(incident_id, role.value, at)
        message += f" (handed over from {', '.join(r['name'] for r in current)})"
    assignment_id = new_id()
    repo.add_role(
        {
            "id": assignment_id,
            "incident_id": incident_id,
            "role": role.value,
            "user_id": user_id,
            "assigned_at": at,
            "assigned_by": actor,
        }
    )
    repo.add_event(
        incident_id, at, "role_assigned", message, actor=actor, data={"role": role.value, "user_id": user_id}
    )
    ensure_checklists(repo, incident_id)
    if role is Role.INCIDENT_COMMANDER:
        happened(repo, incident_id, Happening.COMMANDER_ASSIGNED, at, actor)
    if messenger is not None and actor_id != user_id:
        by = (repo.person_name(actor_id) if actor_id else None) or actor
        _tell_role(messenger, row, role, user_id, f"role:{incident_id}:{assignment_id}", by, at)
    return True


def _tell_role(
    messenger: Messenger, row: Mapping[str, Any], role: Role, user_id: str, key: str, by: str, at: datetime
) -> None:
    number = int(row["number"])
    subject, text = role_notice(
        role, by=by, number=number, title=str(row["title"]), sev=str(row["sev"]), status=str(row["status"])
    )
    messenger.notify(
        kind="role",
        user_ids=[user_id],
        incident_id=str(row["id"]),
        number=number,
        subject=subject,
        text=text,
        key=key,
        now=at,
    )


def take_command_on_acknowledgement(
    repo: ResponseRepo, *, incident_id: str, user: tuple[str, str], actor: str, at: datetime
) -> bool:
    """At SEV-1 and SEV-2, the person (id, name) who acknowledges becomes Incident Commander when
    nobody is; False when they do not."""
    row = _incident(repo, incident_id)
    held = {Role(r["role"]) for r in repo.roles(incident_id)}
    if not takes_command(Sev(row["sev"]), held):
        return False
    why = f"took command on acknowledging: a {row['sev']} incident with no Incident Commander"
    return assign_role(
        repo,
        incident_id=incident_id,
        role=Role.INCIDENT_COMMANDER,
        user=user,
        actor=actor,
        at=at,
        actor_id=user[0],
        reason=why,
    )


def unassign_role(
    repo: ResponseRepo, *, incident_id: str, role: Role, user: tuple[str, str] | None, actor: str, at: datetime
) -> bool:
    _not_closed(_incident(repo, incident_id), "change roles")
    removed = repo.remove_role(incident_id, role.value, at, user[0] if user else None)
    if removed:
        who = f"{user[1]} no longer" if user else "Nobody"
        repo.add_event(
            incident_id, at, "role_removed", f"{who} is {role.label}", actor=actor, data={"role": role.value}
        )
    return bool(removed)


# --- notes and severity ---------------------------------------------------------------------------


def add_note(repo: ResponseRepo, *, incident_id: str, text: str, actor: str, at: datetime) -> None:
    """A Scribe's entry: a finding, a hypothesis, a decision and its rationale."""
    _incident(repo, incident_id)
    clean = text.strip()
    if not clean:
        raise ValidationFailed.field("text", "write the note")
    if len(clean) > MAX_NOTE:
        raise ValidationFailed.field("text", f"at most {MAX_NOTE} characters")
    repo.add_event(incident_id, at, "note", clean, actor=actor)


def set_severity(repo: ResponseRepo, *, incident_id: str, sev: Sev, actor: str, at: datetime, reason: str = "") -> bool:
    """Change the severity (the title's tag follows); on the timeline with the reason."""
    row = _incident(repo, incident_id)
    _not_closed(row, "change the severity")
    old = Sev(row["sev"])
    happened(repo, incident_id, Happening.SEVERITY_SET, at, actor)
    if old is sev:
        return False
    title = titled(sev, row["title"]) if str(row["title"]).startswith("[") else row["title"]
    repo.update(incident_id, {"sev": sev.value, "title": title})
    verb = "Raised" if sev.rank < old.rank else "Lowered"
    repo.add_event(
        incident_id,
        at,
        "severity_changed",
        f"{verb} from {old} to {sev}" + (f": {reason.strip()[:500]}" if reason.strip() else ""),
        actor=actor,
        data={"from": old.value, "to": sev.value},
    )
    return True


# --- the mitigation step --------------------------------------------------------------------------


def choose_mitigation(
    repo: ResponseRepo, *, incident_id: str, answers: Mapping[mitigation.Question, bool], actor: str, at: datetime
) -> str:
    """Walk the decision tree with the answers; record the strategy it leads to. Returns its id."""
    _not_closed(_incident(repo, incident_id), "choose a mitigation")
    walk = mitigation.decide(answers)
    if walk.plan is None:
        assert walk.next_question is not None  # noqa: S101 - an unsettled walk always has a next question
        raise ValidationFailed.field(
            f"answers.{walk.next_question.value}", f"answer: {mitigation.TEXT[walk.next_question]}"
        )
    mitigation_id = new_id()
    repo.add_mitigation(
        {
            "id": mitigation_id,
            "incident_id": incident_id,
            "answers": {q.value: a for q, a in walk.path},
            "strategy": walk.plan.strategy.value,
            "chosen_at": at,
            "chosen_by": actor,
            "outcome": None,
            "outcome_at": None,
            "note": "",
        }
    )
    path = "; ".join(f"{mitigation.TEXT[q]} {'yes' if a else 'no'}" for q, a in walk.path)
    repo.add_event(
        incident_id,
        at,
        "mitigation_chosen",
        f"{walk.plan.title} ({walk.plan.risk}). {path}",
        actor=actor,
        data={"mitigation_id": mitigation_id, "strategy": walk.plan.strategy.value},
    )
    happened(repo, incident_id, Happening.MITIGATION_CHOSEN, at, actor)
    return mitigation_id


def mitigation_outcome(
    repo: ResponseRepo,
    *,
    incident_id: str,
    mitigation_id: str,
    outcome: mitigation.Outcome,
    note: str,
    actor: str,
    at: datetime,
) -> str:
    """Record how the strategy went; returns what the tree says next (monitor, or escalate)."""
    found = next((m for m in repo.mitigations(incident_id) if m["id"] == mitigation_id), None)
    if found is None:
        raise NotFound(f"mitigation {mitigation_id} not found on this incident")
    if found["outcome"] is not None:
        raise Conflict(
            f"this mitigation's outcome was already recorded ({found['outcome']})",
            details=[{"field": "outcome", "allowed": []}],
        )
    then = mitigation.next_step(outcome)
    repo.update_mitigation(mitigation_id, {"outcome": outcome.value, "outcome_at": at, "note": note.strip()[:2000]})
    plan = mitigation.PLANS[mitigation.Strategy(found["strategy"])]
    said = "resolved the issue" if outcome is mitigation.Outcome.RESOLVED else "did not resolve the issue"
    message = f"{plan.title} {said}; next: {then.lower()}" + (f". {note.strip()[:500]}" if note.strip() else "")
    repo.add_event(incident_id, at, "mitigation_outcome", message, actor=actor, data={"outcome": outcome.value})
    return then


# --- communications -------------------------------------------------------------------------------


def facts_of(
    row: Mapping[str, Any],
    *,
    roles: Sequence[Mapping[str, Any]],
    service: str,
    services: Sequence[str],
    url: str,
    now: datetime,
    terms: Terms,
) -> Facts:
    """What the templates see of the incident; `terms` (its targets) give the update cadence."""
    held: dict[str, list[str]] = {}
    for r in roles:
        held.setdefault(str(r["role"]), []).append(str(r["name"]))
    return Facts(
        number=int(row["number"]),
        title=str(row["title"]),
        sev=Sev(row["sev"]),
        status=str(row["status"]),
        impact=str(row.get("impact") or ""),
        service=service,
        services=tuple(services),
        opened_at=row["opened_at"],
        resolved_at=row.get("resolved_at"),
        roles=held,
        war_room=str(row.get("war_room") or ""),
        url=url,
        now=now,
        update_every=terms.targets.update_every,
        next_update_at=next_update_due(terms, now, None),
    )


def compose(template_key: str, source: str, facts: Facts, fields: Mapping[str, str], render: Any) -> tuple[str, str]:
    """(subject, body) of a template rendered from the facts and the writer's fields."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise ValidationFailed.field("template", f"unknown template {template_key!r}")
    unknown = sorted(set(fields) - set(template.fields))
    if unknown:
        raise ValidationFailed.field(f"fields.{unknown[0]}", f"{template.title} has no field {unknown[0]!r}")
    body: str = render(source, context(facts, fields))
    fallback = f"[{facts.sev.value}] #{facts.number} {template.title}: {facts.title}"
    return subject_and_body(body, fallback)


def send_communication(
    repo: ResponseRepo,
    messenger: Messenger,
    *,
    incident_id: str,
    template_key: str,
    subject: str,
    body: str,
    audiences: Sequence[Audience],
    actor: str,
    at: datetime,
) -> list[str]:
    """Queue the message to its audiences, record it, and put it on the timeline."""
    row = _incident(repo, incident_id)
    template = TEMPLATES[template_key]
    subject = " ".join(subject.split())[:300]
    if not subject:
        raise ValidationFailed.field("subject", "write a subject")
    if not audiences:
        raise ValidationFailed.field("audiences", "choose where to send it")
    communication_id = new_id()
    is_slack = template_key.endswith(".slack")
    recipients = messenger.announce(
        incident_id=incident_id,
        number=int(row["number"]),
        subject=subject,
        text=body,
        slack_text=body if is_slack else f"*{subject}*\n{body}",
        audiences=[a.value for a in audiences],
        war_room=str(row.get("war_room") or ""),
        responder_ids=list(dict.fromkeys(str(r["user_id"]) for r in repo.roles(incident_id))),
        key=f"comm:{communication_id}",
        now=at,
    )
    if not recipients:
        raise ValidationFailed.field("audiences", "none of the chosen audiences is configured; nothing was sent")
    repo.add_communication(
        {
            "id": communication_id,
            "incident_id": incident_id,
            "template": template_key,
            "subject": subject,
            "body": body,
            "recipients": recipients,
            "counts_as_update": template.counts_as_update,
            "sent_at": at,
            "sent_by": actor,
        }
    )
    repo.add_event(
        incident_id,
        at,
        "communication_sent",
        f"{template.title} sent to {', '.join(recipients)}: {subject}",
        actor=actor,
        data={"communication_id": communication_id},
    )
    if template.counts_as_update:
        happened(repo, incident_id, Happening.UPDATE_SENT, at, actor)
    if Audience.STAKEHOLDERS in audiences:
        happened(repo, incident_id, Happening.STAKEHOLDERS_NOTIFIED, at, actor)
    if template_key.startswith("resolution."):
        happened(repo, incident_id, Happening.RESOLUTION_POSTED, at, actor)
    return recipients


def open_war_room(
    repo: ResponseRepo, messenger: Messenger, *, incident_id: str, actor: str, at: datetime, text: str
) -> str:
    """Name the war room and (with a Slack bot token) queue creating it with the responders invited."""
    row = _incident(repo, incident_id)
    _not_closed(row, "open a war room")
    name = str(row.get("war_room") or "")
    if not name:
        name = war_room_name(row["opened_at"], str(row["title"]))
        if repo.war_room_taken(name, incident_id):  # a like-named incident the same day has it
            name = f"{name[: 79 - len(str(row['number']))]}-{row['number']}"
    invite = [str(r["slack_member_id"]) for r in repo.roles(incident_id) if r.get("slack_member_id")]
    queued = messenger.open_room(
        incident_id=incident_id,
        number=int(row["number"]),
        name=name,
        topic=f"{row['title']} | {row['sev']}",
        invite=list(dict.fromkeys(invite)),
        text=text,
        now=at,
    )
    if not row.get("war_room"):
        repo.update(incident_id, {"war_room": name})
    how = "Slack channel being created" if queued else "no Slack bot token configured, so create it by hand"
    repo.add_event(incident_id, at, "war_room", f"War room #{name} ({how})", actor=actor, data={"name": name})
    return name
