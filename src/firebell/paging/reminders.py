"""Shift reminders and handoff reports: planned from every schedule's shifts, sent as deliveries.

An engine module looks once a minute for notices that fell due since its last look (an hour back
after a start, so a restart does not drop them) and writes one delivery per contact method of the
person; each delivery's idempotency key names the shift and the notice, so a notice is never sent
twice however often it is planned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from firebell.infra.db import claim_transaction
from firebell.oncall.reminders import CHECKLISTS, NoticeKind, ShiftNoticeDue, due_between
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import schedule_from_row
from firebell.paging.announce import pending_delivery
from firebell.paging.messages import ShiftNotice
from firebell.paging.repo import SqlPagingRepo

LOOKBACK = timedelta(hours=1)
EVERY = timedelta(minutes=1)
# Shifts are computed this far around the window, so a shift's true start and end are known (a
# handoff report covers at most the last two weeks of a longer shift).
BEHIND = timedelta(days=14)
AHEAD = timedelta(hours=49)


def _report(facts: dict[str, Any]) -> tuple[str, ...]:
    lines = [
        f"{facts['pages']} page(s) to you for {facts['paged_incidents']} incident(s), "
        f"{facts['after_hours_pages']} after hours",
        f"{facts['alerts']} alert(s) received",
    ]
    open_incidents = facts["open_incidents"]
    lines.append(f"{len(open_incidents)} incident(s) still open" + (":" if open_incidents else ""))
    lines += [f"  #{i['number']} {i['sev']} {i['status']}: {i['title']}" for i in open_incidents]
    return tuple(lines)


def plan(
    *, paging: SqlPagingRepo, oncall: SqlOncallRepo, since: datetime, now: datetime, base_url: str
) -> list[dict[str, Any]]:
    """The deliveries of every notice due in [since, now) not already written (read-only)."""
    rows: list[dict[str, Any]] = []
    for schedule_row in oncall.schedules():
        schedule = schedule_from_row(schedule_row, oncall.overrides(str(schedule_row["id"])))
        shifts = schedule.final_shifts(since - BEHIND, now + AHEAD)
        for due in due_between(shifts, since, now):
            rows += _deliveries(paging, schedule_row, due, now, base_url)
    sent = paging.existing_keys([row["idempotency_key"] for row in rows])
    return [row for row in rows if row["idempotency_key"] not in sent]


def _deliveries(
    paging: SqlPagingRepo, schedule_row: dict[str, Any], due: ShiftNoticeDue, now: datetime, base_url: str
) -> list[dict[str, Any]]:
    users = [due.user] + ([due.next_user] if due.next_user else [])
    people = paging.people(users)
    name = str(people.get(due.user, {}).get("display_name") or due.user)
    following = people.get(due.next_user or "", {})
    if people.get(due.user, {}).get("disabled_at") is not None:
        return []  # a disabled person is told nothing, as they are paged for nothing
    report = _report(paging.shift_facts(due.user, due.start, due.end)) if due.kind is NoticeKind.HANDOFF else ()
    rows = []
    for method in paging.contact_methods([due.user]).get(due.user, []):
        # Keyed by when it is due, which no planning window changes (a far-away shift start may be cut).
        key = f"shift:{schedule_row['id']}:{due.user}:{int(due.due_at.timestamp())}:{due.kind.value}:{method['id']}"
        notice = ShiftNotice(
            kind=due.kind.value,
            person=name,
            schedule=str(schedule_row["name"]),
            start=due.start,
            end=due.end,
            checklist=CHECKLISTS[due.kind],
            report=report,
            schedule_url=f"{base_url}/oncall/{schedule_row['name']}",
            next_person=str(following.get("display_name") or ""),
            idempotency_key=key,
        )
        rows.append(
            pending_delivery(
                key=key,
                incident_id=None,
                user_id=due.user,
                channel=str(method["kind"]),
                address=str(method["address"]),
                notice=notice,
                now=now,
            )
        )
    return rows


class ShiftReminders:
    name = "shift_reminders"

    def __init__(self, engine: Engine, base_url: str, on_planned: Callable[[], None] = lambda: None) -> None:
        self.engine = engine
        self.base_url = base_url
        self.on_planned = on_planned
        self._since: datetime | None = None

    def run(self, now: datetime) -> datetime:
        since = self._since or now - LOOKBACK
        if now > since:
            # Planning only reads (schedules, reports); the insert alone takes the write lock.
            with self.engine.connect() as conn:
                rows = plan(
                    paging=SqlPagingRepo(conn), oncall=SqlOncallRepo(conn), since=since, now=now, base_url=self.base_url
                )
            if rows:
                with claim_transaction(self.engine) as conn:
                    SqlPagingRepo(conn).add_deliveries_once(rows)  # another process may have written some
                self.on_planned()
            self._since = now
        return now + EVERY
