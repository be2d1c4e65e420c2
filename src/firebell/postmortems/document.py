"""Everything a postmortem page, its API and its export show, read in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from firebell.actionitems.model import ItemStatus, is_overdue, reference
from firebell.actionitems.repo import SqlActionItemRepo
from firebell.incidents.checklists import slug
from firebell.postmortems import blameless, model
from firebell.postmortems.export import Document, ItemLine, SignOffLine, markdown
from firebell.postmortems.facts import IncidentFacts
from firebell.postmortems.model import SECTIONS, TABLES, Readiness, SignOff, Status
from firebell.postmortems.queries import load_facts, people_names
from firebell.postmortems.rca_view import RcaView, rca_view
from firebell.postmortems.repo import SqlPostmortemRepo


@dataclass
class Loaded:
    incident: dict[str, Any]
    pm: dict[str, Any]
    facts: IncidentFacts
    signoffs: list[dict[str, Any]]
    items: list[dict[str, Any]]
    findings: list[blameless.Finding]
    readiness: Readiness
    rca: RcaView
    doc: Document

    @property
    def status(self) -> Status:
        return Status(self.pm["status"])

    @property
    def text(self) -> str:
        """The markdown: as frozen when it became final, else as it stands now."""
        if self.status is Status.FINAL and self.pm["final_markdown"]:
            return str(self.pm["final_markdown"])
        return markdown(self.doc)


def passages(pm: dict[str, Any], rca: RcaView) -> list[tuple[str, str]]:
    """The analysis the blamelessness check reads: sections, table cells and the RCA tools' text."""
    out: list[tuple[str, str]] = []
    for section in SECTIONS:
        if section.analysis and pm["sections"].get(section.key):
            out.append((section.title, pm["sections"][section.key]))
    for spec in TABLES:
        if spec.analysis:
            for row in pm["tables"].get(spec.key) or []:
                out.append((spec.title, " ".join(row)))
    out += rca.passages
    return out


def load(conn: Connection, incident: dict[str, Any], pm: dict[str, Any]) -> Loaded:
    facts = load_facts(conn, incident, pm["first_symptom_at"])
    repo = SqlPostmortemRepo(conn)
    signoffs = repo.signoffs(str(pm["id"]))
    items = SqlActionItemRepo(conn).listing(incident_id=str(incident["id"]))
    rca = rca_view(pm["rca"] or {}, facts)
    names, handles = people_names(conn, facts)
    findings = blameless.check(passages(pm, rca), names, handles)
    live = [i for i in items if i["status"] != ItemStatus.WONT_DO]
    ready = model.readiness(
        sections=pm["sections"],
        tables=pm["tables"],
        has_why_chain=rca.has_why_chain,
        action_items=len(live),
        unowned_action_items=sum(1 for i in live if not i["owner_id"] or not i["due_date"]),
        blame_findings=len(findings),
        signed=[SignOff(s["role"]) for s in signoffs],
    )
    meeting = pm["meeting"] or {}
    doc = Document(
        facts=facts,
        status=Status(pm["status"]),
        owner=str(pm["owner"] or ""),
        due_at=pm["due_at"],
        written_on=pm["created_at"].date(),
        sections=pm["sections"],
        tables=pm["tables"],
        items=[
            ItemLine(
                reference(int(i["number"])),
                str(i["title"]),
                str(i["owner"] or ""),
                i["due_date"],
                str(i["ticket"]),
                str(i["priority"]),
                str(i["kind"]),
                str(i["status"]),
            )
            for i in items
        ],
        signoffs=[SignOffLine(SignOff(s["role"]), str(s["name"]), s["signed_at"]) for s in signoffs],
        attendees=list(meeting.get("attendees") or []),
        meeting_at=datetime.fromisoformat(meeting["at"]) if meeting.get("at") else None,
        rca=rca.markdown,
        analysis=rca.phases,
        analysis_notes=rca.notes,
    )
    return Loaded(incident, pm, facts, signoffs, items, findings, ready, rca, doc)


def meeting_checklist(loaded: Loaded) -> list[dict[str, Any]]:
    """The before / during / after checklist, ticked by hand or by what Firebell can see."""
    ticks = (loaded.pm["meeting"] or {}).get("ticks") or {}
    seen = {
        ("before", "timeline-drafted"): True,  # Firebell drafts it from the incident
        ("before", "participants-invited"): bool((loaded.pm["meeting"] or {}).get("attendees")),
        ("during", "discuss-root-causes-5-whys"): loaded.rca.has_why_chain,
        ("during", "assign-action-items"): bool(loaded.items),
        ("after", "document-finalized"): loaded.status is Status.FINAL,
        ("after", "action-items-ticketed"): bool(loaded.items) and all(i["ticket"] for i in loaded.items),
    }
    out = []
    for phase, title, texts in model.MEETING_CHECKLIST:
        entries = []
        for text in texts:
            key = slug(text)
            tick = ticks.get(f"{phase}:{key}")
            auto = seen.get((phase, key), False)
            entries.append(
                {
                    "key": key,
                    "text": text,
                    "done": bool(tick) or auto,
                    "by": tick["by"] if tick else ("Firebell" if auto else ""),
                    "auto": auto and not tick,
                }
            )
        out.append({"phase": phase, "title": title, "items": entries})
    return out


def view(loaded: Loaded, now: datetime) -> dict[str, Any]:
    """The API's view of a postmortem."""
    pm, facts = loaded.pm, loaded.facts
    return {
        "id": pm["id"],
        "incident_number": facts.number,
        "incident_title": facts.title,
        "reference": facts.reference,
        "severity": facts.sev.value,
        "status": pm["status"],
        "version": pm["version"],
        "owner": pm["owner"],
        "owner_handle": pm["owner_handle"],
        "draft_due_at": pm["draft_due_at"],
        "due_at": pm["due_at"],
        "overdue": model.overdue(loaded.status, pm["due_at"], now),
        "created_at": pm["created_at"],
        "updated_at": pm["updated_at"],
        "updated_by": pm["updated_by"],
        "finalized_at": pm["finalized_at"],
        "facts": {
            "date": f"{facts.opened_at:%Y-%m-%d}",
            "opened_at": facts.opened_at,
            "resolved_at": facts.resolved_at,
            "first_symptom_at": facts.symptom_at,
            "first_symptom_set": pm["first_symptom_at"] is not None,
            "ttd_seconds": facts.time_to_detect.total_seconds(),
            "ttr_seconds": facts.time_to_resolve.total_seconds() if facts.time_to_resolve else None,
            "duration_seconds": facts.duration.total_seconds() if facts.duration else None,
            "services": list(facts.services),
            "team": [{"role": r.value, "name": n} for r, n in facts.team],
            "alerts": [{"name": a.name, "source": a.source, "started_at": a.started_at} for a in facts.alerts],
        },
        "sections": {s.key: pm["sections"].get(s.key, "") for s in SECTIONS},
        "tables": {t.key: pm["tables"].get(t.key, []) for t in TABLES},
        "rca": pm["rca"] or {},
        "rca_details": loaded.rca.details,
        "timeline_analysis": [{"phase": p, "duration": d} for p, d in loaded.rca.phases],
        "blameless_findings": [
            {"where": f.where, "excerpt": f.excerpt, "what": f.what, "principle": f.principle} for f in loaded.findings
        ],
        "ready_for_final": loaded.readiness.ready,
        "missing_for_final": list(loaded.readiness.missing),
        "signoffs": [{"role": s["role"], "name": s["name"], "signed_at": s["signed_at"]} for s in loaded.signoffs],
        "action_items": [
            {
                "ref": reference(int(i["number"])),
                "title": i["title"],
                "status": i["status"],
                "owner": i["owner"],
                "due": i["due_date"],
                "overdue": is_overdue(ItemStatus(i["status"]), i["due_date"], now.date()),
                "priority": i["priority"],
                "kind": i["kind"],
                "ticket": i["ticket"],
            }
            for i in loaded.items
        ],
        "meeting": {
            "at": (loaded.pm["meeting"] or {}).get("at"),
            "attendees": (loaded.pm["meeting"] or {}).get("attendees") or [],
            "agenda": [
                {"starts_minute": a.starts, "minutes": a.minutes, "title": a.title, "points": list(a.points)}
                for a in model.AGENDA
            ],
            "checklist": meeting_checklist(loaded),
        },
    }
