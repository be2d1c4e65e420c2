"""The service catalog over HTTP on both databases: catalog facts read and changed, the dependency
graph with a cycle, the pages, the `apply` file's SLOs, and the SLO rows a postmortem reads."""

from __future__ import annotations

from typing import Any

import pytest

from firebell.catalog.queries import slo_rows
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token, create_user
from firebell.infra.db import transaction
from firebell.kernel.errors import ValidationFailed
from firebell.oncall.config_file import load, locate, split_field
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from tests.integration.conftest import App, apply_config
from tests.web_login import log_in as form_log_in

POLICY = """\
users:
  - {name: Alice, handle: alice, email: alice@example.com, contact_methods: [{type: email, address: alice@example.com}]}
escalation_policies:
  - name: checkout-primary
    levels: [{targets: [alice], timeout: 5m}]
"""

SLOS = [
    {"kind": "availability", "target": "99.9%"},
    {"kind": "latency_p99", "target": 500},
    {"kind": "error_rate", "target": "< 0.1%"},
]


def patch(app: App, name: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return app.client.patch(f"/api/v1/services/{name}", json=body, headers=headers or app.auth())


def open_incident(app: App, service: str) -> None:
    app.add_integration(service, "webhook")  # the test-alert endpoint sends through one
    body = {"service": service, "severity": "critical", "summary": f"{service} is down"}
    assert app.client.post("/api/v1/alerts", json=body, headers=app.auth()).status_code == 202


def log_in(app: App) -> None:
    with transaction(app.container.engine, write=True) as conn:
        create_user(
            repo=SqlIdentityRepo(conn),
            email="ops@example.com",
            password="pw-123456",
            role=Role.RESPONDER,
            now=app.clock.now(),
        )
    form_log_in(app.client, "ops@example.com", "pw-123456")


def test_catalog_facts_are_changed_and_read_through_the_api(app: App) -> None:
    for name in ("checkout", "payments-db", "storefront"):
        app.add_service(name)
    apply_config(app, POLICY)
    changed = patch(
        app,
        "checkout",
        {
            "owner_team": "payments",
            "tier": 1,
            "escalation_policy": "checkout-primary",
            "slos": SLOS,
            "slis": [{"name": "Availability SLI", "query": 'sum(rate(http_requests_total{status!~"5.."}[5m]))'}],
            "dashboards": [{"title": "Production Overview", "url": "https://grafana.example.com/d/prod"}],
            "dependencies": ["payments-db"],
            "tags": ["python"],
        },
    )
    assert changed.status_code == 200, changed.text
    assert patch(app, "storefront", {"dependencies": ["checkout"]}).status_code == 200
    found = app.client.get("/api/v1/services/checkout", headers=app.auth()).json()
    assert found["tier_label"] == "Tier 1 - Business Critical"
    assert found["escalation_policy"] == "checkout-primary"
    assert [(s["label"], s["text"]) for s in found["slos"]] == [
        ("Availability", "99.9% (30-day rolling)"),
        ("Latency (p99)", "< 500ms (5-minute window)"),
        ("Error rate", "< 0.1% (5-minute window)"),
    ]
    assert found["dashboards"] == [{"title": "Production Overview", "url": "https://grafana.example.com/d/prod"}]
    assert (found["dependencies"], found["dependents"]) == (["payments-db"], ["storefront"])
    assert found["runbook"] == {"id": None, "title": None, "state": "missing", "url": None}
    listed = {s["name"]: s for s in app.client.get("/api/v1/services", headers=app.auth()).json()}
    assert listed["storefront"]["dependencies"] == ["checkout"]
    # Sending the same again changes nothing; unsetting the policy does.
    assert patch(app, "checkout", {"slos": SLOS}).json()["slos"] == found["slos"]
    assert patch(app, "checkout", {"escalation_policy": None}).json()["escalation_policy"] is None
    assert app.scalar("select tier from services where name = 'checkout'") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slos": [{"kind": "availability", "target": 101}]}, "slos.0.target"),
        (
            {"slos": [{"kind": "availability", "target": 99.9}, {"kind": "latency_p99", "target": "500%"}]},
            "slos.1.target",
        ),
        ({"dashboards": [{"title": "x", "url": "javascript:alert(1)"}]}, "dashboards.0.url"),
        ({"tier": 4}, "tier"),
        ({"escalation_policy": "nope"}, "escalation_policy"),
        ({"dependencies": ["payments-db", "nope"]}, "dependencies.1"),
        ({"dependencies": ["checkout"]}, "dependencies.0"),
        ({"slis": [{"name": "x"}]}, "slis.0.query"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_catalog_facts_are_refused_naming_the_field(app: App, body: dict[str, Any], field: str) -> None:
    app.add_service("checkout")
    app.add_service("payments-db")
    refused = patch(app, "checkout", body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["field"] == field
    assert app.scalar("select slos from services where name = 'checkout'") in ("[]", [])


def test_writes_need_the_admin_scope_and_a_known_service(app: App) -> None:
    app.add_service("checkout")
    with transaction(app.container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name="ro", scope="respond", now=app.clock.now())
    writer = {"authorization": f"Bearer {token}"}
    assert patch(app, "checkout", {"tier": 1}, headers=writer).status_code == 403
    assert app.client.get("/api/v1/services/checkout", headers=writer).status_code == 200
    assert patch(app, "nope", {"tier": 1}).status_code == 404
    assert app.client.post("/api/v1/services", json={"name": "graph"}, headers=app.auth()).status_code == 422


def test_the_graph_and_the_pages_survive_a_dependency_cycle(app: App) -> None:
    for name in ("web", "checkout", "payments", "ledger"):
        app.add_service(name, tier=1 if name != "ledger" else 3)
    for name, needs in (
        ("web", ["checkout"]),
        ("checkout", ["payments"]),
        ("payments", ["ledger"]),
        ("ledger", ["payments"]),
    ):
        assert patch(app, name, {"dependencies": needs}).status_code == 200
    open_incident(app, "payments")
    graph = app.client.get("/api/v1/services/graph", headers=app.auth()).json()
    nodes = {n["name"]: n for n in graph["nodes"]}
    assert nodes["payments"]["open_incidents"] == 1
    assert nodes["ledger"]["tier_label"] == "Tier 3 - Supporting"
    assert nodes["web"]["has_runbook"] is False
    assert {(e["source"], e["target"]) for e in graph["edges"]} == {
        ("web", "checkout"),
        ("checkout", "payments"),
        ("payments", "ledger"),
        ("ledger", "payments"),
    }
    assert graph["cycles"] == [["ledger", "payments"]]
    log_in(app)
    catalog = app.client.get("/services")
    assert catalog.status_code == 200
    assert "Dependency cycle: ledger ↔ payments" in catalog.text
    assert catalog.text.count("<polyline") == 4
    assert "Tier 1 - Business Critical" in catalog.text
    page = app.client.get("/services/checkout")
    assert page.status_code == 200
    assert '<g class="fb-node fb-accent"><title>checkout · tier 1</title>' in page.text
    assert "payments · tier 1 · 1 open incident</title>" in page.text
    assert page.text.count("<polyline") == 4  # web, checkout, payments and ledger are all in its reach
    assert app.client.get("/services/nope").status_code == 404


def test_the_incident_page_shows_what_its_service_depends_on_and_their_incidents(app: App) -> None:
    for name in ("checkout", "payments", "ledger"):
        app.add_service(name)
    assert patch(app, "checkout", {"dependencies": ["payments"]}).status_code == 200
    assert patch(app, "payments", {"dependencies": ["ledger"]}).status_code == 200
    open_incident(app, "ledger")
    open_incident(app, "checkout")
    numbers = {i["service"]: i["number"] for i in app.client.get("/api/v1/incidents", headers=app.auth()).json()}
    log_in(app)
    page = app.client.get(f"/incidents/{numbers['checkout']}")
    assert page.status_code == 200
    shown = page.text.split('id="incident-dependencies">', 1)[1].split("</dd>", 1)[0]
    assert "1 with open incidents:" in shown
    assert f'href="/incidents/{numbers["ledger"]}"' in shown
    assert "via payments" in shown
    assert shown.index("ledger") < shown.index('href="/services/payments"')  # the troubled one first
    assert 'id="incident-dependencies"' not in app.client.get(f"/incidents/{numbers['ledger']}").text


def test_the_apply_file_declares_slos_and_dashboards_idempotently(app: App) -> None:
    app.add_service("checkout")
    text = (
        POLICY
        + """\
services:
  - name: checkout
    escalation_policy: checkout-primary
    owner_team: payments
    tier: 1
    slos:
      - {kind: availability, target: 99.9%, window: 30d}
      - {kind: latency_p99, target: < 500ms}
    slis:
      - name: Availability SLI
        query: sum(rate(http_requests_total{status!~"5.."}[5m]))
    dashboards:
      - {title: Production Overview, url: "https://grafana.example.com/d/prod"}
"""
    )

    def run(source: str) -> list[str]:
        config, _tree = load(source)
        with transaction(app.container.engine, write=True) as conn:
            return apply(
                config,
                oncall=SqlOncallRepo(conn),
                identity=SqlIdentityRepo(conn),
                services=SqlCatalogRepo(conn),
                now=app.clock.now(),
            )

    assert "set the dashboards, owner_team, slis, slos, tier of service checkout" in run(text)
    assert run(text) == []
    found = app.client.get("/api/v1/services/checkout", headers=app.auth()).json()
    assert [s["text"] for s in found["slos"]] == ["99.9% (30-day rolling)", "< 500ms (5-minute window)"]
    assert found["owner_team"] == "payments"
    bad = text.replace("target: < 500ms", "target: 500%")
    with pytest.raises(ValidationFailed) as caught:
        run(bad)
    field = str(caught.value.details[0]["field"])
    assert field == "services[0].slos[1].target"
    _config, tree = load(bad)
    assert bad.splitlines()[locate(tree, split_field(field)) - 1].strip() == "- {kind: latency_p99, target: 500%}"
    with pytest.raises(ValidationFailed, match=r"services\[0\]\.tier"):
        load(text.replace("tier: 1", "tier: 5"))


def test_slo_rows_for_a_postmortem(app: App) -> None:
    checkout = app.add_service("checkout")
    other = app.add_service("search")
    patch(app, "checkout", {"slos": SLOS})
    with transaction(app.container.engine) as conn:
        rows = slo_rows(conn, [checkout, other, "nope", checkout])
    assert rows == [
        ("checkout", "Availability", "99.9% (30-day rolling)"),
        ("checkout", "Latency (p99)", "< 500ms (5-minute window)"),
        ("checkout", "Error rate", "< 0.1% (5-minute window)"),
    ]


def test_every_kind_of_integration_prints_an_address_that_takes_what_its_sender_sends(app: App) -> None:
    from firebell.catalog.model import IntegrationKind, intake_url
    from tests.integration.test_intake import am_alert, am_payload

    app.add_service("api")
    bodies: dict[IntegrationKind, Any] = {
        IntegrationKind.ALERTMANAGER: am_payload(am_alert("a")),
        IntegrationKind.PAGERDUTY: {
            "event_action": "trigger",
            "payload": {"summary": "x", "source": "s", "severity": "error"},
        },
        IntegrationKind.OPSGENIE: {"message": "x"},
        IntegrationKind.WEBHOOK: {"title": "x"},
        IntegrationKind.HEARTBEAT: None,
        IntegrationKind.CHANGE: {"summary": "Deploy api v2"},
    }
    assert set(bodies) == set(IntegrationKind) - {IntegrationKind.IMPORT}  # a new kind needs its line here
    for kind, body in bodies.items():
        if kind is IntegrationKind.HEARTBEAT:  # made with its monitor
            made = app.client.post(
                "/api/v1/heartbeats",
                json={"name": "nightly", "service": "api", "interval": "5m", "grace": "1m"},
                headers=app.auth(),
            )
            key = made.json()["ping_url"].rsplit("/", 1)[1]
        else:
            key = app.add_integration("api", kind.value)
        url = intake_url(kind, key, "http://testserver")
        if kind is IntegrationKind.HEARTBEAT:
            answer = app.client.get(url)
        elif kind is IntegrationKind.PAGERDUTY:
            answer = app.client.post(url, json={**body, "routing_key": key})
        elif kind is IntegrationKind.OPSGENIE:
            answer = app.client.post(url, json=body, headers={"authorization": f"GenieKey {key}"})
        else:
            answer = app.client.post(url, json=body)
        assert 200 <= answer.status_code < 300, (kind, url, answer.status_code, answer.text)
