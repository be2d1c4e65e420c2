"""Playbook use cases on in-memory fakes: writing and deleting playbooks, and attaching one to an
incident, which adds its steps to the incident's checklists once and refuses a closed incident."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from firebell.incidents.targets import DEFAULTS, SeverityTargets
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.playbooks.model import Source
from firebell.playbooks.service import attach_playbook, delete_playbook, find, playbooks, save_playbook

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
CUSTOM = {
    "name": "Payments outage",
    "incident_type": "outage",
    "phases": [{"title": "Triage", "steps": ["Provider checked"]}, {"title": "Fix", "steps": ["Switched", "Tested"]}],
}


class FakePlaybooks:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.attached: list[dict[str, Any]] = []

    def stored(self) -> list[dict[str, Any]]:
        return [self.rows[k] for k in sorted(self.rows)]

    def get(self, key: str) -> Mapping[str, Any] | None:
        return self.rows.get(key)

    def save(self, values: dict[str, Any]) -> None:
        self.rows[values["key"]] = dict(values)

    def delete(self, key: str) -> int:
        return 1 if self.rows.pop(key, None) else 0

    def attachments(self, incident_id: str) -> list[dict[str, Any]]:
        return [a for a in self.attached if a["incident_id"] == incident_id]

    def attach(self, values: dict[str, Any]) -> bool:
        if any(a["playbook_key"] == values["playbook_key"] for a in self.attachments(values["incident_id"])):
            return False
        self.attached.append(values)
        return True


class FakeIncidents:
    """Just enough of the incident domain's ResponseRepo for its checklists and timeline."""

    def __init__(self, status: str = "investigating") -> None:
        self.row: dict[str, Any] = {"id": "i1", "number": 7, "status": status, "sev": "SEV-2", "opened_at": NOW}
        self.items: list[dict[str, Any]] = []
        self.events: list[tuple[str, str]] = []

    def get(self, incident_id: str) -> Mapping[str, Any] | None:
        return self.row if incident_id == "i1" else None

    def checklist_items(self, incident_id: str) -> list[dict[str, Any]]:
        return list(self.items)

    def add_checklist_items(self, rows: list[dict[str, Any]]) -> None:
        self.items += rows

    def roles(self, incident_id: str) -> list[dict[str, Any]]:
        return []

    def mitigations(self, incident_id: str) -> list[dict[str, Any]]:
        return []

    def severity_targets(self) -> SeverityTargets:
        return DEFAULTS

    def add_event(self, incident_id: str, at: datetime, kind: str, message: str, **_: Any) -> None:
        self.events.append((kind, message))


def _attach(repo: FakePlaybooks, incidents: FakeIncidents, key: str) -> int:
    done = attach_playbook(repo=repo, incidents=incidents, incident_id="i1", key=key, actor="ana", at=NOW)
    return done.added


def test_attaching_writes_the_incident_lists_then_the_playbook_phases_once() -> None:
    repo, incidents = FakePlaybooks(), FakeIncidents()
    assert _attach(repo, incidents, "security") == 24
    lists = list(dict.fromkeys(i["list_key"] for i in incidents.items))
    assert lists[:5] == ["detection", "investigation", "communication", "mitigation", "resolution"]
    assert lists[-6:] == [
        "playbook:security:triage",
        "playbook:security:contain",
        "playbook:security:investigate",
        "playbook:security:communicate",
        "playbook:security:resolve",
        "playbook:security:follow-up",
    ]
    contain = [i for i in incidents.items if i["list_key"] == "playbook:security:contain"]
    assert {i["list_title"] for i in contain} == {"Security incident: Containment (first 15 min)"}
    assert contain[0]["item_key"] == "affected-hosts-or-containers-cut-off-from-the-network-not-powered-off"[:64]
    positions = [i["position"] for i in incidents.items]
    assert positions == list(range(len(positions)))
    assert incidents.events == [("playbook_attached", "Playbook 'Security incident' attached: 24 steps in 6 phases")]
    before = len(incidents.items)
    assert _attach(repo, incidents, "security") == 0
    assert (len(incidents.items), len(incidents.events)) == (before, 1)


def test_attaching_is_refused_on_a_closed_incident_and_for_an_unknown_playbook() -> None:
    with pytest.raises(Conflict, match="cannot attach a playbook to incident #7: it is closed") as closed:
        _attach(FakePlaybooks(), FakeIncidents("closed"), "security")
    assert closed.value.details == [{"field": "status", "state": "closed"}]
    incidents = FakeIncidents()
    with pytest.raises(ValidationFailed, match=r"^playbook: no playbook 'nope'; use one of outage, latency") as bad:
        _attach(FakePlaybooks(), incidents, "nope")
    assert bad.value.details[0]["field"] == "playbook"
    assert incidents.items == []
    with pytest.raises(NotFound):
        attach_playbook(repo=FakePlaybooks(), incidents=incidents, incident_id="i2", key="outage", actor="a", at=NOW)


def test_custom_playbooks_and_edited_builtins_are_saved_found_and_deleted() -> None:
    repo = FakePlaybooks()
    listed, created = save_playbook(repo=repo, key="payments", document=CUSTOM, actor="ana", now=NOW)
    assert (created, listed.source, listed.playbook.describe()) == (True, Source.CUSTOM, "3 steps in 2 phases")
    _again, created = save_playbook(repo=repo, key="payments", document=CUSTOM, actor="ana", now=NOW + timedelta(1))
    assert created is False
    edited, created = save_playbook(repo=repo, key="outage", document=CUSTOM, actor="ana", now=NOW)
    assert (created, edited.source, find(repo, "outage").playbook.name) == (False, Source.EDITED, "Payments outage")
    assert [(p.playbook.key, p.source.value) for p in playbooks(repo)][::5] == [
        ("outage", "edited"),
        ("payments", "custom"),
    ]
    assert delete_playbook(repo=repo, key="outage").source is Source.BUILT_IN
    assert find(repo, "outage").playbook.name == "Service outage"
    with pytest.raises(Conflict, match="ships with Firebell"):
        delete_playbook(repo=repo, key="outage")
    assert delete_playbook(repo=repo, key="payments").playbook.name == "Payments outage"
    with pytest.raises(NotFound, match="no playbook 'payments'"):
        find(repo, "payments")
    with pytest.raises(ValidationFailed) as bad:
        save_playbook(
            repo=repo,
            key="payments",
            document={**CUSTOM, "phases": [{"title": "T", "steps": [""]}]},
            actor="a",
            now=NOW,
        )
    assert bad.value.details[0]["field"] == "phases.0.steps.0"
