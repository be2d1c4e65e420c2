"""Configurable severity targets on both databases: the `severities:` section applied and exported,
the API, the target watch recording SEV-3's investigate and SEV-4's resolve breaches in business
hours, and whom an overdue status update reminds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import yaml

from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.infra.db import transaction
from firebell.oncall.config_file import load
from firebell.oncall.export import export
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import apply
from tests.integration.conftest import PagingApp
from tests.web_login import log_in

FRIDAY_1630 = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
MONDAY_0930 = datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
SECONDS = timedelta(seconds=6)  # past a deadline by more than the watch's 5 s gap

SEVERITIES = """\
severities:
  SEV-3: {acknowledge: 2h, investigate: 4h, update_every: 1d, business_hours: true}
  P4: {acknowledge: 24h, resolve: 21d, postmortem: optional}
"""


def _apply(app: PagingApp, text: str) -> list[str]:
    config, _tree = load(text)
    with transaction(app.container.engine, write=True) as conn:
        return apply(
            config,
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=SqlCatalogRepo(conn),
            now=app.clock.now(),
            severities=SqlSeverityTargetsRepo(conn),
        )


def _export(app: PagingApp) -> dict[str, Any]:
    with transaction(app.container.engine, write=False) as conn:
        return export(
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=SqlCatalogRepo(conn),
            severities=SqlSeverityTargetsRepo(conn),
        )


def _declare(app: PagingApp, **body: Any) -> int:
    payload = {"title": "Checkout is slow", "severity": "SEV-3", "service": "checkout", **body}
    made = app.client.post("/api/v1/incidents", json=payload, headers=app.auth())
    assert made.status_code == 201, made.text
    return int(made.json()["number"])


def _post(app: PagingApp, path: str, body: Any = None) -> Any:
    answer = app.client.post(path, json=body, headers=app.auth())
    assert answer.status_code == 200, answer.text
    return answer.json()


def _view(app: PagingApp, number: int) -> Any:
    return app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()


def _missed(app: PagingApp, number: int) -> list[str]:
    return [e["message"] for e in _view(app, number)["timeline"] if e["kind"] == "target_missed"]


def _standing(app: PagingApp, number: int, target: str) -> dict[str, Any]:
    return next(s for s in _view(app, number)["targets"]["standings"] if s["target"] == target)


def _at(app: PagingApp, instant: datetime) -> None:
    app.clock.set(instant)
    app.tick()
    app.tick()  # a second pass records nothing twice


def test_severities_apply_export_and_apply_back_as_no_change(paging: PagingApp) -> None:
    assert _apply(paging, SEVERITIES) == ["set the targets of SEV-3", "set the targets of SEV-4"]
    assert _apply(paging, SEVERITIES) == []
    data = _export(paging)
    assert data["severities"] == {
        "SEV-3": {"acknowledge": "2h", "investigate": "4h", "update_every": "1d", "business_hours": True},
        "SEV-4": {"acknowledge": "1d", "resolve": "21d", "postmortem": "optional"},
    }
    assert _apply(paging, yaml.safe_dump(data, sort_keys=False)) == []
    listed = {s["sev"]: s for s in paging.client.get("/api/v1/severities", headers=paging.auth()).json()}
    assert (listed["SEV-3"]["acknowledge"], listed["SEV-3"]["investigate"]) == ("2h", "4h")
    assert (listed["SEV-4"]["resolve"], listed["SEV-4"]["postmortem"]) == ("21d", "optional")
    assert listed["SEV-1"]["overrides"] == {}
    assert listed["SEV-1"]["acknowledge"] == "5m"
    # A severity declared with no fields goes back to the playbook's values.
    assert _apply(paging, "severities:\n  SEV-4: {}\n") == ["set the targets of SEV-4 to the playbook's"]
    assert set(_export(paging)["severities"]) == {"SEV-3"}


def test_the_api_reads_and_site_admins_set_the_targets_that_incidents_then_follow(paging: PagingApp) -> None:
    with transaction(paging.container.engine, write=True) as conn:
        responder = create_token(repo=SqlIdentityRepo(conn), name="rw", scope="respond", now=paging.clock.now())
    body = {"acknowledge": "2h", "business_hours": False, "postmortem": "required", "postmortem_within": "3d"}
    refused = paging.client.put("/api/v1/severities/SEV-3", json=body, headers={"authorization": f"Bearer {responder}"})
    assert refused.status_code == 403
    bad = paging.client.put("/api/v1/severities/P3", json={"acknowlege": "2h"}, headers=paging.auth())
    assert bad.status_code == 422
    assert "acknowlege" in bad.text
    unknown = paging.client.put("/api/v1/severities/SEV-9", json={}, headers=paging.auth())
    assert unknown.status_code == 422
    saved = paging.client.put("/api/v1/severities/P3", json=body, headers=paging.auth())
    assert saved.status_code == 200, saved.text
    assert saved.json()["summary"] == (
        "acknowledge 2h, investigate 4h, updates every 1d, postmortem required within 3d"
    )
    number = _declare(paging)
    view = _view(paging, number)
    assert (view["targets"]["acknowledge_within"], view["targets"]["business_hours"]) == ("2h", False)
    assert "role:postmortem_owner" in [c["key"] for c in view["response"]["checklists"]]
    _at(paging, paging.clock.now() + timedelta(hours=2) + SECONDS)
    assert _missed(paging, number)[0] == "Acknowledge target missed: not acknowledged within 2h (SEV-3)"


def test_a_sev3_opened_friday_afternoon_is_not_late_until_monday_0930(paging: PagingApp) -> None:
    paging.clock.set(FRIDAY_1630)
    number = _declare(paging)
    paging.tick()
    _at(paging, MONDAY_0930 - timedelta(seconds=10))
    assert _missed(paging, number) == []
    targets = _view(paging, number)["targets"]
    assert (targets["acknowledge"], targets["acknowledge_by"]) == ("pending", "10s")
    assert targets["working_hours"] == "Mon-Fri 09:00-17:00 UTC"
    _at(paging, MONDAY_0930 + SECONDS)
    assert _missed(paging, number) == [
        "Acknowledge target missed: not acknowledged within 1h, counted in business hours (SEV-3)"
    ]


def test_sev3_investigate_and_sev4_resolve_breaches_are_recorded_once(paging: PagingApp) -> None:
    # Wednesday 15:00: four working hours end Thursday 11:00; fourteen working days Tuesday 24th 15:00.
    sev3, sev4, investigating = _declare(paging), _declare(paging, severity="SEV-4"), _declare(paging)
    for number in (sev3, sev4, investigating):
        _post(paging, f"/api/v1/incidents/{number}/acknowledge")
    paging.tick()
    paging.clock.advance(timedelta(hours=1))
    _post(paging, f"/api/v1/incidents/{investigating}/status", {"status": "investigating"})
    thursday_11 = datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
    _at(paging, thursday_11 - timedelta(seconds=10))
    assert _missed(paging, sev3) == []
    assert _standing(paging, sev3, "investigate")["standing"] == "pending"
    _at(paging, thursday_11 + SECONDS)
    said = "Investigate target missed: not investigating within 4h, counted in business hours (SEV-3)"
    assert _missed(paging, sev3) == [said]
    assert _standing(paging, sev3, "investigate") | {"due_at": None} == {
        "target": "investigate",
        "label": "Investigating",
        "within": "4h",
        "due_at": None,
        "standing": "breached",
        "by": "6s",
    }
    assert _standing(paging, investigating, "investigate")["standing"] == "met"
    assert [m for m in _missed(paging, investigating) if m.startswith("Investigate")] == []
    assert _missed(paging, sev4) == []
    assert _standing(paging, sev4, "resolve")["due_at"].startswith("2026-03-24T15:00:00")
    _at(paging, datetime(2026, 3, 24, 15, 0, tzinfo=UTC) + SECONDS)
    assert _missed(paging, sev4) == [
        "Resolve target missed: not resolved within 14d, counted in business hours (SEV-4)"
    ]
    assert paging.rows("SELECT count(*) FROM incident_target_breaches WHERE target IN ('investigate', 'resolve')") == [
        (2,)
    ]


def test_business_hours_are_the_services_own_when_it_has_them(paging: PagingApp) -> None:
    mornings = {"zone": "Europe/Berlin", "windows": [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "12:00"}]}
    with transaction(paging.container.engine, write=True) as conn:
        catalog = SqlCatalogRepo(conn)
        service = catalog.service_by_name("checkout")
        assert service is not None
        catalog.update_service(str(service["id"]), {"working_hours": mornings})
    number = _declare(paging)  # Wednesday 16:00 in Berlin, after its working hours
    targets = _view(paging, number)["targets"]
    assert targets["working_hours"] == "Mon-Fri 08:00-12:00 Europe/Berlin"
    assert _standing(paging, number, "acknowledge")["due_at"].startswith("2026-03-05T08:00:00")


def test_an_overdue_update_reminds_the_ic_else_who_acknowledged_else_the_highest_level_on_call(
    paging: PagingApp,
) -> None:
    commanded, acknowledged, unanswered = (_declare(paging, severity="SEV-1") for _ in range(3))
    _post(paging, f"/api/v1/incidents/{commanded}/roles", {"role": "comms_lead", "user": "carol"})
    _post(paging, f"/api/v1/incidents/{commanded}/roles", {"role": "ic", "user": "bob"})
    alice = paging.scalar("SELECT id FROM users WHERE handle = 'alice'")
    with transaction(paging.container.engine, write=True) as conn:
        conn.execute(
            sa.text("UPDATE incidents SET acknowledged_by = :user WHERE number = :number"),
            {"user": alice, "number": acknowledged},
        )
    paging.tick()
    paging.clock.advance(timedelta(minutes=5, seconds=1))
    paging.tick()  # level 2 (Carol) is paged for the unanswered ones
    paging.recorder.sent.clear()
    paging.clock.advance(timedelta(minutes=10))
    paging.tick()
    overdue = "Status update overdue: none sent for 15m (SEV-1; due 15:15 UTC); reminded"
    assert _missed(paging, commanded)[-1] == f"{overdue} Bob (Incident Commander)"
    assert _missed(paging, acknowledged)[-1] == (
        f"{overdue} Alice (acknowledged it; nobody is Incident Commander or Communications Lead)"
    )
    assert _missed(paging, unanswered)[-1] == (
        f"{overdue} Carol (on call at escalation level 2, the highest reached; "
        "nobody is Incident Commander or Communications Lead, and nobody acknowledged it)"
    )
    reminded = sorted(a for a, n in paging.recorder.sent if getattr(n, "kind", "") == "reminder")
    assert reminded == [
        "alice@example.com",
        "bob@example.com",
        "https://hooks.example/alice",
        "https://hooks.example/carol",
    ]


def test_the_pages_show_the_targets(paging: PagingApp) -> None:
    from firebell.identity.model import Role
    from firebell.identity.service import create_user

    with transaction(paging.container.engine, write=True) as conn:
        create_user(
            repo=SqlIdentityRepo(conn), email="ic@example.com", password="correct horse", role=Role.RESPONDER,
            now=paging.clock.now(),
        )  # fmt: skip
    log_in(paging.client, "ic@example.com", "correct horse")
    _apply(paging, "severities:\n  SEV-4: {resolve: 10d}\n")
    reference = paging.client.get("/classify")
    assert reference.status_code == 200
    assert "Response targets by severity" in reference.text
    assert "<td>10d</td>" in reference.text
    assert "(customised)" in reference.text
    number = _declare(paging)
    page = paging.client.get(f"/incidents/{number}")
    assert page.status_code == 200
    assert "Investigating within 4h" in page.text
    assert "Counted in business hours</a>: Mon-Fri 09:00-17:00 UTC" in page.text
