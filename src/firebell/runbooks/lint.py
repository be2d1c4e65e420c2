"""Lint a runbook against the runbook creation checklist. Pure: today's date is passed in.

A runbook passes when none of the twelve items fails; warnings (and placeholders, item 0) are allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from firebell.runbooks import checks
from firebell.runbooks.checklist import Finding, LintContext, Status, finding, listed
from firebell.runbooks.facts import Review, alert_rules, review
from firebell.runbooks.model import Runbook

MAX_PLACEHOLDER_FINDINGS = 25


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    reviewed_on: date | None
    stale: bool  # never reviewed, or longer ago than stale_after_days
    stale_after_days: int

    @property
    def passed(self) -> bool:
        return not self.failed_items

    @property
    def failed_items(self) -> list[int]:
        return [f.item for f in self.findings if f.status is Status.FAIL and f.item]

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.status is Status.WARN)


def lint(runbook: Runbook, context: LintContext) -> Report:
    stated = context.review or review(runbook)
    findings = [
        checks.overview(runbook, context),
        checks.objectives(runbook, context),
        checks.architecture(runbook, context),
        checks.dependencies(runbook, context),
        checks.dashboards(runbook, context),
        checks.alert_definitions(runbook, context),
        checks.common_issues(runbook, context),
        checks.procedures(runbook, context),
        checks.contacts(runbook, context),
        checks.maintenance(runbook, context),
        reviewed(stated, context.today, context.stale_after_days),
        linked(runbook, context),
        *placeholders(runbook),
    ]
    age = (context.today - stated.on).days if stated.on else None
    stale = age is None or age > context.stale_after_days
    return Report(tuple(findings), stated.on, stale, context.stale_after_days)


def reviewed(stated: Review, today: date, stale_after_days: int) -> Finding:
    """Item 11: a review date no older than `stale_after_days`, and who reviewed it."""
    where = f" (line {stated.line})" if stated.line else ""
    if stated.on is None:
        if stated.written:
            message = f"the review date{where} is “{stated.written}”, not a date: write YYYY-MM-DD"
            return finding(11, Status.FAIL, message, stated.line)
        message = "no review date: add **Last Reviewed**: YYYY-MM-DD and **Reviewed by**: who on the on-call team"
        return finding(11, Status.FAIL, message)
    age = (today - stated.on).days
    if age > stale_after_days:
        message = (
            f"last reviewed {stated.on}{where}, {age} days ago: older than {stale_after_days} days, review it again"
        )
        return finding(11, Status.FAIL, message, stated.line)
    if age < -1:  # a day's slack for time zones
        return finding(11, Status.WARN, f"the review date {stated.on}{where} is in the future", stated.line)
    if not stated.by:
        message = f"reviewed {stated.on}{where}, {age} days ago, but nobody is named: add **Reviewed by**:"
        return finding(11, Status.WARN, message, stated.line)
    message = f"reviewed {stated.on}{where} by {stated.by}, {age} days ago; due again in {stale_after_days - age} days"
    return finding(11, Status.PASS, message, stated.line)


def linked(runbook: Runbook, context: LintContext) -> Finding:
    """Item 12: the alerting system leads here (rules carry runbook_url, or the server links the service)."""
    if context.linked_by:
        return finding(12, Status.PASS, context.linked_by)
    rules = alert_rules(runbook)
    bare = [r for r in rules if not r.runbook]
    if rules and not bare:
        return finding(12, Status.PASS, f"all {len(rules)} alert rule(s) carry a runbook link", rules[0].line)
    if rules and len(bare) < len(rules):
        names = listed([f"{r.name} (line {r.line})" for r in bare])
        return finding(12, Status.WARN, f"alert rules without a runbook_url annotation: {names}", bare[0].line)
    if rules:
        message = f"none of the {len(rules)} alert rule(s) from line {rules[0].line} carries a runbook_url annotation"
        return finding(12, Status.FAIL, message, rules[0].line)
    message = "nothing links alerts here: add a runbook_url annotation to each alert rule, or attach it to a service"
    return finding(12, Status.FAIL, message)


def placeholders(runbook: Runbook) -> list[Finding]:
    shown = runbook.placeholders[:MAX_PLACEHOLDER_FINDINGS]
    found = [
        finding(0, Status.WARN, f"“{p.text}” at line {p.line} is a template placeholder; fill it in", p.line)
        for p in shown
    ]
    if len(runbook.placeholders) > len(shown):
        more = len(runbook.placeholders) - len(shown)
        found.append(finding(0, Status.WARN, f"{more} more placeholder(s) after line {shown[-1].line}", shown[-1].line))
    return found
