"""The postmortem core: which incidents need one and by when, who owns it, its sections, its
status moves and its sign-off.

Pure: the incident's severity, roles and times come in; nothing here reads the clock or storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.incidents.checklists import slug
from firebell.incidents.roles import Role
from firebell.incidents.targets import Postmortem, Targets
from firebell.kernel.choices import parse_choice
from firebell.kernel.errors import InvalidTransition, ValidationFailed

# The playbook: the document exists within 4 hours of resolution; the meeting and the final
# document within the severity's postmortem target (SEV-1 48 h, SEV-2 a week).
DRAFT_WITHIN = timedelta(hours=4)


class Status(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    FINAL = "final"

    @property
    def label(self) -> str:
        return {"draft": "Draft", "in_review": "In Review", "final": "Final"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Status:
        return parse_choice(cls, text, field="status", aliases={"review": "in_review", "finalize": "final"})


MOVES: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.IN_REVIEW}),
    Status.IN_REVIEW: frozenset({Status.DRAFT, Status.FINAL}),
    # A final postmortem is reopened for review when something new is learnt.
    Status.FINAL: frozenset({Status.IN_REVIEW}),
}


def needs_postmortem(targets: Targets) -> bool:
    """Whether an incident with these targets (its severity's) is drafted one automatically when it resolves."""
    return targets.postmortem is Postmortem.REQUIRED


@dataclass(frozen=True, slots=True)
class Deadlines:
    draft_due_at: datetime
    due_at: datetime | None  # final, with the meeting held; None where the severity sets no target


def deadlines(targets: Targets, resolved_at: datetime) -> Deadlines:
    """Counted in calendar time: the postmortem follows the resolution, whatever hours the response kept."""
    within = targets.postmortem_within
    return Deadlines(resolved_at + DRAFT_WITHIN, resolved_at + within if within is not None else None)


def owner(roles: Sequence[tuple[Role, str]]) -> str | None:
    """The Postmortem Owner, else the Incident Commander (the latest holder of each), else nobody."""
    for wanted in (Role.POSTMORTEM_OWNER, Role.INCIDENT_COMMANDER):
        holders = [user for role, user in roles if role is wanted]
        if holders:
            return holders[-1]
    return None


class SignOff(StrEnum):
    """Who signs a postmortem off before it is final, as the template's sign-off table has it."""

    POSTMORTEM_OWNER = "postmortem_owner"
    ENGINEERING_MANAGER = "engineering_manager"
    SERVICE_OWNER = "service_owner"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").title()

    @classmethod
    def parse(cls, text: str) -> SignOff:
        aliases = {"owner": "postmortem_owner", "manager": "engineering_manager", "em": "engineering_manager"}
        return parse_choice(cls, text, field="role", aliases=aliases)


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    prompt: str  # what to write, shown in the editor and in an empty export section
    analysis: bool = False  # checked for blaming language


# The parts people write, in the template's order (the facts Firebell fills in sit between them).
SECTIONS: tuple[Section, ...] = (
    Section(
        "executive_summary",
        "Executive Summary",
        "Two or three sentences for a reader who may not be technical: what happened, the impact, "
        "and how service was restored.",
    ),
    Section(
        "what_happened",
        "What Happened",
        "The failure chain: trigger, proximate cause, contributing "
        "factors, failure mode, user impact; with specific details and data.",
        analysis=True,
    ),
    Section("went_well", "What Went Well", "What helped: keep doing these."),
    Section("lessons_learned", "What We Learned", "The lessons, as short numbered statements.", analysis=True),
    Section("surprising_findings", "Surprising Findings", "What nobody expected.", analysis=True),
    Section("recovery_actions", "Actions Taken to Restore Service", "The steps, in order, that restored service."),
    Section(
        "verification", "Verification Steps", "The commands and checks that showed service was healthy, with output."
    ),
    Section("supporting_data", "Supporting Data", "Graphs, figures and logs from the incident window."),
    Section("related_documents", "Related Documents", "Runbooks, procedures and links."),
    Section("meeting_notes", "Postmortem Meeting Notes", "Raw notes from the review meeting."),
)

SECTION_KEYS = frozenset(s.key for s in SECTIONS)
SECTION_BY_KEY: dict[str, Section] = {s.key: s for s in SECTIONS}


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One of the template's tables people fill in: its columns, and the rows it starts with."""

    key: str
    title: str
    columns: tuple[str, ...]
    starter_rows: tuple[tuple[str, ...], ...] = ()
    analysis: bool = False


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "user_impact",
        "User Impact",
        ("Metric", "Value"),
        (
            ("Users Affected", ""),
            ("Percentage of Total Users", ""),
            ("Failed Transactions", ""),
            ("Support Tickets Created", ""),
        ),
    ),
    TableSpec(
        "business_impact",
        "Business Impact",
        ("Metric", "Value"),
        (("Revenue Impact", ""), ("SLA Breach", ""), ("Contractual Penalties", ""), ("Brand/Reputation", "")),
    ),
    TableSpec(
        "technical_impact",
        "Technical Impact",
        ("Metric", "Value"),
        (("Services Affected", ""), ("Regions Affected", ""), ("Data Loss", ""), ("Recovery Actions Required", "")),
    ),
    TableSpec("slo_impact", "SLO Impact", ("SLO", "Target", "Actual (Incident Window)", "Monthly Budget Remaining")),
    TableSpec("root_causes", "Root Causes", ("Type", "Description", "Category"), analysis=True),
    TableSpec("detection_methods", "How Was the Incident Detected?", ("Method", "Time to Detect", "Details")),
    TableSpec(
        "detection_gap",
        "Detection Gap Analysis",
        ("Question", "Answer"),
        (
            ("Could we have detected earlier?", ""),
            ("What alert should have fired first?", ""),
            ("Why didn't it fire?", ""),
        ),
        analysis=True,
    ),
    TableSpec("could_improve", "What Could Be Improved", ("Issue", "Impact", "Improvement"), analysis=True),
    TableSpec(
        "prevention",
        "How Do We Prevent This From Happening Again?",
        ("Prevention Measure", "Implementation", "Timeline"),
    ),
    TableSpec(
        "similar_incidents", "Similar Incidents to Review", ("Incident", "Date", "Similarity", "Lessons Applied?")
    ),
)

TABLE_BY_KEY: dict[str, TableSpec] = {t.key: t for t in TABLES}
MAX_TEXT = 20_000
MAX_ROWS = 50
MAX_CELL = 2_000


def check_sections(values: Mapping[str, object]) -> dict[str, str]:
    """Validated section texts (only known keys, strings, bounded)."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if key not in SECTION_KEYS:
            raise ValidationFailed.field(
                f"sections.{key}", f"unknown section; use one of {', '.join(sorted(SECTION_KEYS))}"
            )
        if not isinstance(value, str):
            raise ValidationFailed.field(f"sections.{key}", "must be text")
        if len(value) > MAX_TEXT:
            raise ValidationFailed.field(f"sections.{key}", f"at most {MAX_TEXT} characters")
        out[key] = value.strip()
    return out


def check_tables(values: Mapping[str, object]) -> dict[str, list[list[str]]]:
    """Validated table rows: known tables, rows of as many text cells as the table has columns."""
    out: dict[str, list[list[str]]] = {}
    for key, rows in values.items():
        spec = TABLE_BY_KEY.get(key)
        if spec is None:
            raise ValidationFailed.field(f"tables.{key}", f"unknown table; use one of {', '.join(TABLE_BY_KEY)}")
        if not isinstance(rows, list) or len(rows) > 4 * MAX_ROWS:
            raise ValidationFailed.field(f"tables.{key}", f"a list of at most {MAX_ROWS} rows")
        clean: list[list[str]] = []
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(spec.columns):
                raise ValidationFailed.field(
                    f"tables.{key}.{i}", f"a row of {len(spec.columns)} cells: {', '.join(spec.columns)}"
                )
            cells = []
            for cell in row:
                if not isinstance(cell, str) or len(cell) > MAX_CELL:
                    raise ValidationFailed.field(
                        f"tables.{key}.{i}", f"cells are text of at most {MAX_CELL} characters"
                    )
                cells.append(" ".join(cell.split()))
            if any(cells):
                clean.append(cells)
        if len(clean) > MAX_ROWS:
            raise ValidationFailed.field(f"tables.{key}", f"at most {MAX_ROWS} rows")
        out[key] = clean
    return out


def starter_tables() -> dict[str, list[list[str]]]:
    return {t.key: [list(r) for r in t.starter_rows] for t in TABLES if t.starter_rows}


@dataclass(frozen=True, slots=True)
class Readiness:
    """What stands between a postmortem and Final."""

    missing: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.missing


def readiness(
    *,
    sections: Mapping[str, str],
    tables: Mapping[str, Sequence[Sequence[str]]],
    has_why_chain: bool,
    action_items: int,
    unowned_action_items: int,
    blame_findings: int,
    signed: Sequence[SignOff],
) -> Readiness:
    """The template's own rules: a summary, what happened, a why analysis and root causes; action
    items each with an owner and a due date; blameless language; every sign-off."""
    missing: list[str] = []
    for key in ("executive_summary", "what_happened"):
        if not sections.get(key, "").strip():
            missing.append(f"write the {SECTION_BY_KEY[key].title} section")
    if not has_why_chain:
        missing.append("add a 5 whys analysis")
    if not any(any(cell.strip() for cell in row[1:]) for row in tables.get("root_causes", [])):
        missing.append("list the root causes")
    if action_items == 0:
        missing.append("add at least one action item")
    elif unowned_action_items:
        missing.append(f"give {unowned_action_items} action item(s) an owner and a due date")
    if blame_findings:
        missing.append(f"reword {blame_findings} passage(s) the blamelessness check flags")
    for role in SignOff:
        if role not in signed:
            missing.append(f"sign-off by the {role.label}")
    return Readiness(tuple(missing))


def move(current: Status, target: Status, ready: Readiness) -> Status:
    """Draft → In Review → Final; back to Draft from review; Final reopens for review. Final needs
    everything `readiness` asks for."""
    if target is current or target not in MOVES[current]:
        allowed = ", ".join(sorted(s.value for s in MOVES[current]))
        raise InvalidTransition(
            f"a postmortem cannot move from {current.value} to {target.value}; from {current.value}: {allowed}",
            details=[{"field": "status", "allowed": sorted(s.value for s in MOVES[current])}],
        )
    if target is Status.FINAL and not ready.ready:
        raise InvalidTransition(
            "not ready to be final: " + "; ".join(ready.missing),
            details=[{"field": "status", "missing": list(ready.missing)}],
        )
    return target


def overdue(status: Status, due_at: datetime | None, now: datetime) -> bool:
    return status is not Status.FINAL and due_at is not None and now > due_at


@dataclass(frozen=True, slots=True)
class AgendaItem:
    starts: int  # minutes into the meeting
    minutes: int
    title: str
    points: tuple[str, ...]


# The review meeting, 60 minutes, as the guide lays it out.
AGENDA: tuple[AgendaItem, ...] = (
    AgendaItem(
        0,
        5,
        "Introduction and ground rules",
        ("Blameless: we are here to learn", "Improve systems and processes", "Everyone speaks"),
    ),
    AgendaItem(
        5,
        10,
        "Timeline walkthrough",
        (
            "The Incident Commander walks through the timeline",
            "Key events",
            "Clarifying questions only: no analysis yet",
        ),
    ),
    AgendaItem(15, 10, "What went well", ("What helped", "What to keep doing")),
    AgendaItem(
        25,
        15,
        "What could be improved",
        ("What would we do differently", "What slowed detection or resolution", "Systemic issues"),
    ),
    AgendaItem(
        40,
        15,
        "Action items",
        (
            "Brainstorm improvements",
            "Prioritise by impact and effort",
            "An owner and a due date for each",
            "Specific and actionable",
        ),
    ),
    AgendaItem(55, 5, "Wrap-up", ("Read back the action items", "Schedule follow-ups", "Thank everyone")),
)

# The postmortem checklist: before, during and after the meeting.
MEETING_CHECKLIST: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "before",
        "Before the meeting",
        ("Timeline drafted", "Impact data collected", "Participants invited", "Document shared for async input"),
    ),
    (
        "during",
        "During the meeting",
        (
            "Review timeline together",
            "Discuss root causes (5 whys)",
            "Identify what went well",
            "Identify improvements",
            "Assign action items",
        ),
    ),
    (
        "after",
        "After the meeting",
        (
            "Document finalized",
            "Action items ticketed",
            "Summary shared with org",
            "Follow-up meeting scheduled (if needed)",
        ),
    ),
)

MEETING_ITEMS: frozenset[tuple[str, str]] = frozenset(
    (phase, slug(item)) for phase, _title, items in MEETING_CHECKLIST for item in items
)
