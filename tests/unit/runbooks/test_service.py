"""Runbook use cases on in-memory fakes: titles and review dates come from the document unless given,
one runbook per service, and import replaces."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest

from firebell.identity.model import Principal, Role, Scope, Team
from firebell.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from firebell.runbooks.service import Draft, Writer, create_runbook, import_runbook, update_runbook
from tests.unit.runbooks.conftest import fixture

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeRunbooks:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def get(self, runbook_id: str) -> Mapping[str, Any] | None:
        return self.rows.get(runbook_id)

    def by_service(self, service_id: str) -> Mapping[str, Any] | None:
        return next((r for r in self.rows.values() if r["service_id"] == service_id), None)

    def by_source(self, source_path: str) -> Mapping[str, Any] | None:
        return next((r for r in self.rows.values() if r["source_path"] == source_path and not r["service_id"]), None)

    def add(self, values: dict[str, Any]) -> None:
        self.rows[values["id"]] = dict(values)

    def update(self, runbook_id: str, values: dict[str, Any]) -> None:
        self.rows[runbook_id].update(values)


class FakeServices:
    def service_by_name(self, name: str) -> Mapping[str, Any] | None:
        return {"id": f"svc-{name}", "name": name} if name in ("ledger", "gateway") else None


PAYMENTS, SEARCH = Team("t-payments", "payments"), Team("t-search", "search")


class FakeOwners:
    """The ledger service is the payments team's; the gateway is no team's."""

    def team_named(self, name: str) -> Team | None:
        return next((t for t in (PAYMENTS, SEARCH) if t.name == name), None)

    def owner(self, service_id: str | None, team_id: str | None) -> Team | None:
        if service_id is not None:
            return PAYMENTS if service_id == "svc-ledger" else None
        return next((t for t in (PAYMENTS, SEARCH) if t.id == team_id), None)


OPERATOR = Writer(Principal.operator("tests"), FakeOwners())


@pytest.fixture
def repo() -> FakeRunbooks:
    return FakeRunbooks()


def _create(repo: FakeRunbooks, ids: Any = None, **draft: Any) -> str:
    numbers = ids or (f"rb{n}" for n in count(1))
    return create_runbook(
        repo=repo,
        services=FakeServices(),
        writer=OPERATOR,
        draft=Draft(**draft),
        actor="ana",
        now=NOW,
        make_id=lambda: next(numbers),
    )


def test_title_and_review_come_from_the_document(repo: FakeRunbooks) -> None:
    runbook_id = _create(repo, body=fixture("ledger.md"), service="ledger")
    row = repo.rows[runbook_id]
    assert (row["title"], row["service_id"], row["reviewed_by"]) == (
        "Ledger Runbook",
        "svc-ledger",
        "Dana Okafor (ledger on-call)",
    )
    assert row["last_reviewed_at"] == datetime(2026, 2, 2, tzinfo=UTC)
    assert (row["created_at"], row["updated_by"]) == (NOW, "ana")
    placeholder_title = _create(repo, ids=iter(["rb9"]), body="# [SERVICE] High Latency Runbook\n\ntext\n")
    assert repo.rows[placeholder_title]["title"] == "High Latency Runbook"


def test_bad_input_names_the_field(repo: FakeRunbooks) -> None:
    cases = [
        ({"body": "  \n"}, "body"),
        ({"body": "# x", "service": "nope"}, "service"),
        ({"body": "# x", "title": "   "}, "title"),
        ({"body": "# x", "reviewed_at": datetime(2026, 3, 5, tzinfo=UTC)}, "last_reviewed_at"),
    ]
    for draft, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            _create(repo, **draft)
        assert refused.value.details[0]["field"] == field
    assert repo.rows == {}


def test_one_runbook_per_service(repo: FakeRunbooks) -> None:
    first = _create(repo, ids=iter(["rb1"]), body="# Ledger\n", service="ledger")
    with pytest.raises(Conflict) as refused:
        _create(repo, ids=iter(["rb2"]), body="# Another\n", service="ledger")
    assert refused.value.details == [{"field": "service", "runbook_id": first}]
    # Moving it off the service frees the service for another.
    update_runbook(
        repo=repo,
        services=FakeServices(),
        writer=OPERATOR,
        runbook_id=first,
        draft=Draft(service=""),
        actor="ana",
        now=NOW,
    )
    assert repo.rows[first]["service_id"] is None
    assert _create(repo, ids=iter(["rb3"]), body="# Another\n", service="ledger") == "rb3"
    with pytest.raises(NotFound):
        update_runbook(
            repo=repo, services=FakeServices(), writer=OPERATOR, runbook_id="nope", draft=Draft(), actor="a", now=NOW
        )


def test_the_later_review_wins_unless_one_is_given(repo: FakeRunbooks) -> None:
    runbook_id = _create(repo, body=fixture("ledger.md"))
    march = datetime(2026, 2, 27, 9, 0, tzinfo=UTC)
    edit = Draft(reviewed_at=march, reviewed_by="Raj")
    update_runbook(
        repo=repo, services=FakeServices(), writer=OPERATOR, runbook_id=runbook_id, draft=edit, actor="raj", now=NOW
    )
    assert (repo.rows[runbook_id]["last_reviewed_at"], repo.rows[runbook_id]["reviewed_by"]) == (march, "Raj")
    # An edit whose text states an older review keeps the newer one on record...
    older = Draft(body=fixture("ledger.md").replace("Payments Platform", "Payments"))
    update_runbook(
        repo=repo, services=FakeServices(), writer=OPERATOR, runbook_id=runbook_id, draft=older, actor="ana", now=NOW
    )
    assert repo.rows[runbook_id]["last_reviewed_at"] == march
    assert repo.rows[runbook_id]["title"] == "Ledger Runbook"  # kept, not re-derived
    # ...and one stating a newer review takes it.
    newer = Draft(body=fixture("ledger.md").replace("2026-02-02", "2026-02-28"))
    update_runbook(
        repo=repo, services=FakeServices(), writer=OPERATOR, runbook_id=runbook_id, draft=newer, actor="ana", now=NOW
    )
    assert repo.rows[runbook_id]["last_reviewed_at"] == datetime(2026, 2, 28, tzinfo=UTC)
    assert repo.rows[runbook_id]["reviewed_by"] == "Dana Okafor (ledger on-call)"


def test_import_replaces_the_services_runbook_or_the_one_from_the_same_path(repo: FakeRunbooks) -> None:
    ids = iter(["rb1", "rb2", "rb3"])

    def upload(body: str, path: str, service: str | None = None) -> tuple[str, bool]:
        draft = Draft(body=body, source_path=path, service=service)
        return import_runbook(
            repo=repo,
            services=FakeServices(),
            writer=OPERATOR,
            draft=draft,
            actor="ci",
            now=NOW,
            make_id=lambda: next(ids),
        )

    assert upload("# Ledger\n", "ledger/RUNBOOK.md", "ledger") == ("rb1", True)
    assert upload("# Ledger v2\n", "elsewhere/RUNBOOK.md", "ledger") == ("rb1", False)
    assert repo.rows["rb1"]["body"] == "# Ledger v2\n"
    assert repo.rows["rb1"]["source_path"] == "elsewhere/RUNBOOK.md"
    assert upload("# Shared\n", "docs/shared.md") == ("rb2", True)
    assert upload("# Shared v2\n", "docs/shared.md") == ("rb2", False)
    assert upload("# Gateway\n", "docs/shared.md", "gateway") == ("rb3", True)
    with pytest.raises(ValidationFailed) as refused:
        upload("# x\n", " ")
    assert refused.value.details[0]["field"] == "source_path"


def _person(role: Role = Role.RESPONDER, **teams: Role) -> Writer:
    ids = {"payments": PAYMENTS.id, "search": SEARCH.id}
    caller = Principal("p", frozenset(Scope), user_id="u1", role=role, teams={ids[t]: r for t, r in teams.items()})
    return Writer(caller, FakeOwners())


def test_only_admins_of_the_runbooks_team_change_it(repo: FakeRunbooks) -> None:
    ledger = _create(repo, ids=iter(["rb1"]), body="# Ledger\n", service="ledger")
    shared = _create(repo, ids=iter(["rb2"]), body="# Shared\n", team="search")
    assert repo.rows[shared]["team_id"] == SEARCH.id
    payments_admin = _person(payments=Role.ADMIN)

    def edit(writer: Writer, runbook_id: str, **draft: Any) -> None:
        update_runbook(
            repo=repo,
            services=FakeServices(),
            writer=writer,
            runbook_id=runbook_id,
            draft=Draft(**draft),
            actor="x",
            now=NOW,
        )

    edit(payments_admin, ledger, body="# Ledger v2\n")
    for writer in (_person(payments=Role.RESPONDER), _person(search=Role.ADMIN), _person(Role.VIEWER)):
        with pytest.raises(PermissionDenied):
            edit(writer, ledger, body="# Taken\n")
    with pytest.raises(PermissionDenied, match="on team search"):
        edit(payments_admin, shared, body="# Taken\n")
    # Handing a runbook over takes the admin role on both sides; no team at all, a site admin.
    with pytest.raises(PermissionDenied, match="on team search"):
        edit(payments_admin, ledger, service="", team="search")
    with pytest.raises(PermissionDenied, match="no team"):
        edit(payments_admin, ledger, service="gateway")
    edit(_person(payments=Role.ADMIN, search=Role.ADMIN), ledger, service="", team="search")
    assert (repo.rows[ledger]["service_id"], repo.rows[ledger]["team_id"]) == (None, SEARCH.id)
    edit(_person(Role.ADMIN), ledger, team="")
    assert repo.rows[ledger]["team_id"] is None
    assert [r["body"] for r in repo.rows.values()] == ["# Ledger v2\n", "# Shared\n"]
    with pytest.raises(ValidationFailed, match="give a service or a team"):
        _create(repo, ids=iter(["rb3"]), body="# x\n", service="ledger", team="search")
    with pytest.raises(ValidationFailed, match="no team named"):
        _create(repo, ids=iter(["rb4"]), body="# x\n", team="nobody")
