"""A postmortem as markdown, section by section in the order of the blameless postmortem template.

Pure: everything comes in as a `Document` (the incident's facts, what people wrote, the RCA
diagrams already rendered as mermaid, the action items); out comes one markdown text. The
printable HTML page renders this same text, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from firebell.actionitems.model import Horizon, horizon
from firebell.incidents.timeline import Entry, markdown_table, mermaid_gantt
from firebell.postmortems.facts import IncidentFacts, span, team_rows
from firebell.postmortems.model import SECTION_BY_KEY, TABLE_BY_KEY, SignOff, Status

# Timeline entries that are bookkeeping rather than events of the incident.
_NOT_IN_TIMELINE = frozenset({"checklist", "postmortem", "action_item", "target_missed"})


@dataclass(frozen=True, slots=True)
class ItemLine:
    ref: str
    title: str
    owner: str
    due: date | None
    ticket: str
    priority: str
    kind: str
    status: str


@dataclass(frozen=True, slots=True)
class SignOffLine:
    role: SignOff
    name: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class Document:
    facts: IncidentFacts
    status: Status
    owner: str
    due_at: datetime | None
    written_on: date  # when the draft was made: action items are grouped by horizon from it
    sections: Mapping[str, str]
    tables: Mapping[str, Sequence[Sequence[str]]]
    items: Sequence[ItemLine] = ()
    signoffs: Sequence[SignOffLine] = ()
    attendees: Sequence[str] = ()
    meeting_at: datetime | None = None
    # RCA, rendered: {"five_whys": (plain text chains, mermaid), "fishbone": ..., "fault_tree": ...}
    rca: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    analysis: Sequence[tuple[str, str]] = ()  # (phase, duration) from the timeline analysis, longest first
    analysis_notes: Sequence[str] = ()


def _cell(text: str) -> str:
    return " ".join(str(text).replace("|", "\\|").split()) or " "


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _text(doc: Document, key: str) -> list[str]:
    written = doc.sections.get(key, "").strip()
    return [written] if written else [f"_To write: {SECTION_BY_KEY[key].prompt}_"]


def _spec_table(doc: Document, key: str) -> list[str]:
    spec = TABLE_BY_KEY[key]
    rows = doc.tables.get(key) or []
    if not rows:
        return [*_table(spec.columns, [["" for _ in spec.columns]]), "", "_To fill in._"]
    return _table(spec.columns, rows)


def timeline_entries(facts: IncidentFacts) -> list[Entry]:
    return [e for e in facts.timeline if e.kind not in _NOT_IN_TIMELINE]


def markdown(doc: Document) -> str:
    f = doc.facts
    out: list[str] = [f"# Incident Postmortem: {f.title}", ""]
    header = [
        ("Incident ID", f.reference),
        ("Date", f"{f.opened_at:%Y-%m-%d}"),
        (
            "Duration",
            span(f.duration) + (f" ({f.symptom_at:%H:%M} → {f.resolved_at:%H:%M} UTC)" if f.resolved_at else ""),
        ),
        ("Severity", f.sev.value),
        ("Status", doc.status.label),
        ("Time to Detect (TTD)", span(f.time_to_detect)),
        ("Time to Resolve (TTR)", span(f.time_to_resolve)),
        ("Services", ", ".join(f.services) or "—"),
        ("Postmortem Owner", doc.owner or "—"),
        ("Due", f"{doc.due_at:%Y-%m-%d %H:%M} UTC" if doc.due_at else "—"),
    ]
    out += [f"**{k}**: {v}  " for k, v in header]
    out += ["", "---", "", "## Incident Team", ""]
    out += _table(("Role", "Name"), team_rows(f))
    out += ["", f"**Meeting Attendees**: {', '.join(doc.attendees) or '—'}"]
    if doc.meeting_at:
        out.append(f"**Review Meeting**: {doc.meeting_at:%Y-%m-%d %H:%M} UTC")
    out += ["", "---", "", "## Executive Summary", "", *_text(doc, "executive_summary")]
    out += ["", "---", "", "## Impact Assessment"]
    for key in ("user_impact", "business_impact", "technical_impact", "slo_impact"):
        out += ["", f"### {TABLE_BY_KEY[key].title}", "", *_spec_table(doc, key)]
    entries = timeline_entries(f)
    out += ["", "---", "", "## Timeline", "", "All times in UTC.", "", markdown_table(entries).rstrip()]
    out += [
        "",
        "### Timeline Visualization",
        "",
        "```mermaid",
        mermaid_gantt(entries, f.title, f.resolved_at).rstrip(),
        "```",
    ]
    if doc.analysis:
        out += ["", "### Timeline Analysis", ""]
        out += _table(("Phase", "Duration"), doc.analysis)
        out += [f"- {note}" for note in doc.analysis_notes] if doc.analysis_notes else []
    out += ["", "---", "", "## Root Cause Analysis", "", "### What Happened", "", *_text(doc, "what_happened")]
    out += ["", "### Why It Happened (5 Whys Analysis)", ""]
    out += _diagram(
        doc, "five_whys", "_To write: ask why the problem happened, then why that happened, about five times._"
    )
    out += ["", "### Root Causes", "", *_spec_table(doc, "root_causes")]
    if "fishbone" in doc.rca:
        out += ["", "### Contributing Factors (Fishbone)", "", *_diagram(doc, "fishbone", "")]
    if "fault_tree" in doc.rca:
        out += ["", "### Fault Tree", "", *_diagram(doc, "fault_tree", "")]
    out += [
        "",
        "---",
        "",
        "## Detection",
        "",
        "### How Was the Incident Detected?",
        "",
        *_spec_table(doc, "detection_methods"),
    ]
    out += ["", "### Detection Gap Analysis", "", *_spec_table(doc, "detection_gap")]
    out += ["", "---", "", "## Response", "", "### What Went Well", "", *_text(doc, "went_well")]
    out += ["", "### What Could Be Improved", "", *_spec_table(doc, "could_improve")]
    out += [
        "",
        "---",
        "",
        "## Recovery",
        "",
        "### Actions Taken to Restore Service",
        "",
        *_text(doc, "recovery_actions"),
    ]
    out += ["", "### Verification Steps", "", *_text(doc, "verification")]
    out += ["", "---", "", "## Lessons Learned", "", "### What We Learned", "", *_text(doc, "lessons_learned")]
    out += ["", "### Surprising Findings", "", *_text(doc, "surprising_findings")]
    out += ["", "---", "", "## Action Items", "", "Each action item has an owner, a due date and a tracking ticket."]
    out += _items(doc)
    out += ["", "---", "", "## Prevention", "", "### How Do We Prevent This From Happening Again?", ""]
    out += _spec_table(doc, "prevention")
    out += ["", "### Similar Incidents to Review", "", *_spec_table(doc, "similar_incidents")]
    out += ["", "---", "", "## Appendix", "", "### Supporting Data", "", *_text(doc, "supporting_data")]
    out += ["", "### Related Documents", "", *_text(doc, "related_documents")]
    out += ["", "### Postmortem Meeting Notes", "", *_text(doc, "meeting_notes")]
    out += ["", "---", "", "## Sign-off", ""]
    signed = {s.role: s for s in doc.signoffs}
    out += _table(
        ("Role", "Name", "Date"),
        [
            (role.label, signed[role].name, f"{signed[role].signed_at:%Y-%m-%d}")
            if role in signed
            else (role.label, "", "")
            for role in SignOff
        ],
    )
    out += [
        "",
        "---",
        "",
        "*This postmortem is blameless: it looks for what in our systems and processes let this happen and "
        "how to improve them, not for someone to blame. Everyone involved acted in good faith on what they "
        "knew at the time.*",
        "",
    ]
    return "\n".join(out)


def _diagram(doc: Document, tool: str, empty: str) -> list[str]:
    if tool not in doc.rca:
        return [empty] if empty else []
    text, mermaid = doc.rca[tool]
    lines = ["```text", text.rstrip(), "```"] if text.strip() else []
    if mermaid.strip():
        lines += ["", "```mermaid", mermaid.rstrip(), "```"]
    return lines


def _items(doc: Document) -> list[str]:
    groups: dict[Horizon, list[ItemLine]] = {h: [] for h in Horizon}
    for item in doc.items:
        groups[horizon(item.due, doc.written_on)].append(item)
    out: list[str] = []
    for name, items in groups.items():
        out += ["", f"### {name.value}", ""]
        rows = [
            (
                i.ref,
                i.title + (" (done)" if i.status == "done" else " (won't do)" if i.status == "wont_do" else ""),
                i.owner or "—",
                i.due.isoformat() if i.due else "—",
                i.ticket or "—",
                i.priority,
            )
            for i in items
        ]
        out += _table(("ID", "Action", "Owner", "Due", "Ticket", "Priority"), rows) if rows else ["_None._"]
    return out
