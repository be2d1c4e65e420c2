"""Moving senders over by changing only their host: integrations keep the keys the senders already use.

A team leaving PagerDuty or Opsgenie declares its integrations with their existing routing keys and API
keys (on the command line, over the API, or in the file `firebell apply` takes); each sender then needs
only its events host changed.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.conftest import FIREBELL, LOOPBACK_ALLOWED, Server, cli, last_line

PD_ROUTING_KEY = "R0123456789ABCDEF0123456789ABCDE"  # 32 characters, as PagerDuty's are
GENIE_KEY = "eb243592-faa2-4ba2-a551-1afdf565c889"  # an Opsgenie API key is a UUID
GENIE_KEY_NEXT = "5a1ad3f0-4a8e-4c52-9d43-8f0a7c6e2b11"


def _alerts(server: Server) -> list[tuple[str, str]]:
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select source, summary from alerts order by first_seen_at, summary"))
            return [(str(r[0]), str(r[1])) for r in rows]
    finally:
        engine.dispose()


def _apply(server: Server, path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**LOOPBACK_ALLOWED, **os.environ, "FIREBELL_DATABASE_URL": server.database_url, **env}
    return subprocess.run(
        [str(FIREBELL), "apply", "-f", str(path)], env=environ, capture_output=True, text=True, timeout=120
    )


def test_a_pagerduty_sender_keeps_its_routing_key(server: Server) -> None:
    import pdpyras

    db = server.database_url
    cli(db, "service", "create", "payments")
    cli(db, "service", "create", "search")
    made = cli(db, "integration", "create", "--service", "payments", "--kind", "pagerduty", "--key", PD_ROUTING_KEY)
    assert last_line(made) == PD_ROUTING_KEY
    assert "shown once" not in made.stdout  # the team has it already

    session = pdpyras.EventsAPISession(PD_ROUTING_KEY)
    session.url = server.url  # the one change the sender needs
    session.trigger("Card authorisations failing", "gw-1", severity="critical")
    assert _alerts(server) == [("pagerduty", "Card authorisations failing")]

    again = cli(
        db, "integration", "create", "--service", "search", "--kind", "pagerduty", "--key", PD_ROUTING_KEY, check=False
    )
    assert (again.returncode, again.stderr.count("\n")) == (1, 1)
    assert "another integration already has this key" in again.stderr
    short = cli(db, "integration", "create", "--service", "search", "--kind", "pagerduty", "--key", "abc", check=False)
    assert (short.returncode, short.stderr.strip()) == (
        1,
        "error: key: a key is 16 to 128 characters: letters, digits, '.', '_', '~' or '-'",
    )
    spaced = cli(
        db, "integration", "create", "--service", "search", "--kind", "webhook", "--key", "a" * 20 + " b", check=False
    )
    assert spaced.returncode == 1

    # Rotation still works, to a random key or to a given one; the old key stops at once.
    rotated = last_line(
        cli(db, "integration", "rotate", "--service", "payments", "--integration", "payments pagerduty")
    )
    assert rotated != PD_ROUTING_KEY
    with httpx.Client(base_url=server.url) as http:
        old = {
            "routing_key": PD_ROUTING_KEY,
            "event_action": "trigger",
            "payload": {"summary": "old", "source": "h", "severity": "error"},
        }
        assert http.post("/v2/enqueue", json=old).status_code >= 400
        new = {**old, "routing_key": rotated, "payload": {"summary": "new", "source": "h", "severity": "error"}}
        assert http.post("/v2/enqueue", json=new).status_code == 202
    back = cli(
        db,
        "integration",
        "rotate",
        "--service",
        "payments",
        "--integration",
        "payments pagerduty",
        "--key",
        PD_ROUTING_KEY,
    )
    assert last_line(back) == PD_ROUTING_KEY
    session.trigger("Card authorisations failing again", "gw-1", severity="critical")
    assert [summary for _, summary in _alerts(server)] == [
        "Card authorisations failing",
        "new",
        "Card authorisations failing again",
    ]


def test_the_api_takes_a_key_and_names_the_field_when_refusing_one(server: Server) -> None:
    db = server.database_url
    cli(db, "service", "create", "checkout")
    admin = last_line(cli(db, "token", "create", "--name", "root", "--scope", "admin"))
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {admin}"}) as http:
        made = http.post("/api/v1/services/checkout/integrations", json={"kind": "opsgenie", "key": GENIE_KEY})
        assert made.status_code == 201, made.text
        assert (made.json()["key"], made.json()["key_hint"]) == (GENIE_KEY, GENIE_KEY[-4:])
        twice = http.post("/api/v1/services/checkout/integrations", json={"kind": "webhook", "key": GENIE_KEY})
        assert twice.status_code == 409
        assert twice.json()["error"]["details"] == [{"field": "key"}]
        bad = http.post("/api/v1/services/checkout/integrations", json={"kind": "webhook", "key": "x/y" * 8})
        assert bad.status_code == 422
        assert bad.json()["error"]["details"][0]["field"] == "key"
        name = made.json()["name"]
        rotated = http.post(f"/api/v1/services/checkout/integrations/{name}/rotate", json={"key": GENIE_KEY_NEXT})
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["key"] == GENIE_KEY_NEXT

        create = {"message": "Checkout latency over SLO", "alias": "checkout-latency"}
        sent = http.post("/v2/alerts", json=create, headers={"Authorization": f"GenieKey {GENIE_KEY_NEXT}"})
        assert sent.status_code == 202, sent.text
        stale = http.post("/v2/alerts", json=create, headers={"Authorization": f"GenieKey {GENIE_KEY}"})
        assert 400 <= stale.status_code < 500
    assert _alerts(server) == [("opsgenie", "Checkout latency over SLO")]


def test_apply_declares_integrations_with_their_keys(server: Server, tmp_path: Path) -> None:
    db = server.database_url
    cli(db, "service", "create", "checkout")
    webhook_key = "legacy-webhook-key-0042"
    path = tmp_path / "oncall.yaml"

    def write(genie_env: str) -> None:
        path.write_text(
            textwrap.dedent(f"""\
                services:
                  - name: checkout
                    integrations:
                      - {{name: opsgenie-prod, kind: opsgenie, key_env: {genie_env}}}
                      - {{name: legacy, kind: webhook, key: {webhook_key}}}
                """)
        )

    write("CHECKOUT_GENIE_KEY")
    first = _apply(server, path, CHECKOUT_GENIE_KEY=GENIE_KEY)
    assert first.returncode == 0, first.stderr
    assert "created the opsgenie integration opsgenie-prod of service checkout" in first.stdout
    assert "created the webhook integration legacy of service checkout" in first.stdout
    assert GENIE_KEY not in first.stdout  # keys are never printed back
    assert webhook_key not in first.stdout
    again = _apply(server, path, CHECKOUT_GENIE_KEY=GENIE_KEY)
    assert again.stdout.strip().splitlines()[-1] == "nothing to change"

    with httpx.Client(base_url=server.url) as http:
        genie = {"Authorization": f"GenieKey {GENIE_KEY}"}
        assert http.post("/v2/alerts", json={"message": "from opsgenie's sender"}, headers=genie).status_code == 202
        assert http.post(f"/integrations/webhook/{webhook_key}", json={"title": "from the webhook"}).status_code == 202

        # A new key in the environment is the integration's new key; the old one stops.
        moved = _apply(server, path, CHECKOUT_GENIE_KEY=GENIE_KEY_NEXT)
        assert "set the key of integration opsgenie-prod of service checkout" in moved.stdout
        assert http.post("/v2/alerts", json={"message": "stale"}, headers=genie).status_code >= 400
        fresh = {"Authorization": f"GenieKey {GENIE_KEY_NEXT}"}
        assert http.post("/v2/alerts", json={"message": "with the new key"}, headers=fresh).status_code == 202

    missing = _apply(server, path)
    assert (missing.returncode, missing.stderr.count("\n")) == (1, 1)
    assert "services[0].integrations[0].key_env" in missing.stderr
    assert "the environment has no CHECKOUT_GENIE_KEY" in missing.stderr
    path.write_text(
        "services:\n  - name: checkout\n    integrations:\n      - {name: legacy, kind: pagerduty, key: "
        + webhook_key
        + "}\n"
    )
    kind = _apply(server, path)
    assert kind.returncode == 1
    assert "services[0].integrations[0].kind" in kind.stderr
    assert sorted(summary for _, summary in _alerts(server)) == [
        "from opsgenie's sender",
        "from the webhook",
        "with the new key",
    ]
