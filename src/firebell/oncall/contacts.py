"""Use cases on a person's contact methods one at a time (the web's people pages), and on teams.

`firebell apply` sets a person's methods whole; these add or remove one, with the same checks of the
address (notification_rules.address_problem). A person manages their own methods; an admin of
everything manages anyone's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from firebell.identity.model import Principal, Role
from firebell.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.oncall.escalation import parse_duration
from firebell.oncall.notification_rules import ContactKind, address_problem
from firebell.oncall.ports import OncallRepo

MAX_METHODS = 20  # per person: more is a mistake, and each one is written at every page


def may_manage(by: Principal, user_id: str, *, write: bool = True) -> None:
    """A person's contact methods (and test notifications) are theirs to change and follow, and an
    admin of everything's; a read-only token only follows."""
    if write and by.token_id is not None and not by.cap().at_least(Role.RESPONDER):
        raise PermissionDenied("a read-only token cannot change contact methods or send tests")
    if not by.is_admin and by.user_id != user_id:
        raise PermissionDenied("only the person or an admin of everything may change their contact methods")


def add_contact_method(
    *, oncall: OncallRepo, by: Principal, user_id: str, kind: str, address: str, label: str = "", delay: str = ""
) -> Mapping[str, Any]:
    """Add one contact method; `delay` (such as 1m) makes a page use it once that old, "" at once."""
    may_manage(by, user_id)
    try:
        chosen = ContactKind(kind.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in ContactKind)
        raise ValidationFailed.field("kind", f"{kind!r} is not a contact method kind (one of {kinds})") from None
    address = address.strip()
    if not address or len(address) > 2000:
        raise ValidationFailed.field("address", "give an address of 1 to 2000 characters")
    problem = address_problem(chosen, address)
    if problem is not None:
        raise ValidationFailed.field("address", problem)
    if len(label) > 200:
        raise ValidationFailed.field("label", "at most 200 characters")
    try:
        seconds = int(parse_duration(delay.strip()).total_seconds()) if delay.strip() else 0
    except ValueError as exc:
        raise ValidationFailed.field("delay", str(exc)) from None
    current = [dict(row) for row in oncall.contact_methods(user_id)]
    if any(row["kind"] == chosen.value and row["address"] == address for row in current):
        raise Conflict(f"{chosen.value} {address} is already a contact method", details=[{"field": "address"}])
    if len(current) >= MAX_METHODS:
        raise ValidationFailed.field("address", f"a person has at most {MAX_METHODS} contact methods")
    row = {
        "id": new_id(),
        "user_id": user_id,
        "kind": chosen.value,
        "address": address,
        "label": label.strip(),
        "delay_seconds": seconds,
    }
    oncall.set_contact_methods(user_id, [*current, row])
    return row


def contact_method(*, oncall: OncallRepo, user_id: str, method_id: str) -> Mapping[str, Any]:
    found = next((row for row in oncall.contact_methods(user_id) if row["id"] == method_id), None)
    if found is None:
        raise NotFound(f"no contact method {method_id} of this person", details=[{"field": "method_id"}])
    return found


def remove_contact_method(*, oncall: OncallRepo, by: Principal, user_id: str, method_id: str) -> Mapping[str, Any]:
    """Remove one contact method; pages already written for it still go out."""
    may_manage(by, user_id)
    removed = contact_method(oncall=oncall, user_id=user_id, method_id=method_id)
    oncall.set_contact_methods(user_id, [dict(r) for r in oncall.contact_methods(user_id) if r["id"] != method_id])
    return removed


def create_team(*, oncall: OncallRepo, by: Principal, name: str, now: datetime) -> str:
    """A new, empty team (an admin of everything's to make); its id."""
    if not by.is_admin:
        raise PermissionDenied("only an admin of everything may create a team")
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed.field("name", "give a team name of 1 to 200 characters")
    if oncall.team_by_name(name) is not None:
        raise Conflict(f"a team named {name} already exists", details=[{"field": "name"}])
    team_id = new_id()
    oncall.add_team({"id": team_id, "name": name, "created_at": now})
    return team_id
