"""The target watch: records on the timeline every response target an open incident misses, and
reminds someone when a status update is overdue (see `update_reminders` for whom).

Each pass reads the configured targets and the services' working hours once. It wakes at the next
deadline (or every `POLL`, to see incidents opened since), reads first and takes the write lock only
to record what is due; each breach is recorded once per deadline, by whichever process gets there
first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from firebell.incidents.business_time import DEFAULT, BusinessTime
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.roles import Role, assembled_at, staffing
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.incidents.targets import (
    Deadline,
    Progress,
    Terms,
    Watched,
    assemble_deadline,
    deadlines,
    format_span,
    investigation_began,
    missed_update,
    soonest,
)
from firebell.incidents.update_reminders import Paged, whom_to_remind
from firebell.infra.db import claim_transaction
from firebell.kernel.severity import Sev
from firebell.paging.announce import DeliveryMessenger, Destinations
from firebell.paging.repo import SqlPagingRepo

POLL = timedelta(seconds=30)
GAP = timedelta(seconds=5)  # deadlines close together are handled together: a breach is late by 5 s at most
_MISSED = {
    "acknowledge": ("Acknowledge", "not acknowledged"),
    "investigate": ("Investigate", "not investigating"),
    "resolve": ("Resolve", "not resolved"),
}

Due = tuple[Deadline, dict[str, Any], Terms]


class TargetWatch:
    name = "target_watch"

    def __init__(self, engine: Engine, destinations: Destinations, on_reminded: Any = lambda: None) -> None:
        self.engine = engine
        self.destinations = destinations
        self.on_reminded = on_reminded

    def run(self, now: datetime) -> datetime:
        due, upcoming = self._plan(now)
        if due:
            with claim_transaction(self.engine) as conn:
                reminded = self._record(SqlIncidentRepo(conn), SqlPagingRepo(conn), due, now)
            if reminded:
                self.on_reminded()
        wake = min(upcoming, now + POLL) if upcoming else now + POLL
        return max(wake, now + GAP)

    def _plan(self, now: datetime) -> tuple[list[Due], datetime | None]:
        with self.engine.connect() as conn:
            config = SqlSeverityTargetsRepo(conn)
            targets = config.targets()
            hours = config.working_hours()
            # No deadline falls sooner than `first` after an incident opens: younger ones only set the wake.
            first = soonest(targets, min(h.day for h in (DEFAULT, *hours.values())))
            repo = SqlIncidentRepo(conn)
            rows = repo.open_incidents(opened_by=now - first)
            youngest = repo.first_opened_after(now - first)
            assignments = repo.role_assignments()
            updates = repo.last_updates()
            recorded = repo.breach_keys()
        due: list[Due] = []
        upcoming: datetime | None = youngest + first if youngest is not None else None
        for row in rows:
            sev = Sev(row["sev"])
            terms = Terms(targets[sev], _hours(hours, row.get("service_id")))
            held = [(Role(role), at) for role, at in assignments.get(row["id"], [])]
            progress = Progress(
                row["opened_at"],
                row["acknowledged_at"],
                assembled_at(sev, held),
                investigation_began(
                    row["investigating_at"], row["identified_at"], row["resolving_at"], row["resolved_at"]
                ),
                row["resolved_at"],
            )
            watched = Watched(row["id"], terms, progress, updates.get(row["id"]))
            found = deadlines(watched)
            latest, following = missed_update(terms, row["opened_at"], watched.last_update_at, now)
            if latest is not None:
                found.append(Deadline(row["id"], "update", latest))
            if following is not None:
                upcoming = following if upcoming is None else min(upcoming, following)
            for deadline in found:
                if deadline.due_at > now:
                    upcoming = deadline.due_at if upcoming is None else min(upcoming, deadline.due_at)
                elif (deadline.incident_id, deadline.target, deadline.due_at) not in recorded:
                    due.append((deadline, row, terms))
        return due, upcoming

    def _record(self, repo: SqlIncidentRepo, paging: SqlPagingRepo, due: list[Due], now: datetime) -> int:
        messenger = DeliveryMessenger(paging, self.destinations)
        for deadline, row, terms in due:
            values = {"incident_id": deadline.incident_id, "target": deadline.target, "due_at": deadline.due_at}
            if not repo.add_breach({**values, "recorded_at": now}):
                continue
            if deadline.target == "assemble":
                message = _assemble_missed(repo, deadline, row, terms, now)
            elif deadline.target == "update":
                message = self._remind(repo, paging, messenger, deadline, row, terms, now)
            else:
                message = _missed(deadline.target, row, terms)
            repo.add_event(
                deadline.incident_id,
                now,
                "target_missed",
                message,
                data={"target": deadline.target, "due_at": deadline.due_at.isoformat()},
            )
        return messenger.queued

    def _remind(
        self,
        repo: SqlIncidentRepo,
        paging: SqlPagingRepo,
        messenger: DeliveryMessenger,
        deadline: Deadline,
        row: dict[str, Any],
        terms: Terms,
        now: datetime,
    ) -> str:
        sev = Sev(row["sev"])
        every = terms.targets.update_every
        cadence = format_span(every) if every else "its cadence"
        due = f"{deadline.due_at:%H:%M} UTC"
        message = f"Status update overdue: none sent for {cadence}{_counted(terms)} ({sev}; due {due})"
        roles = repo.roles(deadline.incident_id)
        paged = paging.pages_of(deadline.incident_id)
        pages = [Paged(int(p["level"]), str(p["user_id"]), p["paged_at"]) for p in paged if p["paged_at"] <= now]
        holders = [(Role(r["role"]), str(r["user_id"])) for r in roles]
        everyone = {user for _role, user in holders} | {p.user_id for p in pages}
        if row.get("acknowledged_by"):
            everyone.add(str(row["acknowledged_by"]))
        disabled = {user for user, person in paging.people(everyone).items() if person.get("disabled_at") is not None}
        chosen = whom_to_remind(holders, row.get("acknowledged_by"), pages, disabled)
        if chosen is None:
            return f"{message}; nobody to remind: no IC, Communications Lead, acknowledgement or page"
        subject = f"[{sev}] #{row['number']} status update overdue: {row['title']}"[:200]
        text = (
            f"A status update on incident #{row['number']} ({row['title']}) was due at "
            f"{deadline.due_at:%H:%M} UTC: {sev} incidents get one every {cadence}{_counted(terms)}.\n"
            f"You are reminded as {chosen.why}.\n"
            "Send one from the incident page (Communications) or with `firebell incident update`."
        )
        messenger.remind(
            user_ids=list(chosen.user_ids),
            incident_id=deadline.incident_id,
            number=int(row["number"]),
            subject=subject,
            text=text,
            key=f"overdue:{deadline.incident_id}:{int(deadline.due_at.timestamp())}",
            now=now,
        )
        names = _names(chosen.user_ids, roles, paging)
        return f"{message}; reminded {', '.join(names)} ({chosen.why})"


def _hours(hours: Mapping[str, BusinessTime], service_id: str | None) -> BusinessTime:
    return hours.get(service_id, DEFAULT) if service_id else DEFAULT


def _counted(terms: Terms) -> str:
    return ", counted in business hours" if terms.targets.business_hours else ""


def _missed(target: str, row: Mapping[str, Any], terms: Terms) -> str:
    """The timeline entry of a missed acknowledge, investigate or resolve target."""
    title, done = _MISSED[target]
    span = getattr(terms.targets, target)
    within = format_span(span) if span is not None else "the target"
    return f"{title} target missed: {done} within {within}{_counted(terms)} ({row['sev']})"


def _assemble_missed(
    repo: SqlIncidentRepo, deadline: Deadline, row: Mapping[str, Any], terms: Terms, now: datetime
) -> str:
    sev = Sev(row["sev"])
    held: dict[Role, list[str]] = {}
    for r in repo.roles(deadline.incident_id):
        held.setdefault(Role(r["role"]), []).append(str(r["user_id"]))
    missing = staffing(sev, held, assemble_deadline(terms, row["opened_at"]), now).missing
    span = terms.targets.assemble
    assemble = (format_span(span) if span else "the target") + _counted(terms)
    if missing:
        names = ", ".join(r.label for r in missing)
        return f"Assemble target missed: required roles not filled within {assemble} ({sev}): {names}"
    return f"Assemble target missed: the team was assembled after {assemble} ({sev})"


def _names(user_ids: tuple[str, ...], roles: list[dict[str, Any]], paging: SqlPagingRepo) -> list[str]:
    """People's names for the timeline: from their roles where they hold one, else their user record."""
    known = {str(r["user_id"]): str(r["name"]) for r in roles}
    others = paging.people([u for u in user_ids if u not in known])
    for user_id, person in others.items():
        known[user_id] = str(person.get("display_name") or person.get("handle") or person.get("email") or user_id)
    return [known.get(u, u) for u in user_ids]
