"""A person's contact methods over HTTP, one at a time, and a test notification to one of them.

The person and admins of everything change them (oncall.contacts); anyone may list them, with the
addresses of others cut to scheme and host (webhook URLs often carry a secret).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.engine import Connection

from firebell.identity.model import Principal
from firebell.identity.repo import SqlIdentityRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound
from firebell.oncall import contacts
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.schemas import ContactMethodCreate, ContactMethodRead, TestNotificationRead
from firebell.paging.messages import shown_address
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.trial import delivery_of_test, send_test_notification
from firebell.web.deps import Caller, ContainerDep, ReadConn, Reader

router = APIRouter(prefix="/api/v1", tags=["access"])


def person(conn: Connection, email: str) -> dict[str, Any]:
    """A live (not deleted) user by email."""
    user = SqlIdentityRepo(conn).user_by_email(email.strip().lower())
    if user is None or user.get("deleted_at") is not None:
        raise NotFound(f"no person with email {email}", details=[{"field": "email"}])
    return user


def _shown(row: Any, caller: Principal) -> dict[str, Any]:
    whole = caller.is_admin or caller.user_id == row["user_id"]
    return {**row, "address": row["address"] if whole else shown_address(str(row["address"]))}


@router.get(
    "/users/{email}/contact-methods", response_model=list[ContactMethodRead], summary="A person's contact methods"
)
def get_methods(email: str, conn: ReadConn, caller: Reader) -> list[dict[str, Any]]:
    rows = SqlOncallRepo(conn).contact_methods(str(person(conn, email)["id"]))
    return [_shown(row, caller) for row in rows]


@router.post(
    "/users/{email}/contact-methods",
    response_model=ContactMethodRead,
    status_code=201,
    summary="Add a contact method (yours, or anyone's for an admin of everything)",
)
def post_method(email: str, body: ContactMethodCreate, container: ContainerDep, caller: Caller) -> Any:
    with transaction(container.engine, write=True) as conn:
        return contacts.add_contact_method(
            oncall=SqlOncallRepo(conn), by=caller, user_id=str(person(conn, email)["id"]), **body.model_dump()
        )


@router.delete("/users/{email}/contact-methods/{method_id}", status_code=204, summary="Remove a contact method")
def delete_method(email: str, method_id: str, container: ContainerDep, caller: Caller) -> Response:
    with transaction(container.engine, write=True) as conn:
        contacts.remove_contact_method(
            oncall=SqlOncallRepo(conn), by=caller, user_id=str(person(conn, email)["id"]), method_id=method_id
        )
    return Response(status_code=204)


@router.post(
    "/users/{email}/contact-methods/{method_id}/test",
    response_model=TestNotificationRead,
    status_code=202,
    summary="Send a test notification through the delivery engine; follow it with GET …/tests/{delivery_id}",
)
def post_test(email: str, method_id: str, container: ContainerDep, caller: Caller) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        user = person(conn, email)
        contacts.may_manage(caller, str(user["id"]))
        method = contacts.contact_method(oncall=SqlOncallRepo(conn), user_id=str(user["id"]), method_id=method_id)
        paging = SqlPagingRepo(conn)
        delivery_id = send_test_notification(
            paging=paging, person=user, method=method, by=caller.name, now=container.clock.now()
        )
        row = delivery_of_test(paging=paging, user_id=str(user["id"]), delivery_id=delivery_id)
    container.sent()
    return _test(row)


@router.get(
    "/users/{email}/tests/{delivery_id}", response_model=TestNotificationRead, summary="A test notification's status"
)
def get_test(email: str, delivery_id: str, conn: ReadConn, caller: Caller) -> dict[str, Any]:
    user = person(conn, email)
    contacts.may_manage(caller, str(user["id"]), write=False)
    return _test(delivery_of_test(paging=SqlPagingRepo(conn), user_id=str(user["id"]), delivery_id=delivery_id))


def _test(row: dict[str, Any]) -> dict[str, Any]:
    shown = ("status", "channel", "attempts", "last_error", "finished_at")
    return {"delivery_id": row["id"], **{k: row[k] for k in shown}}
