"""The policy editor: every escalation policy, and one policy edited as the YAML `apply` reads.

Saving goes through the same use case as `firebell apply`, so the editor validates exactly as the
file does (targets that must exist, durations, levels) and changes nothing when a field is wrong. It
saves as the logged-in user: only admins of the policy's team (before and after the change), or site
admins for a policy of no team, may save; anyone else gets the "Not allowed" page.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.bootstrap import Container
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import WebSession
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, PermissionDenied, ValidationFailed
from firebell.oncall.config_file import load
from firebell.oncall.export import policy_documents
from firebell.oncall.policy_form import (
    SEVERITIES,
    PolicyForm,
    check_shadowed,
    edit,
    form_field,
    from_document,
    from_fields,
    to_document,
)
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from firebell.oncall.urgency import WHY, Urgency
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import FormSession, UserSession, render

router = APIRouter()

NEW_POLICY = """\
name: new-policy
team: your-team  # its admins may change the policy; without a team, only site admins may
repeat: 0
levels:
  - targets: [a-schedule-name]
    timeout: 15m
    action: what this level does first
  - targets: [a-person's-handle]
    timeout: 30m
"""


def _documents(conn: Any) -> dict[str, dict[str, Any]]:
    return policy_documents(oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn))


@router.get("/policies", response_class=HTMLResponse)
def policies_page(request: Request, conn: ReadConn, session: UserSession) -> Response:
    documents = _documents(conn)
    names = {str(p["id"]): str(p["name"]) for p in SqlOncallRepo(conn).policies()}
    used: dict[str, list[str]] = {}
    for service in SqlCatalogRepo(conn).services():
        if service.get("escalation_policy_id") in names:
            used.setdefault(names[service["escalation_policy_id"]], []).append(str(service["name"]))
        for category, policy_id in (service.get("category_policies") or {}).items():
            if policy_id in names:
                used.setdefault(names[policy_id], []).append(f"{service['name']} ({category})")
    return render(request, "policies.html", session, policies=documents, used=used)


_URGENCIES = (("", "the service's"), *((u.value, WHY[u]) for u in Urgency))


def _choices(conn: Any) -> dict[str, list[tuple[str, str]]]:
    """What a level may page, as (name, label) by kind: the select lists of the form."""
    oncall = SqlOncallRepo(conn)
    people = [p for p in SqlIdentityRepo(conn).people() if p.get("handle") and p.get("disabled_at") is None]
    return {
        "schedule": [(str(s["name"]), str(s["name"])) for s in oncall.schedules()],
        "team": [(str(t["name"]), str(t["name"])) for t in oncall.teams()],
        "user": [(str(p["handle"]), f"{p.get('display_name') or p['handle']} ({p['handle']})") for p in people],
    }


def _form_of(document: dict[str, Any], choices: dict[str, list[tuple[str, str]]]) -> PolicyForm:
    names = {kind: [name for name, _label in pairs] for kind, pairs in choices.items()}
    return from_document(document, schedules=names["schedule"], teams=names["team"], people=names["user"])


def _editor(
    request: Request,
    session: WebSession,
    conn: Any,
    name: str,
    *,
    form: PolicyForm,
    text: str,
    exists: bool,
    errors: dict[str, str] | None = None,
    yaml_error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request, "policy.html", session, policy_name=name, form=form, text=text, exists=exists,
        errors=errors or {}, yaml_error=yaml_error, choices=_choices(conn), severities=SEVERITIES, urgencies=_URGENCIES,
        done=request.query_params.get("done"), status_code=status_code,
    )  # fmt: skip


@router.get("/policies/{name}", response_class=HTMLResponse)
def policy_page(request: Request, name: str, conn: ReadConn, session: UserSession) -> Response:
    document = _documents(conn).get(name)
    text = NEW_POLICY if document is None else yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    form = PolicyForm(name=name) if document is None else _form_of(document, _choices(conn))
    return _editor(request, session, conn, name, form=form, text=text, exists=document is not None)


def _save(container: Container, session: WebSession, name: str, parsed: object) -> str:
    """Save one policy document as `firebell apply` would, all or nothing; the page to go to next."""
    if not isinstance(parsed, dict):
        raise ValueError("write the policy as a mapping: name, repeat and levels")
    config, _tree = load(yaml.safe_dump({"escalation_policies": [parsed]}), "policy")
    with transaction(container.engine, write=True) as conn:
        declared = config.escalation_policies[0].name
        if declared != name and SqlOncallRepo(conn).policy_by_name(declared) is not None:
            raise ValidationFailed.field("name", f"a policy named {declared!r} exists already: edit it on its own page")
        changes = apply(
            config,
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=SqlCatalogRepo(conn),
            now=container.clock.now(),
            outbound=container.settings.outbound.policy(),
            caller=session.principal,
        )
    container.changes.bump()
    note = "; ".join(changes) or "nothing changed"
    return f"/policies/{quote(declared)}?done={quote(note + f' ({session.email})')}"


def _message(exc: Exception) -> str:
    message = exc.message if isinstance(exc, DomainError) else f"not valid: {exc}"
    # Line numbers would point into the normalized copy, not the text in the box: name the field only.
    return re.sub(r"^policy:\d+: ", "", message).replace("escalation_policies[0].", "")


@router.post("/policies/{name}", response_class=HTMLResponse)
def save_policy(
    request: Request, name: str, container: ContainerDep, session: FormSession, document: Annotated[str, Form()]
) -> Response:
    # Not a route guard: a new policy has no team until its document names one, so the use case
    # checks the caller against the team the policy has and the team the document gives it.
    try:
        return RedirectResponse(_save(container, session, name, yaml.safe_load(document)), status_code=303)
    except PermissionDenied:
        raise
    except (DomainError, ValueError, yaml.YAMLError) as exc:
        with transaction(container.engine) as conn:
            form = _form_of(_documents(conn).get(name) or {"name": name}, _choices(conn))
            return _editor(
                request, session, conn, name, form=form, text=document, exists=True, yaml_error=_message(exc),
                status_code=422,
            )  # fmt: skip


async def posted_fields(request: Request) -> dict[str, list[str]]:
    """Every field of a posted form with all its values (a level has several targets)."""
    posted = await request.form()
    return {key: [str(v) for v in posted.getlist(key)] for key in posted}


@router.post("/policies/{name}/form", response_class=HTMLResponse)
def save_policy_form(
    request: Request,
    name: str,
    container: ContainerDep,
    session: FormSession,
    fields: Annotated[dict[str, list[str]], Depends(posted_fields)],
    op: Annotated[str, Form()] = "save",
) -> Response:
    """The form editor: an editing step (add, remove or move a level) shows the form again unsaved;
    `save` saves through the same path as the YAML box, and an error shows by the field it is about."""
    form = from_fields(fields)
    errors: dict[str, str] = {}
    try:
        if op != "save":
            form = edit(form, op)
        else:
            with transaction(container.engine) as conn:
                names = _choices(conn)
            check_shadowed(form, schedules=[n for n, _ in names["schedule"]], teams=[n for n, _ in names["team"]])
            return RedirectResponse(_save(container, session, name, to_document(form)), status_code=303)
    except PermissionDenied:
        raise
    except (DomainError, ValueError) as exc:
        details = exc.details if isinstance(exc, DomainError) else []
        where = form_field(str(details[0].get("field", ""))) if details else ""
        message = str(details[0].get("message")) if details and details[0].get("message") else _message(exc)
        errors[where] = re.sub(r"^policy:\d+: [^:]*: ", "", message)
    with transaction(container.engine) as conn:
        text = yaml.safe_dump(_documents(conn).get(name) or {"name": name}, sort_keys=False, allow_unicode=True)
        exists = name in _documents(conn)
        return _editor(
            request, session, conn, name, form=form, text=text, exists=exists, errors=errors,
            status_code=422 if errors else 200,
        )  # fmt: skip
