"""Incident messages on the notification channels: communications, war rooms and reminders.

Each message becomes delivery rows in the caller's transaction, so it is sent (with retries, and
logged attempt by attempt) by the same delivery engine as pages, and never lost to a crash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firebell.kernel.ids import new_id
from firebell.paging.messages import EventNotice, MessageNotice, Notice, RoomNotice
from firebell.paging.model import DeliveryStatus
from firebell.paging.repo import SqlPagingRepo

# Phones are for pages: messages about an incident go to every other kind of contact method.
_NOT_FOR_MESSAGES = {"sms"}


@dataclass(frozen=True, slots=True)
class Destinations:
    """Where incident communications go, from the settings."""

    incidents_webhook_url: str  # a Slack incoming webhook for #incidents
    incidents_channel: str  # the channel the bot posts to, when there is a bot token
    slack_bot: bool  # whether a bot token is configured (war rooms, channel posts)
    stakeholder_emails: tuple[str, ...]
    base_url: str


def pending_delivery(
    *, key: str, incident_id: str | None, user_id: str | None, channel: str, address: str, notice: Notice, now: datetime
) -> dict[str, Any]:
    """A delivery row, due now, for the delivery engine to send."""
    return {
        "id": new_id(),
        "idempotency_key": key[:120],
        "page_id": None,
        "incident_id": incident_id,
        "user_id": user_id,
        "channel": channel,
        "address": address,
        "message": notice.to_message(),
        "status": DeliveryStatus.PENDING.value,
        "due_at": now,
        "attempts": 0,
        "lease_until": None,
        "last_error": "",
        "created_at": now,
        "finished_at": None,
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class DeliveryMessenger:
    def __init__(self, paging: SqlPagingRepo, to: Destinations) -> None:
        self.paging = paging
        self.to = to
        self.queued = 0

    def _url(self, number: int) -> str:
        return f"{self.to.base_url}/incidents/{number}"

    def announce(
        self,
        *,
        incident_id: str,
        number: int,
        subject: str,
        text: str,
        slack_text: str,
        audiences: Sequence[str],
        war_room: str,
        responder_ids: Sequence[str],
        key: str,
        now: datetime,
    ) -> list[str]:
        rows: list[dict[str, Any]] = []
        shown: list[str] = []

        def add(audience: str, channel: str, address: str, user_id: str | None = None) -> None:
            row_key = f"{key}:{audience}:{_digest(channel + address)}"
            notice = MessageNotice(
                "communication", incident_id, number, subject, text, slack_text, self._url(number), row_key
            )
            rows.append(
                pending_delivery(
                    key=row_key,
                    incident_id=incident_id,
                    user_id=user_id,
                    channel=channel,
                    address=address,
                    notice=notice,
                    now=now,
                )
            )

        for audience in audiences:
            if audience == "incidents_channel":
                if self.to.incidents_webhook_url:
                    add(audience, "slack", self.to.incidents_webhook_url)
                elif self.to.slack_bot and self.to.incidents_channel:
                    add(audience, "slack_api", self.to.incidents_channel)
                else:
                    continue
                shown.append(self.to.incidents_channel or "#incidents")
            elif audience == "war_room":
                if not (war_room and self.to.slack_bot):
                    continue
                add(audience, "slack_api", f"#{war_room}")
                shown.append(f"#{war_room}")
            elif audience == "stakeholders":
                for email in self.to.stakeholder_emails:
                    add(audience, "email", email)
                    shown.append(email)
            elif audience == "responders":
                people = self.paging.people(responder_ids)
                for user_id, methods in self.paging.contact_methods(responder_ids).items():
                    if people.get(user_id, {}).get("disabled_at") is not None:
                        continue  # a disabled person is told nothing
                    usable = [m for m in methods if m["kind"] not in _NOT_FOR_MESSAGES]
                    for method in usable:
                        add(audience, str(method["kind"]), str(method["address"]), user_id)
                    if usable:
                        person = people.get(user_id, {})
                        shown.append(str(person.get("display_name") or person.get("handle") or user_id))
        self.paging.add_deliveries_once(rows)
        self.queued += len(rows)
        return list(dict.fromkeys(shown))

    def open_room(
        self, *, incident_id: str, number: int, name: str, topic: str, invite: Sequence[str], text: str, now: datetime
    ) -> bool:
        if not self.to.slack_bot:
            return False
        key = f"room:{incident_id}:{int(now.timestamp())}"
        notice = RoomNotice(incident_id, number, name, topic, tuple(invite), text, self._url(number), key)
        self.paging.add_deliveries_once(
            [
                pending_delivery(
                    key=key,
                    incident_id=incident_id,
                    user_id=None,
                    channel="slack_api",
                    address=f"#{name}",
                    notice=notice,
                    now=now,
                )
            ]
        )
        self.queued += 1
        return True

    def remind(
        self,
        *,
        user_ids: Sequence[str],
        incident_id: str,
        number: int,
        subject: str,
        text: str,
        key: str,
        now: datetime,
    ) -> int:
        rows = []
        for user_id, methods in self.paging.contact_methods(user_ids).items():
            for method in methods:
                if method["kind"] in _NOT_FOR_MESSAGES:
                    continue
                row_key = f"{key}:{_digest(str(method['id']))}"
                notice = MessageNotice("reminder", incident_id, number, subject, text, text, self._url(number), row_key)
                rows.append(
                    pending_delivery(
                        key=row_key,
                        incident_id=incident_id,
                        user_id=user_id,
                        channel=str(method["kind"]),
                        address=str(method["address"]),
                        notice=notice,
                        now=now,
                    )
                )
        self.paging.add_deliveries_once(rows)
        self.queued += len(rows)
        return len(rows)

    def notify(
        self,
        *,
        kind: str,
        user_ids: Sequence[str],
        incident_id: str,
        number: int,
        subject: str,
        text: str,
        key: str,
        now: datetime,
    ) -> int:
        """A notice to people about an incident (a role given to them): every contact method but the
        phone, once per `key`; how many notifications were queued."""
        rows = []
        for user_id, methods in self.paging.contact_methods(user_ids).items():
            for method in methods:
                if method["kind"] in _NOT_FOR_MESSAGES:
                    continue
                row_key = f"{key}:{_digest(str(method['id']))}"
                notice = MessageNotice(
                    kind, incident_id, number, subject, text, f"*{subject}*\n{text}", self._url(number), row_key
                )
                rows.append(
                    pending_delivery(
                        key=row_key,
                        incident_id=incident_id,
                        user_id=user_id,
                        channel=str(method["kind"]),
                        address=str(method["address"]),
                        notice=notice,
                        now=now,
                    )
                )
        self.paging.add_deliveries_once(rows)
        self.queued += len(rows)
        return len(rows)

    def mirror(
        self,
        *,
        url: str,
        event: str,
        summary: str,
        data: dict[str, Any],
        key: str,
        incident_id: str | None,
        now: datetime,
    ) -> bool:
        """Queue a signed webhook telling another system (an issue tracker) that a record changed;
        once per `key`. False when no URL is configured."""
        if not url:
            return False
        notice = EventNotice(event, summary, data, key)
        self.paging.add_deliveries_once(
            [
                pending_delivery(
                    key=key,
                    incident_id=incident_id,
                    user_id=None,
                    channel="webhook",
                    address=url,
                    notice=notice,
                    now=now,
                )
            ]
        )
        self.queued += 1
        return True
