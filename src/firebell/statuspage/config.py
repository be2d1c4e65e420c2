"""The `status_page:` section of the configuration file for `firebell apply -f`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from firebell.statuspage.repo import SqlStatusPageRepo
from firebell.statuspage.schemas import StatusPageIn
from firebell.statuspage.service import DeclaredComponent, apply_components


def apply_status_page(conn: Connection, section: StatusPageIn | None, now: datetime) -> list[str]:
    """Make the stored components match the section (none given: leave them); what changed."""
    if section is None:
        return []
    declared = [DeclaredComponent(c.name, c.description, c.group) for c in section.components]
    return apply_components(repo=SqlStatusPageRepo(conn), declared=declared, now=now)
