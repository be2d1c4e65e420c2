"""The words a runbook's headings and bold labels use for each section of the runbook template.

Real runbooks name the same section differently ("SLIs/SLOs", "Service Level Objectives (SLOs)",
"Mitigation Actions", "Resolution Steps"), so each kind is a pattern tried in order, first match wins."""

from __future__ import annotations

import re
from enum import StrEnum


class Kind(StrEnum):
    OVERVIEW = "overview"
    SLOS = "slos"
    SLIS = "slis"
    ARCHITECTURE = "architecture"
    DEPENDENCIES = "dependencies"
    MONITORING = "monitoring"
    DASHBOARDS = "dashboards"
    METRICS = "metrics"
    ALERTS = "alerts"
    ISSUES = "issues"
    ISSUE = "issue"
    SYMPTOMS = "symptoms"
    DIAGNOSIS = "diagnosis"
    MITIGATION = "mitigation"
    PROCEDURES = "procedures"
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    SCALE = "scale"
    RESTART = "restart"
    LOGS = "logs"
    CONTACTS = "contacts"
    ESCALATION = "escalation"
    MAINTENANCE = "maintenance"
    OTHER = "other"


# The operational procedures a runbook names by heading or label; the checklist asks for the first three.
PROCEDURE_KINDS = (Kind.DEPLOY, Kind.ROLLBACK, Kind.SCALE, Kind.RESTART, Kind.LOGS)

_HEADINGS: tuple[tuple[str, tuple[Kind, ...]], ...] = (
    (r"\bslis?\b.*\bslos?\b|\bslos?\b.*\bslis?\b", (Kind.SLOS, Kind.SLIS)),
    (r"\bslis?\b|service level indicator", (Kind.SLIS,)),
    (r"\bslos?\b|\bslas?\b|service level (objective|agreement)|\bobjectives\b", (Kind.SLOS,)),
    (
        r"^related|related runbooks|references|useful commands|cheat ?sheet|recent changes|changelog|history"
        r"|document info|glossary",
        (),
    ),
    (r"verif|validation", ()),
    (r"contacts?\b|who to (call|page)", (Kind.CONTACTS,)),
    (r"escalat", (Kind.ESCALATION,)),
    (r"maintenance|housekeeping", (Kind.MAINTENANCE,)),
    (r"overview|about|summary|purpose|description|service info", (Kind.OVERVIEW,)),
    (r"architecture|diagram|topology|components", (Kind.ARCHITECTURE,)),
    (r"dependenc|upstream|downstream", (Kind.DEPENDENCIES,)),
    (r"dashboard", (Kind.DASHBOARDS,)),
    (r"metrics?\b", (Kind.METRICS,)),
    (r"monitoring|observability|telemetry", (Kind.MONITORING,)),
    (r"alert|detection|trigger", (Kind.ALERTS,)),
    (
        r"common issues|known issues|issues and solutions|failure modes|scenarios|troubleshooting$|^problems",
        (Kind.ISSUES,),
    ),
    (r"symptom|signs", (Kind.SYMPTOMS,)),
    (r"diagnos|investigat|triage|troubleshooting steps|debug|prerequisite|\bchecks?\b", (Kind.DIAGNOSIS,)),
    (r"mitigat|resolution|resolv|remediat|\bfix|solution|workaround|recovery", (Kind.MITIGATION,)),
    (r"roll ?back|revert", (Kind.ROLLBACK,)),
    (r"\bscal(e|ing)\b|autoscal|capacity", (Kind.SCALE,)),
    (r"deploy|release|roll ?out", (Kind.DEPLOY,)),
    (r"restart|reboot|bounce", (Kind.RESTART,)),
    (r"\blogs?\b|logging", (Kind.LOGS,)),
    (r"procedure|operations|operational|how to|tasks", (Kind.PROCEDURES,)),
)
_COMPILED = tuple((re.compile(pattern), kinds) for pattern, kinds in _HEADINGS)

# A bold label ("**Resolution Steps**:") marks only parts inside a section, never a whole section.
_LABEL_KINDS = frozenset(
    {Kind.SYMPTOMS, Kind.DIAGNOSIS, Kind.MITIGATION, Kind.ESCALATION, Kind.DASHBOARDS, *PROCEDURE_KINDS}
)

ISSUE_PREFIX = re.compile(r"^\s*(issue|problem|scenario)\s*#?\s*\d+\s*[:.)-]\s*", re.IGNORECASE)
_NUMBERING = re.compile(r"^\s*(\d+[.)]|[a-z][.)])\s+")


def heading_kinds(title: str, parent: frozenset[Kind]) -> frozenset[Kind]:
    """The kinds of a heading: a heading right under "Common Issues" is one issue, whatever it is called."""
    if Kind.ISSUES in parent or ISSUE_PREFIX.match(title):
        return frozenset({Kind.ISSUE})
    return _match(title)


def label_kinds(label: str) -> frozenset[Kind]:
    return (_match(label) & _LABEL_KINDS) or frozenset({Kind.OTHER})


def _match(title: str) -> frozenset[Kind]:
    words = _NUMBERING.sub("", title.lower()).strip()
    for pattern, kinds in _COMPILED:
        if pattern.search(words):
            return frozenset(kinds or (Kind.OTHER,))
    return frozenset({Kind.OTHER})
