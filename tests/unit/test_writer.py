"""The group-commit writer: a failing hook or batch never leaves callers waiting."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa

from firebell.infra.db import make_engine
from firebell.infra.writer import GroupCommitWriter


def test_writer_answers_after_commit_and_survives_a_failing_hook(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (v INTEGER NOT NULL)")

    def process(conn: sa.Connection, batch: list[int]) -> list[int]:
        for value in batch:
            conn.exec_driver_sql("INSERT INTO t (v) VALUES (?)", (value,))
        return [value * 2 for value in batch]

    def broken_hook(_size: int, _depth: int) -> None:
        raise RuntimeError("metrics backend down")

    writer: GroupCommitWriter[int, int] = GroupCommitWriter(engine, process, on_batch=broken_hook)
    writer.start()

    async def run() -> list[int | BaseException]:
        first = await asyncio.gather(*(asyncio.wait_for(writer.submit(i), 5) for i in range(20)))
        # A NULL violates NOT NULL: that one fails alone, the others in its batch still commit.
        mixed = await asyncio.gather(
            *(asyncio.wait_for(writer.submit(v), 5) for v in (100, None, 101)),  # type: ignore[arg-type]
            return_exceptions=True,
        )
        return [*first, *mixed]

    results = asyncio.run(run())
    writer.stop()
    assert results[:20] == [i * 2 for i in range(20)]
    assert results[20] == 200
    assert results[22] == 202
    assert isinstance(results[21], Exception)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 22
