"""`apply` creates the services a file declares that do not exist yet, and adds their maintenance
windows once; a file with an error writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from firebell.kernel.errors import ValidationFailed
from firebell.oncall.config_file import load
from tests.integration.conftest import App, apply_config

KEY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def _file(app: App) -> str:
    now = app.clock.now()
    soon, later, gone = now + timedelta(hours=2), now + timedelta(hours=5), now - timedelta(hours=1)
    return f"""\
users:
  - {{name: Bea, handle: bea, email: bea@example.com}}
schedules:
  - {{name: checkout-primary, participants: [bea]}}
escalation_policies:
  - {{name: checkout-policy, levels: [{{targets: [checkout-primary], timeout: 5m}}]}}
services:
  - name: checkout
    escalation_policy: checkout-policy
    depends_on: [ledger]
    tier: 1
    integrations:
      - {{name: Prometheus, kind: opsgenie, key: {KEY}}}
    maintenance:
      - {{start: '{soon.isoformat()}', end: '{later.isoformat()}', reason: database upgrade}}
      - {{start: '{(gone - timedelta(hours=1)).isoformat()}', end: '{gone.isoformat()}', reason: over}}
  - name: ledger
"""


def _changes(app: App, text: str) -> list[str]:
    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.infra.db import transaction
    from firebell.oncall.repo import SqlOncallRepo
    from firebell.oncall.service import apply

    config, _tree = load(text)
    with transaction(app.container.engine, write=True) as conn:
        return apply(
            config,
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=SqlCatalogRepo(conn),
            now=app.clock.now(),
        )


def test_a_declared_service_is_created_with_its_settings_and_windows_once(app: App) -> None:
    text = _file(app)
    changes = _changes(app, text)
    assert "created service checkout" in changes
    assert "created service ledger" in changes  # declared after the service that depends on it
    assert "set the escalation policy of service checkout" in changes
    assert "set the dependencies of service checkout" in changes
    assert "created the opsgenie integration Prometheus of service checkout" in changes
    added = [c for c in changes if c.startswith("added a maintenance window")]
    assert len(added) == 1  # the window already over is skipped
    assert "to service checkout" in added[0]
    found = app.client.get("/api/v1/services/checkout", headers=app.auth()).json()
    assert (found["tier"], found["escalation_policy"], found["dependencies"]) == (1, "checkout-policy", ["ledger"])
    assert app.rows("SELECT reason FROM maintenance_windows") == [("database upgrade",)]
    assert _changes(app, text) == []  # the same file again: the window is matched by start and end

    # The key the senders already use reaches the new service; during the window its alerts are held.
    app.clock.advance(timedelta(hours=3))
    sent = app.client.post(
        "/v2/alerts", json={"message": "Slow checkout"}, headers={"authorization": f"GenieKey {KEY}"}
    )
    assert sent.status_code == 202, sent.text
    rows = app.rows("SELECT s.name, a.disposition FROM alerts a JOIN services s ON s.id = a.service_id")
    assert rows == [("checkout", "suppressed")]


def test_a_file_with_an_error_creates_no_service(app: App) -> None:
    bad = _file(app).replace("  - name: ledger\n", "  - name: ledger\n    escalation_policy: nope\n")
    with pytest.raises(ValidationFailed) as caught:
        _changes(app, bad)
    assert caught.value.details[0]["field"] == "services[1].escalation_policy"
    assert app.rows("SELECT name FROM services") == []
    assert app.rows("SELECT count(*) FROM maintenance_windows") == [(0,)]


def test_a_new_service_needs_a_name_the_catalog_takes(app: App) -> None:
    with pytest.raises(ValidationFailed) as caught:
        apply_config(app, "services:\n  - {name: fine}\n  - {name: 'check out'}\n")
    assert caught.value.details[0]["field"] == "services[1].name"
    assert "letters, digits" in str(caught.value.details[0]["message"])
    assert app.rows("SELECT name FROM services") == []  # nor the good one before it
    # A name declared twice is created once.
    apply_config(app, "services:\n  - {name: a}\n  - {name: a, tier: 3}\n")
    assert app.rows("SELECT name, tier FROM services") == [("a", 3)]


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ("{start: '2026-05-01T10:00:00', end: '2026-05-01T12:00:00+00:00'}", "need a UTC offset"),
        ("{start: '2026-05-01T12:00:00Z', end: '2026-05-01T10:00:00Z'}", "ends after it starts"),
    ],
)
def test_a_maintenance_window_is_checked_where_the_file_gives_it(window: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load(f"services:\n  - name: checkout\n    maintenance:\n      - {window}\n")
    assert caught.value.details[0]["field"] == "services[0].maintenance[0]"
    assert message in str(caught.value.details[0]["message"])
