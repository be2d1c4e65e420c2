"""The import page: upload another tool's export and read what was imported, or why not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from firebell.history.api import decode, run_import
from firebell.history.model import Format
from firebell.kernel.errors import DomainError
from firebell.web.deps import ContainerDep
from firebell.web.pages import AdminCsrfSession, UserSession, render

router = APIRouter(include_in_schema=False)


def _page(request: Request, session: UserSession, status_code: int = 200, **context: object) -> Response:
    defaults: dict[str, object] = {"result": None, "error": "", "problems": [], "chosen": {}}
    return render(
        request,
        "import.html",
        session,
        nav="services",
        formats=[f.value for f in Format],
        is_admin=session.principal.is_admin,
        status_code=status_code,
        **(defaults | context),
    )


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, session: UserSession) -> Response:
    return _page(request, session)


@router.post("/import", response_class=HTMLResponse)
async def upload(
    request: Request,
    container: ContainerDep,
    session: AdminCsrfSession,  # an admin of everything, as the API asks
    file: Annotated[UploadFile, File()],
    format: Annotated[str, Form()],
    zone: Annotated[str, Form()] = "UTC",
    service: Annotated[str, Form()] = "",
    create_services: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    chosen = {"format": format, "zone": zone, "service": service, "create_services": create_services}
    try:
        text = decode(await file.read())
        result = await run_in_threadpool(
            lambda: run_import(
                container,
                source=format,
                text=text,
                zone=zone,
                create_services=create_services,
                dry_run=dry_run,
                default_service=service,
            )
        )
    except DomainError as exc:
        problems = [d for d in exc.details if "line" in d]
        return _page(request, session, 422, error=exc.message, problems=problems, chosen=chosen, filename=file.filename)
    return _page(request, session, result=result, chosen=chosen, filename=file.filename)
