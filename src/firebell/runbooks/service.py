"""Runbook use cases: write, edit and import a runbook, and lint a stored one with what the catalog knows.

A runbook says how a team is paged and what its responders do, so it is its team's to change: the
team owning its service, or (for a runbook of no service) the team it names. Only that team's admins
and site admins may write it, both as it was and as it will be; a runbook of no team, site admins only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any, Protocol

from firebell.identity.model import Principal, Role, Team
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.runbooks.checklist import LintContext
from firebell.runbooks.facts import Review, review
from firebell.runbooks.lint import Report, lint
from firebell.runbooks.model import Runbook, parse
from firebell.runbooks.placeholders import without_placeholders

MAX_BODY = 500_000  # characters of markdown
MAX_TITLE = 300


class RunbookRepo(Protocol):
    def get(self, runbook_id: str) -> Mapping[str, Any] | None: ...

    def by_service(self, service_id: str) -> Mapping[str, Any] | None: ...

    def by_source(self, source_path: str) -> Mapping[str, Any] | None: ...

    def add(self, values: dict[str, Any]) -> None: ...

    def update(self, runbook_id: str, values: dict[str, Any]) -> None: ...


class ServiceLookup(Protocol):
    def service_by_name(self, name: str) -> Mapping[str, Any] | None: ...


class RunbookOwners(Protocol):
    def team_named(self, name: str) -> Team | None: ...

    def owner(self, service_id: str | None, team_id: str | None) -> Team | None:
        """The team owning a runbook of this service (when given), else of this team."""
        ...


@dataclass(frozen=True, slots=True)
class Writer:
    """Who writes, and how to find the team a runbook belongs to."""

    caller: Principal
    owners: RunbookOwners

    def require(self, values: Mapping[str, Any]) -> None:
        self.caller.require(Role.ADMIN, self.owners.owner(values.get("service_id"), values.get("team_id")))


@dataclass(frozen=True, slots=True)
class Draft:
    """What a caller writes; None keeps what is stored."""

    body: str | None = None
    title: str | None = None
    service: str | None = None  # a service name; "" for no service
    team: str | None = None  # a team's name, for a runbook of no service; "" for no team
    source_path: str | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None


def create_runbook(
    *,
    repo: RunbookRepo,
    services: ServiceLookup,
    writer: Writer,
    draft: Draft,
    actor: str,
    now: datetime,
    make_id: Callable[[], str] = new_id,
) -> str:
    runbook_id = make_id()
    values = _values(repo, services, writer.owners, draft, None, now, runbook_id)
    writer.require(values)
    repo.add({**values, "id": runbook_id, "created_at": now, "updated_at": now, "updated_by": actor[:200]})
    return runbook_id


def update_runbook(
    *,
    repo: RunbookRepo,
    services: ServiceLookup,
    writer: Writer,
    runbook_id: str,
    draft: Draft,
    actor: str,
    now: datetime,
) -> None:
    current = repo.get(runbook_id)
    if current is None:
        raise NotFound(f"no runbook {runbook_id}")
    writer.require(current)
    values = _values(repo, services, writer.owners, draft, current, now, runbook_id)
    writer.require(values)  # handing it to another team takes the admin role there too
    repo.update(runbook_id, {**values, "updated_at": now, "updated_by": actor[:200]})


def import_runbook(
    *,
    repo: RunbookRepo,
    services: ServiceLookup,
    writer: Writer,
    draft: Draft,
    actor: str,
    now: datetime,
    make_id: Callable[[], str] = new_id,
) -> tuple[str, bool]:
    """Create or replace: the service's runbook, else the unattached one from the same path.
    Returns (id, whether it was created), so CI can import on every merge."""
    if not (draft.source_path or "").strip():
        raise ValidationFailed.field("source_path", "give the path the runbook is imported from")
    existing = repo.by_source(draft.source_path or "")
    if draft.service:
        row = services.service_by_name(draft.service)
        existing = repo.by_service(str(row["id"])) if row is not None else None
    if existing is None:
        made = create_runbook(
            repo=repo, services=services, writer=writer, draft=draft, actor=actor, now=now, make_id=make_id
        )
        return made, True
    runbook_id = str(existing["id"])
    update_runbook(
        repo=repo, services=services, writer=writer, runbook_id=runbook_id, draft=draft, actor=actor, now=now
    )
    return runbook_id, False


def _values(
    repo: RunbookRepo,
    services: ServiceLookup,
    owners: RunbookOwners,
    draft: Draft,
    current: Mapping[str, Any] | None,
    now: datetime,
    runbook_id: str,
) -> dict[str, Any]:
    body = draft.body if draft.body is not None else str(current["body"]) if current else ""
    if not body.strip():
        raise ValidationFailed.field("body", "is empty: give the runbook's markdown")
    if len(body) > MAX_BODY:
        raise ValidationFailed.field("body", f"is longer than {MAX_BODY} characters")
    doc = parse(body)
    source_path = (draft.source_path if draft.source_path is not None else (current or {}).get("source_path")) or ""
    if len(source_path) > 1000:
        raise ValidationFailed.field("source_path", "is longer than 1000 characters")
    reviewed_at, reviewed_by = _review(draft, doc, current, now)
    service_id = _service_id(repo, services, draft, current, runbook_id)
    return {
        "body": body,
        "title": _title(draft, doc, current, source_path),
        "service_id": service_id,
        "team_id": _team_id(owners, draft, current, service_id),
        "source_path": source_path,
        "last_reviewed_at": reviewed_at,
        "reviewed_by": reviewed_by[:200],
    }


def _title(draft: Draft, doc: Runbook, current: Mapping[str, Any] | None, source_path: str) -> str:
    if draft.title is not None:
        title = " ".join(draft.title.split())
        if not title:
            raise ValidationFailed.field("title", "is empty")
        if len(title) > MAX_TITLE:
            raise ValidationFailed.field("title", f"is longer than {MAX_TITLE} characters")
        return title
    if current is not None:
        return str(current["title"])
    stated = " ".join(without_placeholders(doc.title).split())
    return (stated or PurePosixPath(source_path).stem or "Untitled runbook")[:MAX_TITLE]


def _service_id(
    repo: RunbookRepo, services: ServiceLookup, draft: Draft, current: Mapping[str, Any] | None, runbook_id: str
) -> str | None:
    if draft.service is None:
        return str(current["service_id"]) if current and current["service_id"] else None
    if not draft.service.strip():
        return None
    row = services.service_by_name(draft.service.strip())
    if row is None:
        raise ValidationFailed.field("service", f"no service named {draft.service!r}")
    other = repo.by_service(str(row["id"]))
    if other is not None and str(other["id"]) != runbook_id:
        raise Conflict(
            f"the service {row['name']} already has a runbook, “{other['title']}”: edit it, or import over it",
            details=[{"field": "service", "runbook_id": str(other["id"])}],
        )
    return str(row["id"])


def _team_id(
    owners: RunbookOwners, draft: Draft, current: Mapping[str, Any] | None, service_id: str | None
) -> str | None:
    """A runbook of a service follows the service's team; one of no service names its own team."""
    if service_id is not None:
        if draft.team:
            raise ValidationFailed.field("team", "a runbook of a service is its owner team's: give a service or a team")
        return None
    if draft.team is None:
        return str(current["team_id"]) if current and current.get("team_id") else None
    if not draft.team.strip():
        return None
    team = owners.team_named(draft.team.strip())
    if team is None:
        raise ValidationFailed.field("team", f"no team named {draft.team!r}")
    return team.id


def _review(
    draft: Draft, doc: Runbook, current: Mapping[str, Any] | None, now: datetime
) -> tuple[datetime | None, str]:
    """The latest review: given outright, else the later of the stored one and the document's own."""
    if draft.reviewed_at is not None:
        if draft.reviewed_at.tzinfo is None:
            raise ValidationFailed.field("last_reviewed_at", "give the time with its UTC offset")
        if draft.reviewed_at - now > timedelta(days=1):
            raise ValidationFailed.field("last_reviewed_at", "is in the future")
        return draft.reviewed_at.astimezone(UTC), draft.reviewed_by or ""
    at: datetime | None = current["last_reviewed_at"] if current else None
    by = str(current["reviewed_by"]) if current else ""
    stated = review(doc)
    if draft.body is not None and stated.on is not None:
        stated_at = datetime(stated.on.year, stated.on.month, stated.on.day, tzinfo=UTC)
        if at is None or stated_at >= at:
            at, by = stated_at, stated.by
    return at, draft.reviewed_by if draft.reviewed_by is not None else by


def lint_stored(
    row: Mapping[str, Any],
    *,
    service_name: str | None,
    dependencies: Sequence[str],
    today: date,
    stale_after_days: int,
) -> Report:
    """Lint a stored runbook: its service's catalog dependencies must be named, Firebell's own alert
    pages link to it, and the stored review date counts."""
    doc = parse(str(row["body"]))
    at: datetime | None = row["last_reviewed_at"]
    stated = review(doc)
    by = str(row["reviewed_by"])
    stored = Review(at.date(), by, None) if at and (at.date(), by) != (stated.on, stated.by) else None
    linked_by = f"incidents of {service_name} link to this runbook in Firebell" if service_name else None
    context = LintContext(today, stale_after_days, tuple(dependencies), linked_by, stored)
    return lint(doc, context)
