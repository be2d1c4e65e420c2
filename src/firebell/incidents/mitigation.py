"""The playbook's mitigation decision tree, as a guided step.

Questions in the tree's order: recent deployment? resource issue? external dependency? data issue?
The first "yes" picks the strategy; four "no"s engage a subject matter expert. After trying it, the
outcome is "resolved" (monitor and verify) or "not resolved" (escalate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Question(StrEnum):
    RECENT_DEPLOYMENT = "recent_deployment"
    RESOURCE_ISSUE = "resource_issue"
    EXTERNAL_DEPENDENCY = "external_dependency"
    DATA_ISSUE = "data_issue"


class Strategy(StrEnum):
    ROLLBACK = "rollback"
    SCALE_UP = "scale_up"
    CIRCUIT_BREAKER = "circuit_breaker"
    FAILOVER = "failover"
    ENGAGE_SME = "engage_sme"


class Outcome(StrEnum):
    RESOLVED = "resolved"
    NOT_RESOLVED = "not_resolved"


TEXT: dict[Question, str] = {
    Question.RECENT_DEPLOYMENT: "Did the issue start after a recent deployment?",
    Question.RESOURCE_ISSUE: "Is it resource exhaustion (CPU, memory, connections)?",
    Question.EXTERNAL_DEPENDENCY: "Is a downstream or external dependency failing?",
    Question.DATA_ISSUE: "Is it a data issue, or is the primary region or database unavailable?",
}


@dataclass(frozen=True, slots=True)
class Plan:
    strategy: Strategy
    title: str
    risk: str
    steps: tuple[str, ...]
    verify: tuple[str, ...]


PLANS: dict[Strategy, Plan] = {
    Strategy.ROLLBACK: Plan(
        Strategy.ROLLBACK,
        "Roll back the deployment",
        "Low: returns to a known-good state",
        ("Roll back to the previous release (e.g. `kubectl rollout undo deployment/<service>`)",),
        ("Watch the rollout finish", "Check the error rate returns to normal"),
    ),
    Strategy.SCALE_UP: Plan(
        Strategy.SCALE_UP,
        "Scale up resources",
        "Low: adds capacity",
        ("Add replicas or raise limits (e.g. `kubectl scale deployment/<service> --replicas=N`)",),
        ("Check the new instances are healthy", "Check response times"),
    ),
    Strategy.CIRCUIT_BREAKER: Plan(
        Strategy.CIRCUIT_BREAKER,
        "Enable the circuit breaker",
        "Medium: may degrade functionality",
        ("Turn on the circuit breaker or fallback for the failing dependency",),
        ("Check the error rate decreases", "Verify the fallback behaviour"),
    ),
    Strategy.FAILOVER: Plan(
        Strategy.FAILOVER,
        "Fail over to the secondary",
        "Medium: the secondary may lag behind",
        ("Apply the failover procedure", "Point traffic (DNS) at the secondary"),
        ("Verify the secondary serves traffic", "Check data consistency"),
    ),
    Strategy.ENGAGE_SME: Plan(
        Strategy.ENGAGE_SME,
        "Engage a subject matter expert",
        "None in itself: brings in the people who know the system",
        ("Page or invite the expert of the affected component and assign them the SME role",),
        ("Agree on a hypothesis and a next mitigation with the expert",),
    ),
}

_TREE: tuple[tuple[Question, Strategy], ...] = (
    (Question.RECENT_DEPLOYMENT, Strategy.ROLLBACK),
    (Question.RESOURCE_ISSUE, Strategy.SCALE_UP),
    (Question.EXTERNAL_DEPENDENCY, Strategy.CIRCUIT_BREAKER),
    (Question.DATA_ISSUE, Strategy.FAILOVER),
)


@dataclass(frozen=True, slots=True)
class Walk:
    strategy: Strategy | None  # settled, or None while a question is unanswered
    next_question: Question | None
    path: tuple[tuple[Question, bool], ...]

    @property
    def plan(self) -> Plan | None:
        return PLANS[self.strategy] if self.strategy is not None else None


def decide(answers: Mapping[Question, bool]) -> Walk:
    """Walk the tree with the answers given; stop at the first "yes" or the first unanswered question."""
    path: list[tuple[Question, bool]] = []
    for question, strategy in _TREE:
        if question not in answers:
            return Walk(None, question, tuple(path))
        path.append((question, answers[question]))
        if answers[question]:
            return Walk(strategy, None, tuple(path))
    return Walk(Strategy.ENGAGE_SME, None, tuple(path))


def next_step(outcome: Outcome) -> str:
    """What the tree says after an outcome."""
    if outcome is Outcome.RESOLVED:
        return "Monitor and verify"
    return "Escalate"
