"""The People pages: everyone with their roles and teams, a new person (admins of everything), and a
person's page with their contact methods, each with a button that sends a test notification through
the delivery engine and shows how its delivery went. Creating a team lives here too.

A person manages their own contact methods; an admin of everything manages anyone's (oncall.contacts).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.identity import lifecycle
from firebell.identity import service as identity
from firebell.identity.model import Role, parse_role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import WebSession
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, NotFound, PermissionDenied
from firebell.oncall import contacts
from firebell.oncall.contacts_api import person
from firebell.oncall.notification_rules import ContactKind
from firebell.oncall.repo import SqlOncallRepo
from firebell.paging.messages import shown_address
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.trial import delivery_of_test, send_test_notification
from firebell.web.deps import ContainerDep
from firebell.web.pages import AdminCsrfSession, FormSession, UserSession, render

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    ContactKind.EMAIL.value: "Email",
    ContactKind.SMS.value: "SMS / phone",
    ContactKind.SLACK.value: "Slack webhook",
    ContactKind.WEBHOOK.value: "Webhook",
    ContactKind.APPRISE.value: "Apprise URL",
}


def _people_view(
    request: Request, container: ContainerDep, session: WebSession, status_code: int = 200, **extra: Any
) -> Response:
    with transaction(container.engine) as conn:
        users = [u for u in SqlIdentityRepo(conn).users_with_roles() if not u["deleted_at"]]
    context: dict[str, Any] = {
        "users": users,
        "roles": [r.value for r in Role],
        "is_admin": session.principal.is_admin,
        "created": None,
        "error": "",
        "form": {},
        "status_code": status_code,
    }
    context.update(extra)
    return render(request, "people.html", session, **context)


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, container: ContainerDep, session: UserSession) -> Response:
    return _people_view(request, container, session)


@router.post("/people", response_class=HTMLResponse)
def create_person(
    request: Request,
    container: ContainerDep,
    session: AdminCsrfSession,  # an admin of everything: people belong to no team
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "responder",
) -> Response:
    """A new person with a password nobody knows, and a one-time link (shown once) to set their own."""
    now = container.clock.now()
    try:
        with transaction(container.engine, write=True) as conn:
            repo = SqlIdentityRepo(conn)
            identity.create_user(
                repo=repo,
                email=email,
                password=secrets.token_urlsafe(24),
                role=parse_role(role),
                now=now,
                name=name.strip(),
            )
            token, expires_at = lifecycle.issue_reset(repo=repo, email=email, by=session.principal.name, now=now)
    except DomainError as exc:
        form = {"email": email, "name": name, "role": role}
        return _people_view(request, container, session, 422, error=exc.message, form=form)
    created = {
        "email": email.strip().lower(),
        "url": f"{container.settings.base_url()}/reset/{token}",
        "expires_at": expires_at,
    }
    return _people_view(request, container, session, 201, created=created)


@router.post("/teams")
def create_team(container: ContainerDep, session: AdminCsrfSession, name: Annotated[str, Form()] = "") -> Response:
    """A new, empty team; members are added on the Access page."""
    try:
        with transaction(container.engine, write=True) as conn:
            contacts.create_team(oncall=SqlOncallRepo(conn), by=session.principal, name=name, now=container.clock.now())
    except PermissionDenied:
        raise
    except DomainError as exc:
        return RedirectResponse(f"/access?error={quote(exc.message)}#teams", status_code=303)
    notice = f"created team {name.strip()}: add its members below"
    return RedirectResponse(f"/access?notice={quote(notice)}#teams", status_code=303)


def _person_view(
    request: Request,
    container: ContainerDep,
    session: WebSession,
    email: str,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    with transaction(container.engine) as conn:
        user = person(conn, email)
        user_id = str(user["id"])
        methods = SqlOncallRepo(conn).contact_methods(user_id)
        teams = SqlIdentityRepo(conn).memberships(user_id)
        test_id = request.query_params.get("test", "")
        test = None
        if test_id:
            try:
                test = delivery_of_test(paging=SqlPagingRepo(conn), user_id=user_id, delivery_id=test_id)
            except NotFound:
                test = None
    manages = session.principal.is_admin or session.principal.user_id == user_id
    for method in methods:
        method["shown"] = method["address"] if manages else shown_address(str(method["address"]))
    context: dict[str, Any] = {
        "person": user,
        "teams": teams,
        "methods": methods,
        "manages": manages,
        "kinds": KIND_LABELS,
        "test": test,
        "notice": request.query_params.get("notice", ""),
        "error": "",
        "form": {},
        "status_code": status_code,
    }
    context.update(extra)
    return render(request, "person.html", session, **context)


def _page_of(email: str, query: str = "") -> str:
    return f"/people/{quote(email)}{query}"


@router.get("/people/{email}", response_class=HTMLResponse)
def person_page(request: Request, email: str, container: ContainerDep, session: UserSession) -> Response:
    return _person_view(request, container, session, email)


@router.post("/people/{email}/contact-methods", response_class=HTMLResponse)
def add_method(
    request: Request,
    email: str,
    container: ContainerDep,
    session: FormSession,  # the person, or an admin of everything (contacts.may_manage)
    kind: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    delay: Annotated[str, Form()] = "",
) -> Response:
    try:
        with transaction(container.engine, write=True) as conn:
            user = person(conn, email)
            contacts.add_contact_method(
                oncall=SqlOncallRepo(conn),
                by=session.principal,
                user_id=str(user["id"]),
                kind=kind,
                address=address,
                label=label,
                delay=delay,
            )
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        form = {"kind": kind, "address": address, "label": label, "delay": delay}
        return _person_view(request, container, session, email, 422, error=exc.message, form=form)
    notice = f"added {KIND_LABELS.get(kind, kind)} {address.strip()}"
    return RedirectResponse(_page_of(email, f"?notice={quote(notice)}#contacts"), status_code=303)


@router.post("/people/{email}/contact-methods/{method_id}/remove")
def remove_method(email: str, method_id: str, container: ContainerDep, session: FormSession) -> Response:
    with transaction(container.engine, write=True) as conn:
        user = person(conn, email)
        removed = contacts.remove_contact_method(
            oncall=SqlOncallRepo(conn), by=session.principal, user_id=str(user["id"]), method_id=method_id
        )
    notice = f"removed {KIND_LABELS.get(str(removed['kind']), removed['kind'])} {removed['address']}"
    return RedirectResponse(_page_of(email, f"?notice={quote(notice)}#contacts"), status_code=303)


@router.post("/people/{email}/contact-methods/{method_id}/test")
def test_method(email: str, method_id: str, container: ContainerDep, session: FormSession) -> Response:
    """Queue a test notification; the page then follows its delivery."""
    with transaction(container.engine, write=True) as conn:
        user = person(conn, email)
        user_id = str(user["id"])
        contacts.may_manage(session.principal, user_id)
        method = contacts.contact_method(oncall=SqlOncallRepo(conn), user_id=user_id, method_id=method_id)
        delivery_id = send_test_notification(
            paging=SqlPagingRepo(conn), person=user, method=method, by=session.principal.name, now=container.clock.now()
        )
    container.sent()
    return RedirectResponse(_page_of(email, f"?test={delivery_id}#test-status"), status_code=303)


@router.get("/people/{email}/tests/{delivery_id}", response_class=HTMLResponse)
def test_status(
    request: Request, email: str, delivery_id: str, container: ContainerDep, session: UserSession
) -> Response:
    """The test notification's delivery status (HTMX polls it while pending)."""
    with transaction(container.engine) as conn:
        user = person(conn, email)
        contacts.may_manage(session.principal, str(user["id"]), write=False)
        test = delivery_of_test(paging=SqlPagingRepo(conn), user_id=str(user["id"]), delivery_id=delivery_id)
    return render(request, "person_test.html", session, person=user, test=test)
