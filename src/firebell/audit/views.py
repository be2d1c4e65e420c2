"""The audit log page, for admins of everything: newest first, filtered, older pages by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from firebell.audit import queries
from firebell.kernel.errors import PermissionDenied
from firebell.web.deps import ReadConn
from firebell.web.pages import UserSession, render

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    conn: ReadConn,
    session: UserSession,
    entity: Annotated[str, Query(max_length=64)] = "",
    entity_id: Annotated[str, Query(max_length=200)] = "",
    actor: Annotated[str, Query(max_length=320)] = "",
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    if not session.principal.is_admin:
        raise PermissionDenied("the audit log is for admins of all of Firebell")
    rows = queries.entries(
        conn, entity=entity or None, entity_id=entity_id or None, actor=actor or None, before_id=before_id, limit=PAGE
    )
    return render(
        request,
        "audit.html",
        session,
        nav="access",
        rows=rows,
        entities=queries.entities(conn),
        filters={"entity": entity, "entity_id": entity_id, "actor": actor},
        older=rows[-1]["id"] if len(rows) == PAGE else None,
    )
