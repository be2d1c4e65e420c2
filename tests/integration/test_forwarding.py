"""Forwarding to the old tool, configured over the API and by `apply`, queued with each accepted body
in the transaction that stores it, and shown with how it goes on the catalog page."""

from __future__ import annotations

import pytest

from firebell.kernel.errors import ValidationFailed
from tests.conftest import free_port
from tests.e2e.peers import wait_for
from tests.integration.conftest import App, apply_config
from tests.integration.test_catalog import log_in

PD_KEY = "R0123456789ABCDEF0123456789ABCDE"


def _event(key: str, dedup: str) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": f"failing {dedup}", "source": "gw", "severity": "critical"},
    }


def test_forwarding_is_set_and_cleared_over_the_api_and_each_accepted_body_is_queued_once(app: App) -> None:
    app.add_service("payments")
    target = "https://events.pagerduty.com/v2/enqueue"
    made = app.client.post(
        "/api/v1/services/payments/integrations",
        json={"kind": "pagerduty", "name": "pd", "key": PD_KEY, "forward_to": "pagerduty.com"},
        headers=app.auth(),
    )
    assert made.status_code == 422
    assert made.json()["error"]["details"][0]["field"] == "forward_to"
    made = app.client.post(
        "/api/v1/services/payments/integrations",
        json={"kind": "pagerduty", "name": "pd", "key": PD_KEY, "forward_to": target},
        headers=app.auth(),
    )
    assert made.status_code == 201, made.text
    assert made.json()["forward_to"] == target

    payload = b'"payload":{"summary":"s","source":"x","severity":"error"}'
    body = b'{"routing_key":"%s","event_action":"trigger","dedup_key":"a",%s}' % (PD_KEY.encode(), payload)
    assert app.client.post("/v2/enqueue", content=body).status_code == 202
    assert app.client.post("/v2/enqueue", json={"routing_key": PD_KEY}).status_code == 400  # refused: not forwarded
    rows = app.rows("select url, body, headers, status from forwards")
    assert rows == [(target, body.decode(), '{"content-type":"application/json"}', "pending")]
    # The forward is the raw payload's twin: queued with it, under its id.
    assert app.scalar("select count(*) from forwards f join raw_payloads r on r.id = f.id") == 1

    bad = app.client.patch(
        "/api/v1/services/payments/integrations/pd", json={"forward_to": "ftp://x"}, headers=app.auth()
    )
    assert (bad.status_code, bad.json()["error"]["details"][0]["field"]) == (422, "forward_to")
    missing = app.client.patch(
        "/api/v1/services/payments/integrations/nope", json={"forward_to": target}, headers=app.auth()
    )
    assert missing.status_code == 404
    off = app.client.patch("/api/v1/services/payments/integrations/pd", json={"forward_to": None}, headers=app.auth())
    assert (off.status_code, off.json()["forward_to"]) == (200, None)
    assert app.client.post("/v2/enqueue", json=_event(PD_KEY, "b")).status_code == 202
    assert app.scalar("select count(*) from forwards") == 1  # nothing more once off
    assert app.scalar("select count(*) from raw_payloads") == 2
    on = app.client.patch("/api/v1/services/payments/integrations/pd", json={"forward_to": target}, headers=app.auth())
    assert on.json()["forward_to"] == target
    assert app.client.post("/v2/enqueue", json=_event(PD_KEY, "c")).status_code == 202
    assert app.scalar("select count(*) from forwards") == 2


def test_a_failing_forward_shows_on_the_page_and_in_the_api(app: App) -> None:
    app.add_service("search")
    # An address inside Firebell's own network, which outbound calls may not reach unless allowed.
    dead = f"http://127.0.0.1:{free_port()}/v2/enqueue"
    made = app.client.post(
        "/api/v1/services/search/integrations",
        json={"kind": "pagerduty", "name": "pd", "key": PD_KEY, "forward_to": dead},
        headers=app.auth(),
    )
    assert made.status_code == 201
    assert app.client.post("/v2/enqueue", json=_event(PD_KEY, "a")).status_code == 202
    app.container.forwards.run(app.clock.now())  # the engine's module, sending on its own threads
    wait_for(lambda: app.scalar("select status from forwards") == "failed", what="the forward given up")
    (shown,) = app.client.get("/api/v1/integrations", headers=app.auth()).json()
    assert shown["forward_failures"] == 1
    assert "refused to call 127.0.0.1" in shown["forward_status"]
    # Failed for good (no retry can reach it), kept to be looked at, without its headers.
    assert app.rows("select status, attempts, headers from forwards") == [("failed", 1, "{}")]
    metrics = app.client.get("/metrics").text
    assert 'firebell_forwards_total{outcome="failed"} 1.0' in metrics
    log_in(app)
    page = app.client.get("/services").text
    assert dead in page
    assert "failing" in page


def test_apply_declares_the_forward_target_and_removing_it_stops_forwarding(app: App) -> None:
    app.add_service("ops")
    target = "https://api.opsgenie.com/v2/alerts"
    key = "eb243592-faa2-4ba2-a551-1afdf565c889"
    listed = f"services:\n  - name: ops\n    integrations:\n      - {{name: og, kind: opsgenie, key: {key}"
    declared = f"{listed}, forward_to: '{target}'}}\n"
    apply_config(app, declared)
    assert app.scalar("select forward_to from integrations") == target
    apply_config(
        app, f"services:\n  - name: ops\n    integrations:\n      - {{name: og, kind: opsgenie, key: {key}}}\n"
    )
    assert app.scalar("select forward_to from integrations") is None
    with pytest.raises(ValidationFailed) as bad:
        apply_config(app, declared.replace(target, "api.opsgenie.com"))
    assert bad.value.details[0]["field"] == "services[0].integrations[0].forward_to"
