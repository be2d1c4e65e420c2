"""Seed a demo organisation, so a newcomer sees Firebell at work at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction, Link
from firebell.alerts.service import Submission
from firebell.bootstrap import Container
from firebell.catalog import service as catalog
from firebell.catalog.repo import SqlCatalogRepo
from firebell.changes.model import ChangeKind
from firebell.changes.repo import SqlChangeRepo
from firebell.changes.service import record as record_change
from firebell.demo_history import seed_history
from firebell.drills.model import DEFAULT_HYPOTHESIS
from firebell.drills.model import Kind as DrillKind
from firebell.drills.repo import SqlDrillRepo
from firebell.drills.service import plan as plan_drill
from firebell.identity.model import Principal, Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token, create_user, user_id_of
from firebell.infra.db import transaction
from firebell.oncall.config_file import load as load_config
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from firebell.runbooks.repo import SqlRunbookRepo
from firebell.runbooks.service import Draft, Writer, create_runbook
from firebell.statuspage.config import apply_status_page

DEMO_EMAIL = "demo@firebell.local"
DEMO_PASSWORD = "firebell-demo"  # noqa: S105 - the documented demo login
DEMO_TOKEN_NAME = "demo-cli"  # noqa: S105 - the name of the demo's CLI token, not a secret


# The demo's integrations have fixed keys, so the README's curl examples can be pasted as they are.
# A demo is for one machine: a real installation makes random keys (`firebell integration create`).
DEMO_KEYS = {
    ("checkout", "alertmanager"): "demo-checkout-alertmanager",
    ("search", "pagerduty"): "demo-search-pagerduty-routingkey",
    ("search", "opsgenie"): "demo-search-opsgenie",
    ("notifications", "webhook"): "demo-notifications-webhook",
}


def _demo_keys() -> dict[str, str]:
    return {f"{service} ({kind})": key for (service, kind), key in DEMO_KEYS.items()}


@dataclass(frozen=True, slots=True)
class DemoKeys:
    created: bool
    keys: dict[str, str]
    skipped: str = ""  # why nothing was seeded, if so


def seed_demo(container: Container) -> DemoKeys:
    """Create the demo user, services, integrations, alerts and an incident, once."""
    now = container.clock.now()
    with transaction(container.engine, write=True) as conn:
        identity = SqlIdentityRepo(conn)
        if identity.user_by_email(DEMO_EMAIL) is not None:
            return DemoKeys(False, _demo_keys())
        if SqlCatalogRepo(conn).services():
            return DemoKeys(False, {}, "this database already has services of its own; the demo needs an empty one")
        create_user(
            repo=identity, email=DEMO_EMAIL, password=DEMO_PASSWORD, role=Role.ADMIN, now=now, name="Demo admin"
        )
        repo = SqlCatalogRepo(conn)
        catalog.create_service(
            repo=repo,
            name="checkout",
            now=now,
            owner_team="payments",
            tier=1,
            runbook_url="https://runbooks.example.com/checkout",
            group_by_labels=["alertname"],
        )
        catalog.create_service(repo=repo, name="search", now=now, owner_team="discovery", tier=2)
        catalog.create_service(repo=repo, name="notifications", now=now, owner_team="platform", tier=3)
        ids: dict[str, str] = {}
        for (service, kind), key in DEMO_KEYS.items():
            made, _key = catalog.create_integration(repo=repo, service=service, kind=kind, now=now, key=key)
            ids.setdefault(service, made)
        services = {s["name"]: s["id"] for s in repo.services()}
        # On-call first, so the demo's incidents page the on-call person like real ones.
        config, _tree = load_config(DEMO_ONCALL, "demo on-call")
        apply(config, oncall=SqlOncallRepo(conn), identity=identity, services=repo, now=now)
        apply_status_page(conn, config.status_page, now)
        # Something changed before the alerts fired: the incident page answers "what changed recently?".
        for service, summary, kind, ago in (
            ("checkout", "Deploy checkout v2.3.1 (connection pool 50 → 10)", ChangeKind.DEPLOY, 40),
            ("search", "Raise the index refresh interval to 30s", ChangeKind.CONFIG, 180),
        ):
            record_change(
                SqlChangeRepo(conn),
                service_id=services[service],
                integration_id=None,
                kind=kind,
                summary=summary,
                source="ci/deploy-pipeline",
                version="",
                at=now - timedelta(minutes=ago),
                links=[],
                details={},
                now=now,
            )
        _demo_learning(conn, services["checkout"], now)
        for service, events in _demo_events().items():
            submission = Submission(ids[service], services[service], "api", '{"demo": true}', tuple(events))
            container.intake_in(conn, [submission])
        # The past comes last, so the live incidents above keep the first numbers.
        if container.settings.demo_history_weeks:
            seed_history(conn, services=services, now=now, weeks=container.settings.demo_history_weeks)
    container.background.poke()
    return DemoKeys(True, _demo_keys())


def demo_cli_token(container: Container) -> str:
    """A fresh API token for the demo user, for the CLI; the demo's earlier CLI tokens stop working
    (tokens are stored hashed, so an earlier one cannot be shown again)."""
    now = container.clock.now()
    with transaction(container.engine, write=True) as conn:
        identity = SqlIdentityRepo(conn)
        for row in identity.tokens():
            if row["name"] == DEMO_TOKEN_NAME and row["revoked_at"] is None:
                identity.revoke_token(row["id"], now)
        user_id = user_id_of(repo=identity, email=DEMO_EMAIL)
        return create_token(repo=identity, name=DEMO_TOKEN_NAME, scope="admin", now=now, user_id=user_id)


# The demo's on-call: a weekly rotation for checkout, and a business-hours-only schedule for
# notifications (its nights and weekends show as gaps on the On call page). Pages go by email to
# the demo's built-in inbox (/demo/inbox), unless FIREBELL_SMTP__HOST names an SMTP server. The
# status page shows a component per demo service.
DEMO_ONCALL = """\
users:
  - {name: Alice Moreau, handle: alice, email: alice@firebell.local, timezone: Europe/Paris,
     contact_methods: [{type: email, address: alice@firebell.local}]}
  - {name: Bob Okafor, handle: bob, email: bob@firebell.local, timezone: America/New_York,
     contact_methods: [{type: email, address: bob@firebell.local}]}
  - {name: Carol Tanaka, handle: carol, email: carol@firebell.local, timezone: Asia/Tokyo,
     contact_methods: [{type: email, address: carol@firebell.local}]}
  - {name: Erin Lead, handle: engineering_lead, email: lead@firebell.local,
     contact_methods: [{type: email, address: lead@firebell.local}]}
teams:
  - {name: payments, members: [alice, bob, carol], admins: [engineering_lead], viewers: []}
  - {name: discovery, members: [carol]}
  - {name: platform, members: [alice, bob]}
schedules:
  - name: checkout-primary
    team: payments
    type: weekly_rotation
    participants: [alice, bob, carol]
    escalation_policy:
      - {targets: [current_on_call], timeout: 15m}
      - {targets: [engineering_lead], timeout: 30m}
  - name: notifications-office
    team: platform
    timezone: Europe/Paris
    layers:
      - name: office hours
        type: daily_rotation
        participants: [alice, bob]
        windows: [{days: [mon, tue, wed, thu, fri], start: '09:00', end: '18:00'}]
services:
  - name: checkout
    escalation_policy: checkout-primary
    depends_on: [notifications]
    slos:
      - {kind: availability, target: 99.9%, window: 30d}
      - {kind: latency_p99, target: < 500ms, window: 5m}
      - {kind: error_rate, target: < 0.1%, window: 5m}
    dashboards:
      - {title: Checkout overview, url: "https://grafana.example.com/d/checkout"}
status_page:
  components:
    - {name: Checkout, description: "Orders and payments (the checkout service)"}
    - {name: Search, description: "Product search (the search service)"}
    - {name: Notifications, description: "Order emails and receipts (the notifications service)"}
"""

# The checkout runbook, in the shape of the runbook template; its lint shows what it still lacks.
DEMO_RUNBOOK = """\
# Checkout Runbook

**Owner**: payments
**Last Reviewed**: {reviewed}

## Service Overview

Takes orders and payments from the web shop and the apps. **Criticality**: Tier 1 - Business Critical:
when it fails, nobody can buy.

### Service Level Objectives (SLOs)

| Metric | Target | Measurement Window |
|--------|--------|--------------------|
| Availability | 99.9% | 30-day rolling |
| Latency (p99) | < 500ms | 5-minute window |
| Error Rate | < 0.1% | 5-minute window |

### Service Level Indicators (SLIs)

```promql
sum(rate(http_requests_total{{service="checkout", status!~"5.."}}[5m]))
  / sum(rate(http_requests_total{{service="checkout"}}[5m]))
```

## Architecture

```mermaid
graph LR
    LB[Load balancer] --> API[checkout pods]
    API --> DB[(PostgreSQL)]
    API --> PSP[Payment provider]
```

### Dependencies

| Service | Purpose | Criticality | Fallback |
|---------|---------|-------------|----------|
| PostgreSQL | orders | Critical | none |
| Payment provider | card payments | Critical | queue and retry |
| notifications | order receipts | Low | send later |

## Monitoring and Alerts

### Dashboards

- [Checkout overview](https://grafana.example.com/d/checkout)

### Alert Definitions

```yaml
- alert: CheckoutHighErrorRate
  expr: checkout:error_ratio:rate5m > 0.05
  for: 5m
  annotations:
    runbook_url: https://firebell.example.com/runbooks/checkout#high-error-rate
```

## Common Issues and Solutions

### High Error Rate

**Symptoms**: 5xx above 5 % for five minutes; payments failing.

**Diagnosis**:
1. Check the last deployment: `kubectl rollout history deployment/checkout`
2. Check the database pool: `SELECT count(*) FROM pg_stat_activity`

**Resolution**:
1. Roll back a recent deployment: `kubectl rollout undo deployment/checkout`
2. If the pool is exhausted, raise it and restart the pods.

## Operational Procedures

### Deployment
`kubectl apply -f k8s/production/checkout.yaml` then watch `kubectl rollout status deployment/checkout`.

### Rollback
`kubectl rollout undo deployment/checkout`

### Scaling
`kubectl scale deployment/checkout --replicas=8`

## Emergency Contacts

| Role | Name | Contact |
|------|------|---------|
| Primary On-Call | checkout-primary | Firebell schedule |
| Team Lead | Erin Lead | lead@firebell.local |
"""


def _demo_events() -> dict[str, list[AlertEvent]]:
    return {
        "checkout": [
            AlertEvent(
                EventAction.TRIGGER,
                "demo-checkout-5xx",
                "Checkout API 5xx rate above 5% for 5 minutes",
                AlertSeverity.CRITICAL,
                "checkout-api-1",
                "demo-group",
                {"alertname": "CheckoutErrors", "severity": "critical"},
                links=(Link("https://grafana.example.com/d/checkout", "Dashboard"),),
            ),
            AlertEvent(
                EventAction.TRIGGER,
                "demo-checkout-latency",
                "Checkout p99 latency above 2 s",
                AlertSeverity.ERROR,
                "checkout-api-2",
                "demo-group",
                {"alertname": "CheckoutLatency", "severity": "error"},
            ),
        ],
        "search": [
            AlertEvent(
                EventAction.TRIGGER,
                "demo-search-disk",
                "Search index disk 85% full",
                AlertSeverity.WARNING,
                "search-3",
                None,
                {"component": "index"},
            ),
        ],
        "notifications": [
            AlertEvent(
                EventAction.TRIGGER,
                "demo-notify-queue",
                "Email queue backlog growing",
                AlertSeverity.INFO,
                "mailer",
                None,
                {},
            ),
        ],
    }


def _demo_learning(conn: Connection, checkout_id: str, now: datetime) -> None:
    """A runbook for checkout (its lint shows what is missing) and a planned game day."""
    reviewed = (now - timedelta(days=20)).date().isoformat()
    runbooks = SqlRunbookRepo(conn)
    create_runbook(
        repo=runbooks,
        services=SqlCatalogRepo(conn),
        writer=Writer(Principal.operator("demo"), runbooks),
        draft=Draft(body=DEMO_RUNBOOK.format(reviewed=reviewed), title="Checkout Runbook", service="checkout"),
        actor="demo",
        now=now,
    )
    plan_drill(
        SqlDrillRepo(conn),
        kind=DrillKind.GAME_DAY,
        service_id=checkout_id,
        target="pod-delete on checkout, 30 s, every 10 s",
        participants=[],
        statements=list(DEFAULT_HYPOTHESIS),
        actor="demo",
        at=now,
    )
