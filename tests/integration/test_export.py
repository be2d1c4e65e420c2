"""`firebell export` round trips: applying an export changes nothing, and rebuilds the same setup."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine

from firebell.bootstrap import bootstrap
from firebell.catalog import service as catalog
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import Settings
from firebell.oncall.config_file import load
from firebell.oncall.export import export
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from tests.integration.conftest import PagingApp, apply_config

MATRIX = Path(__file__).resolve().parents[2] / "examples" / "escalation-matrix.yaml"


TEAM_POLICIES = """\
teams:
  - {name: payments, members: [alice]}
schedules:
  - name: payments-oncall
    team: payments
    participants: [alice]
    escalation_policy: [{targets: [current_on_call], timeout: 5m}]
escalation_policies:
  - {name: payments-leads, team: payments, levels: [{targets: [bob], timeout: 10m}]}
"""


def _export(engine: Engine) -> dict[str, Any]:
    with transaction(engine, write=False) as conn:
        return export(oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), services=SqlCatalogRepo(conn))


def _apply(engine: Engine, text: str, now: datetime) -> list[str]:
    config, _tree = load(text)
    with transaction(engine, write=True) as conn:
        return apply(
            config,
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=SqlCatalogRepo(conn),
            now=now,
        )


def test_an_export_applies_as_no_change_and_rebuilds_the_same_setup(paging: PagingApp, tmp_path: Path) -> None:
    paging.add_service("billing", grouping_window_seconds=0)
    # The matrix's own Alice and Bob would replace the paging setup's; keep those.
    matrix = [
        line for line in MATRIX.read_text().splitlines() if "handle: alice" not in line and "handle: bob" not in line
    ]
    apply_config(paging, "\n".join(matrix).replace("name: checkout\n", "name: billing\n"))
    apply_config(
        paging,
        "services:\n  - {name: checkout, escalation_policy: checkout-primary, depends_on: [billing],"
        " group_by: [cluster], grouping_window: 10m}\n",
    )
    apply_config(paging, TEAM_POLICIES)
    override = {"user": "carol", "start": "2026-03-05T00:00:00Z", "end": "2026-03-06T00:00:00Z", "replaces": "alice"}
    assert paging.client.post(
        "/api/v1/schedules/checkout-primary/overrides", json=override, headers=paging.auth()
    ).status_code in (200, 201)
    data = _export(paging.container.engine)
    text = yaml.safe_dump(data, sort_keys=False)
    assert _apply(paging.container.engine, text, paging.clock.now()) == []

    users = {u["handle"]: u for u in data["users"]}
    assert users["alice"]["contact_methods"][1] == {
        "type": "slack",
        "address": "https://hooks.example/alice",
        "delay": "1m",
    }
    policies = {p["name"]: p for p in data["escalation_policies"]}
    assert policies["checkout-primary"]["repeat"] == 1
    assert policies["security"]["levels"][0] == {
        "level": 1,  # levels are written with their numbers
        "targets": ["primary"],
        "timeout": "10m",
        "action": "Isolate the affected systems",
    }
    # A policy names its team; one nested in a team's schedule is that team's.
    assert (policies["payments-oncall"]["team"], policies["payments-leads"]["team"]) == ("payments", "payments")
    assert "team" not in policies["checkout-primary"]
    services = {s["name"]: s for s in data["services"]}
    assert services["billing"]["categories"]["security"] == "security"
    assert services["checkout"]["depends_on"] == ["billing"]
    grouping = {key: services["checkout"][key] for key in ("grouping", "group_by", "grouping_window")}
    assert grouping == {"grouping": "labels", "group_by": ["cluster"], "grouping_window": "10m"}
    assert services["billing"]["grouping_window"] == "0s"
    assert "grouping" not in services["billing"]  # the default, alert, is not written

    fresh = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'fresh.db'}"))
    try:
        migrate.upgrade(fresh.engine)
        with transaction(fresh.engine, write=True) as conn:
            for name in ("checkout", "billing"):
                catalog.create_service(repo=SqlCatalogRepo(conn), name=name, now=paging.clock.now())
        assert _apply(fresh.engine, text, paging.clock.now())
        assert _export(fresh.engine) == data
    finally:
        fresh.engine.dispose()
        fresh.http.close()
