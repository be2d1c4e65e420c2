"""The severity decision tree of the playbook, as a pure classifier that explains its answer.

Questions are asked in the tree's order; each answer either settles the severity or leads to the
next question. Given some answers, `classify` returns the severity once it is settled, else the next
question to ask, so the API, the CLI and the web wizard all walk the same tree one step at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from firebell.kernel.severity import Sev


class Question(StrEnum):
    SERVICE_DOWN = "service_down"
    MANY_USERS_BLOCKED = "many_users_blocked"
    WORKAROUND = "workaround_available"
    REVENUE_OR_SECURITY = "revenue_or_security"
    FEW_USERS = "few_users"
    COSMETIC = "cosmetic"


TEXT: dict[Question, str] = {
    Question.SERVICE_DOWN: "Is the service completely down?",
    Question.MANY_USERS_BLOCKED: "Are many users unable to complete critical tasks?",
    Question.WORKAROUND: "Is there a workaround available?",
    Question.REVENUE_OR_SECURITY: "Does it affect revenue or security?",
    Question.FEW_USERS: "Are only a few users affected?",
    Question.COSMETIC: "Is it a cosmetic or minor issue?",
}


@dataclass(frozen=True, slots=True)
class _Branch:
    question: Question
    settles_on: bool  # the answer that settles the severity here
    sev: Sev
    because: str


# The tree, top to bottom: each question settles on one answer, the other leads to the next question.
TREE: tuple[_Branch, ...] = (
    _Branch(Question.SERVICE_DOWN, True, Sev.SEV1, "the service is completely down"),
    _Branch(Question.MANY_USERS_BLOCKED, True, Sev.SEV2, "many users cannot complete critical tasks"),
    _Branch(Question.WORKAROUND, False, Sev.SEV2, "users have no workaround"),
    _Branch(Question.REVENUE_OR_SECURITY, True, Sev.SEV2, "revenue or security is affected"),
    _Branch(Question.FEW_USERS, True, Sev.SEV3, "only a few users are affected, and they have a workaround"),
    _Branch(Question.COSMETIC, True, Sev.SEV4, "it is cosmetic or minor"),
)
# Past the last question (not few users, not cosmetic, but a workaround and no revenue or security
# impact): partial degradation, the playbook's SEV-3.
FALLTHROUGH = (Sev.SEV3, "a partial degradation with a workaround and no revenue or security impact")


@dataclass(frozen=True, slots=True)
class Step:
    question: Question
    text: str
    answer: bool


@dataclass(frozen=True, slots=True)
class Classification:
    sev: Sev | None  # None until enough questions are answered
    reason: str  # why, in words ("SEV-2: users have no workaround")
    path: tuple[Step, ...]  # the questions answered on the way, in order
    next_question: Question | None  # what to ask next, when the severity is not settled yet


def classify(answers: Mapping[Question, bool]) -> Classification:
    """Walk the tree with `answers`; answers to questions off the path are ignored."""
    path: list[Step] = []
    for branch in TREE:
        if branch.question not in answers:
            asked = TEXT[branch.question]
            return Classification(None, f"answer: {asked}", tuple(path), branch.question)
        answer = answers[branch.question]
        path.append(Step(branch.question, TEXT[branch.question], answer))
        if answer is branch.settles_on:
            return Classification(branch.sev, f"{branch.sev}: {branch.because}", tuple(path), None)
    sev, because = FALLTHROUGH
    return Classification(sev, f"{sev}: {because}", tuple(path), None)
