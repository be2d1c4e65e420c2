"""A storm's alert entries shortened on the incident page: the people's entries stay in sight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firebell.incidents.timeline import condense

T0 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def _entry(n: int, kind: str) -> dict[str, object]:
    return {"id": f"e{n}", "at": T0 + timedelta(seconds=n), "kind": kind, "actor": "x", "message": f"m{n}", "data": {}}


def test_a_long_run_of_alert_entries_keeps_its_first_three_and_says_how_many_more() -> None:
    entries = [_entry(0, "opened")]
    entries += [_entry(n, "alert_joined" if n % 2 else "alert_fired") for n in range(1, 11)]
    entries += [_entry(11, "acknowledged"), _entry(12, "alert_fired"), _entry(13, "note")]
    shown = condense(entries)
    assert [e["kind"] for e in shown] == [
        "opened",
        "alert_joined",
        "alert_fired",
        "alert_joined",
        "alerts_condensed",
        "acknowledged",
        "alert_fired",
        "note",
    ]
    more = shown[4]
    assert more["data"] == {"count": 7, "until": T0 + timedelta(seconds=10)}
    assert more["at"] == T0 + timedelta(seconds=4)
    assert more["message"] == "7 more alert entries"


def test_short_runs_and_other_entries_pass_unchanged() -> None:
    entries = [_entry(0, "opened"), *(_entry(n, "alert_fired") for n in range(1, 4)), _entry(4, "note")]
    assert condense(entries) == entries
    assert condense([]) == []
    assert [e["kind"] for e in condense([_entry(n, "alert_resolved") for n in range(5)], keep=1)] == [
        "alert_resolved",
        "alerts_condensed",
    ]
