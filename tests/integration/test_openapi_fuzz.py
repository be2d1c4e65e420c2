"""schemathesis against Firebell's own OpenAPI document: every operation, fed generated input that
fits the document and input that does not, on both databases. Never a 5xx, and every answer is one
the document describes: its status code, its media type and its body's schema."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from firebell.bootstrap import Container, bootstrap
from firebell.catalog import service as catalog
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import Settings
from firebell.kernel.clock import ManualClock
from firebell.web.app import create_app
from tests.conftest import PG_ADMIN_URL, _pg_available, need_peer
from tests.integration.conftest import App

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 20  # per operation and database: about 6,000 requests in all


def _app(database_url: str) -> tuple[Any, Container, str]:
    # No rate limits: thousands of requests come with one token, and 429s would hide the rest.
    limits = {"api_per_second": 0, "intake_per_second": 0}
    container = bootstrap(
        Settings.model_validate({"database_url": database_url, "sqlite_synchronous": "NORMAL", "limits": limits}),
        clock=ManualClock(),
    )
    migrate.upgrade(container.engine)
    now = container.clock.now()
    with transaction(container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name="fuzz", scope="admin", now=now)
        catalog.create_service(repo=SqlCatalogRepo(conn), name="api", now=now)  # something for lookups to find
    container.writer.start()
    return create_app(container, manage_lifecycle=False), container, token


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        name = None
    else:
        need_peer(_pg_available())
        name = f"fb_fuzz_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    app, container, token = _app(url)
    try:
        yield app, token
    finally:
        container.writer.stop()
        container.http.close()
        container.engine.dispose()
        if name is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Any, str]) -> Any:
    app, _token = fuzzed
    config = schemathesis.config.SchemathesisConfig.from_dict({"generation": {"mode": "all"}})
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


@pytest.fixture(scope="module")
def token(fuzzed: tuple[Any, str]) -> str:
    return fuzzed[1]


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) of the document; read from an app on a database never opened."""
    container = bootstrap(Settings(database_url=f"sqlite:///{Path(tempfile.gettempdir()) / 'fb-openapi-unused.db'}"))
    document = create_app(container, manage_lifecycle=False).openapi()
    container.http.close()
    container.engine.dispose()
    # Sorted: every pytest-xdist worker must collect the same tests in the same order.
    return sorted((method.upper(), path) for path, operations in document["paths"].items() for method in operations)


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_operation_answers_as_documented(api_schema: Any, token: str, method: str, path: str) -> None:
    operation = api_schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(headers={"authorization": f"Bearer {token}"}, checks=CHECKS)

    answers_as_documented()


def test_every_operation_documents_its_errors(app: App) -> None:
    """Firebell's error shape on every operation; the intake endpoints answer in their vendors'."""
    paths = app.client.get("/openapi.json").json()["paths"]
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if "4XX" in responses:
                assert path.startswith(("/v2/", "/integrations/")), f"{method} {path}"
                continue
            for code in ("401", "403", "404", "409", "422", "429"):
                assert responses[code]["content"]["application/json"]["schema"] == error, f"{method} {path} {code}"
