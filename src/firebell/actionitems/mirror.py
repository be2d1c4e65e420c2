"""How action items look to the outside: their view, and the webhook an issue tracker mirrors them from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from firebell.actionitems.model import ItemStatus, is_overdue, reference
from firebell.paging.announce import DeliveryMessenger


def item_view(row: Mapping[str, Any], today: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["number"],
        "ref": reference(int(row["number"])),
        "incident_number": row["incident_number"],
        "incident_title": row["incident_title"],
        "from_postmortem": row["from_postmortem"],
        "title": row["title"],
        "description": row["description"],
        "priority": row["priority"],
        "kind": row["kind"],
        "status": row["status"],
        "owner": row["owner"],
        "owner_handle": row["owner_handle"],
        "due": row["due_date"],
        "overdue": is_overdue(ItemStatus(row["status"]), row["due_date"], today),
        "ticket": row["ticket"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "completed_at": row["completed_at"],
        "version": row["version"],
    }


class WebhookMirror:
    """Queues the signed webhook an issue tracker mirrors items from, once per item version."""

    def __init__(self, url: str, messenger: DeliveryMessenger | None, base_url: str) -> None:
        self.url = url
        self.messenger = messenger if url else None
        self.base_url = base_url

    def __call__(self, event: str, item: Mapping[str, Any], now: datetime) -> None:
        if self.messenger is None:
            return
        data = item_view(item, now.date())
        data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
        data["url"] = f"{self.base_url}/action-items#{data['ref']}"
        self.messenger.mirror(
            url=self.url,
            event=event,
            summary=f"{data['ref']} {data['status']}: {data['title']}",
            data=data,
            key=f"action-item:{item['id']}:{item['version']}",
            incident_id=str(item["incident_id"]),
            now=now,
        )
