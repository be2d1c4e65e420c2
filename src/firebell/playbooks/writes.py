"""The playbook use cases run in one write transaction on the real tables, for the API and the pages."""

from __future__ import annotations

from firebell.bootstrap import Container
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.playbooks.model import Listed
from firebell.playbooks.repo import SqlPlaybookRepo
from firebell.playbooks.service import Attached, attach_playbook, delete_playbook, save_playbook


def save(container: Container, key: str, document: object, *, actor: str) -> tuple[Listed, bool]:
    with transaction(container.engine, write=True) as conn:
        repo, now = SqlPlaybookRepo(conn), container.clock.now()
        return save_playbook(repo=repo, key=key, document=document, actor=actor, now=now)


def delete(container: Container, key: str) -> Listed:
    with transaction(container.engine, write=True) as conn:
        return delete_playbook(repo=SqlPlaybookRepo(conn), key=key)


def attach(container: Container, ref: str, key: str, *, actor: str) -> tuple[str, Attached]:
    """Attach to the incident `ref` (number or id); (its id, what was done)."""
    with transaction(container.engine, write=True) as conn:
        incident_id = str(get_incident(conn, ref)["id"])
        done = attach_playbook(
            repo=SqlPlaybookRepo(conn),
            incidents=SqlIncidentRepo(conn),
            incident_id=incident_id,
            key=key,
            actor=actor,
            at=container.clock.now(),
        )
    if done.added:
        container.changes.bump()  # the incident page refreshes
    return incident_id, done
