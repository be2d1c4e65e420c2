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
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, PermissionDenied, ValidationFailed
from firebell.oncall.config_file import load
from firebell.oncall.export import policy_documents
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
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


@router.get("/policies/{name}", response_class=HTMLResponse)
def policy_page(request: Request, name: str, conn: ReadConn, session: UserSession) -> Response:
    document = _documents(conn).get(name)
    text = NEW_POLICY if document is None else yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return render(
        request, "policy.html", session, policy_name=name, text=text, exists=document is not None, error=None,
        done=request.query_params.get("done"),
    )  # fmt: skip


@router.post("/policies/{name}", response_class=HTMLResponse)
def save_policy(
    request: Request, name: str, container: ContainerDep, session: FormSession, document: Annotated[str, Form()]
) -> Response:
    # Not a route guard: a new policy has no team until its document names one, so the use case
    # checks the caller against the team the policy has and the team the document gives it.
    try:
        parsed = yaml.safe_load(document)
        if not isinstance(parsed, dict):
            raise ValueError("write the policy as a mapping: name, repeat and levels")
        config, _tree = load(yaml.safe_dump({"escalation_policies": [parsed]}), "policy")
        with transaction(container.engine, write=True) as conn:
            declared = config.escalation_policies[0].name
            if declared != name and SqlOncallRepo(conn).policy_by_name(declared) is not None:
                raise ValidationFailed.field(
                    "name", f"a policy named {declared!r} exists already: edit it on its own page"
                )
            changes = apply(
                config,
                oncall=SqlOncallRepo(conn),
                identity=SqlIdentityRepo(conn),
                services=SqlCatalogRepo(conn),
                now=container.clock.now(),
                outbound=container.settings.outbound.policy(),
                caller=session.principal,
            )
    except PermissionDenied:
        raise
    except (DomainError, ValueError, yaml.YAMLError) as exc:
        message = exc.message if isinstance(exc, DomainError) else f"not valid: {exc}"
        # Line numbers would point into the normalized copy, not the text in the box: name the field only.
        message = re.sub(r"^policy:\d+: ", "", message).replace("escalation_policies[0].", "")
        return render(
            request, "policy.html", session, policy_name=name, text=document, exists=True, error=message, done=None,
            status_code=422,
        )  # fmt: skip
    container.changes.bump()
    saved = str(parsed.get("name", name))
    note = "; ".join(changes) or "nothing changed"
    return RedirectResponse(f"/policies/{quote(saved)}?done={quote(note + f' ({session.email})')}", status_code=303)
