"""What a joining alert's reaction reports to the intake writer: whether it paged or queued messages,
so the writer wakes the paging engine only then (an alert storm joining one incident whose paging is
under way wakes nobody at every batch)."""

from __future__ import annotations

from firebell.bootstrap import destinations
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.severity import Sev
from firebell.paging.announce import DeliveryMessenger
from firebell.paging.joins import alert_joined
from firebell.paging.repo import SqlPagingRepo
from tests.integration.conftest import PagingApp


def _open_incident(app: PagingApp, service: str, summary: str) -> str:
    sent = app.client.post(
        "/api/v1/alerts",
        json={"service": service, "severity": "critical", "summary": summary, "dedup_key": summary},
        headers=app.auth(),
    )
    assert sent.status_code == 202, sent.text
    return str(sent.json()[0]["incident_id"])


def _join(app: PagingApp, incident_id: str, raised_from: Sev | None = None) -> bool:
    with transaction(app.container.engine, write=True) as conn:
        paging, incidents = SqlPagingRepo(conn), SqlIncidentRepo(conn)
        return alert_joined(
            paging=paging,
            incidents=incidents,
            roles=incidents,
            messenger=DeliveryMessenger(paging, destinations(app.container.settings)),
            incident_id=incident_id,
            summary="another alert",
            severity=Sev.SEV1,
            raised_from=raised_from,
            at=app.clock.now(),
        )


def _active(app: PagingApp, incident_id: str) -> int:
    return int(app.scalar(f"SELECT count(*) FROM escalations WHERE incident_id = '{incident_id}' AND state = 'active'"))  # type: ignore[arg-type]


def test_a_join_while_paging_is_under_way_queues_nothing(paging: PagingApp) -> None:
    incident_id = _open_incident(paging, "checkout", "db down")
    assert _active(paging, incident_id) == 1
    deliveries = paging.scalar("SELECT count(*) FROM deliveries")
    assert _join(paging, incident_id) is False
    assert _active(paging, incident_id) == 1
    assert paging.scalar("SELECT count(*) FROM deliveries") == deliveries


def test_a_join_into_an_incident_nobody_is_paged_for_restarts_paging_and_says_so(paging: PagingApp) -> None:
    incident_id = _open_incident(paging, "checkout", "db down")
    with transaction(paging.container.engine, write=True) as conn:
        conn.exec_driver_sql(
            f"UPDATE escalations SET state = 'exhausted', next_due_at = NULL WHERE incident_id = '{incident_id}'"
        )
    assert _join(paging, incident_id) is True
    assert _active(paging, incident_id) == 1  # a fresh escalation for the engine to run


def test_a_join_into_an_incident_of_a_service_with_no_policy_queues_nothing(paging: PagingApp) -> None:
    paging.add_service("lonely")
    paging.add_integration("lonely", "webhook")
    incident_id = _open_incident(paging, "lonely", "cron late")
    assert _join(paging, incident_id) is False
    assert _join(paging, incident_id, raised_from=Sev.SEV3) is False
    assert _active(paging, incident_id) == 0
    assert paging.scalar(f"SELECT page_gap FROM incidents WHERE id = '{incident_id}'") is not None
