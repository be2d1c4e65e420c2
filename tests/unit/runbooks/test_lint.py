"""The checklist lint on whole runbooks: the template filled in passes, the short high-latency example
fails what it leaves out, and each verdict says where."""

from __future__ import annotations

from datetime import date

import pytest

from firebell.runbooks.checklist import CHECKLIST, LintContext, Status
from firebell.runbooks.facts import Review
from firebell.runbooks.lint import Report, lint
from firebell.runbooks.model import parse
from tests.unit.runbooks.conftest import fixture

TODAY = date(2026, 3, 1)  # the ledger runbook was reviewed on 2026-02-02


def run(name_or_text: str, **context: object) -> Report:
    text = fixture(name_or_text) if name_or_text.endswith(".md") else name_or_text
    return lint(parse(text), LintContext(today=context.pop("today", TODAY), **context))  # type: ignore[arg-type]


def by_item(report: Report) -> dict[int, tuple[Status, str]]:
    return {f.item: (f.status, f.message) for f in report.findings if f.item}


def test_the_filled_in_template_passes_all_twelve_items() -> None:
    report = run("ledger.md", known_dependencies=("accounts", "fx-rates"))
    assert [(f.item, f.name, f.status) for f in report.findings] == [
        (n, name, Status.PASS) for n, name in enumerate(CHECKLIST, start=1)
    ]
    assert report.passed
    assert not report.stale
    assert report.reviewed_on == date(2026, 2, 2)
    found = by_item(report)
    assert "criticality Tier 1" in found[1][1]
    assert "3 alert rule(s) from line 88" in found[6][1]
    assert "reviewed 2026-02-02 (line 5) by Dana Okafor" in found[11][1]


def test_the_high_latency_example_fails_every_item_it_leaves_out() -> None:
    report = run("checkout-high-latency.md")
    assert report.failed_items == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    found = by_item(report)
    # Its one scenario has investigation and mitigation steps but no symptoms: a warning only.
    assert found[7] == (Status.WARN, "1 issue(s) with diagnosis and resolution; no symptoms for High Latency")
    assert found[5][1] == "a dashboard is mentioned at line 7 but no dashboard URL is given"
    assert "the **Trigger** at line 4 gives a condition but names no alert" in found[6][1]
    assert found[8][1] == "no deploy procedure (found rollback (line 23), scale (line 27))"
    assert "the escalation at line 34 says when, not who or how" in found[9][1]
    placeholders = [(f.line, f.message.split("”")[0].lstrip("“")) for f in report.findings if f.item == 0]
    assert placeholders == [(1, "[SERVICE]"), (7, "[Link]"), (8, "[Link]")]
    assert all(f.status is Status.WARN for f in report.findings if f.item == 0)
    assert not report.passed
    assert report.stale  # never reviewed


def test_a_runbook_in_the_incident_guide_shape_fails_on_a_placeholder_resolution() -> None:
    report = run("gateway.md")
    assert report.failed_items == [1, 4, 6, 7, 8, 9, 10, 12]
    found = by_item(report)
    assert found[2][0] is Status.PASS  # "SLIs/SLOs" is both
    assert found[3] == (Status.PASS, "architecture at line 12 with a text diagram")
    assert found[7][1] == "“Issue 3: Total Outage” (line 67) has resolution steps with only a placeholder"
    assert found[11] == (
        Status.WARN,
        "reviewed 2026-01-25 (line 94), 35 days ago, but nobody is named: add **Reviewed by**:",
    )


def test_a_single_scenario_runbook_is_one_issue_named_by_its_title() -> None:
    report = run("orders-error-spike.md")
    assert report.failed_items == [1, 2, 3, 4, 8, 9, 10, 11, 12]
    found = by_item(report)
    assert found[5][0] is Status.PASS  # **Dashboard**: with a bare URL
    assert found[6] == (Status.PASS, "alerts named with their conditions at line 8: OrdersErrorSpike")
    assert found[7][1] == "1 issue(s) with diagnosis and resolution; no symptoms for Error Spike"
    assert found[8][1] == "no deploy procedure (found rollback (line 20), scale (line 25), restart (line 30))"


@pytest.mark.parametrize(
    ("today", "stale_after", "status", "stale"),
    [
        (date(2026, 5, 3), 90, Status.PASS, False),  # 90 days: due today
        (date(2026, 5, 4), 90, Status.FAIL, True),  # 91 days
        (date(2026, 3, 5), 30, Status.FAIL, True),
        (date(2026, 3, 4), 30, Status.PASS, False),
    ],
)
def test_a_review_goes_stale_after_the_given_days(today: date, stale_after: int, status: Status, stale: bool) -> None:
    report = run("ledger.md", today=today, stale_after_days=stale_after)
    assert by_item(report)[11][0] is status
    assert report.stale is stale
    assert report.passed is (status is Status.PASS)
    if status is Status.FAIL:
        days = (today - date(2026, 2, 2)).days
        assert by_item(report)[11][1] == (
            f"last reviewed 2026-02-02 (line 5), {days} days ago: older than {stale_after} days, review it again"
        )


def test_review_dates_in_the_future_or_without_a_reviewer_warn() -> None:
    text = fixture("ledger.md")
    future = run(text.replace("2026-02-02", "2026-06-01"))
    assert by_item(future)[11] == (Status.WARN, "the review date 2026-06-01 (line 5) is in the future")
    nobody = run(text.replace("**Reviewed by**: Dana Okafor (ledger on-call)\n", ""))
    assert by_item(nobody)[11][0] is Status.WARN
    assert nobody.passed
    updated_only = run(text.replace("**Last Reviewed**", "**Last Updated**"))
    assert by_item(updated_only)[11][0] is Status.PASS


def test_a_stored_review_counts_over_the_documents_own() -> None:
    report = run("checkout-high-latency.md", review=Review(date(2026, 2, 20), "Ana", None))
    assert by_item(report)[11] == (Status.PASS, "reviewed 2026-02-20 by Ana, 9 days ago; due again in 81 days")


def test_every_catalog_dependency_must_be_named() -> None:
    report = run("ledger.md", known_dependencies=("accounts", "billing", "Risk Engine"))
    assert by_item(report)[4] == (
        Status.FAIL,
        "the catalog says it depends on billing, Risk Engine, which the dependencies at line 57 do not name",
    )


def test_alert_rules_without_a_runbook_link_and_links_from_the_server() -> None:
    text = fixture("ledger.md").replace(
        "          runbook_url: https://firebell.acme.test/runbooks/ledger#slow-postings\n", ""
    )
    assert by_item(run(text))[12] == (
        Status.WARN,
        "alert rules without a runbook_url annotation: LedgerSlowPostings (line 96)",
    )
    bare = text.replace("runbook_url:", "note:")
    assert by_item(run(bare))[12][0] is Status.FAIL
    linked = run(bare, linked_by="incidents of ledger link to this runbook in Firebell")
    assert by_item(linked)[12] == (Status.PASS, "incidents of ledger link to this runbook in Firebell")


def test_an_unfilled_template_is_caught_by_its_placeholders() -> None:
    report = run("unfilled-template.md")
    found = by_item(report)
    assert found[1] == (Status.FAIL, "the overview at line 7 is empty or still a placeholder")
    assert found[9] == (
        Status.FAIL,
        "the emergency contacts at line 13 still hold template placeholders: "
        "[Rotation], {Name}, @handle, +1-xxx-xxx-xxxx",
    )
    assert found[11] == (Status.FAIL, "the review date (line 4) is “YYYY-MM-DD”, not a date: write YYYY-MM-DD")
    texts = [f.message.split("”")[0].lstrip("“") for f in report.findings if f.item == 0]
    assert texts == [
        "{Service Name}", "{Team Name}", "YYYY-MM-DD", "X.Y.Z", "{What the service does and who depends on it}",
        "{Tier 1 | Tier 2 | Tier 3}", "[Rotation]", "{Name}", "@handle", "+1-xxx-xxx-xxxx", "[Link]",
    ]  # fmt: skip
    # Prometheus templating in a code block is not a placeholder.
    assert not any("$labels" in f.message for f in report.findings)


def test_criticality_given_as_the_templates_choice_fails() -> None:
    text = fixture("ledger.md").replace("Tier 1 - Business Critical", "{Tier 1 | Tier 2 | Tier 3}")
    assert by_item(run(text))[1] == (Status.FAIL, "the criticality at line 16 is still the template's choice")
    no_tier = fixture("ledger.md").replace("**Criticality**: Tier 1 - Business Critical", "")
    assert by_item(run(no_tier))[1][1] == (
        "the overview at line 11 gives no criticality: add **Criticality**: Tier 1, 2 or 3"
    )


def test_an_empty_document_fails_all_twelve_with_a_hint_each() -> None:
    report = run("")
    assert report.failed_items == list(range(1, 13))
    assert all(f.message and f.line is None for f in report.findings)
