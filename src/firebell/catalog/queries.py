"""Read side of the catalog: services described with names instead of ids, the dependency graph
with open incidents and runbooks, and the SLO rows other domains show (a postmortem's SLO impact)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.catalog.graph import GraphNode, Pair, adjacency, cycles, reachable
from firebell.catalog.model import tier_label
from firebell.catalog.repo import SqlCatalogRepo
from firebell.catalog.slo import slos_of
from firebell.incidents.state import OPEN_STATUSES
from firebell.incidents.tables import IncidentRow
from firebell.oncall.repo import SqlOncallRepo
from firebell.runbooks.coverage import coverage
from firebell.runbooks.queries import runbook_with_report
from firebell.runbooks.repo import SqlRunbookRepo
from firebell.runbooks.tables import RunbookRow

_i = cast(sa.Table, IncidentRow.__table__)
_r = cast(sa.Table, RunbookRow.__table__)


def describe(row: Mapping[str, Any], names: Mapping[str, str], policies: Mapping[str, str]) -> dict[str, Any]:
    """A stored service for reading: tier label, policy and dependency names, SLOs with their text."""
    policy_id = row.get("escalation_policy_id")
    return {
        **row,
        "tier_label": tier_label(int(row["tier"])),
        "escalation_policy": policies.get(str(policy_id)) if policy_id else None,
        "slos": [
            {
                **s.document(),
                "label": s.label,
                "text": s.text,
                "target_text": s.target_text,
                "window_text": s.window_text,
            }
            for s in slos_of(row.get("slos"))
        ],
        "dependencies": [names[d] for d in row.get("dependencies") or [] if d in names],
    }


def policy_names(conn: Connection) -> dict[str, str]:
    return {str(p["id"]): str(p["name"]) for p in SqlOncallRepo(conn).policies()}


def services(conn: Connection) -> list[dict[str, Any]]:
    """Every service, described, by name."""
    rows = SqlCatalogRepo(conn).services()
    names = {str(r["id"]): str(r["name"]) for r in rows}
    policies = policy_names(conn)
    return [describe(r, names, policies) for r in rows]


def edges_of(rows: Iterable[Mapping[str, Any]]) -> list[Pair]:
    """(service, dependency) by name, external references included as they are written."""
    names = {str(r["id"]): str(r["name"]) for r in rows}
    found: list[Pair] = []
    for row in rows:
        found += [(str(row["name"]), names[d]) for d in row.get("dependencies") or [] if d in names]
        found += [(str(row["name"]), str(ref)) for ref in row.get("external_dependencies") or []]
    return found


def open_incident_counts(conn: Connection) -> dict[str, int]:
    """Open incidents per service id."""
    query = (
        sa.select(_i.c.service_id, sa.func.count())
        .where(_i.c.status.in_([s.value for s in OPEN_STATUSES]), _i.c.service_id.is_not(None))
        .group_by(_i.c.service_id)
    )
    return {str(service_id): int(count) for service_id, count in conn.execute(query).tuples()}


def open_incidents(conn: Connection, service_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The open incidents of each of these services, most severe first."""
    if not service_ids:
        return {}
    query = (
        sa.select(_i.c.service_id, _i.c.number, _i.c.title, _i.c.sev, _i.c.status, _i.c.opened_at)
        .where(_i.c.status.in_([s.value for s in OPEN_STATUSES]), _i.c.service_id.in_(list(service_ids)))
        .order_by(_i.c.sev, _i.c.opened_at.desc())
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(query).mappings():
        found.setdefault(str(row["service_id"]), []).append(dict(row))
    return found


def with_runbook(conn: Connection) -> set[str]:
    """Ids of the services that have a runbook stored in Firebell."""
    return {str(s) for (s,) in conn.execute(sa.select(_r.c.service_id).where(_r.c.service_id.is_not(None)))}


def graph(conn: Connection) -> dict[str, Any]:
    """Nodes (services and external dependencies) and edges of the whole catalog, with its cycles."""
    rows = SqlCatalogRepo(conn).services()
    counts, documented = open_incident_counts(conn), with_runbook(conn)
    edges = edges_of(rows)
    nodes = [
        {
            "name": row["name"],
            "external": False,
            "tier": row["tier"],
            "tier_label": tier_label(int(row["tier"])),
            "owner_team": row["owner_team"],
            "open_incidents": counts.get(str(row["id"]), 0),
            "has_runbook": str(row["id"]) in documented or bool(row["runbook_url"]),
        }
        for row in rows
    ]
    known = {str(r["name"]) for r in rows}
    nodes += [{"name": ref, "external": True} for ref in dict.fromkeys(b for _a, b in edges if b not in known)]
    return {
        "nodes": nodes,
        "edges": [{"source": a, "target": b} for a, b in edges],
        "cycles": cycles([str(n["name"]) for n in nodes], edges),
    }


def graph_nodes(graph_data: Mapping[str, Any], only: set[str] | None = None) -> tuple[list[GraphNode], list[Pair]]:
    """The drawing's nodes and edges from `graph`'s answer, restricted to `only` when given."""
    nodes = [
        GraphNode(str(n["name"]), None if n["external"] else int(n["tier"]), int(n.get("open_incidents", 0)))
        for n in graph_data["nodes"]
        if only is None or n["name"] in only
    ]
    kept = {n.name for n in nodes}
    edges = [(str(e["source"]), str(e["target"])) for e in graph_data["edges"]]
    return nodes, [(a, b) for a, b in edges if a in kept and b in kept]


def dependents(rows: Sequence[Mapping[str, Any]], name: str) -> list[str]:
    """The services that depend on `name` directly."""
    return sorted(a for a, b in edges_of(rows) if b == name)


def runbook_state(
    conn: Connection, service: Mapping[str, Any], *, today: date, stale_after_days: int
) -> dict[str, Any]:
    """The service's Firebell runbook and its coverage state (missing, stale, failing or passing)."""
    name = str(service["name"])
    row = SqlRunbookRepo(conn).by_service(str(service["id"]))
    if row is None:
        state = coverage([name], {}).services[0]
        return {"id": None, "title": None, "state": state.state.value, "url": service.get("runbook_url")}
    _row, report = runbook_with_report(conn, str(row["id"]), today=today, stale_after_days=stale_after_days)
    state = coverage([name], {name: (str(row["id"]), report)}).services[0]
    return {
        "id": str(row["id"]),
        "title": str(row["title"]),
        "state": state.state.value,
        "url": f"/runbooks/{row['id']}",
    }


def dependency_chain(conn: Connection, service_id: str) -> list[dict[str, Any]]:
    """What a service depends on, directly or through others (nearest first), with each one's open
    incidents: a dependency's own incident is often the cause. External ones have none recorded."""
    rows = SqlCatalogRepo(conn).services()
    by_id = {str(r["id"]): r for r in rows}
    if service_id not in by_id:
        return []
    start = str(by_id[service_id]["name"])
    edges = edges_of(rows)
    depth = reachable(start, adjacency(edges))
    level = {**depth, start: 0}
    via: dict[str, str] = {}
    for a, b in edges:  # a neighbour one step nearer: the way the dependency is reached
        if a in level and b in depth and level[a] == depth[b] - 1:
            via.setdefault(b, a)
    ids = {str(r["name"]): str(r["id"]) for r in rows}
    incidents = open_incidents(conn, [ids[n] for n in depth if n in ids])
    return [
        {
            "name": name,
            "external": name not in ids,
            "depth": d,
            "via": via.get(name) if d > 1 else None,
            "open_incidents": incidents.get(ids.get(name, ""), []),
        }
        for name, d in sorted(depth.items(), key=lambda item: (item[1], item[0]))
    ]


def slo_rows(conn: Connection, service_ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(service name, SLO label, target text) for each SLO of these services, as a postmortem's SLO
    impact table lists them: ('checkout', 'Availability', '99.9% (30-day rolling)')."""
    repo = SqlCatalogRepo(conn)
    found: list[tuple[str, str, str]] = []
    for service_id in dict.fromkeys(service_ids):
        row = repo.service(service_id)
        if row is not None:
            found += [(str(row["name"]), slo.label, slo.text) for slo in slos_of(row.get("slos"))]
    return found
