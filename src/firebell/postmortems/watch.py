"""The learning watch: drafts the postmortem of every resolved incident that needs one, and
reminds owners of overdue postmortems and action items.

It wakes at the next due time (or every `POLL`, to see incidents resolved since). Each reminder
is claimed with a conditional update, so when several Firebell processes run, one of them sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from firebell.actionitems.model import reference
from firebell.actionitems.repo import SqlActionItemRepo
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.infra.db import claim_transaction
from firebell.paging.announce import DeliveryMessenger, Destinations
from firebell.paging.repo import SqlPagingRepo
from firebell.postmortems.drafting import ensure_draft
from firebell.postmortems.model import needs_postmortem
from firebell.postmortems.repo import SqlPostmortemRepo

POLL = timedelta(seconds=30)
GAP = timedelta(seconds=5)
# Incidents resolved longer ago than this are history (an import, a restore): no draft for them.
DRAFT_LOOKBACK = timedelta(days=7)


class LearningWatch:
    name = "learning_watch"

    def __init__(
        self, engine: Engine, destinations: Destinations, remind_every: timedelta, on_queued: Callable[[], None]
    ) -> None:
        self.engine = engine
        self.destinations = destinations
        self.remind_every = remind_every
        self.on_queued = on_queued

    def run(self, now: datetime) -> datetime:
        self._draft(now)
        if self._remind(now):
            self.on_queued()
        with self.engine.connect() as conn:
            upcoming = SqlPostmortemRepo(conn).next_due()
        wake = now + POLL if upcoming is None or upcoming <= now else min(upcoming, now + POLL)
        return max(wake, now + GAP)

    def _draft(self, now: datetime) -> None:
        with self.engine.connect() as conn:
            targets = SqlSeverityTargetsRepo(conn).targets()
            required = [sev.value for sev, t in targets.items() if needs_postmortem(t)]
            pending = SqlPostmortemRepo(conn).needing_draft(resolved_since=now - DRAFT_LOOKBACK, severities=required)
        for row in pending:
            with claim_transaction(self.engine) as conn:
                ensure_draft(conn, get_incident(conn, str(row["id"])), actor="firebell", at=now)

    def _remind(self, now: datetime) -> int:
        again_before = now - self.remind_every
        with self.engine.connect() as conn:
            postmortems = SqlPostmortemRepo(conn).to_remind(now, again_before)
            items = SqlActionItemRepo(conn).to_remind(now.date())
        if not postmortems and not items:
            return 0
        with claim_transaction(self.engine) as conn:
            messenger = DeliveryMessenger(SqlPagingRepo(conn), self.destinations)
            repo = SqlPostmortemRepo(conn)
            incidents = SqlIncidentRepo(conn)
            for pm in postmortems:
                if repo.mark_reminded(str(pm["id"]), now, again_before):
                    self._postmortem_overdue(incidents, messenger, pm, now)
            actions = SqlActionItemRepo(conn)
            for item in items:
                if actions.mark_reminded(str(item["id"]), item["due_date"]):
                    self._item_overdue(incidents, messenger, item, now)
        return messenger.queued

    def _postmortem_overdue(
        self, incidents: SqlIncidentRepo, messenger: DeliveryMessenger, pm: dict[str, Any], now: datetime
    ) -> None:
        number = int(pm["incident_number"])
        late = f"due {pm['due_at']:%Y-%m-%d %H:%M} UTC"
        people = [str(pm["owner_id"])] if pm["owner_id"] else []
        if not people:
            people = [
                str(r["user_id"]) for r in incidents.roles(str(pm["incident_id"])) if r["role"] == "incident_commander"
            ]
        sent = 0
        if people:
            sent = messenger.remind(
                user_ids=people,
                incident_id=str(pm["incident_id"]),
                number=number,
                subject=f"[{pm['sev']}] #{number} postmortem overdue: {pm['incident_title']}"[:200],
                text=(
                    f"The postmortem of incident #{number} ({pm['incident_title']}) was {late} and is still "
                    f"{pm['status'].replace('_', ' ')}. Finish it, hold the review and get it signed off: "
                    f"{self.destinations.base_url}/incidents/{number}/postmortem"
                ),
                key=f"pm-overdue:{pm['id']}:{int(now.timestamp())}",
                now=now,
            )
        who = pm["owner"] or "the Incident Commander"
        said = f"reminded {who}" if sent else "reminded nobody: no owner, no IC, or no contact methods"
        incidents.add_event(str(pm["incident_id"]), now, "postmortem", f"Postmortem overdue ({late}); {said}")

    def _item_overdue(
        self, incidents: SqlIncidentRepo, messenger: DeliveryMessenger, item: dict[str, Any], now: datetime
    ) -> None:
        ref = reference(int(item["number"]))
        number = int(item["incident_number"])
        messenger.remind(
            user_ids=[str(item["owner_id"])],
            incident_id=str(item["incident_id"]),
            number=number,
            subject=f"{ref} overdue: {item['title']}"[:200],
            text=(
                f"Action item {ref} ({item['priority']}) from incident #{number} was due {item['due_date']:%Y-%m-%d}: "
                f"{item['title']}\nMark it done, or change its due date: {self.destinations.base_url}/action-items"
            ),
            key=f"ai-overdue:{item['id']}:{item['due_date']:%Y%m%d}",
            now=now,
        )
        incidents.add_event(
            str(item["incident_id"]),
            now,
            "action_item",
            f"Action item {ref} overdue (due {item['due_date']:%Y-%m-%d}); reminded {item['owner']}",
        )
