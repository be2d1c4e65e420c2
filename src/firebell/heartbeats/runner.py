"""Engine module: raise the alert of every heartbeat whose ping is overdue, when it falls due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from firebell.alerts.service import Submission
from firebell.heartbeats.repo import SqlHeartbeatRepo
from firebell.heartbeats.service import raise_missed
from firebell.infra.db import transaction

POLL = timedelta(seconds=1)


class HeartbeatWatch:
    name = "heartbeats"

    def __init__(
        self,
        engine: Engine,
        intake: Callable[[Connection, list[Submission]], object],
        on_raised: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.intake = intake
        self.on_raised = on_raised

    def run(self, now: datetime) -> datetime:
        with self.engine.connect() as conn:
            due = SqlHeartbeatRepo(conn).next_due()
        if due is not None and due <= now:
            with transaction(self.engine, write=True) as conn:
                raised = raise_missed(repo=SqlHeartbeatRepo(conn), intake=lambda subs: self.intake(conn, subs), now=now)
            if raised:
                self.on_raised()
            with self.engine.connect() as conn:
                due = SqlHeartbeatRepo(conn).next_due()
        return min(due, now + POLL) if due is not None else now + POLL
