"""Alert pages: recent alerts with filters."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.alerts.queries import STATUS_FILTERS, list_alerts
from firebell.catalog.repo import SqlCatalogRepo
from firebell.web.deps import ReadConn
from firebell.web.pages import UserSession, is_partial, render

router = APIRouter()


@router.get("/alerts", response_class=HTMLResponse)
def recent(request: Request, conn: ReadConn, session: UserSession, status: str = "", service: str = "") -> Response:
    status = status if status in STATUS_FILTERS else ""
    alerts = list_alerts(conn, status=status or None, service=service or None, limit=200)
    context = {"alerts": alerts, "status": status, "service": service}
    if is_partial(request):
        return render(request, "alerts_rows.html", session, **context)
    services = [s["name"] for s in SqlCatalogRepo(conn).services()]
    return render(request, "alerts.html", session, services=services, statuses=sorted(STATUS_FILTERS), **context)
