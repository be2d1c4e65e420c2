"""A service's integrations on its page: make one (its URL and key shown once, with copy buttons) and
rotate its key. The same use cases and URLs as the API (catalog.api.keyed_integration)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from firebell.catalog import service as catalog
from firebell.catalog.api import keyed_integration
from firebell.catalog.views import WEB_KINDS, service_view
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, ValidationFailed
from firebell.web.deps import ContainerDep
from firebell.web.pages import AdminCsrfSession

router = APIRouter(include_in_schema=False)


def _shown(
    request: Request, name: str, container: ContainerDep, session: AdminCsrfSession, **extra: object
) -> Response:
    with transaction(container.engine) as conn:
        return service_view(request, name, conn, container, session, **extra)


@router.post("/services/{name}/integrations", response_class=HTMLResponse)
def create_integration(
    request: Request,
    name: str,
    container: ContainerDep,
    session: AdminCsrfSession,  # an admin of the service's team, or of everything
    kind: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
) -> Response:
    try:
        if kind not in WEB_KINDS:
            raise ValidationFailed.field("kind", f"choose one of {', '.join(WEB_KINDS)}")
        made = keyed_integration(
            container,
            request,
            lambda repo, now: catalog.create_integration(repo=repo, service=name, kind=kind, now=now, name=label),
        )
    except DomainError as exc:
        form = {"kind": kind, "label": label}
        return _shown(
            request, name, container, session, integration_error=exc.message, integration_form=form, status_code=422
        )
    return _shown(request, name, container, session, new_integration=dict(made, verb="created"))


@router.post("/services/{name}/integrations/{integration}/rotate", response_class=HTMLResponse)
def rotate_integration(
    request: Request, name: str, integration: str, container: ContainerDep, session: AdminCsrfSession
) -> Response:
    try:
        made = keyed_integration(
            container,
            request,
            lambda repo, now: catalog.rotate_integration_key(repo=repo, service=name, integration=integration, now=now),
        )
    except DomainError as exc:
        return _shown(request, name, container, session, integration_error=exc.message, status_code=422)
    return _shown(request, name, container, session, new_integration=dict(made, verb="rotated the key of"))
