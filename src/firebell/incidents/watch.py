"""The target watch: records on the timeline every response target an open incident misses, and
reminds the Communications Lead (or the IC) when a status update is overdue.

It wakes at the next deadline (or every `POLL`, to see incidents opened since), reads first and
takes the write lock only to record what is due; each breach is recorded once per deadline, by
whichever process gets there first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.roles import Role, assembled_at, staffing
from firebell.incidents.targets import TARGETS, Deadline, Watched, deadlines, format_span, missed_update
from firebell.infra.db import claim_transaction
from firebell.kernel.severity import Sev
from firebell.paging.announce import DeliveryMessenger, Destinations
from firebell.paging.repo import SqlPagingRepo

POLL = timedelta(seconds=30)
# The soonest any target falls due after an incident opens (SEV-1's acknowledge target).
FIRST = min(span for t in TARGETS.values() for span in (t.acknowledge, t.assemble, t.update_every) if span is not None)
GAP = timedelta(seconds=5)  # deadlines close together are handled together: a breach is late by 5 s at most


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

    def _plan(self, now: datetime) -> tuple[list[tuple[Deadline, dict[str, Any]]], datetime | None]:
        with self.engine.connect() as conn:
            repo = SqlIncidentRepo(conn)
            # No deadline falls sooner than FIRST after an incident opens: younger ones only set the wake.
            rows = repo.open_incidents(opened_by=now - FIRST)
            youngest = repo.first_opened_after(now - FIRST)
            assignments = repo.role_assignments()
            updates = repo.last_updates()
            recorded = repo.breach_keys()
        due: list[tuple[Deadline, dict[str, Any]]] = []
        upcoming: datetime | None = youngest + FIRST if youngest is not None else None
        for row in rows:
            sev = Sev(row["sev"])
            held = [(Role(role), at) for role, at in assignments.get(row["id"], [])]
            watched = Watched(
                row["id"],
                sev,
                row["opened_at"],
                row["acknowledged_at"],
                assembled_at(sev, held),
                updates.get(row["id"]),
            )
            found = deadlines(watched)
            latest, following = missed_update(sev, row["opened_at"], watched.last_update_at, now)
            if latest is not None:
                found.append(Deadline(row["id"], "update", latest))
            if following is not None:
                upcoming = following if upcoming is None else min(upcoming, following)
            for deadline in found:
                if deadline.due_at > now:
                    upcoming = deadline.due_at if upcoming is None else min(upcoming, deadline.due_at)
                elif (deadline.incident_id, deadline.target, deadline.due_at) not in recorded:
                    due.append((deadline, row))
        return due, upcoming

    def _record(
        self, repo: SqlIncidentRepo, paging: SqlPagingRepo, due: list[tuple[Deadline, dict[str, Any]]], now: datetime
    ) -> int:
        messenger = DeliveryMessenger(paging, self.destinations)
        for deadline, row in due:
            values = {"incident_id": deadline.incident_id, "target": deadline.target, "due_at": deadline.due_at}
            if not repo.add_breach({**values, "recorded_at": now}):
                continue
            sev = Sev(row["sev"])
            targets = TARGETS[sev]
            if deadline.target == "acknowledge":
                message = (
                    f"Acknowledge target missed: not acknowledged within {format_span(targets.acknowledge)} ({sev})"
                )
            elif deadline.target == "assemble":
                roles = repo.roles(deadline.incident_id)
                held: dict[Role, list[str]] = {}
                for r in roles:
                    held.setdefault(Role(r["role"]), []).append(str(r["user_id"]))
                missing = staffing(sev, held, row["opened_at"], now).missing
                assemble = format_span(targets.assemble) if targets.assemble else "the target"
                if missing:
                    names = ", ".join(r.label for r in missing)
                    message = f"Assemble target missed: required roles not filled within {assemble} ({sev}): {names}"
                else:
                    message = f"Assemble target missed: the team was assembled after {assemble} ({sev})"
            else:
                message = self._remind(repo, messenger, deadline, row, now)
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
        messenger: DeliveryMessenger,
        deadline: Deadline,
        row: dict[str, Any],
        now: datetime,
    ) -> str:
        sev = Sev(row["sev"])
        every = TARGETS[sev].update_every
        cadence = format_span(every) if every else "its cadence"
        message = f"Status update overdue: none sent for {cadence} ({sev}; due {deadline.due_at:%H:%M} UTC)"
        roles = repo.roles(deadline.incident_id)
        for role in (Role.COMMS_LEAD, Role.INCIDENT_COMMANDER):
            people = [r for r in roles if r["role"] == role.value]
            if not people:
                continue
            subject = f"[{sev}] #{row['number']} status update overdue: {row['title']}"[:200]
            text = (
                f"A status update on incident #{row['number']} ({row['title']}) was due at "
                f"{deadline.due_at:%H:%M} UTC: {sev} incidents get one every {cadence}.\n"
                "Send one from the incident page (Communications) or with `firebell incident update`."
            )
            messenger.remind(
                user_ids=[str(p["user_id"]) for p in people],
                incident_id=deadline.incident_id,
                number=int(row["number"]),
                subject=subject,
                text=text,
                key=f"overdue:{deadline.incident_id}:{int(deadline.due_at.timestamp())}",
                now=now,
            )
            return f"{message}; reminded {', '.join(str(p['name']) for p in people)} ({role.label})"
        return f"{message}; nobody holds the Communications Lead or IC role to remind"
