"""The import page: upload another tool's export and read what was imported, or why not."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from firebell.history.api import decode, import_off_loop
from firebell.history.model import Format
from firebell.kernel.errors import DomainError, ValidationFailed
from firebell.web.deps import ContainerDep
from firebell.web.pages import AdminUser, UserSession, check_form_token, render

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
async def upload(request: Request, container: ContainerDep, session: AdminUser) -> Response:
    # An admin of everything, as the API asks; the form is read only once that is known, and
    # BodyLimit bounds what is spooled of the file.
    async with request.form(max_files=1) as form:
        check_form_token(session, _text(form, "csrf_token"))
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise ValidationFailed.field("file", "is required: the export to import")
        format = _text(form, "format")
        zone = _text(form, "zone") or "UTC"
        service = _text(form, "service")
        create_services = _text(form, "create_services") in _TRUE
        dry_run = _text(form, "dry_run") in _TRUE
        chosen = {"format": format, "zone": zone, "service": service, "create_services": create_services}
        try:
            text = decode(await file.read())
            options = {"zone": zone, "create_services": create_services, "dry_run": dry_run, "default_service": service}
            result = await import_off_loop(container, format, text, options)
        except DomainError as exc:
            problems = [d for d in exc.details if "line" in d]
            return _page(
                request, session, 422, error=exc.message, problems=problems, chosen=chosen, filename=file.filename
            )
        return _page(request, session, result=result, chosen=chosen, filename=file.filename)


_TRUE = ("true", "on", "1", "yes")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
