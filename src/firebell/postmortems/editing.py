"""The postmortem use cases bound to one write transaction, an actor and an instant: what the API
and the web pages both call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from firebell.identity.repo import SqlIdentityRepo
from firebell.incidents.repo import SqlIncidentRepo
from firebell.postmortems import service
from firebell.postmortems.document import load
from firebell.postmortems.export import markdown
from firebell.postmortems.model import SignOff, Status
from firebell.postmortems.repo import SqlPostmortemRepo


class Editor:
    def __init__(self, conn: Connection, *, actor: str, at: datetime) -> None:
        self.conn = conn
        self.actor = actor
        self.at = at
        self.repo = SqlPostmortemRepo(conn)
        self.incidents = SqlIncidentRepo(conn)

    def set_rca(self, pm: dict[str, Any], tool: str, data: dict[str, Any] | None, version: int | None) -> None:
        service.set_rca(
            self.repo, self.incidents, pm=pm, tool=tool, data=data, version=version, actor=self.actor, at=self.at
        )

    def move(self, incident: dict[str, Any], pm: dict[str, Any], target: Status) -> None:
        current = load(self.conn, incident, pm)
        service.move(
            self.repo,
            self.incidents,
            pm=pm,
            target=target,
            ready=current.readiness,
            final_markdown=lambda: markdown(replace(current.doc, status=target)),
            actor=self.actor,
            at=self.at,
        )

    def sign(self, pm: dict[str, Any], role: SignOff, user_id: str) -> None:
        found = SqlIdentityRepo(self.conn).user(user_id) or {}
        name = str(found.get("display_name") or found.get("handle") or found.get("email") or user_id)
        service.sign(
            self.repo, self.incidents, pm=pm, role=role, user_id=user_id, user_name=name, actor=self.actor, at=self.at
        )

    def schedule(self, pm: dict[str, Any], when: datetime, attendees: Sequence[str]) -> None:
        people = [" ".join(a.split())[:200] for a in attendees if a.strip()]
        service.schedule_meeting(
            self.repo, self.incidents, pm=pm, when=when, attendees=people, actor=self.actor, at=self.at
        )

    def tick(self, pm: dict[str, Any], phase: str, item: str, *, done: bool) -> None:
        service.tick(self.repo, self.incidents, pm=pm, phase=phase, item=item, done=done, actor=self.actor, at=self.at)
