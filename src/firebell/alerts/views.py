"""Alert pages: recent alerts with filters, one alert with everything its sender said, and the
responders' verdict buttons on alerts."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.alerts.details import FULL_FIELDS, FULL_VALUE, digest
from firebell.alerts.queries import STATUS_FILTERS, VERDICT_FILTERS, get_alert, list_alerts, raw_payload
from firebell.alerts.repo import SqlAlertRepo
from firebell.alerts.verdict import Verdict, parse_verdict_or_clear
from firebell.alerts.verdict_service import set_alert_verdict, set_incident_verdict
from firebell.catalog.repo import SqlCatalogRepo
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import CsrfSession, UserSession, is_partial, render

router = APIRouter()


PAGE_SIZE = 100  # alerts per page of the listing
RAW_SHOWN = 100_000  # characters of the payload an alert page shows


@router.get("/alerts", response_class=HTMLResponse)
def recent(
    request: Request,
    conn: ReadConn,
    session: UserSession,
    status: str = "",
    service: str = "",
    verdict: str = "",
    incident: str = "",
    page: int = 1,
) -> Response:
    status = status if status in STATUS_FILTERS else ""
    verdict = verdict if verdict in VERDICT_FILTERS else ""
    page = max(1, page)
    of_incident = get_incident(conn, incident) if incident else None
    # One row more than a page says whether an older page exists.
    alerts = list_alerts(
        conn,
        status=status or None,
        service=service or None,
        verdict=verdict or None,
        incident_id=str(of_incident["id"]) if of_incident else None,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    older = len(alerts) > PAGE_SIZE
    alerts = alerts[:PAGE_SIZE]
    filters = {"status": status, "service": service, "verdict": verdict}
    if of_incident:
        filters["incident"] = str(of_incident["number"])
    params = {k: v for k, v in filters.items() if v}

    def url(**more: object) -> str:
        return f"/alerts?{urlencode({**params, **more})}"

    back = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    context = {
        "alerts": alerts,
        **filters,
        "incident": of_incident,
        "back": back,
        "page": page,
        "newer_url": url(page=page - 1) if page > 1 else None,
        "older_url": url(page=page + 1) if older else None,
        "refresh_url": url(page=page, partial=1),
    }
    if is_partial(request):
        return render(request, "alerts_rows.html", session, **context)
    services = [s["name"] for s in SqlCatalogRepo(conn).services()]
    verdicts = [("unset", "not said"), *((v.value, v.label) for v in Verdict)]
    return render(
        request,
        "alerts.html",
        session,
        services=services,
        statuses=sorted(STATUS_FILTERS),
        verdicts=verdicts,
        **context,
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: str, conn: ReadConn, session: UserSession) -> Response:
    alert = get_alert(conn, alert_id)
    raw = raw_payload(conn, alert_id)
    if raw is not None:
        try:
            text = orjson.dumps(orjson.loads(raw["body"]), option=orjson.OPT_INDENT_2).decode()
        except orjson.JSONDecodeError:
            text = str(raw["body"])
        raw["text"] = text[:RAW_SHOWN] + ("\n… [truncated: the API's raw has it all]" if len(text) > RAW_SHOWN else "")
    return render(
        request,
        "alert.html",
        session,
        a=alert,
        d=digest(alert, value_chars=FULL_VALUE, rows_kept=FULL_FIELDS),
        raw=raw,
        back=f"/alerts/{alert_id}",
    )


@router.post("/alerts/{alert_id}/verdict")
def mark_alert(
    request: Request,
    alert_id: str,
    container: ContainerDep,
    session: CsrfSession,
    verdict: Annotated[str, Form()],
    back: Annotated[str, Form()] = "/alerts",
) -> Response:
    """A verdict button: HTMX swaps in the alert's new verdict cell; a plain form goes back."""
    with transaction(container.engine, write=True) as conn:
        set_alert_verdict(
            alerts=SqlAlertRepo(conn),
            timeline=SqlIncidentRepo(conn),
            alert_id=alert_id,
            verdict=parse_verdict_or_clear(verdict),
            actor=session.email,
            now=container.clock.now(),
        )
        alert = get_alert(conn, alert_id)
    container.changes.bump()
    if request.headers.get("hx-request") == "true":
        return render(request, "alert_verdict.html", session, a=alert, back=_local(back))
    return RedirectResponse(_local(back), status_code=303)


@router.post("/incidents/{ref}/verdict")
def mark_incident(ref: str, container: ContainerDep, session: CsrfSession, verdict: Annotated[str, Form()]) -> Response:
    """Mark every alert of the incident at once; back to its page, with the error if any."""
    try:
        with transaction(container.engine, write=True) as conn:
            set_incident_verdict(
                alerts=SqlAlertRepo(conn),
                timeline=SqlIncidentRepo(conn),
                incident_id=str(get_incident(conn, ref)["id"]),
                verdict=parse_verdict_or_clear(verdict),
                actor=session.email,
                now=container.clock.now(),
            )
    except DomainError as exc:
        return RedirectResponse(f"/incidents/{quote(ref)}?error={quote(exc.message)}", status_code=303)
    container.changes.bump()
    return RedirectResponse(f"/incidents/{quote(ref)}#alerts", status_code=303)


def _local(url: str) -> str:
    """Only a path on this site is a place to go back to (never another host)."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else "/alerts"
