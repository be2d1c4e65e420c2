"""SQL adapter for the forwards outbox (alerts/forwarding.py): claims with leases, and outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.forwarding import ForwardOutcome
from firebell.alerts.tables import ForwardRow
from firebell.infra.sqltypes import all_dicts

_fw = cast(sa.Table, ForwardRow.__table__)
_PENDING = "pending"


class SqlForwardRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def next_due(self) -> datetime | None:
        query = sa.select(sa.func.min(_fw.c.due_at)).where(_fw.c.status == _PENDING)
        value: datetime | None = self.conn.execute(query).scalar()
        return value

    def claim(self, now: datetime, lease: datetime, per_integration: int) -> list[list[dict[str, Any]]]:
        """Lease, for each integration, the oldest pending forwards that are due and free, in order
        and stopping at the first that is not: a forward waiting for a retry holds back the later
        ones of its integration, so the old tool sees an alert's create before its close. One list
        per integration, oldest first."""
        integrations = self.conn.execute(sa.select(_fw.c.integration_id).where(_fw.c.status == _PENDING).distinct())
        claimed: list[list[dict[str, Any]]] = []
        for (integration_id,) in integrations.all():
            head = all_dicts(
                self.conn.execute(
                    sa.select(_fw)
                    .where(_fw.c.integration_id == integration_id, _fw.c.status == _PENDING)
                    .order_by(_fw.c.queued_at, _fw.c.id)
                    .limit(per_integration)
                )
            )
            run: list[dict[str, Any]] = []
            for row in head:
                if row["due_at"] > now or (row["lease_until"] is not None and row["lease_until"] > now):
                    break
                taken = self.conn.execute(
                    _fw.update()
                    .where(
                        _fw.c.id == row["id"],
                        _fw.c.status == _PENDING,
                        sa.or_(_fw.c.lease_until.is_(None), _fw.c.lease_until <= now),
                    )
                    .values(lease_until=lease)
                )
                if taken.rowcount != 1:
                    break  # another process took it meanwhile
                run.append({**row, "headers": orjson.loads(row["headers"]), "lease_until": lease})
            if run:
                claimed.append(run)
        return claimed

    def release(self, rows: list[dict[str, Any]]) -> None:
        """Hand back forwards leased but not sent (one before them failed): due again as they were."""
        for row in rows:
            mine = sa.and_(_fw.c.id == row["id"], _fw.c.lease_until == row["lease_until"])
            self.conn.execute(_fw.update().where(mine).values(lease_until=None))

    def finish(
        self, row: dict[str, Any], outcome: ForwardOutcome, due_at: datetime | None, error: str, now: datetime
    ) -> bool:
        """Write one attempt's outcome while this process still holds the lease; whether it did. A
        sent forward is deleted; one failed for good is kept (without its headers) to be looked at."""
        mine = sa.and_(_fw.c.id == row["id"], _fw.c.lease_until == row["lease_until"])
        attempts = int(row["attempts"]) + 1
        if outcome is ForwardOutcome.SENT:
            done = self.conn.execute(_fw.delete().where(mine))
        elif outcome is ForwardOutcome.RETRY:
            values = {"attempts": attempts, "due_at": due_at, "lease_until": None, "last_error": error[:500]}
            done = self.conn.execute(_fw.update().where(mine).values(values))
        else:
            values = {"attempts": attempts, "status": "failed", "lease_until": None, "finished_at": now}
            values |= {"headers": "{}", "last_error": error[:500]}  # the key it may carry is not kept
            done = self.conn.execute(_fw.update().where(mine).values(values))
        if done.rowcount != 1:
            return False
        failures = "0" if outcome is ForwardOutcome.SENT else "forward_failures + 1"
        self.conn.execute(
            sa.text(
                f"UPDATE integrations SET forward_status = :status, forward_at = :now, "  # noqa: S608
                f"forward_failures = {failures} WHERE id = :id"
            ).bindparams(sa.bindparam("now", type_=_fw.c.queued_at.type)),
            {"status": (error or "sent")[:300], "now": now, "id": row["integration_id"]},
        )
        return True
