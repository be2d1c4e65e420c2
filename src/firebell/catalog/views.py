"""Catalog pages: services and how to send them alerts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.catalog.model import IntegrationKind, intake_url
from firebell.catalog.repo import SqlCatalogRepo
from firebell.heartbeats.repo import SqlHeartbeatRepo
from firebell.oncall.repo import SqlOncallRepo
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import UserSession, render

router = APIRouter()


@router.get("/services", response_class=HTMLResponse)
def services(request: Request, conn: ReadConn, container: ContainerDep, session: UserSession) -> Response:
    repo = SqlCatalogRepo(conn)
    base = container.settings.public_url or str(request.base_url)
    integrations = [
        dict(row, url=intake_url(IntegrationKind(row["kind"]), "<key>", base)) for row in repo.integrations()
    ]
    now = container.clock.now()
    services = repo.services()
    windows = {s["id"]: repo.maintenance(s["id"], current_at=now) for s in services}
    return render(
        request,
        "services.html",
        session,
        services=services,
        integrations=integrations,
        windows=windows,
        current=now,
        heartbeats=SqlHeartbeatRepo(conn).listing(),
        policy_names={str(p["id"]): str(p["name"]) for p in SqlOncallRepo(conn).policies()},
    )
