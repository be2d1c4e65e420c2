"""Engine module: prune raw payloads past their retention that no alert points at any more, and the
Opsgenie API's request statuses past the same retention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from firebell.alerts.tables import AlertRow, OpsgenieRequestRow, RawPayloadRow
from firebell.infra.db import transaction

_raw = cast(sa.Table, RawPayloadRow.__table__)
_alerts = cast(sa.Table, AlertRow.__table__)
_requests = cast(sa.Table, OpsgenieRequestRow.__table__)


class RawPayloadRetention:
    name = "raw_payload_retention"

    def __init__(self, engine: Engine, *, keep: timedelta, every: timedelta) -> None:
        self.engine = engine
        self.keep = keep
        self.every = every
        self.last_deleted = 0

    def run(self, now: datetime) -> datetime:
        referenced = sa.select(_alerts.c.raw_payload_id).where(_alerts.c.raw_payload_id == _raw.c.id)
        statement = _raw.delete().where(_raw.c.received_at < now - self.keep, ~sa.exists(referenced))
        with transaction(self.engine, write=True) as conn:
            self.last_deleted = conn.execute(statement).rowcount
            conn.execute(_requests.delete().where(_requests.c.processed_at < now - self.keep))
        return now + self.every
