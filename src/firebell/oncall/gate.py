"""Who may change what an on-call file declares.

What decides a team's paging (its schedules, its escalation policies, its services' bindings, its
members) is changed by that team's admins or by site admins; what belongs to no team (people, new
teams, policies and schedules of no team), by site admins only. `apply` asks the gate before it keeps
each change; a gate without a caller asks nothing: the operator running `firebell apply` holds the
database's own credentials, which can change anything anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from firebell.identity.model import Principal, Role, Team
from firebell.kernel.errors import PermissionDenied


@dataclass(frozen=True, slots=True)
class Gate:
    caller: Principal | None = None
    team_names: Mapping[str, str] = field(default_factory=dict)  # team id -> name, for messages

    def admin(self, where: str, *team_ids: str | None) -> None:
        """Refuse unless the caller is an admin of each team given (None: of what belongs to no team)."""
        if self.caller is None:
            return
        for team_id in dict.fromkeys(team_ids):
            team = Team(team_id, self.team_names.get(team_id, team_id)) if team_id else None
            try:
                self.caller.require(Role.ADMIN, team)
            except PermissionDenied as exc:
                raise PermissionDenied(f"{where}: {exc.message}", details=[{"field": where}]) from None
