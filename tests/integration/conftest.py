"""In-process app fixtures: the real app over a real database, driven through HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from firebell.bootstrap import Container, bootstrap
from firebell.catalog import service as catalog
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import Settings
from firebell.kernel.clock import ManualClock
from firebell.oncall.config_file import load
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from firebell.paging.messages import PageNotice
from firebell.web.app import create_app


@dataclass
class App:
    client: TestClient
    container: Container
    clock: ManualClock
    token: str

    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def add_service(self, name: str, **options: object) -> str:
        with transaction(self.container.engine, write=True) as conn:
            return catalog.create_service(repo=SqlCatalogRepo(conn), name=name, now=self.clock.now(), **options)  # type: ignore[arg-type]

    def add_integration(self, service: str, kind: str, mapping: dict[str, object] | None = None) -> str:
        with transaction(self.container.engine, write=True) as conn:
            _id, key = catalog.create_integration(
                repo=SqlCatalogRepo(conn), service=service, kind=kind, now=self.clock.now(), mapping=mapping
            )
        return key

    def scalar(self, sql: str) -> object:
        import sqlalchemy as sa

        with self.container.engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        import sqlalchemy as sa

        with self.container.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    clock = ManualClock()
    container = bootstrap(Settings(database_url=database_url, sqlite_synchronous="NORMAL"), clock=clock)
    migrate.upgrade(container.engine)
    with transaction(container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name="tests", scope="admin", now=clock.now())
    with TestClient(create_app(container)) as client:
        yield App(client, container, clock, token)
    container.engine.dispose()


class Recorder:
    """A channel that keeps what it was given, and can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, PageNotice]] = []
        self.failures: dict[str, list[Exception]] = {}  # by address
        self.lock = threading.Lock()

    def send(self, address: str, notice: PageNotice) -> None:
        with self.lock:
            if self.failures.get(address):
                raise self.failures[address].pop(0)
            self.sent.append((address, notice))


def apply_config(app: App, text: str) -> None:
    """Apply an on-call YAML file to the app's database, as `firebell apply` does."""
    config, _tree = load(text)
    with transaction(app.container.engine, write=True) as conn:
        apply(
            config,
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=SqlCatalogRepo(conn),
            now=app.clock.now(),
            outbound=app.container.settings.outbound.policy(),
            severities=SqlSeverityTargetsRepo(conn),
        )


@dataclass
class PagingApp(App):
    """The app with its background engine stopped: a test moves the clock and ticks the engine."""

    recorder: Recorder = field(default_factory=Recorder)

    def tick(self) -> None:
        self.container.background.tick()


@pytest.fixture
def paging_app(database_url: str) -> Iterator[PagingApp]:
    clock = ManualClock(datetime(2026, 3, 4, 15, 0, tzinfo=UTC))  # a Wednesday, 10:00 in New York
    settings = Settings(database_url=database_url, sqlite_synchronous="NORMAL", public_url="http://firebell.test")
    container = bootstrap(settings, clock=clock, inline_delivery=True)
    migrate.upgrade(container.engine)
    with transaction(container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name="tests", scope="admin", now=clock.now())
    container.writer.start()
    try:
        with TestClient(create_app(container, manage_lifecycle=False)) as client:
            yield PagingApp(client, container, clock, token)
    finally:
        container.writer.stop()
        container.http.close()
        container.engine.dispose()


CONFIG = """\
users:
  - name: Alice
    handle: alice
    email: alice@example.com
    timezone: America/New_York
    contact_methods:
      - {type: email, address: alice@example.com}
      - {type: slack, address: 'https://hooks.example/alice', delay: 1m}
  - name: Bob
    handle: bob
    email: bob@example.com
    slack_member_id: U0BOB
    timezone: Europe/Berlin
    contact_methods: [{type: email, address: bob@example.com}]
  - name: Carol
    handle: carol
    email: carol@example.com
    contact_methods: [{type: webhook, address: 'https://hooks.example/carol'}]
schedule:
  name: checkout-primary
  type: weekly_rotation
  timezone: America/New_York
  start: 2026-03-02
  participants: [alice, bob]
escalation_policies:
  - name: checkout-primary
    repeat: 1
    unresolved: {}  # these tests are about the levels alone (test_urgency covers unresolved escalation)
    levels:
      - {targets: [checkout-primary], timeout: 5m}
      - {targets: [carol], timeout: 10m}
  - name: carol-only
    levels: [{targets: [carol], timeout: 15m}]
services:
  - {name: checkout, escalation_policy: checkout-primary}
"""


@pytest.fixture
def paging(paging_app: PagingApp) -> PagingApp:
    """The paging app with the on-call file below applied and recording channels."""
    paging_app.add_service("checkout")
    paging_app.add_integration("checkout", "webhook")
    apply_config(paging_app, CONFIG)
    recorder = paging_app.recorder
    paging_app.container.deliveries.channels = {"email": recorder, "slack": recorder, "webhook": recorder}
    return paging_app
