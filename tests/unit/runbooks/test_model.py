"""Reading markdown runbooks: headings of the four template shapes, header fields, anchors, alert rules."""

from __future__ import annotations

from datetime import date

import pytest

from firebell.runbooks.facts import AlertRule, Presence, alert_rules, issues, review, scenario_title
from firebell.runbooks.model import anchors, parse, slug
from firebell.runbooks.render import render_html
from firebell.runbooks.vocabulary import Kind
from tests.unit.runbooks.conftest import fixture


@pytest.mark.parametrize(
    ("title", "kinds"),
    [
        ("Service Overview", {Kind.OVERVIEW}),
        ("Overview", {Kind.OVERVIEW}),
        ("SLIs/SLOs", {Kind.SLOS, Kind.SLIS}),
        ("Service Level Objectives (SLOs)", {Kind.SLOS}),
        ("Service Level Indicators (SLIs)", {Kind.SLIS}),
        ("Monitoring and Alerts", {Kind.MONITORING}),
        ("Alert Definitions", {Kind.ALERTS}),
        ("Detection", {Kind.ALERTS}),
        ("Common Issues and Solutions", {Kind.ISSUES}),
        ("Issue 1: High Error Rate (5xx Errors)", {Kind.ISSUE}),
        ("Investigation Steps", {Kind.DIAGNOSIS}),
        ("Mitigation Actions", {Kind.MITIGATION}),
        ("Rollback deployment", {Kind.ROLLBACK}),
        ("Scale up (if load-related)", {Kind.SCALE}),
        ("Deployment", {Kind.DEPLOY}),
        ("Log Access", {Kind.LOGS}),
        ("Emergency Contacts", {Kind.CONTACTS}),
        ("Escalation Policy", {Kind.ESCALATION}),
        ("Maintenance Windows", {Kind.MAINTENANCE}),
        ("Recovery Verification", {Kind.OTHER}),
        ("Related Runbooks", {Kind.OTHER}),
    ],
)
def test_headings_are_matched_to_template_sections(title: str, kinds: set[Kind]) -> None:
    part = next(p for p in parse(f"# Doc\n\n## {title}\n\nSome words here.\n").parts if p.title == title)
    assert part.kinds == kinds


def test_a_heading_under_common_issues_is_an_issue_whatever_its_name() -> None:
    doc = parse("## Common Issues\n\n### Deployment stuck\n\ntext\n\n## Deployment\n\nsteps to ship\n")
    assert [(p.title, set(p.kinds)) for p in doc.parts if p.heading] == [
        ("Common Issues", {Kind.ISSUES}),
        ("Deployment stuck", {Kind.ISSUE}),
        ("Deployment", {Kind.DEPLOY}),
    ]


def test_header_fields_in_bold_and_plain_forms() -> None:
    doc = parse(
        "# X\n\n**Owner**: Payments\n**Last Updated:** 2026-01-10\n"
        "- **Reviewed by**: Ana\n\nLast reviewed: 2026-02-01\n"
    )
    assert {k: v.value for k, v in doc.fields.items()} == {
        "owner": "Payments",
        "last updated": "2026-01-10",
        "reviewed by": "Ana",
        "last reviewed": "2026-02-01",
    }
    assert doc.fields["last updated"].line == 4
    assert review(doc).on == date(2026, 2, 1)  # a review date wins over an update date
    assert review(doc).by == "Ana"


def test_anchors_are_github_style_and_unique() -> None:
    assert slug("Issue 1: High Error Rate (5xx Errors)") == "issue-1-high-error-rate-5xx-errors"
    assert anchors(["Rollback", "Rollback", "Rollback!"]) == ["rollback", "rollback-1", "rollback-2"]
    doc = parse(fixture("ledger.md"))
    html = render_html(fixture("ledger.md"))
    for part in doc.parts:
        if part.heading:
            assert f'id="{part.anchor}"' in html


def test_labels_open_parts_and_their_words_are_not_content() -> None:
    doc = parse(fixture("gateway.md"))
    outage = next(i for i in issues(doc) if i.title == "Issue 3: Total Outage")
    assert (outage.symptoms, outage.diagnosis, outage.mitigation) == (
        Presence.PRESENT,
        Presence.PRESENT,
        Presence.EMPTY,
    )
    assert [i.alerts for i in issues(doc)] == [("GatewayErrorRate",), ("GatewayLatency",), ("GatewayDown",)]


def test_alert_rules_carry_their_runbook_links_and_lines() -> None:
    rules = alert_rules(parse(fixture("ledger.md")))
    assert rules == [
        AlertRule("LedgerHighErrorRate", 88, "https://firebell.acme.test/runbooks/ledger#high-error-rate"),
        AlertRule("LedgerSlowPostings", 96, "https://firebell.acme.test/runbooks/ledger#slow-postings"),
        AlertRule(
            "LedgerDbPoolExhausted",
            103,
            "https://firebell.acme.test/runbooks/ledger#database-connection-pool-exhausted",
        ),
    ]
    seed_style = parse('```yaml\n- alert: HighLatency\n  labels:\n    runbook: "#high-latency"\n```\n')
    assert alert_rules(seed_style) == [AlertRule("HighLatency", 2, "#high-latency")]


@pytest.mark.parametrize(
    ("title", "scenario"),
    [
        ("[SERVICE] High Latency Runbook", "High Latency"),
        ("Runbook: orders — Error Spike", "Error Spike"),
        ("Runbook: Gateway - Edge Traffic", "Edge Traffic"),
        ("Disk Full", "Disk Full"),
    ],
)
def test_a_scenario_is_named_from_the_title(title: str, scenario: str) -> None:
    assert scenario_title(title) == scenario


def test_rendering_keeps_raw_html_and_script_links_inert() -> None:
    html = render_html(
        "# Ops\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [ok](https://a.test)\n"
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://a.test" rel="noopener nofollow">ok</a>' in html
