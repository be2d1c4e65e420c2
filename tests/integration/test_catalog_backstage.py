"""Backstage catalog-info.yaml through the API on both databases: import is idempotent and all or
nothing, errors name the document and the field, unknown dependencies are kept and later adopted,
and an export imported into another database exports the same file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from firebell.bootstrap import bootstrap
from firebell.catalog.backstage_yaml import dump_documents
from firebell.catalog.exchange import export_catalog, import_catalog
from firebell.catalog.queries import policy_names
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import Settings
from firebell.oncall.config_file import load
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from tests.integration.conftest import App, apply_config
from tests.integration.test_catalog import POLICY, SLOS, patch
from tests.unit.catalog.test_backstage import CATALOG_INFO

YAML = {"content-type": "application/yaml"}


def post(app: App, text: str) -> Any:
    return app.client.post("/api/v1/catalog/backstage", content=text.encode(), headers={**app.auth(), **YAML})


def export(app: App) -> str:
    answer = app.client.get("/api/v1/catalog/backstage", headers=app.auth())
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/yaml")
    return answer.text


def test_import_creates_updates_and_then_changes_nothing(app: App) -> None:
    apply_config(app, POLICY.replace("checkout-primary", "artists-primary"))
    app.add_service("artist-lookup", tier=3)
    first = post(app, CATALOG_INFO)
    assert first.status_code == 200, first.text
    found = first.json()
    assert (found["created"], found["updated"], found["unchanged"]) == (["artist-web"], ["artist-lookup"], [])
    assert [w["field"] for w in found["warnings"]] == [
        "documents.0.metadata.links.2.url",
        "documents.1.kind",
        "documents.2.kind",
        "documents.0.spec.dependsOn.1",
    ]
    assert found["warnings"][3]["message"] == (
        "resource:default/artists-db: no such service in Firebell; kept as an external dependency"
    )
    again = post(app, CATALOG_INFO).json()
    assert (again["created"], again["updated"], again["unchanged"]) == ([], [], ["artist-web", "artist-lookup"])
    web = app.client.get("/api/v1/services/artist-web", headers=app.auth()).json()
    assert (web["tier"], web["escalation_policy"], web["owner_team"]) == (1, "artists-primary", "artist-relations-team")
    assert (web["dependencies"], web["external_dependencies"]) == (["artist-lookup"], ["resource:default/artists-db"])
    assert web["runbook_url"] == "https://wiki.example-org.com/artist-web/runbook"
    lookup = app.client.get("/api/v1/services/artist-lookup", headers=app.auth()).json()
    assert (lookup["tier"], lookup["lifecycle"], lookup["dependents"]) == (3, "experimental", ["artist-web"])
    graph = app.client.get("/api/v1/services/graph", headers=app.auth()).json()
    assert {"name": "resource:default/artists-db", "external": True} in [
        {k: v for k, v in n.items() if v is not None} for n in graph["nodes"]
    ]


def test_a_bad_file_changes_nothing_and_names_the_document_and_field(app: App) -> None:
    apply_config(app, POLICY)
    no_owner = CATALOG_INFO.replace("  owner: group:default/artist-relations-team\n", "")
    refused = post(app, no_owner)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["message"] == "documents.3.spec.owner: must be a non-empty string"
    assert error["details"] == [{"field": "documents.3.spec.owner", "message": "must be a non-empty string"}]
    unknown_policy = post(app, CATALOG_INFO)  # artists-primary does not exist here
    assert unknown_policy.json()["error"]["details"][0] == {
        "field": "documents.0.metadata.annotations.firebell.io/escalation-policy",
        "message": "no escalation policy named 'artists-primary'",
    }
    assert post(app, "a: [").json()["error"]["details"][0]["field"] == "file"
    assert app.rows("select name from services") == []
    reader_refused = app.client.post("/api/v1/catalog/backstage", content=b"", headers=YAML)
    assert reader_refused.status_code == 401


def test_a_reference_is_adopted_when_its_component_arrives(app: App) -> None:
    web = "\n".join(CATALOG_INFO.split("---\n")[0:1]).replace(
        "    firebell.io/escalation-policy: artists-primary\n", ""
    )
    assert post(app, web).json()["created"] == ["artist-web"]
    row = app.client.get("/api/v1/services/artist-web", headers=app.auth()).json()
    assert row["external_dependencies"] == ["component:default/artist-lookup", "resource:default/artists-db"]
    lookup = CATALOG_INFO.split("---\n")[3]
    found = post(app, lookup).json()
    assert (found["created"], found["updated"]) == (["artist-lookup"], ["artist-web"])
    row = app.client.get("/api/v1/services/artist-web", headers=app.auth()).json()
    assert (row["dependencies"], row["external_dependencies"]) == (["artist-lookup"], ["resource:default/artists-db"])
    assert post(app, lookup).json()["unchanged"] == ["artist-lookup"]


def test_an_export_imported_into_another_database_exports_the_same_file(app: App, tmp_path: Path) -> None:
    apply_config(app, POLICY)
    for name in ("checkout", "payments-db", "storefront"):
        app.add_service(name)
    details = {
        "description": "Takes the money: cards, wallets",
        "owner_team": "Payments Team",
        "tier": 1,
        "runbook_url": "https://wiki.example.com/checkout",
        "escalation_policy": "checkout-primary",
        "slos": SLOS,
        "slis": [
            {"name": "Error Rate SLI", "query": 'sum(rate(http_requests_total{status=~"5.."}[5m]))\n/ sum(rate(x[5m]))'}
        ],
        "dashboards": [
            {"title": "Production Overview", "url": "https://grafana.example.com/d/prod"},
            {"url": "https://sentry.io/o/x"},
        ],
        "dependencies": ["payments-db"],
        "system": "shop",
        "tags": ["python", "payments"],
    }
    assert patch(app, "checkout", details).status_code == 200
    assert (
        patch(app, "storefront", {"dependencies": ["checkout"], "tier": 3, "lifecycle": "experimental"}).status_code
        == 200
    )
    text = export(app)
    entities = list(yaml.safe_load_all(text))
    assert [e["metadata"]["name"] for e in entities] == ["checkout", "payments-db", "storefront"]
    assert entities[0]["spec"]["dependsOn"] == ["component:default/payments-db"]
    assert post(app, text).json()["unchanged"] == ["checkout", "payments-db", "storefront"]

    other = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    try:
        migrate.upgrade(other.engine)
        now = app.clock.now()
        with transaction(other.engine, write=True) as conn:
            catalog, oncall = SqlCatalogRepo(conn), SqlOncallRepo(conn)
            apply(load(POLICY)[0], oncall=oncall, identity=SqlIdentityRepo(conn), services=catalog, now=now)
            policies = {name: policy_id for policy_id, name in policy_names(conn).items()}
            result = import_catalog(repo=catalog, documents=entities, policy_ids=policies, now=now)
        assert result.created == ["checkout", "payments-db", "storefront"]
        with transaction(other.engine) as conn:
            again = export_catalog(rows=SqlCatalogRepo(conn).services(), policy_names=policy_names(conn))
        assert dump_documents(again.entities) == text
    finally:
        other.engine.dispose()
        other.http.close()
