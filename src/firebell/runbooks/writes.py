"""The runbook use cases run in one write transaction on the real tables, for the API and the pages."""

from __future__ import annotations

from firebell.bootstrap import Container
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Principal
from firebell.infra.db import transaction
from firebell.runbooks.repo import SqlRunbookRepo
from firebell.runbooks.service import Draft, Writer, create_runbook, import_runbook, update_runbook


def save(container: Container, draft: Draft, *, caller: Principal, actor: str, runbook_id: str | None = None) -> str:
    """Create a runbook, or change the one given, as `caller` may; returns its id."""
    with transaction(container.engine, write=True) as conn:
        repo, services, now = SqlRunbookRepo(conn), SqlCatalogRepo(conn), container.clock.now()
        writer = Writer(caller, repo)
        if runbook_id is None:
            return create_runbook(repo=repo, services=services, writer=writer, draft=draft, actor=actor, now=now)
        update_runbook(
            repo=repo, services=services, writer=writer, runbook_id=runbook_id, draft=draft, actor=actor, now=now
        )
        return runbook_id


def import_file(container: Container, draft: Draft, *, caller: Principal, actor: str) -> tuple[str, bool]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlRunbookRepo(conn)
        return import_runbook(
            repo=repo,
            services=SqlCatalogRepo(conn),
            writer=Writer(caller, repo),
            draft=draft,
            actor=actor,
            now=container.clock.now(),
        )
