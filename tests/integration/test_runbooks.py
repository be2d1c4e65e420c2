"""Runbooks on a real database through the API and the pages: write, import, lint, coverage, errors,
the edit form, and the incident page's link into the matching runbook section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token, create_user
from firebell.infra.db import transaction
from tests.integration.conftest import App
from tests.web_login import log_in

FIXTURES = Path(__file__).resolve().parent.parent / "unit" / "runbooks" / "fixtures"
LEDGER = (FIXTURES / "ledger.md").read_text()
LATENCY = (FIXTURES / "checkout-high-latency.md").read_text()
MARCH = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # the ledger runbook was reviewed on 2026-02-02


def _post(app: App, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return app.client.post(path, json=body, headers=headers or app.auth())


def _services(app: App, *names: str) -> dict[str, str]:
    return {name: app.add_service(name) for name in names}


def _depends(app: App, service_id: str, *on: str) -> None:
    with transaction(app.container.engine, write=True) as conn:
        SqlCatalogRepo(conn).update_service(service_id, {"dependencies": list(on)})


def test_write_read_and_lint_with_the_catalogs_dependencies(app: App) -> None:
    app.clock.set(MARCH)
    ids = _services(app, "ledger", "accounts", "fx-rates", "billing")
    _depends(app, ids["ledger"], ids["accounts"], ids["fx-rates"])
    made = _post(app, "/api/v1/runbooks", {"body": LEDGER, "service": "ledger", "source_path": "ledger/RUNBOOK.md"})
    assert made.status_code == 201, made.text
    runbook = made.json()
    assert (runbook["title"], runbook["service"], runbook["passed"], runbook["stale"]) == (
        "Ledger Runbook",
        "ledger",
        True,
        False,
    )
    assert runbook["last_reviewed_at"].startswith("2026-02-02")
    assert runbook["url"] == f"/runbooks/{runbook['id']}"
    assert [f["status"] for f in runbook["lint"]["findings"]] == ["pass"] * 12
    # The catalog learns of a dependency the runbook does not name: item 4 now fails, saying which.
    _depends(app, ids["ledger"], ids["accounts"], ids["fx-rates"], ids["billing"])
    lint = app.client.get(f"/api/v1/runbooks/{runbook['id']}/lint", headers=app.auth()).json()
    assert lint["failed_items"] == [4]
    assert "billing" in next(f["message"] for f in lint["findings"] if f["item"] == 4)
    # Attached to a service, Firebell's incident pages link to it: item 12 says so.
    assert next(f["message"] for f in lint["findings"] if f["item"] == 12) == (
        "incidents of ledger link to this runbook in Firebell"
    )
    stale = app.client.get(f"/api/v1/runbooks/{runbook['id']}/lint?stale_after=20", headers=app.auth()).json()
    assert (stale["stale"], stale["failed_items"]) == (True, [4, 11])
    listed = app.client.get("/api/v1/runbooks", headers=app.auth()).json()
    assert [(r["title"], r["failed_items"]) for r in listed] == [("Ledger Runbook", [4])]
    got = app.client.get(f"/api/v1/runbooks/{runbook['id']}", headers=app.auth()).json()
    assert got["body"] == LEDGER


def test_import_adds_then_replaces_and_patch_changes_fields(app: App) -> None:
    app.clock.set(MARCH)
    _services(app, "checkout")
    body = {"body": LATENCY, "source_path": "checkout/RUNBOOK.md", "service": "checkout"}
    first = _post(app, "/api/v1/runbooks/import", body)
    assert first.status_code == 201, first.text
    assert (first.json()["created"], first.json()["title"]) == (True, "High Latency Runbook")
    assert first.json()["lint"]["failed_items"] == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11]  # 12: linked through Firebell
    again = _post(app, "/api/v1/runbooks/import", {**body, "body": LEDGER})
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["created"]) == (first.json()["id"], False)
    assert again.json()["body"] == LEDGER
    path = f"/api/v1/runbooks/{first.json()['id']}"
    renamed = app.client.patch(path, json={"title": "Checkout", "service": None}, headers=app.auth())
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["title"], renamed.json()["service"], renamed.json()["body"]) == ("Checkout", None, LEDGER)
    assert app.rows("select service_id, updated_by from runbooks") == [(None, "token:tests")]


def test_coverage_counts_services_with_a_current_runbook(app: App) -> None:
    app.clock.set(MARCH)
    _services(app, "checkout", "gateway", "ledger", "orders")
    _post(app, "/api/v1/runbooks", {"body": LEDGER, "service": "ledger"})
    _post(app, "/api/v1/runbooks", {"body": LATENCY, "service": "checkout"})  # never reviewed
    _post(app, "/api/v1/runbooks", {"body": LATENCY, "service": "gateway", "last_reviewed_at": "2026-02-20T10:00:00Z"})
    _post(app, "/api/v1/runbooks", {"body": "# Shared notes\n"})  # of no service: not counted
    found = app.client.get("/api/v1/runbooks/coverage", headers=app.auth()).json()
    assert (found["total"], found["covered"], found["passing"], found["percent"]) == (4, 2, 1, 50.0)
    assert [(s["service"], s["state"]) for s in found["lacking"]] == [("checkout", "stale"), ("orders", "missing")]
    assert [(s["service"], s["state"]) for s in found["services"]][1:3] == [
        ("gateway", "failing"),
        ("ledger", "passing"),
    ]
    app.clock.set(MARCH + timedelta(days=70))  # the ledger review (2026-02-02) is past 90 days
    later = app.client.get("/api/v1/runbooks/coverage", headers=app.auth()).json()
    assert (later["covered"], later["percent"]) == (1, 25.0)
    assert app.client.get("/api/v1/runbooks/coverage?stale_after=365", headers=app.auth()).json()["covered"] == 2


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("post", "/api/v1/runbooks", {"body": ""}, 422, "body"),
        ("post", "/api/v1/runbooks", {"body": "# x", "service": "nope"}, 422, "service"),
        ("post", "/api/v1/runbooks", {"body": "# x", "service": "ledger"}, 409, "service"),
        ("post", "/api/v1/runbooks", {"body": "# x", "title": "t" * 301}, 422, "title"),
        (
            "post",
            "/api/v1/runbooks",
            {"body": "# x", "last_reviewed_at": "2026-03-01T00:00:00"},
            422,
            "last_reviewed_at",
        ),
        ("post", "/api/v1/runbooks", {"body": "# x", "colour": "red"}, 422, "colour"),
        ("post", "/api/v1/runbooks/import", {"body": "# x"}, 422, "source_path"),
        ("patch", "/api/v1/runbooks/{id}", {"body": ""}, 422, "body"),
        ("patch", "/api/v1/runbooks/{id}", {"service": "nope"}, 422, "service"),
        ("get", "/api/v1/runbooks/{id}/lint?stale_after=0", None, 422, "stale_after"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    app: App, method: str, path: str, body: dict[str, Any] | None, status: int, field: str
) -> None:
    _services(app, "ledger")
    existing = _post(app, "/api/v1/runbooks", {"body": LEDGER, "service": "ledger"}).json()
    kwargs: dict[str, Any] = {"headers": app.auth()} | ({"json": body} if body is not None else {})
    answer = getattr(app.client, method)(path.format(id=existing["id"]), **kwargs)
    assert answer.status_code == status, answer.text
    fields = [str(d.get("field") or d.get("loc", [""])[-1]) for d in answer.json()["error"]["details"]]
    assert field in fields, answer.text
    assert app.rows("select title from runbooks") == [("Ledger Runbook",)]


def test_reading_needs_a_token_and_writing_the_write_scope(app: App) -> None:
    with transaction(app.container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name="ro", scope="read", now=app.clock.now())
    reader = {"authorization": f"Bearer {token}"}
    assert app.client.get("/api/v1/runbooks").status_code == 401
    assert app.client.get("/api/v1/runbooks", headers=reader).status_code == 200
    assert app.client.get("/api/v1/runbooks/nope", headers=reader).status_code == 404
    assert _post(app, "/api/v1/runbooks", {"body": "# x"}, headers=reader).status_code == 403
    assert _post(app, "/api/v1/runbooks/import", {"body": "# x", "source_path": "a.md"}, reader).status_code == 403
    assert app.rows("select id from runbooks") == []


def _log_in(app: App, role: Role = Role.ADMIN) -> str:
    """Log in as ops@example.com; an admin by default, since runbooks of services of no team are changed
    by admins of everything."""
    with transaction(app.container.engine, write=True) as conn:
        create_user(
            repo=SqlIdentityRepo(conn),
            email="ops@example.com",
            password="pw-123456",
            role=role,
            now=app.clock.now(),
        )
    log_in(app.client, "ops@example.com", "pw-123456")
    page = app.client.get("/runbooks")
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_pages_show_coverage_the_rendered_runbook_and_take_edits(app: App) -> None:
    app.clock.set(MARCH)
    _services(app, "ledger", "orders")
    hostile = LEDGER.replace("## Architecture", "<script>alert('x')</script>\n\n## Architecture")
    made = _post(app, "/api/v1/runbooks", {"body": hostile, "service": "ledger"}).json()
    csrf = _log_in(app)
    listing = app.client.get("/runbooks")
    assert "1 of 2 services (50.0%)" in listing.text
    assert 'id="rb-lacking"' in listing.text
    assert "<td>orders</td>" in listing.text
    page = app.client.get(f"/runbooks/{made['id']}")
    assert page.status_code == 200
    assert '<h3 id="high-error-rate">High Error Rate</h3>' in page.text
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert" in page.text
    assert "Service overview and criticality defined" in page.text
    assert app.client.post(f"/runbooks/{made['id']}", data={"body": "# x"}).status_code == 403  # no CSRF token
    refused = app.client.post(
        f"/runbooks/{made['id']}",
        data={"csrf_token": csrf, "title": "Ledger", "service": "nope", "body": "# Kept text"},
    )
    assert refused.status_code == 422
    assert "no service named" in refused.text
    assert "# Kept text</textarea>" in refused.text
    saved = app.client.post(
        f"/runbooks/{made['id']}",
        data={"csrf_token": csrf, "title": "Ledger", "service": "ledger", "body": LEDGER},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert app.rows("select title, updated_by from runbooks") == [("Ledger", "ops@example.com")]
    added = app.client.post(
        "/runbooks", data={"csrf_token": csrf, "service": "orders", "body": LATENCY}, follow_redirects=False
    )
    assert added.status_code == 303
    assert app.scalar("select count(*) from runbooks") == 2


def test_the_incident_page_links_each_alert_to_its_runbook_section(app: App) -> None:
    app.clock.set(MARCH)
    _services(app, "ledger")
    app.add_integration("ledger", "webhook")
    runbook = _post(app, "/api/v1/runbooks", {"body": LEDGER, "service": "ledger"}).json()
    sent = _post(
        app,
        "/api/v1/alerts",
        {
            "service": "ledger",
            "severity": "critical",
            "summary": "p99 over 300ms",
            "labels": {"alertname": "LedgerSlowPostings"},
        },
    )
    assert sent.status_code == 202, sent.text
    number = app.client.get("/api/v1/incidents", headers=app.auth()).json()[0]["number"]
    _log_in(app)
    page = app.client.get(f"/incidents/{number}")
    assert page.status_code == 200
    link = f'href="/runbooks/{runbook["id"]}#slow-postings"'
    assert f'<a {link} id="incident-runbook">Ledger Runbook › Slow Postings</a>' in page.text
    assert f'<a class="chip" {link}>runbook</a>' in page.text
