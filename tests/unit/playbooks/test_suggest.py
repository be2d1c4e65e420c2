"""Suggesting playbooks: an alert's category label first, then words in the title, the impact and the
alerts, each suggestion with its reason."""

from __future__ import annotations

import pytest

from firebell.playbooks.builtin import BUILT_IN
from firebell.playbooks.model import Phase, Playbook, merged
from firebell.playbooks.suggest import Clues, incident_types, suggest, words_of

SHIPPED = merged(BUILT_IN, [])


def _keys(clues: Clues) -> list[str]:
    return [s.key for s in suggest(clues, SHIPPED)]


def test_a_security_category_label_suggests_the_security_playbook_and_says_why() -> None:
    found = suggest(Clues(title="checkout is down", labels=[{"category": "Security", "alertname": "X"}]), SHIPPED)
    assert [(s.key, s.name, s.reason) for s in found] == [
        ("security", "Security incident", "an alert is labelled category: Security"),
        ("outage", "Service outage", "the title says “down”"),
    ]


@pytest.mark.parametrize(
    ("category", "key"),
    [
        ("security", "security"),
        ("data issue", "data-loss"),
        ("Third-Party", "third-party"),
        ("third_party", "third-party"),
        ("app crash", "outage"),
        ("Infra/Cloud", "outage"),
        ("performance", "latency"),
    ],
)
def test_the_escalation_matrix_categories_map_to_playbooks(category: str, key: str) -> None:
    assert _keys(Clues(labels=[{"category": category}])) == [key]


@pytest.mark.parametrize(
    ("title", "keys"),
    [
        ("Possible data breach: customer emails exposed", ["security"]),
        ("AWS keys leaked in a public repository", ["security"]),
        ("Data loss after the orders migration", ["data-loss"]),
        ("Ledger rows corrupted by the nightly job", ["data-loss"]),
        ("Stripe webhooks failing", ["third-party"]),
        ("Search p99 latency above 2 s", ["latency"]),
        ("Checkout returns 500s", ["outage"]),
        ("Quarterly report typo", []),
    ],
)
def test_words_in_the_title_point_to_a_type(title: str, keys: list[str]) -> None:
    assert _keys(Clues(title=title)) == keys


def test_a_label_outweighs_the_title_and_the_title_outweighs_the_rest() -> None:
    clues = Clues(
        title="Orders API slow",
        impact="some customers see corrupted totals",
        alert_summaries=["Upstream tax provider timing out"],
        labels=[{"category": "third-party"}],
    )
    assert incident_types(clues) == [
        ("third_party", "an alert is labelled category: third-party"),
        ("performance", "the title says “slow”"),
        ("data_loss", "the impact says “corrupted”"),
    ]


def test_alert_names_in_camel_case_count_as_words() -> None:
    assert words_of("HighLatencyP99") == "high latency p99"
    found = suggest(Clues(labels=[{"alertname": "CheckoutHighLatency"}]), SHIPPED)
    assert [(s.key, s.reason) for s in found] == [("latency", "an alert's name says “latency”")]


def test_custom_playbooks_are_suggested_for_their_type_and_for_a_category_naming_it() -> None:
    steps = (Phase("triage", "Triage", ("Provider checked",)),)
    payments = Playbook("payments", "Payments outage", "payments", "", steps)
    breach = Playbook("pci-breach", "Card data breach", "security", "", steps)
    listed = merged(BUILT_IN, [payments, breach])
    assert [s.key for s in suggest(Clues(labels=[{"category": "Payments"}]), listed)] == ["payments"]
    assert [s.key for s in suggest(Clues(title="Token leaked"), listed)] == ["security", "pci-breach"]
    assert suggest(Clues(), listed) == []
