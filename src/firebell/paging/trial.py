"""A test notification to one contact method, sent the way pages are: a delivery row the delivery
engine sends with retries and records attempt by attempt, so its status proves the real path."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from firebell.kernel.errors import NotFound
from firebell.paging.announce import pending_delivery
from firebell.paging.messages import EventNotice
from firebell.paging.repo import SqlPagingRepo

EVENT = "test_notification"


def send_test_notification(
    *, paging: SqlPagingRepo, person: Mapping[str, Any], method: Mapping[str, Any], by: str, now: datetime
) -> str:
    """Queue a test notification to `method` of `person`; the delivery's id."""
    name = str(person.get("display_name") or person.get("email") or "")
    key = f"test:{method['id']}:{now.timestamp():.6f}"
    notice = EventNotice(
        event=EVENT,
        summary=f"Firebell test notification for {name}: if you read this, pages reach you through "
        f"this {method['kind']} contact method. Sent by {by}; nothing to do.",
        data={"person": name, "kind": str(method["kind"]), "label": str(method.get("label") or "")},
        idempotency_key=key,
    )
    row = pending_delivery(
        key=key,
        incident_id=None,
        user_id=str(person["id"]),
        channel=str(method["kind"]),
        address=str(method["address"]),
        notice=notice,
        now=now,
    )
    paging.add_deliveries([row])
    return str(row["id"])


def delivery_of_test(*, paging: SqlPagingRepo, user_id: str, delivery_id: str) -> dict[str, Any]:
    """A test notification's delivery row, if it is this person's."""
    row = paging.delivery(delivery_id)
    if row is None or row["user_id"] != user_id or (row["message"] or {}).get("event") != EVENT:
        raise NotFound(f"no test notification {delivery_id} of this person", details=[{"field": "delivery_id"}])
    return row
