"""Input that once reached the database raw: NUL characters (PostgreSQL refuses them in text) and
numbers that are digits to Python but not to people, or too big to store. Each is a 4xx naming
where, on both databases, never a 500."""

from __future__ import annotations

import pytest

from tests.integration.conftest import App
from tests.web_login import log_in


def test_a_nul_character_is_refused_naming_where_it_is(app: App) -> None:
    app.add_service("api")
    app.add_integration("api", "webhook")
    nested = app.client.post(
        "/api/v1/alerts",
        content=b'{"service": "api", "summary": "x", "labels": {"team": "a\\u0000b"}}',
        headers={**app.auth(), "content-type": "application/json"},
    )
    assert nested.status_code == 422
    assert nested.json()["error"]["details"][0]["field"] == "labels.team"
    query = app.client.get("/api/v1/incidents", params={"service": "a\x00"}, headers=app.auth())
    assert (query.status_code, query.json()["error"]["details"][0]["field"]) == (422, "service")
    form = log_in(app.client, "a\x00@example.com", "x")
    assert (form.status_code, form.json()["error"]["details"][0]["field"]) == (422, "email")
    path = app.client.get("/api/v1/services/a%00b", headers=app.auth())
    assert path.status_code == 422
    assert app.scalar("SELECT count(*) FROM alerts") == 0
    # Clean input still goes through the buffered body.
    fine = app.client.post(
        "/api/v1/alerts", json={"service": "api", "summary": "x \\u0000 as text"}, headers=app.auth()
    )
    assert fine.status_code == 202


@pytest.mark.parametrize("ref", ["¹", "٣", "99999999999", "2147483648"])
def test_references_that_are_not_numbers_we_store_are_not_found(app: App, ref: str) -> None:
    assert app.client.get(f"/api/v1/incidents/{ref}", headers=app.auth()).status_code == 404
    assert app.client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=app.auth()).status_code == 404
    item = app.client.get(f"/api/v1/action-items/AI-{ref}", headers=app.auth())
    assert item.status_code == 422
    assert "is not an action item" in item.json()["error"]["message"]


def test_offsets_past_any_real_page_are_refused(app: App) -> None:
    answer = app.client.get("/api/v1/incidents", params={"offset": 2**63}, headers=app.auth())
    assert (answer.status_code, answer.json()["error"]["details"][0]["field"]) == (422, "offset")
