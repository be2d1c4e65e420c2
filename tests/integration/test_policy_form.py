"""The escalation-policy form editor over HTTP: levels saved from form fields, errors next to the field
that caused them, another team's admin refused, and the same policy as the YAML box saves."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.integration.conftest import App, apply_config
from tests.integration.principals import browser_session, root_user, with_teams


@pytest.fixture
def teams(app: App) -> App:
    with_teams(app)
    root_user(app)
    policy = "{name: payments-policy, team: payments, levels: [{targets: [payments-primary], timeout: 5m}]}"
    apply_config(app, f"escalation_policies:\n  - {policy}\n")
    return app


def _post(app: App, email: str, path: str, fields: dict[str, Any]) -> httpx.Response:
    browser = browser_session(app, email)
    return app.client.post(
        path, data={"csrf_token": browser.csrf, **fields}, headers=browser.headers, follow_redirects=False
    )


def _stored(app: App) -> list[tuple[object, ...]]:
    return app.rows("SELECT name, repeat, levels, rules, team_id FROM escalation_policies ORDER BY name")


TWO_LEVELS: dict[str, Any] = {
    "name": "payments-policy",
    "team": "payments",
    "repeat": "2",
    "acknowledgement_timeout": "45",
    "level-0-target": ["schedule:payments-primary", "user:alice"],
    "level-0-timeout": "10",
    "level-0-action": "Roll back the last deploy",
    "level-1-target": ["team:payments", ""],
    "level-1-timeout": "30",
    "level-1-severity": ["SEV-1", "SEV-2"],
    "level-1-urgency-SEV-2": "working_hours",
    "unresolved": "custom",
    "unresolved-SEV-1-after": "20",
    "unresolved-SEV-1-page": "user:dave",
    "unresolved-SEV-2-after": "90",
    "unresolved-SEV-2-page": "next_level",
    "unresolved-SEV-3-after": "",
    "unresolved-SEV-3-page": "team:payments",
}


def test_the_form_saves_levels_as_the_yaml_box_would(teams: App) -> None:
    app = teams
    saved = _post(app, "dave@example.com", "/policies/payments-policy/form", TWO_LEVELS)
    assert saved.status_code == 303, saved.text
    assert "updated escalation policy payments-policy" in unquote(saved.headers["location"])
    from_form = _stored(app)
    page = app.client.get("/policies/payments-policy", headers=browser_session(app, "dave@example.com").headers)
    # The form shows what was saved: targets chosen, minutes, ticked severities.
    assert re.search(r'<option value="schedule:payments-primary" selected>', page.text)
    assert re.search(r'<option value="team:payments" selected>', page.text)
    assert 'name="level-1-timeout" value="30"' in page.text
    assert re.search(r'name="level-1-severity" value="SEV-2" checked', page.text)
    assert 'name="acknowledgement_timeout" value="45"' in page.text
    assert re.search(r'name="level-1-urgency-SEV-2"[^>]*>.*?<option value="working_hours" selected>', page.text)
    assert 'name="unresolved" value="custom" checked' in page.text
    assert 'name="unresolved-SEV-2-after" value="90"' in page.text
    assert re.search(r'name="unresolved-SEV-1-page">.*?<option value="user:dave" selected>', page.text, re.S)

    # Saved through the YAML box instead, the same policy is stored word for word.
    apply_config(
        app, "escalation_policies:\n  - {name: payments-policy, team: payments, levels: [{targets: [alice]}]}\n"
    )
    assert _stored(app) != from_form
    document = """\
name: payments-policy
team: payments
repeat: 2
acknowledgement_timeout: 45m
levels:
  - {targets: [payments-primary, alice], timeout: 10m, action: Roll back the last deploy}
  - {targets: [payments], timeout: 30m, severities: [SEV-1, SEV-2], urgency: {SEV-2: working_hours}}
unresolved:
  SEV-1: {after: 20m, page: dave}
  SEV-2: {after: 90m}
"""
    assert _post(app, "dave@example.com", "/policies/payments-policy", {"document": document}).status_code == 303
    assert _stored(app) == from_form


def test_a_bad_timeout_is_named_next_to_its_field_and_nothing_changes(teams: App) -> None:
    app = teams
    before = _stored(app)
    bad = {**TWO_LEVELS, "level-1-timeout": "soon"}
    refused = _post(app, "dave@example.com", "/policies/payments-policy/form", bad)
    assert refused.status_code == 422
    assert re.search(r'<span class="field-error" id="error-level-1-timeout" role="alert">[^<]*soon', refused.text)
    assert 'name="level-1-timeout" value="soon" inputmode="numeric" size="6" required aria-invalid="true"' in (
        refused.text
    )
    assert "error-level-0-timeout" not in refused.text
    # What was typed stays in the form.
    assert 'value="Roll back the last deploy"' in refused.text
    empty = _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "level-0-timeout": ""})
    assert (empty.status_code, 'id="error-level-0-timeout"' in empty.text) == (422, True)
    nobody = _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "level-1-target": ""})
    assert (nobody.status_code, 'id="error-level-1-targets"' in nobody.text) == (422, True)
    repeat = _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "repeat": "99"})
    assert (repeat.status_code, 'id="error-repeat"' in repeat.text) == (422, True)
    late = _post(
        app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "unresolved-SEV-2-after": "later"}
    )
    assert (late.status_code, 'id="error-unresolved-SEV-2"' in late.text) == (422, True)
    assert _stored(app) == before


def test_another_teams_admin_and_a_responder_are_refused(teams: App) -> None:
    app = teams
    before = _stored(app)
    for email in ("bob@example.com", "alice@example.com", "carol@example.com"):
        refused = _post(app, email, "/policies/payments-policy/form", TWO_LEVELS)
        assert refused.status_code == 403
        assert "<h1>Not allowed</h1>" in refused.text
    # Its own admin cannot hand it to another team through the form either.
    elsewhere = _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "team": "search"})
    assert (elsewhere.status_code, "on team search" in elsewhere.text) == (403, True)
    assert _stored(app) == before


def test_editing_steps_show_the_form_again_and_save_nothing(teams: App) -> None:
    app = teams
    before = _stored(app)
    added = _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "op": "add"})
    assert added.status_code == 200
    assert 'name="level-2-timeout" value="15"' in added.text
    moved = _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "op": "down-0"})
    assert moved.text.index('value="team:payments" selected') < moved.text.index(
        'value="schedule:payments-primary" selected'
    )
    removed = _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "op": "remove-0"})
    assert 'value="schedule:payments-primary" selected' not in removed.text
    assert 'name="level-1-timeout"' not in removed.text.split("<template")[0]
    bad = _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "op": "remove-7"})
    assert bad.status_code == 422
    assert _stored(app) == before


def test_unresolved_paging_is_the_playbooks_turned_off_or_as_the_rows_say(teams: App) -> None:
    app = teams

    def rules() -> object:
        return app.rows("SELECT rules FROM escalation_policies WHERE name = 'payments-policy'")[0][0]

    assert _post(app, "dave@example.com", "/policies/payments-policy/form", TWO_LEVELS).status_code == 303
    custom = rules()
    # The rows are kept in the page but not used while another choice is made.
    assert _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "unresolved": "off"})
    off = rules()
    assert _post(app, "dave@example.com", "/policies/payments-policy/form", {**TWO_LEVELS, "unresolved": "default"})
    default = rules()
    assert len({str(custom), str(off), str(default)}) == 3
    assert "unresolved" not in str(default)
    page = app.client.get("/policies/payments-policy", headers=browser_session(app, "dave@example.com").headers)
    assert 'name="unresolved" value="default" checked' in page.text


def test_a_new_policy_from_the_form(teams: App) -> None:
    app = teams
    page = app.client.get("/policies/payments-backup", headers=browser_session(app, "dave@example.com").headers)
    assert page.status_code == 200
    assert 'name="name" value="payments-backup"' in page.text
    fields = {"name": "payments-backup", "team": "payments", "level-0-target": "user:dave", "level-0-timeout": "5"}
    assert _post(app, "dave@example.com", "/policies/payments-backup/form", fields).status_code == 303
    names = [row[0] for row in _stored(app)]
    assert names == ["payments-backup", "payments-policy"]
