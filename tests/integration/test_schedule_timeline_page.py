"""The schedule page over HTTP: a timeline of layers, overrides and the final rotation in one zone
the page names, moved by day and switched to the viewer's zone or UTC by query parameters."""

from __future__ import annotations

import re

from tests.integration.conftest import App, apply_config
from tests.integration.principals import browser_session

CONFIG = """\
users:
  - {name: Alice Moreau, handle: alice, email: alice@example.com, timezone: America/New_York}
  - {name: Bob Okafor, handle: bob, email: bob@example.com}
schedules:
  - name: paris
    timezone: Europe/Paris
    layers:
      - {name: days, type: daily_rotation, participants: [alice, bob], start: 2025-12-29, handoff: "09:00"}
    overrides:
      - {user: bob, start: "2026-01-02T12:00:00+01:00", end: "2026-01-02T18:00:00+01:00"}
"""


def _page(app: App, query: str = "") -> str:
    answer = app.client.get(f"/oncall/paris{query}", headers=browser_session(app, "alice@example.com").headers)
    assert answer.status_code == 200, answer.text
    return answer.text


def _rows(page: str) -> list[str]:
    return re.findall(r'<div class="stl-row" data-row="(\w+)">', page)


def test_the_timeline_is_in_the_schedules_zone_by_default(app: App) -> None:
    apply_config(app, CONFIG)
    page = _page(app)  # the clock reads 2026-01-01 00:00 UTC: 01:00 in Paris
    assert "All times in <strong>Europe/Paris</strong>" in page
    assert _rows(page) == ["layer", "overrides", "final"]
    # Seven days from local midnight of today: the first final shift is Alice's until 09:00 Paris.
    assert "Thu 01 Jan – Wed 07 Jan 2026" in page
    assert "Alice Moreau: Thu 01 Jan 00:00 – Thu 01 Jan 09:00 (Europe/Paris)" in page
    # Bob's override, in the zone of the page, is its own row and cuts the final rotation.
    assert "Bob Okafor: Fri 02 Jan 12:00 – Fri 02 Jan 18:00 (Europe/Paris)" in page
    assert re.search(r"<td>Fri 02 Jan 12:00</td><td>Fri 02 Jan 18:00</td>\s*<td>Bob Okafor", page)
    # Now (01:00 of seven days) is marked, 1/168 of the window in.
    assert 'x1="0.5952%"' in page
    assert 'class="now"' in page


def test_the_zone_days_and_day_are_query_parameters(app: App) -> None:
    apply_config(app, CONFIG)
    utc = _page(app, "?zone=utc&days=1&day=2026-01-02")
    assert "All times in <strong>UTC</strong>" in utc
    assert "Bob Okafor: Fri 02 Jan 11:00 – Fri 02 Jan 17:00 (UTC)" in utc
    assert 'class="now"' not in utc  # 2026-01-01 is outside the window
    assert re.search(r'href="/oncall/paris\?day=2026-01-01&amp;days=1&amp;zone=utc" rel="prev"', utc)
    mine = _page(app, "?zone=mine&days=14")
    assert "All times in <strong>America/New_York</strong>" in mine
    assert "Wed 31 Dec – Tue 13 Jan 2026" in mine  # today in New York is still 31 December
    for bad in ("?zone=Mars/Base", "?days=3", "?day=tomorrow"):
        answer = app.client.get(f"/oncall/paris{bad}", headers=browser_session(app, "alice@example.com").headers)
        assert answer.status_code == 422, bad
