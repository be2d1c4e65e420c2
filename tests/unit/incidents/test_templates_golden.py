"""Every shipped communication template, rendered from one incident, against its golden file.

Set FIREBELL_UPDATE_GOLDEN=1 to rewrite the files after a deliberate change, then read the diff.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firebell.incidents.comms import TEMPLATES, Facts, context, subject_and_body
from firebell.incidents.sandbox import Sandbox, render_text
from firebell.incidents.templating import default_source
from firebell.kernel.severity import Sev

SANDBOX = Sandbox(65_536)


def render(source: str, variables: dict[str, object]) -> str:
    return render_text(SANDBOX, source, variables)


GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "comms"

FACTS = Facts(
    number=42,
    title="[SEV-1] API Service Outage",
    sev=Sev.SEV1,
    status="identified",
    impact="All API requests failing with 503 errors, affecting 100% of users",
    service="api-gateway",
    services=("api-gateway", "auth"),
    opened_at=datetime(2025, 1, 15, 14, 32, tzinfo=UTC),
    resolved_at=None,
    roles={"incident_commander": ["Jane Doe"], "tech_lead": ["John Smith"], "scribe": ["Alice Johnson"]},
    war_room="incident-2025-01-15-api-service-outage",
    url="https://firebell.example.com/incidents/42",
    now=datetime(2025, 1, 15, 14, 57, tzinfo=UTC),
    update_every=timedelta(minutes=15),  # SEV-1's cadence
    next_update_at=datetime(2025, 1, 15, 15, 12, tzinfo=UTC),
)

FIELDS = {
    "situation": "- API gateway returning 503 errors\n- Downstream services appear healthy",
    "actions": "- Rollback initiated at 14:52 UTC\n- Rollback completed at 14:55 UTC",
    "next_steps": "- Monitoring for full recovery",
    "progress": "Error rate dropping from 100% to 5%",
    "eta": "15:05 UTC",
    "root_cause": "Deployment at 14:28 UTC set the gateway's max connections to 10",
    "resolution": "Rolled back to the previous version",
    "postmortem_at": "2025-01-16 10:00 UTC",
    "action_items": "3",
    "impact_summary": "- Duration: 28 minutes\n- Users affected: ~50,000",
    "follow_up": "- Add validation to the deployment pipeline",
    "symptoms": "errors when calling the API",
}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_template_matches_its_golden_file(key: str) -> None:
    template = TEMPLATES[key]
    fields = {f: FIELDS[f] for f in template.fields}
    facts = FACTS
    if key.startswith(("resolution", "customer.resolved")):
        facts = replace(FACTS, status="resolved", resolved_at=datetime(2025, 1, 15, 15, 0, tzinfo=UTC))
    subject, body = subject_and_body(render(default_source(key), context(facts, fields)), f"[{key}]")
    text = f"Subject: {subject}\n\n{body}"
    golden = GOLDEN / f"{key}.txt"
    if os.environ.get("FIREBELL_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_blank_fields_fall_back_to_words_not_gaps() -> None:
    for key in TEMPLATES:
        body = render(default_source(key), context(FACTS, {}))
        assert "None" not in body, key
        assert "{{" not in body, key
        assert "\n\n\n" not in body, key
