"""Capture every change a person or a token makes, at the one place all changes pass: the database.

An audit scope is opened per request (and per admin command); once the caller is known it is named
in the scope (`set_actor`). While a scope has an actor, each INSERT, UPDATE and DELETE on an audited
table is written to `audit_log` in the same transaction, with the rows as they were before and are
after. Work no person asked for (alert intake, the engine's escalations and deliveries) runs with
no actor and is recorded where it belongs: the incident timeline and the delivery log.

Secrets (password and key digests, CSRF tokens) are never copied: they read `"<hidden>"`, and
`"<hidden, changed>"` after a change. URLs (contact methods, forward targets) are copied with their
credentials masked (kernel/urls.py).
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from firebell.audit.tables import AuditRow
from firebell.kernel.clock import Clock
from firebell.kernel.urls import masked_url

_audit = cast(sa.Table, AuditRow.__table__)

# Mechanics and logs of their own: written by the engine and intake, or themselves a history.
NOT_AUDITED = frozenset(
    {
        "audit_log",
        "web_sessions",
        "escalations",
        "pages",
        "deliveries",
        "delivery_attempts",
        "incident_events",
        "incident_target_breaches",
        "raw_payloads",
        "alert_days",
        "forwards",
    }
)
SECRET_COLUMNS = frozenset({"password_hash", "token_digest", "key_digest", "csrf_token", "secret_digest"})
HIDDEN = "<hidden>"


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    user_id: str | None
    via: str


@dataclass(slots=True)
class AuditScope:
    """A request's (or command's) holder for who is acting; filled in once they are known."""

    actor: Actor | None = None
    pending: dict[int, Any] = field(default_factory=dict)


_scope: contextvars.ContextVar[AuditScope | None] = contextvars.ContextVar("firebell_audit_scope", default=None)


def open_scope() -> contextvars.Token[AuditScope | None]:
    """Start a scope for this task; threads started from it (the framework's pool) share the holder."""
    return _scope.set(AuditScope())


def close_scope(token: contextvars.Token[AuditScope | None]) -> None:
    _scope.reset(token)


def set_actor(name: str, user_id: str | None, via: str) -> None:
    holder = _scope.get()
    if holder is not None:
        holder.actor = Actor(name[:320], user_id, via[:200])


@contextmanager
def acting_as(name: str, user_id: str | None = None, via: str = "") -> Iterator[None]:
    """Record the changes made inside as `name`'s (admin commands, scripts, tests)."""
    token = _scope.set(AuditScope(Actor(name[:320], user_id, via[:200])))
    try:
        yield
    finally:
        _scope.reset(token)


def install(engine: Engine, clock: Clock) -> None:
    """Record audited changes made through `engine`, stamped with `clock`'s time."""
    if engine in _installed:
        return
    _installed.add(engine)

    def after(conn: Connection, clauseelement: Any, multiparams: Any, params: Any, _options: Any, result: Any) -> None:
        _after(conn, clauseelement, multiparams, params, result, clock)

    event.listen(engine, "before_execute", _before)
    event.listen(engine, "after_execute", after)


_installed: weakref.WeakSet[Engine] = weakref.WeakSet()


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return masked_url(value)  # webhook and notification URLs carry credentials
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _row_doc(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): (HIDDEN if k in SECRET_COLUMNS else _jsonable(v)) for k, v in row.items()}


def _after_doc(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    doc = _row_doc(after)
    if before is not None:
        for key in SECRET_COLUMNS & set(after):
            if before.get(key) != after.get(key):
                doc[key] = f"{HIDDEN[:-1]}, changed>"
    return doc


def _table_of(statement: Any) -> sa.Table | None:
    if not isinstance(statement, sa.Insert | sa.Update | sa.Delete):
        return None
    table = statement.table
    if not isinstance(table, sa.Table) or table.name in NOT_AUDITED:
        return None
    return table


def _param_sets(multiparams: Sequence[Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    sets: list[dict[str, Any]] = []
    for item in multiparams:
        if isinstance(item, Mapping):
            sets.append(dict(item))
        elif isinstance(item, list | tuple):
            sets.extend(dict(p) for p in item if isinstance(p, Mapping))
    if not sets and params:
        sets.append(dict(params))
    return sets


def _pk(table: sa.Table, row: Mapping[str, Any]) -> str:
    return "/".join(str(row.get(c.name, "")) for c in table.primary_key.columns)


def _rows_where(
    conn: Connection, table: sa.Table, where: Any, param_sets: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    query = sa.select(table)
    if where is not None:
        query = query.where(where)
    names = (
        {b.key for b in sa.sql.visitors.iterate(where) if isinstance(b, sa.BindParameter)}
        if where is not None
        else set()
    )
    out: dict[str, dict[str, Any]] = {}
    for values in param_sets or [{}]:
        bound = {k: v for k, v in values.items() if k in names}
        for row in conn.execute(query, bound).mappings():
            found = dict(row)
            out[_pk(table, found)] = found
    return list(out.values())


def _before(conn: Connection, clauseelement: Any, multiparams: Any, params: Any, _options: Any) -> None:
    holder = _scope.get()
    if holder is None or holder.actor is None:
        return
    table = _table_of(clauseelement)
    if table is None or isinstance(clauseelement, sa.Insert):
        return
    param_sets = _param_sets(multiparams, params)
    before = _rows_where(conn, table, clauseelement.whereclause, param_sets)
    holder.pending[id(clauseelement)] = before


def _after(conn: Connection, clauseelement: Any, multiparams: Any, params: Any, result: Any, clock: Clock) -> None:
    holder = _scope.get()
    if holder is None or holder.actor is None:
        return
    table = _table_of(clauseelement)
    if table is None:
        return
    if isinstance(clauseelement, sa.Insert):
        entries = _inserted(table, clauseelement, _param_sets(multiparams, params), result)
    elif isinstance(clauseelement, sa.Delete):
        before_rows = holder.pending.pop(id(clauseelement), [])
        entries = [("delete", _pk(table, row), _row_doc(row), None) for row in before_rows]
    else:
        entries = _updated(conn, table, holder.pending.pop(id(clauseelement), []))
    if entries:
        actor, at = holder.actor, clock.now()
        rows = [
            {
                "at": at,
                "actor": actor.name,
                "actor_user_id": actor.user_id,
                "via": actor.via,
                "action": action,
                "entity": table.name,
                "entity_id": entity_id[:200],
                "before": before,
                "after": after,
            }
            for action, entity_id, before, after in entries
        ]
        conn.execute(_audit.insert(), rows)


_Entry = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]


def _inserted(table: sa.Table, statement: Any, written: list[dict[str, Any]], result: Any) -> list[_Entry]:
    keys = [c.name for c in table.primary_key.columns]
    if not written:
        written = [dict(statement.compile().params)]
    entries: list[_Entry] = []
    for values in written:
        if not any(k in values for k in keys):  # a generated key: the database's answer names it
            values = {**values, **dict(zip(keys, result.inserted_primary_key or (), strict=False))}
        entries.append(("insert", _pk(table, values), None, _after_doc(None, values)))
    return entries


def _updated(conn: Connection, table: sa.Table, before_rows: list[dict[str, Any]]) -> list[_Entry]:
    """Each row as it was and is now, in the columns that changed (and the key)."""
    keys = list(table.primary_key.columns)
    key_names = {c.name for c in keys}
    entries: list[_Entry] = []
    for row in before_rows:
        found = conn.execute(sa.select(table).where(*[c == row[c.name] for c in keys])).mappings().first()
        if found is None:
            continue
        now_row = dict(found)
        changed = {k for k in row if row[k] != now_row.get(k)} | key_names
        if changed == key_names:
            continue  # nothing changed
        before = {k: v for k, v in _row_doc(row).items() if k in changed}
        after = {k: v for k, v in _after_doc(row, now_row).items() if k in changed}
        entries.append(("update", _pk(table, row), before, after))
    return entries


def record(conn: Connection, *, action: str, entity: str, entity_id: str, after: dict[str, Any], at: datetime) -> None:
    """One entry for a change written in bulk below the audit (an import of history, say): what was
    done, by the scope's actor. Nothing when no one is acting."""
    holder = _scope.get()
    if holder is None or holder.actor is None:
        return
    actor = holder.actor
    conn.execute(
        _audit.insert(),
        {
            "at": at,
            "actor": actor.name,
            "actor_user_id": actor.user_id,
            "via": actor.via,
            "action": action,
            "entity": entity,
            "entity_id": entity_id[:200],
            "before": None,
            "after": _row_doc(after),
        },
    )
