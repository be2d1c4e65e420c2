"""Catalog pages: the services with their catalog facts and the whole dependency graph, one service
with what it depends on and what depends on it, and how to send alerts to them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from firebell.bootstrap import Container
from firebell.catalog import queries
from firebell.catalog.graph import drawing, neighbourhood
from firebell.catalog.model import IntegrationKind, intake_url
from firebell.catalog.repo import SqlCatalogRepo
from firebell.heartbeats.repo import SqlHeartbeatRepo
from firebell.identity.model import Role
from firebell.identity.service import WebSession
from firebell.kernel.errors import NotFound
from firebell.kernel.severity import Sev
from firebell.kernel.urls import masked_url
from firebell.oncall.urgency import urgency_for
from firebell.paging.repo import SqlPagingRepo
from firebell.runbooks.queries import catalog_coverage
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.ownership import owner_of_service
from firebell.web.pages import UserSession, render

router = APIRouter()
# The kinds a person makes on a service's page (heartbeats and changes have pages and commands of their own).
WEB_KINDS = ("alertmanager", "webhook", "pagerduty", "opsgenie")


@router.get("/services", response_class=HTMLResponse)
def services(request: Request, conn: ReadConn, container: ContainerDep, session: UserSession) -> Response:
    repo = SqlCatalogRepo(conn)
    base = container.settings.public_url or str(request.base_url)
    integrations = [
        dict(
            row,
            url=intake_url(IntegrationKind(row["kind"]), "<key>", base),
            forward_to=masked_url(row["forward_to"]) if row["forward_to"] else None,
        )
        for row in repo.integrations()
    ]
    now = container.clock.now()
    described = queries.services(conn)
    windows = {s["id"]: repo.maintenance(s["id"], current_at=now) for s in described}
    found = catalog_coverage(conn, today=now.date(), stale_after_days=container.settings.runbooks.stale_after_days)
    whole = queries.graph(conn)
    nodes, edges = queries.graph_nodes(whole)
    return render(
        request,
        "services.html",
        session,
        services=described,
        runbooks={c.service: c for c in found.services},
        open_counts={str(n["name"]): n.get("open_incidents") or 0 for n in whole["nodes"]},
        graph_svg=drawing(nodes, edges, title="Service dependencies", id_prefix="catalog") if nodes else "",
        cycles=whole["cycles"],
        integrations=integrations,
        windows=windows,
        current=now,
        heartbeats=SqlHeartbeatRepo(conn).listing(),
    )


@router.get("/services/{name}", response_class=HTMLResponse)
def service_page(
    request: Request, name: str, conn: ReadConn, container: ContainerDep, session: UserSession
) -> Response:
    return service_view(request, name, conn, container, session)


def service_view(
    request: Request, name: str, conn: Connection, container: Container, session: WebSession, **extra: Any
) -> Response:
    """The service's page; `extra` adds to what it shows (an integration's new key, once)."""
    base = container.settings.public_url or str(request.base_url)
    described = {s["name"]: s for s in queries.services(conn)}
    service = described.get(name)
    if service is None:
        raise NotFound(f"no service named {name}")
    whole = queries.graph(conn)
    edges = [(str(e["source"]), str(e["target"])) for e in whole["edges"]]
    nodes, shown = queries.graph_nodes(whole, neighbourhood(name, edges))
    title = f"What {name} depends on, and what depends on it"
    days = container.settings.runbooks.stale_after_days
    paging = SqlPagingRepo(conn).service_paging([str(service["id"])]).get(str(service["id"]))
    return render(
        request,
        "services_detail.html",
        session,
        service=service,
        urgency=[(sev.value, urgency_for(sev, paging.urgency if paging else {})) for sev in Sev],
        working_hours=paging.working_hours.to_doc() if paging and paging.working_hours else None,
        dependents=queries.dependents(SqlCatalogRepo(conn).services(), name),
        chain=queries.dependency_chain(conn, str(service["id"])),
        open_incidents=queries.open_incidents(conn, [str(service["id"])]).get(str(service["id"]), []),
        runbook=queries.runbook_state(conn, service, today=container.clock.now().date(), stale_after_days=days),
        graph_svg=drawing(nodes, shown, title=title, id_prefix="service", focus=name),
        cycles=[c for c in whole["cycles"] if name in c],
        integrations=[
            dict(row, url=intake_url(IntegrationKind(row["kind"]), "<key>", base))
            for row in SqlCatalogRepo(conn).integrations(str(service["id"]))
            if row["kind"] != IntegrationKind.IMPORT.value
        ],
        integration_kinds=WEB_KINDS,
        can_manage_integrations=session.principal.role_on(owner_of_service(conn, name)).at_least(Role.ADMIN),
        **({"new_integration": None, "integration_error": "", "integration_form": None} | extra),
    )
