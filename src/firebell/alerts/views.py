"""Alert pages: recent alerts with filters, one alert with everything its sender said, and the
responders' verdict buttons on alerts."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.alerts.details import FULL_FIELDS, FULL_VALUE, digest
from firebell.alerts.queries import (
    STATUS_FILTERS,
    VERDICT_FILTERS,
    AlertCursor,
    get_alert,
    page_of_alerts,
    raw_payload,
)
from firebell.alerts.repo import SqlAlertRepo
from firebell.alerts.verdict import Verdict, parse_verdict_or_clear
from firebell.alerts.verdict_service import set_alert_verdict, set_incident_verdict
from firebell.catalog.repo import SqlCatalogRepo
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, ValidationFailed
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import CsrfSession, UserSession, is_partial, render

router = APIRouter()


PAGE_SIZES = (25, 50, 100, 200)  # the choices the page offers; any size from 1 to the last is taken
PAGE_SIZE = 100  # alerts per page unless the viewer picks another
RAW_SHOWN = 100_000  # characters of the payload an alert page shows


def _page_size(text: str) -> int:
    """The size asked for, held within 1 and the largest choice; the default when it is not a number."""
    try:
        return min(max(int(text), 1), PAGE_SIZES[-1])
    except ValueError:
        return PAGE_SIZE


@router.get("/alerts", response_class=HTMLResponse)
def recent(
    request: Request,
    conn: ReadConn,
    session: UserSession,
    status: str = "",
    service: str = "",
    verdict: str = "",
    incident: str = "",
    before: str = "",
    after: str = "",
    size: str = "",
) -> Response:
    """Alerts newest first, a page at a time: "Older" and "Newer" carry a cursor (the alert at the
    page's edge) and the filters, so a page shows the same alerts however many arrive meanwhile."""
    status = status if status in STATUS_FILTERS else ""
    verdict = verdict if verdict in VERDICT_FILTERS else ""
    per_page = _page_size(size) if size else PAGE_SIZE
    of_incident = get_incident(conn, incident) if incident else None
    filters = {"status": status, "service": service, "verdict": verdict}
    if of_incident:
        filters["incident"] = str(of_incident["number"])
    params = {k: v for k, v in filters.items() if v}
    if per_page != PAGE_SIZE:
        params["size"] = str(per_page)
    error, http_status = "", 200
    try:
        older_than = AlertCursor.parse(before, field="before") if before else None
        newer_than = AlertCursor.parse(after, field="after") if after else None
    except ValidationFailed:
        # A damaged or hand-edited link: say so, and show the newest page rather than an error page.
        error, http_status = "That page link is not valid (damaged or edited); here are the newest alerts.", 400
        older_than = newer_than = None
    page = page_of_alerts(
        conn,
        size=per_page,
        before=older_than,
        after=None if older_than else newer_than,
        status=status or None,
        service=service or None,
        verdict=verdict or None,
        incident_id=str(of_incident["id"]) if of_incident else None,
    )

    def url(**more: str) -> str:
        query = urlencode({**params, **more})
        return f"/alerts?{query}" if query else "/alerts"

    if page.newest:
        newer_url, here = None, {}
    else:
        newer_url = url(after=page.newer.token()) if page.newer else url()
        # This page again, as the alert just newer than its first: a refresh keeps its place.
        here = {"before": older_than.token()} if older_than else {"after": newer_than.token()} if newer_than else {}
    back = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    context = {
        "alerts": page.alerts,
        **filters,
        "incident": of_incident,
        "back": back,
        "newest": page.newest,
        "page_size": per_page,
        "newer_url": newer_url,
        "older_url": url(before=page.older.token()) if page.older else None,
        "newest_url": url(),
        "refresh_url": url(**here, partial="1"),
        "error": error,
    }
    if is_partial(request):
        return render(request, "alerts_rows.html", session, status_code=http_status, **context)
    services = [s["name"] for s in SqlCatalogRepo(conn).services()]
    verdicts = [("unset", "not said"), *((v.value, v.label) for v in Verdict)]
    sizes = sorted({*PAGE_SIZES, per_page})
    return render(
        request,
        "alerts.html",
        session,
        status_code=http_status,
        services=services,
        statuses=sorted(STATUS_FILTERS),
        verdicts=verdicts,
        sizes=sizes,
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
