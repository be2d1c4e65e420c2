"""Checklist items 1-10: what each section of the runbook template must hold. Pure."""

from __future__ import annotations

import re

from firebell.runbooks.checklist import Finding as F
from firebell.runbooks.checklist import LintContext, Status, finding, listed
from firebell.runbooks.facts import Presence, alert_names, alert_rules, issues
from firebell.runbooks.model import Runbook
from firebell.runbooks.placeholders import find_placeholders
from firebell.runbooks.vocabulary import Kind

_TIER = re.compile(r"\btier[\s-]*(\d)\b", re.I)
_TARGET = re.compile(r"\d+(?:\.\d+)?\s*(?:%|ms\b|s\b|rps\b)", re.I)
_DIAGRAM_FENCES = {"mermaid", "plantuml", "puml", "dot", "graphviz", "d2", "ascii", "text", ""}
_ARROWS = re.compile(r"-->|->|→|↓|↑|<-|=>|\|\s*\n\s*v\b")
_DIAGRAM_LINK = re.compile(
    r"diagram|architecture|\.(png|svg|jpe?g|gif)$|draw\.io|diagrams\.net|lucid|miro|excalidraw", re.I
)
_DASHBOARD_LINK = re.compile(r"dashboard|grafana|datadog|kibana|newrelic|honeycomb|/d/", re.I)
_REACH = re.compile(r"@\w|\+?\d[\d\s().-]{6,}\d|#[\w-]+|[\w.+-]+@[\w-]+\.\w+|slack|pagerduty|opsgenie|phone", re.I)
_CONDITION = re.compile(r"[<>≥≤]|\bwhen\b|\babove\b|\bbelow\b|\bexceeds?\b|\bfor \d", re.I)


def _line(runbook: Runbook, indexes: list[int]) -> int | None:
    return runbook.parts[indexes[0]].line if indexes else None


def overview(runbook: Runbook, _context: LintContext) -> F:
    parts = runbook.of_kind(Kind.OVERVIEW)
    line = _line(runbook, parts)
    if line is None:
        return finding(1, Status.FAIL, "no overview: add a 'Service Overview' section (purpose, criticality, owner)")
    if not runbook.content_of(parts).substantive():
        return finding(1, Status.FAIL, f"the overview at line {line} is empty or still a placeholder", line)
    stated = runbook.value_of("criticality", "tier", "service tier", "business criticality")
    if stated is not None and (find_placeholders([stated.value]) or "|" in stated.value or not stated.value):
        return finding(
            1, Status.FAIL, f"the criticality at line {stated.line} is still the template's choice", stated.line
        )
    tier = _TIER.search(runbook.content_of(parts).text)
    criticality = stated.value if stated else (tier[0] if tier else None)
    if criticality is None:
        message = f"the overview at line {line} gives no criticality: add **Criticality**: Tier 1, 2 or 3"
        return finding(1, Status.FAIL, message, line)
    owner = runbook.value_of("owner", "team", "owning team", "owner team", "owners")
    if owner is None or not owner.value or find_placeholders([owner.value]):
        message = f"overview at line {line}, criticality {criticality}; no owner: add **Owner**: the owning team"
        return finding(1, Status.WARN, message, line)
    return finding(1, Status.PASS, f"overview at line {line}; criticality {criticality}; owner {owner.value}", line)


def objectives(runbook: Runbook, _context: LintContext) -> F:
    slos, slis = runbook.of_kind(Kind.SLOS), runbook.of_kind(Kind.SLIS)
    if not slos:
        where = f" (the SLIs at line {_line(runbook, slis)} have no targets)" if slis else ""
        return finding(2, Status.FAIL, f"no SLOs: add 'Service Level Objectives' with a target for each{where}")
    line = _line(runbook, slos)
    content = runbook.content_of(slos)
    targets = _TARGET.findall(content.text)
    if not targets:
        return finding(2, Status.FAIL, f"the SLOs at line {line} state no target (e.g. 99.9%, p99 < 500ms)", line)
    measured = slis or [i for i in slos if any(c.info in ("promql", "sql", "logql") for c in runbook.subtree(i).code)]
    if not measured:
        message = f"SLOs at line {line}, but no SLIs: add how each objective is measured (a query or a metric)"
        return finding(2, Status.FAIL, message, line)
    return finding(
        2, Status.PASS, f"SLOs at line {line} ({listed(targets, 3)}); SLIs at line {_line(runbook, measured)}", line
    )


def architecture(runbook: Runbook, _context: LintContext) -> F:
    parts = runbook.of_kind(Kind.ARCHITECTURE)
    line = _line(runbook, parts)
    if line is None:
        return finding(3, Status.FAIL, "no architecture section: add one with a diagram (mermaid, an image or a link)")
    content = runbook.content_of(parts)
    if any(c.info == "mermaid" or c.info in ("plantuml", "puml", "dot", "graphviz", "d2") for c in content.code):
        return finding(3, Status.PASS, f"architecture at line {line} with a diagram block", line)
    if content.images or any(_DIAGRAM_LINK.search(link.href + " " + link.text) for link in content.links):
        return finding(3, Status.PASS, f"architecture at line {line} with a diagram image or link", line)
    if any(c.info in _DIAGRAM_FENCES and _ARROWS.search(c.text) for c in content.code):
        return finding(3, Status.PASS, f"architecture at line {line} with a text diagram", line)
    message = f"the architecture section at line {line} has no diagram: add a mermaid block, an image or a link"
    return finding(3, Status.FAIL, message, line)


def dependencies(runbook: Runbook, context: LintContext) -> F:
    parts = runbook.of_kind(Kind.DEPENDENCIES)
    line = _line(runbook, parts)
    known = list(context.known_dependencies)
    if line is None:
        also = f"; the catalog says it depends on {listed(known)}" if known else ""
        return finding(4, Status.FAIL, f"no dependencies section: list what the service needs and the fallback{also}")
    content = runbook.content_of(parts)
    if not content.entries and not content.substantive():
        return finding(4, Status.FAIL, f"the dependencies section at line {line} lists nothing", line)
    words = re.sub(r"[^a-z0-9]", "", content.text.lower())
    unnamed = [name for name in known if re.sub(r"[^a-z0-9]", "", name.lower()) not in words]
    if unnamed:
        message = f"the catalog says it depends on {listed(unnamed)}, which the dependencies at line {line} do not name"
        return finding(4, Status.FAIL, message, line)
    count = f"{content.entries} entries" if content.entries else "listed"
    return finding(
        4, Status.PASS, f"dependencies at line {line}: {count}" + (" (all the catalog's named)" if known else ""), line
    )


def dashboards(runbook: Runbook, _context: LintContext) -> F:
    parts = runbook.of_kind(Kind.DASHBOARDS) + runbook.of_kind(Kind.MONITORING)
    near = [link for link in runbook.content_of(parts).links if link.href.startswith(("http://", "https://"))]
    anywhere = [
        link
        for part in runbook.parts
        for link in part.own.links
        if link.href.startswith(("http://", "https://")) and _DASHBOARD_LINK.search(link.href + " " + link.text)
    ]
    links = near or anywhere
    if links:
        return finding(
            5, Status.PASS, f"{len(links)} dashboard link(s), the first at line {links[0].line}", links[0].line
        )
    mention = _mention(runbook, "dashboard")
    if mention is not None:
        return finding(
            5, Status.FAIL, f"a dashboard is mentioned at line {mention} but no dashboard URL is given", mention
        )
    return finding(5, Status.FAIL, "no dashboards linked: add a 'Dashboards' section with a URL for each")


def alert_definitions(runbook: Runbook, _context: LintContext) -> F:
    rules = alert_rules(runbook)
    if rules:
        names = listed([r.name for r in rules])
        return finding(6, Status.PASS, f"{len(rules)} alert rule(s) from line {rules[0].line}: {names}", rules[0].line)
    parts = runbook.of_kind(Kind.ALERTS)
    for i in parts:
        text = runbook.source(i)
        if alert_names(text) and _CONDITION.search(text):
            names = listed(alert_names(text))
            line = runbook.parts[i].line
            return finding(6, Status.PASS, f"alerts named with their conditions at line {line}: {names}", line)
    trigger = runbook.value_of("trigger")
    if parts:
        line = runbook.parts[parts[0]].line
        return finding(6, Status.FAIL, f"the alerts section at line {line} names no alert with its condition", line)
    hint = f" (the **Trigger** at line {trigger.line} gives a condition but names no alert)" if trigger else ""
    return finding(
        6, Status.FAIL, f"no alert definitions: add the alerting rules, or each alert and when it fires{hint}"
    )


def common_issues(runbook: Runbook, _context: LintContext) -> F:
    found = issues(runbook)
    if not found:
        message = "no common issues: add a 'Common Issues' section, a heading per issue with diagnosis and resolution"
        return finding(7, Status.FAIL, message)
    gaps: list[tuple[int, str]] = []
    for issue in found:
        for what, presence in (("diagnosis", issue.diagnosis), ("resolution steps", issue.mitigation)):
            if presence is Presence.MISSING:
                gaps.append((issue.line, f"“{issue.title}” (line {issue.line}) has no {what}"))
            elif presence is Presence.EMPTY:
                gaps.append((issue.line, f"“{issue.title}” (line {issue.line}) has {what} with only a placeholder"))
    if gaps:
        return finding(7, Status.FAIL, "; ".join(text for _line, text in gaps), gaps[0][0])
    without = [i.title for i in found if i.symptoms is not Presence.PRESENT]
    titles = listed([i.title for i in found])
    if without:
        message = f"{len(found)} issue(s) with diagnosis and resolution; no symptoms for {listed(without)}"
        return finding(7, Status.WARN, message, found[0].line)
    return finding(
        7, Status.PASS, f"{len(found)} issue(s), each with diagnosis and resolution: {titles}", found[0].line
    )


def procedures(runbook: Runbook, _context: LintContext) -> F:
    found: dict[Kind, int] = {}
    empty: dict[Kind, int] = {}
    for i, part in enumerate(runbook.parts):
        for kind in part.kinds & {Kind.DEPLOY, Kind.ROLLBACK, Kind.SCALE, Kind.RESTART, Kind.LOGS}:
            target = found if runbook.subtree(i).substantive() else empty
            target.setdefault(kind, part.line)
    have = ", ".join(f"{k.value} (line {n})" for k, n in sorted(found.items(), key=lambda kv: kv[1]))
    missing = [k for k in (Kind.DEPLOY, Kind.ROLLBACK, Kind.SCALE) if k not in found]
    if missing:
        gaps = [
            f"the {k.value} heading at line {empty[k]} has no steps" if k in empty else f"no {k.value}" for k in missing
        ]
        message = "; ".join(gaps) + " procedure" + ("s" if len(gaps) > 1 else "") + (f" (found {have})" if have else "")
        return finding(8, Status.FAIL, message, empty.get(missing[0]))
    return finding(8, Status.PASS, f"procedures: {have}", min(found.values()))


def contacts(runbook: Runbook, _context: LintContext) -> F:
    parts = runbook.of_kind(Kind.CONTACTS)
    line = _line(runbook, parts)
    if line is None:
        escalation = _line(runbook, runbook.of_kind(Kind.ESCALATION))
        hint = f" (the escalation at line {escalation} says when, not who or how)" if escalation else ""
        return finding(9, Status.FAIL, f"no emergency contacts: add who to call and how to reach them{hint}")
    content = runbook.content_of(parts)
    if not content.entries and not content.substantive():
        return finding(9, Status.FAIL, f"the emergency contacts at line {line} list nobody", line)
    unfilled = [p for p in runbook.placeholders if any(runbook.within(i, p.line) for i in parts)]
    if unfilled:
        shown = listed(list(dict.fromkeys(p.text for p in unfilled)))
        message = f"the emergency contacts at line {line} still hold template placeholders: {shown}"
        return finding(9, Status.FAIL, message, unfilled[0].line)
    if not content.links and not _REACH.search(content.text):
        return finding(9, Status.WARN, f"the contacts at line {line} name people but no way to reach them", line)
    count = f": {content.entries} entries" if content.entries else ""
    return finding(9, Status.PASS, f"emergency contacts at line {line}{count}", line)


def maintenance(runbook: Runbook, _context: LintContext) -> F:
    parts = runbook.of_kind(Kind.MAINTENANCE)
    line = _line(runbook, parts)
    if line is None:
        message = "no maintenance procedures: add a 'Maintenance' section (windows; steps before, during, after)"
        return finding(10, Status.FAIL, message)
    if not runbook.content_of(parts).substantive():
        return finding(10, Status.FAIL, f"the maintenance section at line {line} is empty", line)
    return finding(10, Status.PASS, f"maintenance procedures at line {line}", line)


def _mention(runbook: Runbook, word: str) -> int | None:
    """The first line outside code that mentions a word."""
    code = {n for start, end in runbook.code_lines for n in range(start, end)}
    return next((n + 1 for n, text in enumerate(runbook.lines) if n not in code and word in text.lower()), None)
