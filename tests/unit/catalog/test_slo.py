"""SLOs, SLIs, dashboards and the other catalog facts: the runbook template's table reads as written,
and every refusal names its field."""

from __future__ import annotations

import pytest

from firebell.catalog.fields import stored_values
from firebell.catalog.model import check_http_url, check_tier, tier_label
from firebell.catalog.slo import Slo, SloKind, parse_slis, parse_slos, window_of
from firebell.kernel.errors import ValidationFailed

# The SLO table of the service runbook template.
TEMPLATE = [
    {"kind": "availability", "target": "99.9%", "window": "30-day rolling"},
    {"kind": "latency_p99", "target": "< 500ms", "window": "5-minute window"},
    {"kind": "error_rate", "target": "< 0.1%", "window": "5m"},
    {"kind": "throughput", "target": "> 1000 RPS", "window": "1-minute window"},
]


def refusal(call: object, *args: object) -> tuple[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call(*args)  # type: ignore[operator]
    detail = caught.value.details[0]
    return str(detail["field"]), str(detail["message"])


def test_the_templates_slo_table_reads_as_written() -> None:
    slos = parse_slos(TEMPLATE)
    assert [(s.label, s.text) for s in slos] == [
        ("Availability", "99.9% (30-day rolling)"),
        ("Latency (p99)", "< 500ms (5-minute window)"),
        ("Error rate", "< 0.1% (5-minute window)"),
        ("Throughput", "> 1000 RPS (1-minute window)"),
    ]
    assert slos[0] == Slo(SloKind.AVAILABILITY, 99.9, "%", "30d")
    assert slos[1].document() == {"kind": "latency_p99", "target": 500, "unit": "ms", "window": "5m"}
    assert parse_slos([s.document() for s in slos]) == slos  # the stored form reads back the same


def test_numbers_take_the_kinds_default_unit_and_window() -> None:
    slos = parse_slos([{"kind": "availability", "target": 99.95}, {"kind": "Latency p99", "target": 0.3, "unit": "s"}])
    assert [s.text for s in slos] == ["99.95% (30-day rolling)", "< 0.3s (5-minute window)"]
    assert parse_slos([{"kind": "throughput", "target": 60, "unit": "rpm"}])[0].text == "> 60 RPM (1-minute window)"


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"kind": "availability", "target": 100.5}, "slos.0.target", "must be above 0 and at most 100"),
        ({"kind": "availability", "target": "99.9 ms"}, "slos.0.target", "availability is measured in %"),
        ({"kind": "latency_p99", "target": 500, "unit": "%"}, "slos.0.unit", "latency (p99) is measured in ms, s"),
        ({"kind": "latency_p99", "target": "> 500ms"}, "slos.0.target", "a latency (p99) target cannot be >"),
        ({"kind": "latency_p99", "target": "500ms", "unit": "s"}, "slos.0.unit", "the target says ms"),
        ({"kind": "error_rate", "target": 0}, "slos.0.target", "must be above 0 and at most 100"),
        (
            {"kind": "uptime", "target": 1},
            "slos.0.kind",
            "use one of availability, latency_p99, error_rate, throughput",
        ),
        ({"kind": "throughput"}, "slos.0.target", "required"),
        (
            {"kind": "throughput", "target": True},
            "slos.0.target",
            "must be a number, or a number with its unit as '99.9%'",
        ),
        (
            {"kind": "throughput", "target": 5, "window": "forever"},
            "slos.0.window",
            "write a window as 30d, 5m or 1h (or '30-day rolling')",
        ),
        (
            {"kind": "throughput", "target": 5, "window": "500d"},
            "slos.0.window",
            "must be at least 1s and at most 400 days",
        ),
        (
            {"kind": "throughput", "target": 5, "comment": "x"},
            "slos.0.comment",
            "unknown field; use kind, target, unit, window",
        ),
    ],
)
def test_a_bad_slo_is_refused_naming_its_field(raw: dict[str, object], field: str, message: str) -> None:
    assert refusal(parse_slos, [raw]) == (field, message)


def test_two_slos_of_one_kind_need_different_windows() -> None:
    both = parse_slos(
        [{"kind": "availability", "target": 99.9}, {"kind": "availability", "target": 99.5, "window": "7d"}]
    )
    assert [s.text for s in both] == ["99.9% (30-day rolling)", "99.5% (7-day rolling)"]
    again = [{"kind": "availability", "target": 99.9}, {"kind": "availability", "target": 99, "window": "30d"}]
    assert refusal(parse_slos, again) == ("slos.1.kind", "a second availability SLO over 30d")
    assert refusal(parse_slos, {"kind": "availability"}) == ("slos", "must be a list")


def test_windows_read_in_several_spellings() -> None:
    assert [window_of(w, "w") for w in ("30d", "30 days", "30-day rolling", "5 min", "1h", "2w", "90s")] == [
        "30d",
        "30d",
        "30d",
        "5m",
        "1h",
        "2w",
        "90s",
    ]


def test_slis_are_named_queries() -> None:
    query = 'sum(rate(http_requests_total{service="my-service", status!~"5.."}[5m]))'
    assert parse_slis([{"name": "Availability SLI", "query": query}])[0].document() == {
        "name": "Availability SLI",
        "query": query,
    }
    assert refusal(parse_slis, [{"name": "a", "query": " "}]) == ("slis.0.query", "required")
    twice = [{"name": "a", "query": "up"}, {"name": "a", "query": "up"}]
    assert refusal(parse_slis, twice) == ("slis.1.name", "a second SLI named 'a'")


def test_dashboards_are_http_links_and_tiers_have_the_templates_labels() -> None:
    stored = stored_values({"dashboards": [{"title": "Prod", "url": " https://grafana.example.com/d/prod "}]})
    assert stored == {"dashboards": [{"title": "Prod", "url": "https://grafana.example.com/d/prod"}]}
    bad = {"dashboards": [{"title": "x", "url": "javascript:alert(1)"}]}
    assert refusal(stored_values, bad)[0] == "dashboards.0.url"
    assert refusal(check_http_url, "https://", "runbook_url")[0] == "runbook_url"
    assert [tier_label(t) for t in (1, 2, 3)] == [
        "Tier 1 - Business Critical",
        "Tier 2 - Important",
        "Tier 3 - Supporting",
    ]
    assert refusal(check_tier, 4) == ("tier", "must be 1 (business critical), 2 (important) or 3 (supporting)")
    assert refusal(stored_values, {"tags": ["Python"]}) == (
        "tags.0",
        "use lowercase letters, digits, '+' or '#', joined by '-'",
    )
    assert stored_values({"tier": 1, "lifecycle": "experimental", "tags": ["python", "python"]}, "x.") == {
        "tier": 1,
        "lifecycle": "experimental",
        "tags": ["python"],
    }
