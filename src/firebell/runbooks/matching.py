"""Which section of a runbook an alert's link should open: the common issue that names the alert,
else the heading whose words best match the alert's name. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from firebell.runbooks.facts import alert_rules, issues
from firebell.runbooks.model import Runbook
from firebell.runbooks.vocabulary import ISSUE_PREFIX, Kind

_SYNONYMS = {
    "db": "database",
    "err": "error",
    "errors": "error",
    "5xx": "error",
    "conn": "connection",
    "conns": "connection",
    "connections": "connection",
    "mem": "memory",
    "oom": "memory",
    "slow": "latency",
    "slowness": "latency",
    "latencies": "latency",
    "p99": "latency",
    "p95": "latency",
    "crashloop": "crash",
    "crashlooping": "crash",
    "looping": "crash",
    "exhaustion": "exhausted",
}
_IGNORED = {"alert", "alerts", "the", "a", "an", "is", "on", "of", "for", "and", "or", "too", "service", "issue"}
MIN_SHARE = 0.5  # at least half the alert's words must be in the heading


@dataclass(frozen=True, slots=True)
class Section:
    anchor: str
    title: str


def words(name: str) -> set[str]:
    """ "DatabaseConnectionPoolExhausted", "high_latency", "HTTP5xxErrors" -> comparable words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    out: set[str] = set()
    for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()):
        word = _SYNONYMS.get(word, word)
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = _SYNONYMS.get(word[:-1], word[:-1])
        if word and word not in _IGNORED and not word.isdigit():
            out.add(word)
    return out


def section_for_alert(runbook: Runbook, alert: str) -> Section | None:
    """The best section for an alert: the issue naming it, the anchor its rule links to, the heading
    sharing most of its words; else the common issues section, the only issue or the alerts section;
    None for the top of the page."""
    wanted = _key(alert)
    for issue in issues(runbook):
        if any(_key(name) == wanted for name in issue.alerts):
            return Section(issue.anchor, issue.title)
    headings = {p.anchor: p.title for p in runbook.parts if p.heading}
    for rule in alert_rules(runbook):
        fragment = (rule.runbook or "").rpartition("#")[2]
        if _key(rule.name) == wanted and fragment in headings:
            return Section(fragment, headings[fragment])
    best = _closest(runbook, alert)
    if best is not None:
        return best
    fallbacks = [i for i in runbook.of_kind(Kind.ISSUES) if runbook.parts[i].heading]
    if not fallbacks and issues(runbook):
        return Section(issues(runbook)[0].anchor, issues(runbook)[0].title)
    fallbacks += [i for i in runbook.of_kind(Kind.ALERTS) if runbook.parts[i].heading]
    return Section(runbook.parts[fallbacks[0]].anchor, runbook.parts[fallbacks[0]].title) if fallbacks else None


def _closest(runbook: Runbook, alert: str) -> Section | None:
    """The heading sharing the largest share of the alert's words (issues win ties)."""
    asked = words(alert)
    if not asked:
        return None
    candidates = [Section(i.anchor, i.title) for i in issues(runbook)]
    candidates += [Section(p.anchor, p.title) for p in runbook.parts if p.heading and p.depth > 1]
    best: tuple[float, float] | None = None
    chosen: Section | None = None
    for candidate in candidates:
        offered = words(ISSUE_PREFIX.sub("", candidate.title))
        shared = len(asked & offered)
        if not offered or shared / len(asked) < MIN_SHARE:
            continue
        score = (shared / len(asked), shared / len(offered))
        if best is None or score > best:
            best, chosen = score, candidate
    return chosen


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())
