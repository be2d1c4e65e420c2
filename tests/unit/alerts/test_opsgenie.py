"""The Opsgenie view of alerts: queries, tags and priorities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.alerts.opsgenie import (
    Term,
    alert_document,
    parse_query,
    priority_of,
    split_list,
    tags_of,
    with_tags,
    without_tags,
)
from firebell.kernel.errors import ValidationFailed


def test_a_query_is_field_value_terms_joined_by_and() -> None:
    assert parse_query("status: open AND tag: prod and priority=P1") == [
        Term("status", "open"),
        Term("tag", "prod"),
        Term("priority", "P1"),
    ]
    assert parse_query('alias: "db down"') == [Term("alias", "db down")]
    assert parse_query("") == []


@pytest.mark.parametrize(
    "query",
    ["status: open OR status: closed", "owner: ann", "status: snoozed", "priority: P9", "message: disk*", "just words"],
)
def test_a_query_firebell_cannot_answer_exactly_is_refused_naming_the_query(query: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_query(query)
    assert refused.value.details[0]["field"] == "query"


def test_tags_are_labels_valued_true_and_other_labels_read_as_name_value() -> None:
    labels = {"prod": "true", "alertname": "DiskFull", "entity": "db-1"}
    assert tags_of(labels) == ["prod", "alertname:DiskFull"]
    assert with_tags(labels, ["prod", "new"]) == {**labels, "new": "true"}
    assert without_tags(labels, ["prod", "alertname:DiskFull", "entity"]) == {"entity": "db-1"}
    with pytest.raises(ValidationFailed):
        split_list(" , ", "tags")


def test_the_priority_given_is_kept_while_it_matches_the_severity() -> None:
    assert priority_of("info", {"priority": "P5"}) == "P5"
    assert priority_of("info", {}) == "P4"
    assert priority_of("critical", {"priority": "P5"}) == "P1"  # the severity changed since: it wins


def test_the_alert_document() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    row = {
        "id": "a1",
        "dedup_key": "db-down",
        "summary": "DB down",
        "status": "resolved",
        "severity": "error",
        "labels": {"prod": "true"},
        "details": {
            "details": {"region": "eu"},
            "description": "d",
            "snoozedUntil": (now + timedelta(hours=1)).isoformat(),
        },
        "count": 3,
        "origin": "",
        "source": "opsgenie",
        "first_seen_at": now - timedelta(minutes=10),
        "last_seen_at": now - timedelta(minutes=5),
        "acknowledged_at": now - timedelta(minutes=8),
        "resolved_at": now - timedelta(minutes=1),
    }
    document = alert_document(row, 7, {"id": "i", "name": "n", "type": "API"}, full=True, now=now)
    assert document["tinyId"] == "7"
    assert (document["status"], document["acknowledged"], document["snoozed"]) == ("closed", True, True)
    assert (document["priority"], document["details"], document["tags"]) == ("P2", {"region": "eu"}, ["prod"])
    assert document["report"]["closeTime"] == 9 * 60 * 1000
    assert document["updatedAt"] == "2026-12-07T11:59:00Z"
