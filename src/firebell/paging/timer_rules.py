"""Setting paging timers: the policy's unresolved rule when its escalation first runs, and the
acknowledgement timeout when a person acknowledges. Firing them is `paging.timers`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from firebell.kernel.ids import new_id
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import Policy

UNRESOLVED = "unresolved"
ACK_TIMEOUT = "ack_timeout"


class TimerRepo(Protocol):
    def add_once(self, values: dict[str, Any]) -> bool: ...

    def cancel(self, incident_id: str, kind: str, now: datetime) -> int: ...

    def finish(self, timer_id: str, state: str, now: datetime) -> None: ...


def _timer(incident_id: str, kind: str, sev: Sev, due_at: datetime, now: datetime, **more: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "incident_id": incident_id,
        "kind": kind,
        "sev": sev.value,
        "due_at": due_at,
        "state": "pending",
        "policy_id": more.get("policy_id"),
        "user_id": more.get("user_id"),
        "target": more.get("target") or {},
        "created_at": now,
        "done_at": None,
    }


def arm_unresolved(
    timers: TimerRepo, *, incident_id: str, policy_id: str, policy: Policy, sev: Sev, opened_at: datetime, now: datetime
) -> bool:
    """Set the policy's unresolved rule for `sev` on the incident, once; whether one was set."""
    rule = policy.rules.unresolved.get(sev)
    if rule is None:
        return False
    target = {"kind": rule.target.kind.value, "ref": rule.target.ref} if rule.target else {}
    seconds = int(rule.after.total_seconds())
    return timers.add_once(
        _timer(
            incident_id,
            UNRESOLVED,
            sev,
            opened_at + rule.after,
            now,
            policy_id=policy_id,
            target={**target, "after_seconds": seconds},
        )
    )


def arm_acknowledgement_timeout(
    timers: TimerRepo, *, incident_id: str, policy: Policy | None, sev: Sev, user_id: str, now: datetime
) -> None:
    """After a person's acknowledgement, page them again once the policy's timeout runs out unresolved."""
    timers.cancel(incident_id, ACK_TIMEOUT, now)
    timeout = policy.rules.acknowledgement_timeout if policy is not None else None
    if timeout is not None:
        timers.add_once(_timer(incident_id, ACK_TIMEOUT, sev, now + timeout, now, user_id=user_id))
