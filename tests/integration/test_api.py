"""The management API, auth, health and metrics against a real database."""

from __future__ import annotations

from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.infra import migrate
from firebell.infra.db import transaction
from tests.integration.conftest import App
from tests.web_login import log_in


def token(app: App, scope: str) -> dict[str, str]:
    with transaction(app.container.engine, write=True) as conn:
        value = create_token(repo=SqlIdentityRepo(conn), name=scope, scope=scope, now=app.clock.now())
    return {"authorization": f"Bearer {value}"}


def test_api_needs_a_valid_token_and_the_right_scope(app: App) -> None:
    assert app.client.get("/api/v1/incidents").status_code == 401
    assert app.client.get("/api/v1/incidents", headers={"authorization": "Bearer fbt_nope"}).status_code == 401
    reader = token(app, "read")
    assert app.client.get("/api/v1/incidents", headers=reader).status_code == 200
    denied = app.client.post("/api/v1/services", json={"name": "x"}, headers=reader)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"
    assert app.scalar("select token_digest from api_tokens limit 1") != app.token


def test_services_and_integrations_through_the_api(app: App) -> None:
    r = app.client.post(
        "/api/v1/services", json={"name": "payments", "tier": 1, "owner_team": "pay"}, headers=app.auth()
    )
    assert r.status_code == 201
    assert r.json()["tier"] == 1
    dup = app.client.post("/api/v1/services", json={"name": "payments"}, headers=app.auth())
    assert dup.status_code == 409
    bad = app.client.post("/api/v1/services", json={"name": "has space"}, headers=app.auth())
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "name"
    created = app.client.post(
        "/api/v1/services/payments/integrations", json={"kind": "alertmanager"}, headers=app.auth()
    ).json()
    assert created["url"].endswith(f"/integrations/alertmanager/{created['key']}")
    listed = app.client.get("/api/v1/integrations", headers=app.auth()).json()
    assert listed[0]["key_hint"] == created["key"][-4:]
    assert "key" not in listed[0]
    assert (
        app.client.post("/api/v1/services/nope/integrations", json={"kind": "webhook"}, headers=app.auth()).status_code
        == 404
    )


def test_test_alert_incident_moves_and_filters(app: App) -> None:
    app.add_service("api")
    app.add_integration("api", "webhook")
    sent = app.client.post(
        "/api/v1/alerts", json={"service": "api", "severity": "critical", "summary": "boom"}, headers=app.auth()
    )
    assert sent.status_code == 202
    assert sent.json()[0]["outcome"] == "created"
    number = app.client.get("/api/v1/incidents?status=open", headers=app.auth()).json()[0]["number"]
    ack = app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=app.auth())
    assert ack.status_code == 200
    assert ack.json()["status"] == "acknowledged"
    # A second acknowledgement (two responders at once) is harmless: same answer, one timeline entry.
    again = app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=app.auth())
    assert again.status_code == 200
    assert again.json()["status"] == "acknowledged"
    kinds = [e["kind"] for e in app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["timeline"]]
    assert kinds.count("status_changed") == 1
    assert app.client.post(f"/api/v1/incidents/{number}/resolve", headers=app.auth()).json()["status"] == "resolved"
    late = app.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=app.auth())
    assert late.status_code == 409
    assert "resolved" in late.json()["error"]["message"]
    assert app.client.get("/api/v1/incidents?status=open", headers=app.auth()).json() == []
    assert len(app.client.get("/api/v1/incidents?status=resolved&service=api", headers=app.auth()).json()) == 1
    assert app.client.get("/api/v1/incidents?status=bogus", headers=app.auth()).status_code == 422
    assert app.client.get("/api/v1/alerts?service=other", headers=app.auth()).json() == []
    assert app.client.post("/api/v1/alerts", json={"service": "nope"}, headers=app.auth()).status_code == 404


def test_health_ready_metrics_and_openapi(app: App) -> None:
    assert app.client.get("/healthz").json() == {"status": "ok"}
    ready = app.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["schema"] == migrate.head() == "0018"
    app.add_service("api")
    key = app.add_integration("api", "pagerduty")
    app.client.post(
        "/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "s", "source": "h", "severity": "critical"},
        },
    )
    text = app.client.get("/metrics").text
    assert 'firebell_alerts_ingested_total{outcome="created",source="pagerduty"} 1.0' in text
    assert "firebell_ingest_queue_depth" in text
    assert 'firebell_http_request_duration_seconds_count{method="POST",route="/v2/enqueue"}' in text
    assert key not in text
    paths = app.client.get("/openapi.json").json()["paths"]
    assert {"/v2/enqueue", "/v2/alerts", "/integrations/alertmanager/{key}", "/api/v1/incidents"} <= set(paths)


def test_readyz_reports_an_old_schema(app: App) -> None:
    from firebell.infra import migrate

    with app.container.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'old'")
    r = app.client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["expected"] == migrate.head()


def test_login_and_pages(app: App) -> None:
    from firebell.identity.service import create_user

    with transaction(app.container.engine, write=True) as conn:
        create_user(
            repo=SqlIdentityRepo(conn),
            email="oncall@example.com",
            password="correct horse",
            role=Role.RESPONDER,
            now=app.clock.now(),
        )
    assert app.client.get("/incidents", follow_redirects=False).headers["location"] == "/login?next=/incidents"
    bad = log_in(app.client, "oncall@example.com", "nope")
    assert bad.status_code == 401
    assert "wrong email or password" in bad.text
    ok = log_in(app.client, "oncall@example.com", "correct horse", data={"next": "/alerts"}, follow_redirects=False)
    assert ok.status_code == 303
    assert ok.headers["location"] == "/alerts"
    for page in ("/incidents", "/alerts", "/services", "/incidents?status=all&sev=SEV-1"):
        assert app.client.get(page).status_code == 200
    # A form without the CSRF token is refused.
    assert app.client.post("/logout").status_code == 403


def test_the_severity_decision_tree_over_the_api(app: App) -> None:
    asked = app.client.post("/api/v1/classify", json={"answers": {}}, headers=app.auth()).json()
    assert (asked["severity"], asked["next_question"]) == (None, "service_down")
    assert asked["next_question_text"] == "Is the service completely down?"
    answers = {
        "service_down": False,
        "many_users_blocked": False,
        "workaround_available": True,
        "revenue_or_security": True,
    }
    settled = app.client.post("/api/v1/classify", json={"answers": answers}, headers=app.auth()).json()
    assert settled["severity"] == "SEV-2"
    assert settled["reason"] == "SEV-2: revenue or security is affected"
    assert [s["question"] for s in settled["path"]] == list(answers)
    bad = app.client.post("/api/v1/classify", json={"answers": {"on_fire": True}}, headers=app.auth())
    assert bad.status_code == 422
    assert "answers" in bad.text


def test_the_openapi_document_declares_credentials_and_one_title_per_schema(app: App) -> None:
    doc = app.client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    titles = [schema.get("title", name) for name, schema in schemas.items()]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
    assert not [name for name in schemas if "__" in name]  # readable names, each referenced as renamed
    refs = {ref for ref in _refs(doc) if ref.startswith("#/components/schemas/")}
    assert refs <= {f"#/components/schemas/{name}" for name in schemas}
    assert {"HistoryImportRead", "CatalogImportRead", "ClassifierQuestion", "MitigationQuestion"} <= set(schemas)
    assert doc["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "an API token (`firebell token create`)",
    }
    assert doc["paths"]["/v2/alerts"]["post"]["security"] == [{"genieKey": []}]

    # What the document says is what the server does: a read that declares credentials refuses a
    # caller without any (401), and one that declares none answers it.
    checked = 0
    for path, operations in doc["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        anonymous = app.client.get(path, follow_redirects=False).status_code
        declared = get.get("security") in ([{"apiToken": []}, {"browserSession": []}], [{"genieKey": []}])
        assert (anonymous == 401) == declared, f"GET {path}: {anonymous}, security {get.get('security')}"
        checked += 1
    assert checked > 20


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []
