"""Slack's Web API with a bot token (slack-sdk): war rooms and messages to named channels.

The address is a channel name ("#incidents") or id. A `RoomNotice` creates its channel (or finds
it, when a retry follows a create that succeeded), invites the responders and posts the notice;
any other notice is posted to the address. The API's base URL is configurable so that a local
server speaking these methods can stand in for Slack.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from firebell.paging.messages import Notice, RoomNotice, slack_payload
from firebell.paging.ports import PermanentDeliveryError, RetryableDeliveryError

log = logging.getLogger("firebell.slack")

# Errors that another try may cure; every other error Slack names is a refusal.
_TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# Harmless when inviting: the person is already there, or is the bot itself.
_INVITE_FINE = {"already_in_channel", "cant_invite_self"}


class SlackApiChannel:
    def __init__(self, token: str, base_url: str, timeout: float = 10.0) -> None:
        self.token = token
        self.client = WebClient(token=token, base_url=base_url, timeout=int(max(1, timeout)))

    def send(self, address: str, notice: Notice) -> None:
        if not self.token:
            raise PermanentDeliveryError("no Slack bot token is configured (FIREBELL_SLACK__BOT_TOKEN)")
        try:
            channel = self._open_room(notice) if isinstance(notice, RoomNotice) else address
            payload = slack_payload(notice)
            self.client.chat_postMessage(channel=channel, text=payload["text"], blocks=payload["blocks"])
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            if error in _TRANSIENT or exc.response.status_code >= 500:
                asked = ""
                if exc.response.status_code in (429, 503) or error == "ratelimited":
                    headers = {str(k).lower(): v for k, v in (exc.response.headers or {}).items()}
                    value = headers.get("retry-after", "")
                    asked = str(value[0] if isinstance(value, list) and value else value)
                raise RetryableDeliveryError(f"Slack API: {error}", retry_after=asked) from exc
            raise PermanentDeliveryError(f"Slack API: {error}") from exc
        except (SlackClientError, OSError) as exc:
            raise RetryableDeliveryError(f"Slack API unreachable: {type(exc).__name__}: {exc}") from exc

    def _open_room(self, notice: RoomNotice) -> str:
        try:
            created = self.client.conversations_create(name=notice.name)
            channel = str(created["channel"]["id"])
        except SlackApiError as exc:
            if exc.response.get("error") != "name_taken":
                raise
            channel = self._find(notice.name)
        if notice.topic:
            self.client.conversations_setTopic(channel=channel, topic=notice.topic[:250])
        for user in notice.invite:  # one at a time: one unknown member id must not keep the others out
            try:
                self.client.conversations_invite(channel=channel, users=[user])
            except SlackApiError as exc:
                error = exc.response.get("error")
                if error in _TRANSIENT:
                    raise
                if error not in _INVITE_FINE:
                    log.warning("slack_invite_refused", extra={"user": user, "error": error})
        return channel

    def _find(self, name: str) -> str:
        cursor = None
        while True:
            page = self.client.conversations_list(cursor=cursor, limit=200, exclude_archived=True)
            channels: list[dict[str, Any]] = page.get("channels", [])
            for channel in channels:
                if channel.get("name") == name:
                    return str(channel["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise PermanentDeliveryError(f"Slack says #{name} exists but the bot cannot see it")
