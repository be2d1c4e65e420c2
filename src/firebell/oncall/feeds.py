"""Revoking a calendar feed's secret address: it answers 404 from then on (a new one is made with
`create_feed`)."""

from __future__ import annotations

from datetime import datetime

from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.kernel.ids import secret_digest
from firebell.oncall.ports import OncallRepo

FEED_PREFIX = "fbc_"


def feed_secret(address: str) -> str:
    """The secret in a feed's address (`.../api/v1/calendar/fbc_....ics`), or the secret itself."""
    secret = address.strip().rstrip("/").rsplit("/", 1)[-1].removesuffix(".ics")
    if not secret.startswith(FEED_PREFIX):
        raise ValidationFailed.field("address", "give the feed's address, ending in /calendar/fbc_....ics")
    return secret


def revoke_feed(*, oncall: OncallRepo, address: str, now: datetime, schedule_id: str | None = None) -> None:
    """Revoke the feed with this address; with `schedule_id`, only a feed of that schedule."""
    digest = secret_digest(feed_secret(address))
    row = oncall.feed_by_digest(digest)
    if row is None or (schedule_id is not None and row["schedule_id"] != schedule_id):
        raise NotFound("no live calendar feed of this schedule has this address", details=[{"field": "address"}])
    oncall.revoke_feed(digest, now)
