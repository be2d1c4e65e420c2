"""Fixtures the fault tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import need_peer
from tests.faults.pg_cluster import Cluster, server_binaries


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of the test's own, to stop, start, freeze and thaw."""
    need_peer(None if server_binaries() else "PostgreSQL's server binaries (Debian postgresql) are not installed")
    made = Cluster()
    try:
        made.start()
        made.create_database()
        yield made
    finally:
        made.remove()
