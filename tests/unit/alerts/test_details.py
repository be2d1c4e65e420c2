"""An alert's details as responders read them: rows from each source's shape, links, images, limits."""

from __future__ import annotations

import json
from pathlib import Path

from firebell.alerts.details import MARKER, Digest, clip, digest, fit, is_web_url
from firebell.alerts.model import EventAction
from firebell.alerts.normalize import from_alertmanager, from_opsgenie, from_pagerduty
from firebell.alerts.schemas import AlertmanagerWebhook, OpsgenieCreate, PagerDutyEvent

GRAFANA = Path(__file__).resolve().parents[2] / "fixtures" / "grafana"


def test_clip_keeps_short_text_and_marks_what_it_cuts() -> None:
    assert clip("short", 10) == "short"
    cut = clip("x" * 100, 40)
    assert len(cut) == 40
    assert cut.endswith(MARKER)
    assert cut.startswith("x" * (40 - len(MARKER)))


def test_fit_caps_rows_and_values_and_counts_what_it_left_out() -> None:
    rows = [(f"k{i}", "v" * 50) for i in range(12)]
    kept, left = fit(rows, rows=10, value_chars=20)
    assert len(kept) == 10
    assert left == 2
    assert all(len(v) == 20 and v.endswith(MARKER) for _, v in kept)


def test_alertmanager_annotations_are_rows_and_its_source_a_link() -> None:
    d = digest(
        {
            "id": "a1",
            "summary": "High errors",
            "source": "alertmanager",
            "details": {"annotations": {"description": "5xx above 5%", "runbook_url": "https://rb/1"}},
            "links": [{"href": "http://prom/graph", "text": "Source"}],
        }
    )
    assert d.fields == (("description", "5xx above 5%"), ("runbook_url", "https://rb/1"))
    assert d.links == (("http://prom/graph", "Source"),)


def test_pagerduty_custom_details_become_rows_nested_values_json_and_images_kept_apart() -> None:
    d = digest(
        {
            "id": "a2",
            "source": "pagerduty",
            "details": {
                "custom_details": {"free space": "1%", "disks": ["/", "/var"], "ok": False, "n": 3},
                "images": [{"src": "https://img/1.png", "href": "https://img", "alt": "graph"}],
            },
        }
    )
    assert d.fields == (("free space", "1%"), ("disks", '["/", "/var"]'), ("ok", "false"), ("n", "3"))
    assert d.images == (("https://img/1.png", "graph"),)
    # A custom_details that is not an object is one row.
    assert digest({"details": {"custom_details": "just text"}}).fields == (("custom_details", "just text"),)


def test_opsgenie_description_details_note_and_tags() -> None:
    d = digest(
        {
            "source": "opsgenie",
            "labels": {"db": "true", "entity": "pg-1", "api": "true"},
            "details": {"details": {"backlog": "12"}, "description": "Replica lag", "note": "seen twice"},
        }
    )
    assert d.fields == (("backlog", "12"), ("description", "Replica lag"), ("note", "seen twice"), ("tags", "api, db"))


def test_an_opsgenie_create_keeps_its_note_with_its_details() -> None:
    body = OpsgenieCreate.model_validate({"message": "Replica lag", "note": "seen twice", "details": {"lag": "40s"}})
    d = digest({"source": "opsgenie", "details": from_opsgenie(body).details})
    assert dict(d.fields) == {"lag": "40s", "note": "seen twice", "priority": "P3"}


def test_a_digest_caps_rows_and_values_and_survives_its_stored_form() -> None:
    details = {"custom_details": {f"k{i:02}": "v" * 900 for i in range(25)}}
    d = digest({"id": "a3", "details": details})
    assert len(d.fields) == 20
    assert d.more_fields == 5
    assert all(len(v) == 500 and v.endswith(MARKER) for _, v in d.fields)
    assert Digest.from_doc(json.loads(json.dumps(d.to_doc()))) == d


def test_only_http_addresses_are_web_links() -> None:
    assert is_web_url("https://x")
    assert is_web_url("HTTP://x")
    assert not is_web_url("javascript:alert(1)")
    assert not is_web_url("data:text/html,x")


def test_grafanas_documented_body_normalizes_with_values_and_links() -> None:
    body = AlertmanagerWebhook.model_validate_json((GRAFANA / "firing_links.json").read_bytes())
    (event,) = from_alertmanager(body)
    assert event.action is EventAction.TRIGGER
    assert event.summary == "Disk on db-1 is 97% full"
    assert [link.text for link in event.links] == ["Source", "Dashboard", "Panel", "Image", "Silence"]
    assert event.details["values"] == {"A": 97.31, "B": 97.31, "C": 1}
    assert str(event.details["valueString"]).startswith("[ var='A'")
    resolved = AlertmanagerWebhook.model_validate_json((GRAFANA / "resolved_links.json").read_bytes())
    (event,) = from_alertmanager(resolved)
    assert event.action is EventAction.RESOLVE
    assert event.dedup_key == "4f2d8a91c03b7e65"


def test_alertmanager_version_4_bodies_get_no_grafana_links() -> None:
    body = json.loads((GRAFANA / "firing_links.json").read_text()) | {"version": "4"}
    (event,) = from_alertmanager(AlertmanagerWebhook.model_validate(body))
    assert [link.text for link in event.links] == ["Source"]
    assert "values" not in event.details


def test_pagerduty_images_are_stored_in_the_details() -> None:
    event = PagerDutyEvent.model_validate(
        {
            "routing_key": "k" * 32,
            "event_action": "trigger",
            "payload": {"summary": "s", "source": "h", "severity": "info", "custom_details": {"a": 1}},
            "images": [{"src": "https://img/x.png", "alt": "x"}],
        }
    )
    details = from_pagerduty(event).details
    assert details["custom_details"] == {"a": 1}
    assert details["images"] == [{"src": "https://img/x.png", "href": "", "alt": "x"}]
