"""Two nodes upgrade one database at once: one migrates, the other says in one line that it waits for
another node's migration, then finds the schema current and goes on; neither fails.

The test holds the migration lock itself while the two `firebell db upgrade` processes start, so both
are sure to find it taken (each says so once); when it lets go, they race for it, and the loser waits
for the winner's migration to commit."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from firebell.infra.migrate import MIGRATE_LOCK, WAITING, head
from tests.conftest import FIREBELL, LOOPBACK_ALLOWED, REPORTS
from tests.e2e.peers import wait_for


@contextlib.contextmanager
def _held(database_url: str) -> Iterator[None]:
    """The lock a migrating node holds, taken by the test."""
    if database_url.startswith("sqlite"):
        database = sa.engine.make_url(database_url).database
        assert database is not None
        fd = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            os.close(fd)
        return
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATE_LOCK})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATE_LOCK})
    finally:
        engine.dispose()


def _revision(database_url: str) -> str | None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    finally:
        engine.dispose()


def test_two_nodes_upgrading_at_once_take_turns(database_url: str, tmp_path: Path) -> None:
    env = {**LOOPBACK_ALLOWED, **os.environ, "FIREBELL_DATABASE_URL": database_url}
    errs = [tmp_path / f"node{n}.err" for n in range(2)]
    with _held(database_url):
        nodes = [
            subprocess.Popen(
                [str(FIREBELL), "db", "upgrade"], env=env, stdout=subprocess.PIPE, stderr=err.open("wb"), text=True
            )
            for err in errs
        ]
        wait_for(lambda: all(WAITING in err.read_text() for err in errs), timeout=60, what="both nodes to wait")
        time.sleep(0.5)
        assert all(node.poll() is None for node in nodes)  # both wait while the lock is held
        released = time.monotonic()
    outs = [node.communicate(timeout=120)[0] for node in nodes]
    took = time.monotonic() - released
    texts = [err.read_text() for err in errs]
    REPORTS.append(
        f"migrations at once ({database_url.split(':')[0]}): two `db upgrade` processes waited, then both "
        f"finished {took:.1f} s after the lock was free; stderr lines {[len(t.splitlines()) for t in texts]}"
    )
    assert [node.returncode for node in nodes] == [0, 0], texts
    for out, text in zip(outs, texts, strict=True):
        assert text.splitlines() == [WAITING]  # one line, no traceback
        assert f"database at revision {head()}" in out
    assert _revision(database_url) == head()
