"""The severity decision tree: every branch, the explanation, and the next question."""

from __future__ import annotations

import pytest

from firebell.incidents.classifier import Question, classify
from firebell.kernel.severity import Sev

Q = Question


@pytest.mark.parametrize(
    ("answers", "sev", "because"),
    [
        ({Q.SERVICE_DOWN: True}, Sev.SEV1, "the service is completely down"),
        ({Q.SERVICE_DOWN: False, Q.MANY_USERS_BLOCKED: True}, Sev.SEV2, "many users cannot complete critical tasks"),
        (
            {Q.SERVICE_DOWN: False, Q.MANY_USERS_BLOCKED: False, Q.WORKAROUND: False},
            Sev.SEV2,
            "users have no workaround",
        ),
        (
            {Q.SERVICE_DOWN: False, Q.MANY_USERS_BLOCKED: False, Q.WORKAROUND: True, Q.REVENUE_OR_SECURITY: True},
            Sev.SEV2,
            "revenue or security is affected",
        ),
        (
            {
                Q.SERVICE_DOWN: False,
                Q.MANY_USERS_BLOCKED: False,
                Q.WORKAROUND: True,
                Q.REVENUE_OR_SECURITY: False,
                Q.FEW_USERS: True,
            },
            Sev.SEV3,
            "only a few users are affected",
        ),
        (
            {
                Q.SERVICE_DOWN: False,
                Q.MANY_USERS_BLOCKED: False,
                Q.WORKAROUND: True,
                Q.REVENUE_OR_SECURITY: False,
                Q.FEW_USERS: False,
                Q.COSMETIC: True,
            },
            Sev.SEV4,
            "cosmetic or minor",
        ),
        (
            {
                Q.SERVICE_DOWN: False,
                Q.MANY_USERS_BLOCKED: False,
                Q.WORKAROUND: True,
                Q.REVENUE_OR_SECURITY: False,
                Q.FEW_USERS: False,
                Q.COSMETIC: False,
            },
            Sev.SEV3,
            "partial degradation",
        ),
    ],
)
def test_each_branch_settles_with_its_reason(answers: dict[Question, bool], sev: Sev, because: str) -> None:
    result = classify(answers)
    assert result.sev is sev
    assert result.reason.startswith(f"{sev}: ")
    assert because in result.reason
    assert [step.question for step in result.path] == list(answers)
    assert result.next_question is None


def test_unanswered_questions_are_asked_in_the_trees_order() -> None:
    assert classify({}).next_question is Q.SERVICE_DOWN
    partial = classify({Q.SERVICE_DOWN: False, Q.MANY_USERS_BLOCKED: False})
    assert (partial.sev, partial.next_question) == (None, Q.WORKAROUND)
    assert partial.reason == "answer: Is there a workaround available?"


def test_answers_off_the_path_are_ignored() -> None:
    result = classify({Q.SERVICE_DOWN: True, Q.COSMETIC: True})
    assert result.sev is Sev.SEV1
    assert [step.question for step in result.path] == [Q.SERVICE_DOWN]
