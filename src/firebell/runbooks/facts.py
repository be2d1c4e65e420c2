"""What a parsed runbook says: its common issues, the alert rules it defines, when it was reviewed. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from firebell.runbooks.model import Runbook, parse_date
from firebell.runbooks.placeholders import without_placeholders
from firebell.runbooks.vocabulary import Kind

_ALERT_RULE = re.compile(r"^[ \t]*-?[ \t]*alert:[ \t]*[\"']?([A-Za-z][\w:.-]*)", re.M)
_RULE_RUNBOOK = re.compile(r"^[ \t]*runbook(?:_url)?:[ \t]*[\"']?([^\"'\s]+)", re.M)
_NAMED_ALERT = re.compile(
    r"\balert(?:name)?\b\**(?:[ \t]*[:=]\**[ \t]*[`\"']?|[ \t]+[`\"'])([A-Za-z][\w:.-]*[A-Za-z0-9])", re.I
)
_NOT_NAMES = {"when", "if", "is", "fires", "firing", "for", "on", "the", "a", "an", "definitions", "rules"}


class Presence(StrEnum):
    MISSING = "missing"
    EMPTY = "empty"  # the heading or label is there, with nothing (or only a placeholder) under it
    PRESENT = "present"


@dataclass(frozen=True, slots=True)
class Issue:
    title: str
    anchor: str
    line: int
    alerts: tuple[str, ...]
    symptoms: Presence
    diagnosis: Presence
    mitigation: Presence


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    line: int
    runbook: str | None  # the rule's runbook_url (or runbook) annotation or label


@dataclass(frozen=True, slots=True)
class Review:
    on: date | None
    by: str
    line: int | None  # where the document says so; None when the server's record says so
    written: str = ""  # the date as written, when it is not a date


def alert_rules(runbook: Runbook) -> list[AlertRule]:
    """Alerting rules in the runbook's code blocks (Prometheus style: `- alert: Name`)."""
    rules: list[AlertRule] = []
    for part in runbook.parts:
        for code in part.own.code:
            starts = list(_ALERT_RULE.finditer(code.text))
            for n, match in enumerate(starts):
                body = code.text[match.start() : starts[n + 1].start() if n + 1 < len(starts) else len(code.text)]
                link = _RULE_RUNBOOK.search(body)
                line = code.line + 1 + code.text.count("\n", 0, match.start())
                rules.append(AlertRule(match[1], line, link[1] if link else None))
    return rules


def alert_names(text: str) -> list[str]:
    """Alerts a markdown text names: "**Alert**: `HighErrorRate`", 'Alert: "HighLatency" firing'."""
    names = [m[1] for m in _NAMED_ALERT.finditer(text) if m[1].lower() not in _NOT_NAMES]
    return list(dict.fromkeys(names))


def issues(runbook: Runbook) -> list[Issue]:
    """Each common issue with whether it says how to diagnose and mitigate it. A runbook for one
    scenario (top-level "Diagnosis" and "Mitigation" sections) is one issue, named by its title."""
    found = [_issue(runbook, i) for i in runbook.of_kind(Kind.ISSUE)]
    if found:
        return found
    steps = [
        i
        for i, p in enumerate(runbook.parts)
        if p.heading
        and p.kinds & {Kind.DIAGNOSIS, Kind.MITIGATION}
        and not any(Kind.MITIGATION in runbook.parts[a].kinds for a in _ancestors(runbook, i))
    ]
    if not steps:
        return []
    first = runbook.parts[steps[0]]
    named = [name for i in runbook.of_kind(Kind.ALERTS) for name in alert_names(runbook.source(i))]
    named += [rule.name for rule in alert_rules(runbook)]
    return [
        Issue(
            title=scenario_title(runbook.title) or first.title,
            anchor=first.anchor,
            line=first.line,
            alerts=tuple(dict.fromkeys(named)),
            symptoms=_presence(runbook, runbook.of_kind(Kind.SYMPTOMS)),
            diagnosis=_presence(runbook, [i for i in steps if Kind.DIAGNOSIS in runbook.parts[i].kinds]),
            mitigation=_presence(runbook, [i for i in steps if Kind.MITIGATION in runbook.parts[i].kinds]),
        )
    ]


def _issue(runbook: Runbook, index: int) -> Issue:
    part = runbook.parts[index]
    inside = list(runbook.descendants(index))

    def presence(kind: Kind) -> Presence:
        return _presence(runbook, [i for i in inside if kind in runbook.parts[i].kinds])

    return Issue(
        title=part.title,
        anchor=part.anchor,
        line=part.line,
        alerts=tuple(alert_names(runbook.source(index))),
        symptoms=presence(Kind.SYMPTOMS),
        diagnosis=presence(Kind.DIAGNOSIS),
        mitigation=presence(Kind.MITIGATION),
    )


def _presence(runbook: Runbook, indexes: list[int]) -> Presence:
    if not indexes:
        return Presence.MISSING
    return Presence.PRESENT if any(runbook.subtree(i).substantive() for i in indexes) else Presence.EMPTY


def _ancestors(runbook: Runbook, index: int) -> list[int]:
    out: list[int] = []
    parent = runbook.parts[index].parent
    while parent is not None:
        out.append(parent)
        parent = runbook.parts[parent].parent
    return out


def scenario_title(title: str) -> str:
    """ "[SERVICE] High Latency Runbook" -> "High Latency"; "Runbook: Checkout — Slow Queries" -> "Slow Queries"."""
    text = re.sub(r"\brunbook\b:?", " ", without_placeholders(title), flags=re.I)
    text = re.split(r"\s[—–-]\s|:", text)[-1]
    return " ".join(text.split())


_REVIEWED = ("last reviewed", "reviewed on", "review date", "last review", "reviewed")
_UPDATED = ("last updated", "updated", "last modified", "updated on")
_REVIEWERS = ("reviewed by", "reviewer", "reviewers", "approved by")


def review(runbook: Runbook) -> Review:
    """When the document says it was last reviewed (else last updated), and by whom."""
    stated = runbook.value_of(*_REVIEWED) or runbook.value_of(*_UPDATED)
    by = runbook.value_of(*_REVIEWERS)
    reviewer = by.value.strip() if by else ""
    if stated is None:
        return Review(None, reviewer, None)
    return Review(parse_date(stated.value), reviewer, stated.line, stated.value.strip())
