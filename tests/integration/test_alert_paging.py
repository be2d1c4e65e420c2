"""The alerts page, a page at a time: "Older" and "Newer" carry a cursor (the alert at the page's edge)
and the filters. Walking older shows every alert once, in the API's order, with ties of one instant
broken by id; walking newer comes back the same way; a refresh keeps the page; a damaged cursor is
said on the page, with the newest alerts below it."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_user
from firebell.infra.db import transaction
from tests.integration.conftest import App
from tests.integration.test_intake import am_alert, am_payload
from tests.web_login import log_in

PASSWORD = "paging-pass-123"
BATCHES = {"api": (50, 40, 40), "db": (4, 3, 3)}  # alerts per service per instant


def _alerts(app: App) -> None:
    keys = {name: (app.add_service(name), app.add_integration(name, "alertmanager"))[1] for name in BATCHES}
    for step in range(3):
        for name, sizes in BATCHES.items():
            batch = [am_alert(f"{name}-{step}-{n:03}") for n in range(sizes[step])]
            group = f'{{}}:{{alertname="{name}-{step}"}}'
            sent = app.client.post(f"/integrations/alertmanager/{keys[name]}", json=am_payload(*batch, group=group))
            assert sent.status_code == 202
        app.clock.advance(timedelta(minutes=1))
    with transaction(app.container.engine, write=True) as conn:
        create_user(repo=SqlIdentityRepo(conn), email="pat@example.com", password=PASSWORD, role=Role.RESPONDER,
                    now=app.clock.now())  # fmt: skip
    assert log_in(app.client, "pat@example.com", PASSWORD, follow_redirects=False).status_code == 303


def _ids(text: str) -> list[str]:
    return re.findall(r'id="verdict-([^"]+)"', text)


def _link(text: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', text)
    return html.unescape(found[1]) if found else None


def test_older_pages_show_every_alert_once_in_order_and_keep_the_filters(app: App) -> None:
    _alerts(app)
    expected = [a["id"] for a in app.client.get("/api/v1/alerts?service=api&limit=1000", headers=app.auth()).json()]
    assert len(expected) == sum(BATCHES["api"])
    url: str | None = "/alerts?service=api&size=25"
    pages: list[list[str]] = []
    while url:
        assert "service=api" in url
        assert "size=25" in url
        page = app.client.get(url)
        assert page.status_code == 200
        assert 'selected value="api"' in page.text or "<option selected>api</option>" in page.text
        pages.append(_ids(page.text))
        assert len(pages) <= 10
        url = _link(page.text, "next")
    assert [len(p) for p in pages] == [25, 25, 25, 25, 25, 5]
    walked = [i for p in pages for i in p]
    assert walked == expected  # each once, newest first, ties of one instant in id order
    assert "none older" in page.text

    # Back again, page by page: the same pages; the last step lands on the first page itself.
    back: list[list[str]] = [pages[-1]]
    newer = _link(page.text, "prev")
    while newer:
        assert "service=api" in newer
        assert "size=25" in newer
        page = app.client.get(newer)
        back.append(_ids(page.text))
        newer = _link(page.text, "prev")
    assert back[::-1] == pages
    assert "the newest" in page.text


def test_a_refresh_keeps_the_page_and_new_alerts_do_not_move_it(app: App) -> None:
    _alerts(app)
    first = app.client.get("/alerts?size=40")
    second_url = _link(first.text, "next")
    assert second_url
    second = app.client.get(second_url)
    refresh = html.unescape(re.search(r'id="alert-list" hx-get="([^"]+)"', second.text)[1])  # type: ignore[index]
    assert "partial=1" in refresh
    assert "size=40" in refresh
    # A new alert arrives: the first page changes, the second stays as it was.
    key = app.add_integration("db", "alertmanager")
    late = app.client.post(f"/integrations/alertmanager/{key}", json=am_payload(am_alert("late-one")))
    assert late.status_code == 202
    again = app.client.get(refresh, headers={"hx-request": "true"})
    assert again.status_code == 200
    assert again.text.lstrip().startswith('<div id="alert-list"')  # the list alone, for the swap
    assert _ids(again.text) == _ids(second.text)
    assert _ids(app.client.get("/alerts?size=40").text)[1:] == _ids(first.text)[:39]


def test_page_size_is_held_within_its_bounds(app: App) -> None:
    _alerts(app)
    total = sum(map(sum, BATCHES.values()))
    assert len(_ids(app.client.get("/alerts").text)) == 100
    assert len(_ids(app.client.get("/alerts?size=5000").text)) == min(total, 200)
    assert len(_ids(app.client.get("/alerts?size=0").text)) == 1
    assert len(_ids(app.client.get("/alerts?size=lots").text)) == 100


def test_a_damaged_cursor_is_said_and_the_newest_alerts_shown(app: App) -> None:
    _alerts(app)
    newest = _ids(app.client.get("/alerts?service=db").text)
    for bad in ("nonsense", "bm90fGFjdXJzb3I", "x" * 500, "MjAyNi0wMS0wMVQwMDowMDowMHxh"):  # the last: no zone
        for side in ("before", "after"):
            page = app.client.get(f"/alerts?service=db&{side}={bad}")
            assert page.status_code == 400
            assert 'role="alert"' in page.text
            assert "page link is not valid" in page.text
            assert _ids(page.text) == newest
