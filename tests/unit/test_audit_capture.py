"""The audit capture on a real (in-memory) SQLite database: every statement shape Firebell's
repositories use, secrets hidden, no entry without an actor or for unaudited tables."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from firebell.audit import capture
from firebell.audit.tables import AuditRow
from firebell.kernel.clock import ManualClock

md = sa.MetaData()
things = sa.Table(
    "things",
    md,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("password_hash", sa.String),
)
quiet = sa.Table("web_sessions", md, sa.Column("id", sa.String, primary_key=True))


@pytest.fixture
def engine() -> sa.Engine:
    engine = sa.create_engine("sqlite://")
    AuditRow.__table__.create(engine)  # type: ignore[attr-defined]
    md.create_all(engine)
    capture.install(engine, ManualClock())
    return engine


def log(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(AuditRow.__table__).order_by(sa.text("id"))).mappings()  # type: ignore[arg-type]
        return [{k: r[k] for k in ("actor", "via", "action", "entity_id", "before", "after")} for r in rows]


def test_inserts_updates_and_deletes_of_every_shape(engine: sa.Engine) -> None:
    with capture.acting_as("alice@example.com", "u1", "POST /x"), engine.begin() as conn:
        conn.execute(things.insert(), {"id": "a", "name": "one", "password_hash": "h1"})
        conn.execute(
            things.insert(),
            [{"id": "b", "name": "two", "password_hash": "h"}, {"id": "c", "name": "3", "password_hash": "h"}],
        )
        conn.execute(things.insert().values(id="d", name="four", password_hash="h"))
        conn.execute(things.update().where(things.c.id == "a").values(name="uno", password_hash="h2"))
        conn.execute(
            things.update().where(things.c.id == sa.bindparam("b_id")).values(name=sa.bindparam("b_name")),
            [{"b_id": "b", "b_name": "dos"}, {"b_id": "c", "b_name": "3"}],  # c does not change
        )
        conn.execute(things.delete().where(things.c.name == "four"))
    entries = log(engine)
    assert [(e["action"], e["entity_id"]) for e in entries] == [
        ("insert", "a"),
        ("insert", "b"),
        ("insert", "c"),
        ("insert", "d"),
        ("update", "a"),
        ("update", "b"),
        ("delete", "d"),
    ]
    assert {e["actor"] for e in entries} == {"alice@example.com"}
    assert entries[0]["after"] == {"id": "a", "name": "one", "password_hash": "<hidden>"}
    assert entries[4]["before"] == {"id": "a", "name": "one", "password_hash": "<hidden>"}
    assert entries[4]["after"] == {"id": "a", "name": "uno", "password_hash": "<hidden, changed>"}
    assert (entries[5]["before"], entries[5]["after"]) == ({"id": "b", "name": "two"}, {"id": "b", "name": "dos"})
    assert entries[6]["after"] is None


def test_nothing_without_an_actor_nor_for_unaudited_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(things.insert(), {"id": "a", "name": "one", "password_hash": ""})
    token = capture.open_scope()  # a request whose caller is never known (intake, say)
    try:
        with engine.begin() as conn:
            conn.execute(things.update().values(name="two"))
    finally:
        capture.close_scope(token)
    with capture.acting_as("bob"), engine.begin() as conn:
        conn.execute(quiet.insert(), {"id": "s1"})
    assert log(engine) == []


def test_a_rolled_back_change_leaves_no_entry(engine: sa.Engine) -> None:
    def fail_midway() -> None:
        with capture.acting_as("carol"), engine.begin() as conn:
            conn.execute(things.insert(), {"id": "a", "name": "one", "password_hash": ""})
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        fail_midway()
    assert log(engine) == []
