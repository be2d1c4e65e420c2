"""/metrics: names no person unless told to, and asks for its bearer token once one is set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from firebell.bootstrap import bootstrap
from firebell.infra import migrate
from firebell.infra.settings import Settings
from firebell.kernel.clock import ManualClock
from firebell.web.app import create_app
from tests.integration import metrics_history as h

TOKEN = "scrape-token-4a7f"


@contextmanager
def served(database_url: str, **settings: Any) -> Iterator[TestClient]:
    clock = ManualClock()
    container = bootstrap(Settings(database_url=database_url, sqlite_synchronous="NORMAL", **settings), clock=clock)
    migrate.upgrade(container.engine)
    h.load(container.engine)
    clock.set(h.NOW)
    try:
        with TestClient(create_app(container)) as client:
            yield client
    finally:
        container.engine.dispose()


def _people(text: str) -> set[str]:
    return {
        s.labels["person"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if "person" in s.labels
    }


def test_a_scrape_names_no_person_by_default(database_url: str) -> None:
    with served(database_url) as client:
        text = client.get("/metrics").text
    assert _people(text) == {"user-carol"}  # the only person paged after hours in the window
    for name in h.USERS:
        assert name not in text.replace(f"user-{name}", "")  # handle, display name or email
        assert name.title() not in text


def test_people_are_named_when_that_is_chosen(database_url: str) -> None:
    with served(database_url, metrics={"name_people": True}) as client:
        assert _people(client.get("/metrics").text) == {"carol"}


def test_with_a_token_set_only_its_bearer_may_scrape(database_url: str) -> None:
    with served(database_url, metrics={"token": TOKEN}) as client:
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}):
            refused = client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            error = refused.json()["error"]
            assert error["code"] == "unauthenticated"
            assert error["details"] == [{"field": "authorization", "location": "header"}]
            assert "firebell_" not in refused.text
        scraped = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
        assert scraped.status_code == 200
        assert "firebell_after_hours_pages_30d" in scraped.text
        # The other probes stay open: a load balancer's health check carries no token.
        assert client.get("/healthz").status_code == 200


def test_without_a_token_the_endpoint_stays_open(database_url: str) -> None:
    with served(database_url) as client:
        assert client.get("/metrics").status_code == 200
