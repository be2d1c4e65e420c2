"""The top of an incident's page, for the engineer who opens it on a phone at 3 a.m.: its state, who
is paged now and whether each page got through, what escalation does next and when.

Pure: it reads the incident's row, its escalations, pages and deliveries as the adapters return
them, the policies those escalations run, and the time; the page renders what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firebell.kernel.severity import Sev
from firebell.oncall.escalation import Policy, step
from firebell.paging.model import RESPONDER, EscalationState, direct_policy

_ENDED_STATES = frozenset({"resolved", "closed"})


@dataclass(frozen=True, slots=True)
class ChannelState:
    """The latest notification of one page on one channel."""

    channel: str
    status: str  # pending, sent, failed, cancelled
    error: str = ""


@dataclass(frozen=True, slots=True)
class Paged:
    """One person paged, on which level of which policy, and how each channel fared."""

    user_id: str
    person: str
    level: int
    policy: str  # the policy's name; empty for a person paged directly (a reassignment, a responder)
    responder: bool  # asked to join, not the incident's own escalation
    paged_at: datetime
    channels: tuple[ChannelState, ...]

    @property
    def delivery(self) -> str:
        """`sent` when any channel got through, else `pending` while one may, else `failed`
        (`none` when the person has nothing to send to)."""
        states = {c.status for c in self.channels}
        for state in ("sent", "pending", "failed"):
            if state in states:
                return state
        return "cancelled" if states else "none"


@dataclass(frozen=True, slots=True)
class NextStep:
    """What escalation does next, and when."""

    due_at: datetime
    what: str  # "level 2 of Checkout on-call", "Bob Okafor paged again", ...
    exhausts: bool = False  # no level is left: escalation runs out at `due_at`


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    status: str
    sev: str
    service: str
    opened_at: datetime
    age: str  # how long it has been open ("14m", "2h 5m", "3d 4h"); once resolved, how long it lasted
    acknowledged_by: str  # a name; empty when not acknowledged or unknown
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    ended: bool  # resolved or closed: nothing more is paged
    paging_now: bool  # some escalation of the incident is still paging
    paged: tuple[Paged, ...]
    next: NextStep | None

    @property
    def failed(self) -> tuple[Paged, ...]:
        return tuple(p for p in self.paged if p.delivery == "failed")


def format_age(seconds: float) -> str:
    """A span in its two largest units: `45s`, `14m`, `2h 5m`, `3d 4h`."""
    s = max(0, int(seconds))
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{s}s"


def summarize(
    incident: Mapping[str, Any],
    *,
    escalations: Sequence[Mapping[str, Any]],
    pages: Sequence[Mapping[str, Any]],
    deliveries: Sequence[Mapping[str, Any]],
    policies: Mapping[str, Policy],
    names: Mapping[str, str],
    now: datetime,
) -> IncidentSummary:
    """The summary of `incident` at `now`.

    `escalations`, `pages` and `deliveries` are the incident's rows (as the paging repository reads
    them); `policies` the policies they run, by id; `names` people's names by user id.
    """
    status = str(incident["status"])
    ended = status in _ENDED_STATES
    by_id = {str(e["id"]): e for e in escalations}
    active = [e for e in escalations if e["state"] == EscalationState.ACTIVE.value] if not ended else []
    acknowledger = incident.get("acknowledged_by")
    return IncidentSummary(
        status=status,
        sev=str(incident["sev"]),
        service=str(incident.get("service") or ""),
        opened_at=incident["opened_at"],
        age=format_age(((incident.get("resolved_at") or now) - incident["opened_at"]).total_seconds()),
        acknowledged_by=names.get(str(acknowledger), "") if acknowledger else "",
        acknowledged_at=incident.get("acknowledged_at"),
        resolved_at=incident.get("resolved_at"),
        ended=ended,
        paging_now=bool(active),
        paged=_paged(by_id, active, pages, deliveries, policies),
        next=None if ended else _next(incident, active, policies, names),
    )


def _paged(
    by_id: Mapping[str, Mapping[str, Any]],
    active: Sequence[Mapping[str, Any]],
    pages: Sequence[Mapping[str, Any]],
    deliveries: Sequence[Mapping[str, Any]],
    policies: Mapping[str, Policy],
) -> tuple[Paged, ...]:
    """The people the still-paging escalations paged; when none pages any more, those the latest
    escalation that paged anyone did. One row a person and escalation: their latest page."""
    if active:
        wanted = {str(e["id"]) for e in active}
    else:
        paging = [by_id[str(p["escalation_id"])] for p in pages if str(p["escalation_id"]) in by_id]
        latest = max(paging, key=lambda e: e["started_at"], default=None)
        wanted = {str(latest["id"])} if latest is not None else set()
    latest_page: dict[tuple[str, str], Mapping[str, Any]] = {}
    for page in sorted(pages, key=lambda p: (p["paged_at"], p["step"])):
        if str(page["escalation_id"]) in wanted:
            latest_page[(str(page["escalation_id"]), str(page["user_id"]))] = page
    by_page: dict[str, dict[str, Mapping[str, Any]]] = {}
    for delivery in sorted(deliveries, key=lambda d: (d["created_at"], str(d["id"]))):
        if delivery.get("page_id"):
            by_page.setdefault(str(delivery["page_id"]), {})[str(delivery["channel"])] = delivery
    shown = []
    for (escalation_id, user_id), page in latest_page.items():
        escalation = by_id[escalation_id]
        policy = policies.get(str(escalation.get("policy_id") or ""))
        channels = tuple(
            ChannelState(channel, str(d["status"]), str(d.get("last_error") or ""))
            for channel, d in sorted(by_page.get(str(page["id"]), {}).items())
        )
        shown.append(
            Paged(
                user_id=user_id,
                person=str(page.get("display_name") or page.get("handle") or "someone"),
                level=int(page["level"]),
                policy=policy.name if policy is not None else "",
                responder=escalation.get("kind") == "responder",
                paged_at=page["paged_at"],
                channels=channels,
            )
        )
    return tuple(sorted(shown, key=lambda p: (p.responder, p.level, p.paged_at)))


def _next(
    incident: Mapping[str, Any],
    active: Sequence[Mapping[str, Any]],
    policies: Mapping[str, Policy],
    names: Mapping[str, str],
) -> NextStep | None:
    """The soonest thing an active escalation does next."""
    due = [e for e in active if e.get("next_due_at") is not None]
    if not due:
        return None
    escalation = min(due, key=lambda e: e["next_due_at"])
    at: datetime = escalation["next_due_at"]
    person = names.get(str(escalation.get("assignee_id") or ""), "")
    taken = int(escalation.get("steps_taken") or 0)
    if escalation.get("kind") == RESPONDER or escalation.get("policy_id") is None:
        # One person paged again and again until they acknowledge (a reassignment, a responder).
        person = person or "the person"
        if taken >= direct_policy(str(escalation.get("assignee_id"))).step_count:
            return NextStep(at, f"{person}'s page runs out: nobody acknowledged", exhausts=True)
        return NextStep(at, f"{person} paged again")
    base = policies.get(str(escalation["policy_id"]))
    sev = escalation.get("sev") or incident["sev"]
    policy = base.for_severity(Sev(sev)) if base is not None else None
    if policy is None:
        return NextStep(at, "the escalation policy runs")
    if taken >= policy.step_count:
        return NextStep(at, f"{policy.name} runs out: nobody left to page", exhausts=True)
    upcoming = step(policy, escalation["started_at"], taken)
    again = f", round {upcoming.round + 1}" if upcoming.round else ""
    return NextStep(at, f"level {policy.number(upcoming.level)}{again} of {policy.name}")
