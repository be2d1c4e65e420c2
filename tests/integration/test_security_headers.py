"""Every answer carries the security headers: pages, the JSON API, intake, errors, static files,
/metrics and the public status JSON (which keeps its CORS); /docs is held to the app's own policy
and /redoc gets one of its own, with ReDoc's inline styles; both load everything from Firebell."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests.integration.conftest import App

COMMON = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def _directives(answer: httpx.Response) -> dict[str, list[str]]:
    policy = answer.headers.get("content-security-policy", "")
    parts = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in parts}


def _assert_protected(answer: httpx.Response, what: str) -> dict[str, list[str]]:
    for name, value in COMMON.items():
        assert answer.headers.get(name) == value, (what, name, answer.headers)
    csp = _directives(answer)
    assert csp.get("frame-ancestors") == ["'none'"], (what, csp)
    assert csp.get("default-src") == ["'self'"], (what, csp)
    assert "'unsafe-inline'" not in csp.get("script-src", []), (what, csp)
    assert "'unsafe-eval'" not in csp.get("script-src", []), (what, csp)
    assert "strict-transport-security" not in answer.headers, what  # plain HTTP
    return csp


def test_every_kind_of_answer_carries_the_headers(app: App) -> None:
    app.add_service("api")
    key = app.add_integration("api", "alertmanager")
    answers = {
        "login page": app.client.get("/login"),
        "page needing a login (redirect)": app.client.get("/incidents", follow_redirects=False),
        "public status page": app.client.get("/status"),
        "JSON API": app.client.get("/api/v1/incidents", headers=app.auth()),
        "JSON API refusal": app.client.get("/api/v1/incidents"),
        "not found": app.client.get("/no/such/page"),
        "validation error": app.client.post("/api/v1/alerts", json={"nope": 1}, headers=app.auth()),
        "intake front": app.client.post(f"/integrations/alertmanager/{key}", json={"alerts": []}),
        "PagerDuty intake": app.client.post("/v2/enqueue", json={}),
        "static file": app.client.get("/static/app.js"),
        "metrics": app.client.get("/metrics"),
        "health": app.client.get("/healthz"),
    }
    for what, answer in answers.items():
        assert answer.status_code < 500, (what, answer.status_code, answer.text)
        csp = _assert_protected(answer, what)
        assert csp["script-src"] == ["'self'"], (what, csp)
        assert csp["style-src"][0] == "'self'", (what, csp)
        assert all(s.startswith("'sha256-") for s in csp["style-src"][1:]), (what, csp)


def test_the_public_status_json_keeps_its_cors(app: App) -> None:
    answer = app.client.get("/api/v2/summary.json", headers={"origin": "https://www.example.com"})
    assert answer.status_code == 200
    assert answer.headers.get("access-control-allow-origin") == "*"
    _assert_protected(answer, "status JSON")


def test_hsts_only_over_tls(app: App) -> None:
    with TestClient(app.client.app, base_url="https://firebell.example") as tls:
        for path in ("/login", "/api/v2/status.json", "/healthz"):
            answer = tls.get(path)
            assert answer.headers.get("strict-transport-security") == "max-age=31536000", path
            assert answer.headers.get("x-frame-options") == "DENY", path


def test_the_api_docs_are_served_from_firebell_alone(app: App) -> None:
    docs = app.client.get("/docs")
    csp = _assert_protected(docs, "/docs")
    assert re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL) == [], "no inline script"
    assert csp == _directives(app.client.get("/login")), "/docs is held to the app's own policy"
    assert "https://" not in docs.text
    for asset in re.findall(r'(?:src|href)="([^"]+)"', docs.text):
        assert app.client.get(asset).status_code == 200, asset

    redoc = app.client.get("/redoc")
    csp = _assert_protected(redoc, "/redoc")
    assert "https://" not in redoc.text
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in csp["style-src"]  # ReDoc injects its styles
    assert all("https:" not in value for values in csp.values() for value in values), csp
    for asset in re.findall(r'(?:src|href)="([^"]+)"', redoc.text):
        assert app.client.get(asset).status_code == 200, asset

    page = _directives(app.client.get("/login"))
    assert "'unsafe-inline'" not in page["style-src"]
