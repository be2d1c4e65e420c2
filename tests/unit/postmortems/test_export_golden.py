"""The markdown export: a golden file, and the seeds' postmortem template's structure section by section.

Set FIREBELL_UPDATE_GOLDEN=1 to rewrite the golden file after a deliberate change, then read the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from firebell.incidents.roles import Role
from firebell.incidents.timeline import Entry
from firebell.kernel.severity import Sev
from firebell.postmortems.export import Document, ItemLine, SignOffLine, markdown
from firebell.postmortems.facts import AlertFact, IncidentFacts, starter_rows
from firebell.postmortems.model import SignOff, Status, starter_tables
from firebell.postmortems.rca_view import parse_tool, rca_view

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "golden" / "postmortem" / "export.md"
T0 = datetime(2025, 1, 15, 14, 20, tzinfo=UTC)


def _document() -> Document:
    facts = IncidentFacts(
        incident_id="01",
        number=42,
        title="[SEV-1] Payment processing outage",
        sev=Sev.SEV1,
        status="resolved",
        opened_at=T0,
        acknowledged_at=T0 + timedelta(minutes=2),
        identified_at=T0 + timedelta(minutes=15),
        resolving_at=T0 + timedelta(minutes=20),
        resolved_at=T0 + timedelta(minutes=55),
        detection_source="alert",
        services=("payments", "payments-db"),
        team=((Role.INCIDENT_COMMANDER, "Jane Doe"), (Role.TECH_LEAD, "John Smith"), (Role.SCRIBE, "Alice Johnson")),
        timeline=(
            Entry(T0 + timedelta(minutes=2), "status_changed", "Jane Doe", "detected → acknowledged"),
            Entry(T0 + timedelta(minutes=5), "war_room", "Jane Doe", "War room #incident-2025-01-15-payments"),
            Entry(T0 + timedelta(minutes=15), "note", "Alice Johnson", "Connection pool exhausted (max 100)"),
            Entry(T0 + timedelta(minutes=16), "checklist", "Alice Johnson", "ticked: Logs analyzed"),
            Entry(T0 + timedelta(minutes=55), "status_changed", "Jane Doe", "resolving → resolved"),
        ),
        alerts=(
            AlertFact("HighErrorRate", "alertmanager", T0 - timedelta(minutes=18), T0, T0 + timedelta(minutes=50)),
        ),
    )
    stored = {
        "five_whys": parse_tool(
            "five_whys",
            "Users saw errors\n  The application could not get database connections\n"
            "    The connection pool was exhausted\n      Traffic was 3x the pool's capacity\n",
        ),
        "fault_tree": parse_tool(
            "fault_tree",
            "Payments failing [OR]\n  Pool exhausted [AND]\n    Traffic spike\n    Pool too small\n  DNS failure",
        ),
    }
    rca = rca_view(stored, facts)
    tables = {
        **starter_tables(),
        **starter_rows(facts, [("INC-0987", "2024-10-15", "Redis connection exhaustion")]),
        "root_causes": [["Primary", "Database connection pool undersized for a traffic spike", "Capacity"]],
        "could_improve": [["No connection pool alert", "Detection delayed ~10 min", "Add monitoring"]],
    }
    return Document(
        facts=facts,
        status=Status.IN_REVIEW,
        owner="Jane Doe",
        due_at=T0 + timedelta(hours=48, minutes=55),
        written_on=date(2025, 1, 15),
        sections={
            "executive_summary": "Payments failed for 55 minutes for 12,000 customers; a bigger pool restored it.",
            "what_happened": "1. **Trigger**: a campaign tripled traffic\n2. **Proximate cause**: the pool ran out",
            "went_well": "- Alert fired within the expected time\n- On-call responded within 2 minutes",
        },
        tables=tables,
        items=[
            ItemLine(
                "AI-1", "Alert at 80 % pool use", "SRE Team", date(2025, 1, 20), "OPS-1234", "P1", "detection", "open"
            ),
            ItemLine("AI-2", "Autoscale the pool", "Platform", date(2025, 1, 31), "", "P2", "preventative", "done"),
            ItemLine("AI-3", "Capacity review", "", None, "", "P3", "preventative", "open"),
        ],
        signoffs=[SignOffLine(SignOff.POSTMORTEM_OWNER, "Jane Doe", T0 + timedelta(days=1))],
        attendees=("Jane Doe", "John Smith"),
        rca=rca.markdown,
        analysis=rca.phases,
        analysis_notes=rca.notes,
    )


def test_the_export_matches_its_golden_file() -> None:
    text = markdown(_document())
    if os.environ.get("FIREBELL_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def _headings(text: str, deepest: int = 3) -> list[str]:
    """Markdown headings down to `deepest`, outside fenced code blocks, placeholders removed."""
    found = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        match = re.match(rf"^(#{{1,{deepest}}}) (.+)$", line)
        if match and not fenced:
            found.append(re.sub(r"\{.*?\}", "", match.group(2)).strip().rstrip(":"))
    return found


# The playbook's postmortem template (seed 000), its sections in order (levels 2 and 3), and the
# header fields it asks for; written here so the tests need nothing outside the repository.
TEMPLATE_SECTIONS = (
    "Incident Team", "Executive Summary", "Impact Assessment", "User Impact", "Business Impact",
    "Technical Impact", "SLO Impact", "Timeline", "Timeline Visualization", "Root Cause Analysis",
    "What Happened", "Why It Happened (5 Whys Analysis)", "Root Causes", "Detection",
    "How Was the Incident Detected?", "Detection Gap Analysis", "Response", "What Went Well",
    "What Could Be Improved", "Recovery", "Actions Taken to Restore Service", "Verification Steps",
    "Lessons Learned", "What We Learned", "Surprising Findings", "Action Items", "Immediate (This Week)",
    "Short-term (This Sprint)", "Long-term (This Quarter)", "Prevention",
    "How Do We Prevent This From Happening Again?", "Similar Incidents to Review", "Appendix",
    "Supporting Data", "Related Documents", "Postmortem Meeting Notes", "Sign-off",
)  # fmt: skip
TEMPLATE_FIELDS = ("Incident ID", "Date", "Duration", "Severity", "Status")


def test_every_section_of_the_seeds_template_is_in_the_export_in_order() -> None:
    exported = _headings(markdown(_document()))
    position = 0
    for heading in TEMPLATE_SECTIONS:
        assert heading in exported[position:], f"{heading!r} missing or out of order"
        position = exported.index(heading, position) + 1
    for field in TEMPLATE_FIELDS:
        assert f"**{field}**: " in markdown(_document())


def test_the_export_carries_the_facts_tables_and_analysis() -> None:
    text = markdown(_document())
    assert "**Incident ID**: INC-0042  " in text
    assert "**Time to Detect (TTD)**: 18 min  " in text
    assert "| Incident Commander | Jane Doe |" in text
    assert "| Services Affected | payments, payments-db |" in text
    assert "ticked: Logs analyzed" not in text  # checklist ticks are bookkeeping, not the timeline
    assert "Connection pool exhausted (max 100)" in text
    assert "```mermaid\ngantt" in text
    assert "ROOT CAUSE: Traffic was 3x the pool's capacity" in text
    assert "  1. DNS failure" in text
    assert "  2. Pool too small AND Traffic spike" in text
    immediate = text.index("### Immediate (This Week)")
    short = text.index("### Short-term (This Sprint)")
    long_term = text.index("### Long-term (This Quarter)")
    assert immediate < text.index("| AI-1 |") < short < text.index("| AI-2 | Autoscale the pool (done)") < long_term
    assert text.index("| AI-3 | Capacity review | — | — | — | P3 |") > long_term
    assert "| Postmortem Owner | Jane Doe | 2025-01-16 |" in text
    assert "| Engineering Manager |   |   |" in text
