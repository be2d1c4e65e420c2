"""URLs that carry credentials (contact methods, forward targets) are recorded and shown with those
credentials masked: in the audit log, the integration API and the catalog page. The stored value,
which deliveries use, is whole."""

from __future__ import annotations

from firebell.audit.capture import acting_as
from tests.integration.conftest import App, apply_config
from tests.integration.test_catalog import log_in

SECRETS = ("hunter2", "s3cr3t-token", "XXXXSLACKSECRET", "ntfy-pw", "FWDSECRET")

CONFIG = """\
users:
  - name: Carol
    handle: carol
    email: carol@example.com
    contact_methods:
      - {type: webhook, address: 'https://carol:hunter2@hooks.example/carol?token=s3cr3t-token'}
      - {type: slack, address: 'https://hooks.slack.com/services/T000/B000/XXXXSLACKSECRET'}
      - {type: apprise, address: 'json://carol:ntfy-pw@ntfy.example/alerts'}
"""


def test_contact_method_urls_are_audited_without_their_credentials(app: App) -> None:
    with acting_as("cli:ops", via="firebell apply"):
        apply_config(app, CONFIG)
    log = app.client.get("/api/v1/audit", params={"entity": "contact_methods"}, headers=app.auth())
    assert log.status_code == 200
    addresses = sorted(e["after"]["address"] for e in log.json() if e["after"])
    assert addresses == [
        "https://***@hooks.example/carol?token=***",
        "https://hooks.slack.com/services/***",
        "json://***@ntfy.example/***",
    ]
    everything = app.client.get("/api/v1/audit", headers=app.auth()).text
    assert not [s for s in SECRETS if s in everything]
    stored = {str(a) for (a,) in app.rows("SELECT address FROM contact_methods")}
    assert "https://carol:hunter2@hooks.example/carol?token=s3cr3t-token" in stored  # deliveries use it whole


def test_a_forward_target_is_shown_without_its_credentials(app: App) -> None:
    app.add_service("payments")
    target = "https://old.example/v2/enqueue?apikey=FWDSECRET"
    body = {"kind": "pagerduty", "name": "pd", "forward_to": target}
    made = app.client.post("/api/v1/services/payments/integrations", json=body, headers=app.auth())
    assert made.status_code == 201, made.text
    assert made.json()["forward_to"] == "https://old.example/v2/enqueue?apikey=***"
    again = app.client.patch(
        "/api/v1/services/payments/integrations/pd", json={"forward_to": target}, headers=app.auth()
    )
    assert again.json()["forward_to"] == "https://old.example/v2/enqueue?apikey=***"
    (listed,) = app.client.get("/api/v1/integrations", headers=app.auth()).json()
    assert listed["forward_to"] == "https://old.example/v2/enqueue?apikey=***"
    audited = app.client.get("/api/v1/audit", params={"entity": "integrations"}, headers=app.auth())
    assert "FWDSECRET" not in audited.text
    assert any(e["after"] and e["after"]["forward_to"] for e in audited.json())
    log_in(app)
    page = app.client.get("/services")
    assert page.status_code == 200
    assert "apikey=***" in page.text
    assert "FWDSECRET" not in page.text
    assert app.scalar("SELECT forward_to FROM integrations") == target
