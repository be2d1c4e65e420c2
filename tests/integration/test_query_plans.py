"""The reads that must stay fast at any history size use an index, as the databases' own planners say.

The list filters of alerts and incidents search an index instead of walking every row (SQLite's
EXPLAIN QUERY PLAN says SEARCH, not SCAN; PostgreSQL's plan has no sequential scan of the table once
it is large and analyzed), and the intake writer's dedup lookup, never prepared, is planned for its own
keys every run and uses the open-dedup index, on a table of many open alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection

from firebell.alerts.queries import list_alerts
from firebell.alerts.repo import _FIND_OPEN, SqlAlertRepo
from firebell.incidents.queries import list_incidents
from firebell.incidents.state import IncidentStatus
from firebell.infra.db import dedicated_writer
from tests.integration.conftest import App

ALERTS = 3000
INCIDENTS = 600


def _load(app: App, *, alerts: int, incidents: int) -> str:
    """A history written straight into the tables: most alerts resolved, some open, acknowledged or judged."""
    app.add_service("hist")
    app.add_integration("hist", "alertmanager")
    postgres = app.container.engine.dialect.name == "postgresql"
    series = "generate_series(1, :n) AS s(g)" if postgres else "s"
    cte = "" if postgres else "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
    stamp = "now() - g * interval '1 second'" if postgres else "datetime('now', '-' || g || ' seconds')"
    pad = "lpad(g::text, 26, '0')" if postgres else "substr('00000000000000000000000000' || g, -26)"
    with app.container.engine.begin() as conn:
        service_id, integration_id = conn.execute(
            sa.text("SELECT s.id, i.id FROM services s JOIN integrations i ON i.service_id = s.id")
        ).one()
        ids = {"svc": service_id, "intg": integration_id}
        conn.execute(
            sa.text(
                f"{cte}INSERT INTO incidents (id, number, title, status, sev, service_id, group_key, opened_at, "
                "recurrence_key, recurs) "
                f"SELECT {pad}, g, 'i', CASE WHEN g % 50 = 0 THEN 'detected' ELSE 'closed' END, "
                f"CASE WHEN g % 7 = 0 THEN 'SEV-1' ELSE 'SEV-3' END, :svc, 'g' || g, {stamp}, 'r', false "
                f"FROM {series}"
            ),
            {**ids, "n": incidents},
        )
        conn.execute(
            sa.text(
                f"{cte}INSERT INTO alerts (id, service_id, integration_id, raw_payload_id, source, dedup_key, "
                "status, severity, summary, origin, group_key, labels, details, links, disposition, count, "
                "first_seen_at, last_seen_at, name, verdict, verdict_by) "
                f"SELECT {pad}, :svc, :intg, 'r', 'alertmanager', 'k' || g, "
                "CASE WHEN g % 100 = 0 THEN 'acknowledged' WHEN g % 10 = 0 THEN 'triggered' ELSE 'resolved' END, "
                f"'critical', 's', '', 'g', '{{}}', '{{}}', '[]', 'log_only', 1, {stamp}, {stamp}, 'n', "
                f"CASE WHEN g % 30 = 0 THEN 'no_action' END, '' FROM {series}"
            ),
            {**ids, "n": alerts},
        )
        conn.execute(sa.text("ANALYZE"))
    return str(service_id)


@contextmanager
def _captured(conn: Connection) -> Iterator[list[tuple[str, Any]]]:
    """The SQL and parameters `conn` sends to the driver inside the block."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(conn, "before_cursor_execute", record)


def _plan(conn: Connection, read: Callable[[Connection], object]) -> str:
    """The planner's plan for the one statement `read` sends, as text."""
    with _captured(conn) as sent:
        read(conn)
    reads = [(sql, params) for sql, params in sent if sql.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, sent
    statement, parameters = reads[0]
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        return "\n".join(str(row[-1]) for row in rows)
    rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
    return "\n".join(str(row[0]) for row in rows)


ALERT_FILTERS: dict[str, Callable[[Connection], object]] = {
    "status=acknowledged": lambda c: list_alerts(c, status="acknowledged"),
    "status=triggered": lambda c: list_alerts(c, status="triggered"),
    "status=open": lambda c: list_alerts(c, status="open"),
    "service=hist": lambda c: list_alerts(c, service="hist"),
    "verdict=no_action": lambda c: list_alerts(c, verdict="no_action"),
    "verdict=unset": lambda c: list_alerts(c, verdict="unset"),
    "status=acknowledged&service=hist": lambda c: list_alerts(c, status="acknowledged", service="hist"),
}
INCIDENT_FILTERS: dict[str, Callable[[Connection], object]] = {
    "status=detected": lambda c: list_incidents(c, status="detected"),
    "status=open": lambda c: list_incidents(c, status="open"),
    "service=hist": lambda c: list_incidents(c, service="hist"),
    "sev=SEV-1": lambda c: list_incidents(c, sev="SEV-1"),
    "status=open, worst first": lambda c: list_incidents(c, status="open", worst_first=True),
}


# Indexes of the open rows only: walking one reads no closed history.
PARTIAL = ("ix_alerts_open_seen", "ix_incidents_open_opened")


def _walks(plan: str, table: str, alias: str, dialect: str) -> bool:
    """Whether the plan reads `table` whole (SQLite: SCAN, even along a full index; PostgreSQL: Seq Scan)."""
    if dialect == "sqlite":
        return any(
            line.startswith((f"SCAN {table}", f"SCAN {alias}")) and not line.endswith(PARTIAL)
            for line in plan.splitlines()
        )
    return f"Seq Scan on {table}" in plan


def test_the_alert_and_incident_list_filters_search_an_index(app: App) -> None:
    _load(app, alerts=ALERTS, incidents=INCIDENTS)
    dialect = app.container.engine.dialect.name
    with app.container.engine.connect() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")  # a small table: would an index serve at all?
        for name, read in ALERT_FILTERS.items():
            plan = _plan(conn, read)
            assert not _walks(plan, "alerts", "alerts_1", dialect), f"alerts {name}:\n{plan}"
            assert "ix_alerts_" in plan or "uq_alerts_" in plan, f"alerts {name}:\n{plan}"
        for name, read in INCIDENT_FILTERS.items():
            plan = _plan(conn, read)
            assert not _walks(plan, "incidents", "incidents_1", dialect), f"incidents {name}:\n{plan}"
        # The filters still answer what they say.
        assert {a["status"] for a in list_alerts(conn, status="open", limit=1000)} == {"triggered", "acknowledged"}
        assert len(list_alerts(conn, status="acknowledged", limit=1000)) == ALERTS // 100
        assert {i["sev"] for i in list_incidents(conn, sev="SEV-1", limit=1000)} == {"SEV-1"}
        assert {i["status"] for i in list_incidents(conn, status="open", limit=1000)} == {"detected"}
        assert len(list_incidents(conn, status="open", limit=1000)) == INCIDENTS // 50
    # The partial index's words name every status that is not open.
    assert {s.value for s in IncidentStatus if not s.is_open} == {"resolved", "closed"}


def test_without_the_new_indexes_the_acknowledged_filter_walks_the_alerts(app: App) -> None:
    """The check above can fail: dropping the index behind a filter turns its plan into a walk."""
    _load(app, alerts=ALERTS, incidents=10)
    dialect = app.container.engine.dialect.name
    with app.container.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_alerts_status_seen")
        plan = _plan(conn, ALERT_FILTERS["status=acknowledged"])
        if dialect == "sqlite":
            assert _walks(plan, "alerts", "alerts_1", dialect), plan
        else:
            assert "ix_alerts_status_seen" not in plan, plan


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # the driver's prepared plans
def test_the_writers_dedup_lookup_uses_the_open_dedup_index_once_prepared(app: App) -> None:
    service_id = _load(app, alerts=60_000, incidents=10)
    with app.container.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alerts SET status = 'triggered'")  # every alert of the service open
        conn.exec_driver_sql("ANALYZE alerts")
    writer = dedicated_writer(app.container.engine)
    try:
        repo = SqlAlertRepo(writer)
        keys = [f"k{n}" for n in range(1, 400, 7)] + ["new-1", "new-2"]
        for _ in range(17):  # the driver prepares what runs 5 times; the server would go generic after 5 more
            found = repo.find_open_many(service_id, keys)
        assert sorted(a.dedup_key for a in found) == sorted(keys[:-2])
        # Never prepared: the server plans each run for its own keys, while the writer's other
        # statements keep their prepared plans (planning all of them every time halved intake).
        prepared = writer.exec_driver_sql(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%FROM alerts WHERE%%dedup_key = ANY%%'"
        ).scalar_one()
        assert prepared == 0
        assert writer.exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"
        listed = ", ".join(f"'{key}'" for key in keys)
        query = f"{_FIND_OPEN}service_id = '{service_id}' AND dedup_key = ANY(ARRAY[{listed}])"
        plan = "\n".join(str(row[0]) for row in writer.exec_driver_sql(f"EXPLAIN {query}"))
        assert "uq_alerts_open_dedup" in plan, plan
        assert "Seq Scan" not in plan, plan
        writer.rollback()
    finally:
        writer.close()
