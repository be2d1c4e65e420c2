"""`firebell classify`: the playbook's severity decision tree, asked as questions or given as flags."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from firebell.cli.main import JsonOpt, app, fail, out
from firebell.incidents.classifier import TEXT, Question, classify


@app.command("classify")
def classify_command(
    service_down: Annotated[bool | None, typer.Option("--service-down/--not-down", show_default=False)] = None,
    many_users_blocked: Annotated[
        bool | None, typer.Option("--many-users-blocked/--not-many-blocked", show_default=False)
    ] = None,
    workaround: Annotated[bool | None, typer.Option("--workaround/--no-workaround", show_default=False)] = None,
    revenue_or_security: Annotated[
        bool | None, typer.Option("--revenue-or-security/--no-revenue-or-security", show_default=False)
    ] = None,
    few_users: Annotated[bool | None, typer.Option("--few-users/--not-few-users", show_default=False)] = None,
    cosmetic: Annotated[bool | None, typer.Option("--cosmetic/--not-cosmetic", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Which severity an issue is: answer the questions (asked in turn on a terminal) or pass them as flags."""
    given = {
        Question.SERVICE_DOWN: service_down,
        Question.MANY_USERS_BLOCKED: many_users_blocked,
        Question.WORKAROUND: workaround,
        Question.REVENUE_OR_SECURITY: revenue_or_security,
        Question.FEW_USERS: few_users,
        Question.COSMETIC: cosmetic,
    }
    answers = {question: answer for question, answer in given.items() if answer is not None}
    result = classify(answers)
    while result.next_question is not None:
        if not sys.stdin.isatty():
            flag = _FLAGS[result.next_question]
            raise fail(f"not settled yet: {TEXT[result.next_question]} (pass {flag})")
        answers[result.next_question] = typer.confirm(TEXT[result.next_question])
        result = classify(answers)
    if as_json:
        path = [{"question": s.question.value, "answer": s.answer} for s in result.path]
        sys.stdout.write(json.dumps({"severity": str(result.sev), "reason": result.reason, "path": path}) + "\n")
        return
    for step in result.path:
        out.print(f"{step.text} {'yes' if step.answer else 'no'}", markup=False, highlight=False)
    out.print(result.reason, markup=False, highlight=False)


_FLAGS = {
    Question.SERVICE_DOWN: "--service-down or --not-down",
    Question.MANY_USERS_BLOCKED: "--many-users-blocked or --not-many-blocked",
    Question.WORKAROUND: "--workaround or --no-workaround",
    Question.REVENUE_OR_SECURITY: "--revenue-or-security or --no-revenue-or-security",
    Question.FEW_USERS: "--few-users or --not-few-users",
    Question.COSMETIC: "--cosmetic or --not-cosmetic",
}
