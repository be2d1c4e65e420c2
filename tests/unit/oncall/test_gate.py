"""The on-call file's gate: a team's admins change what their team owns, site admins the rest."""

from __future__ import annotations

import pytest

from firebell.identity.model import Principal, Role, Scope
from firebell.kernel.errors import PermissionDenied
from firebell.oncall.gate import Gate

NAMES = {"t1": "payments", "t2": "search"}


def _person(role: Role = Role.RESPONDER, **teams: Role) -> Principal:
    return Principal("dave", frozenset(Scope), user_id="u1", role=role, teams=teams)


def test_a_team_admin_changes_only_what_the_team_owns() -> None:
    gate = Gate(_person(t1=Role.ADMIN, t2=Role.RESPONDER), NAMES)
    gate.admin("escalation_policies[0]", "t1", "t1")
    with pytest.raises(PermissionDenied) as refused:
        gate.admin("escalation_policies[0]", "t1", "t2")
    assert refused.value.message == (
        "escalation_policies[0]: this needs the admin role on team search; you are responder"
    )
    assert refused.value.details == [{"field": "escalation_policies[0]"}]
    with pytest.raises(PermissionDenied, match="for what belongs to no team"):
        gate.admin("users[0]", None)


def test_site_admins_and_the_operator_pass_everywhere() -> None:
    Gate(_person(Role.ADMIN), NAMES).admin("teams[0]", None, "t1", "t2")
    Gate().admin("teams[0]", None, "t1")  # no caller: the operator, with the database's credentials
    Gate(Principal.operator("cli"), NAMES).admin("teams[0]", None, "t2")
    with pytest.raises(PermissionDenied, match="admin scope"):
        Gate(Principal("token:ci", frozenset({Scope.RESPOND})), NAMES).admin("teams[0]", "t1")
