"""Who may do what where: scopes cap roles, team roles count on a team's things, own role elsewhere."""

from __future__ import annotations

import pytest

from firebell.identity.model import Principal, Role, Scope, Team, parse_role, parse_scopes
from firebell.kernel.errors import PermissionDenied, ValidationFailed

PAYMENTS, SEARCH = Team("t1", "payments"), Team("t2", "search")
EVERY = frozenset(Scope)


def user(role: Role, teams: dict[str, Role] | None = None, scopes: frozenset[Scope] = EVERY) -> Principal:
    return Principal(name="u@example.com", scopes=scopes, user_id="u1", role=role, teams=teams or {})


def test_a_team_role_counts_on_that_teams_things_and_viewer_elsewhere() -> None:
    alice = user(Role.RESPONDER, {"t1": Role.ADMIN})
    assert alice.role_on(PAYMENTS) is Role.ADMIN
    assert alice.role_on(SEARCH) is Role.VIEWER  # not a member
    assert alice.role_on(None) is Role.RESPONDER  # her own role, for what no team owns


def test_an_admin_of_everything_is_admin_on_every_team() -> None:
    root = user(Role.ADMIN)
    assert [root.role_on(t) for t in (PAYMENTS, SEARCH, None)] == [Role.ADMIN] * 3
    assert root.is_admin


def test_a_token_scope_caps_its_user_and_a_userless_token_has_its_scope_everywhere() -> None:
    capped = user(Role.ADMIN, scopes=frozenset({Scope.READ}))
    assert capped.role_on(PAYMENTS) is Role.VIEWER
    assert not capped.is_admin
    service = Principal(name="token:ci", scopes=frozenset({Scope.RESPOND}))
    assert service.role_on(PAYMENTS) is Role.RESPONDER
    assert service.role_on(None) is Role.RESPONDER
    assert not service.is_admin
    assert Principal(name="token:root", scopes=frozenset({Scope.ADMIN})).is_admin


@pytest.mark.parametrize(
    ("who", "team", "message"),
    [
        (
            user(Role.VIEWER, {"t1": Role.VIEWER}),
            PAYMENTS,
            "this needs the responder role on team payments; you are viewer",
        ),
        (
            user(Role.RESPONDER, {"t1": Role.RESPONDER}),
            SEARCH,
            "this needs the responder role on team search; you are viewer",
        ),
        (user(Role.VIEWER), None, "this needs the responder role for what belongs to no team; you are viewer"),
        (
            Principal(name="token:ro", scopes=frozenset({Scope.READ})),
            PAYMENTS,
            "this needs a token with the respond scope",
        ),
    ],
)
def test_refusals_name_what_is_missing(who: Principal, team: Team | None, message: str) -> None:
    with pytest.raises(PermissionDenied) as refused:
        who.require(Role.RESPONDER, team)
    assert refused.value.message == message


def test_scopes_and_roles_parse_with_the_old_write_scope_as_respond() -> None:
    assert parse_scopes("read, respond") == {Scope.READ, Scope.RESPOND}
    assert parse_scopes("WRITE") == {Scope.RESPOND}
    with pytest.raises(ValidationFailed, match="use read, respond or admin"):
        parse_scopes("root")
    assert parse_role(" Viewer ") is Role.VIEWER
    with pytest.raises(ValidationFailed, match="use viewer, responder or admin"):
        parse_role("owner")
