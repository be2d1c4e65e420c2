"""Operators' templates render in worker processes within hard limits: the renderer itself (workers
kept, a stuck one killed and replaced, a memory flood contained, never on the event loop), and the
limits as the API (422 naming the field) and the web form (a message, not a 500) report them, on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from firebell.incidents.render_pool import RenderLimits, TemplateRenderer
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import ValidationFailed
from tests.integration.conftest import App
from tests.integration.principals import root_user
from tests.web_login import log_in

NESTED_LOOPS = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
MEMORY_FLOOD = "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
ATTACKS = {
    "percent width": "{{ '%1000000000s' % 'x' }}",
    "ljust": "{{ 'x'.ljust(1000000000) }}",
    "nested loops": NESTED_LOOPS,
    "big range": "{{ range(100000000)|list|length }}",
    "output flood": "{% for i in range(10000) %}{{ 'x' * 100 }}{% endfor %}",
    "memory flood": MEMORY_FLOOD,
}


def _rss_mb(pid: int | str = "self") -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


_OTHERS: set[int] = set()  # template workers of other renderers in this process (apps of earlier tests)


def _workers() -> set[int]:
    """The template worker processes this process started for the renderer under test (from /proc)."""
    children: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        children.update(int(p) for p in (task / "children").read_text().split())
    found = set()
    for pid in children:
        try:
            if b"template_worker" in Path(f"/proc/{pid}/cmdline").read_bytes() and pid not in _OTHERS:
                found.add(pid)
        except FileNotFoundError:
            continue
    return found


@pytest.fixture
def renderer() -> Iterator[TemplateRenderer]:
    _OTHERS.clear()
    _OTHERS.update(_workers())
    made = TemplateRenderer(RenderLimits(max_output=65_536, seconds=1.0, memory_mb=128), workers=1)
    yield made
    made.close()


def _refusal(renderer: TemplateRenderer, source: str) -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as refused:
        renderer.render(source, {"title": "t"}, field="body")
    assert refused.value.details == [{"field": "body", "message": refused.value.details[0]["message"]}]
    return str(refused.value.details[0]["message"]), time.perf_counter() - started


def test_one_worker_serves_render_after_render(renderer: TemplateRenderer) -> None:
    assert renderer.render("Hello {{ title }}", {"title": "there"}) == "Hello there\n"
    first = _workers()
    started = time.perf_counter()
    for n in range(50):
        assert renderer.render("#{{ n }} {{ title }}", {"n": n, "title": "t"}) == f"#{n} t\n"
    per_render = (time.perf_counter() - started) / 50
    assert _workers() == first
    assert len(first) == 1
    assert per_render < 0.05, f"{per_render * 1000:.1f} ms a render"


def test_each_attack_is_refused_and_the_callers_memory_stays_put(renderer: TemplateRenderer) -> None:
    renderer.render("warm", {})
    before = _rss_mb()
    for name, source in ATTACKS.items():
        message, took = _refusal(renderer, source)
        assert "the template exceeded" in message, (name, message)
        assert took < renderer.limits.seconds + 1.5, (name, took)
    assert _rss_mb() - before < 20, f"this process grew by {_rss_mb() - before:.0f} MB"
    assert renderer.render("still {{ title }}", {"title": "fine"}) == "still fine\n"


def test_a_long_render_is_stopped_on_time_and_the_worker_lives_on(renderer: TemplateRenderer) -> None:
    renderer.render("warm", {})
    worker = _workers()
    message, took = _refusal(renderer, NESTED_LOOPS)
    assert message == "the template exceeded 1 s"
    assert 0.9 < took < 1.5
    assert _workers() == worker  # its own timer stopped it: nothing to replace


def test_a_worker_that_does_not_answer_is_killed_and_replaced(renderer: TemplateRenderer) -> None:
    renderer.render("warm", {})
    (stuck,) = _workers()
    os.kill(stuck, signal.SIGSTOP)  # a worker stuck where its own timer cannot reach
    message, took = _refusal(renderer, "{{ title }}")
    assert message == "the template exceeded 1 s"
    assert took < 2.5
    assert renderer.render("next {{ title }}", {"title": "one"}) == "next one\n"
    assert stuck not in _workers()
    assert len(_workers()) == 1
    assert not Path(f"/proc/{stuck}").exists() or "zombie" in Path(f"/proc/{stuck}/status").read_text()


def test_a_memory_flood_is_contained_in_a_replaced_worker(renderer: TemplateRenderer) -> None:
    renderer.render("warm", {})
    (worker,) = _workers()
    message, _took = _refusal(renderer, MEMORY_FLOOD)
    assert message == "the template exceeded 128 MiB of memory"
    assert renderer.render("after {{ title }}", {"title": "it"}) == "after it\n"
    assert worker not in _workers()


def test_a_render_on_the_event_loop_is_refused(renderer: TemplateRenderer) -> None:
    async def on_the_loop() -> str:
        return renderer.render("{{ title }}", {"title": "x"})

    async def in_a_thread() -> str:
        return await asyncio.to_thread(renderer.render, "{{ title }}", {"title": "x"})

    with pytest.raises(RuntimeError, match="off the event loop"):
        asyncio.run(on_the_loop())
    assert asyncio.run(in_a_thread()) == "x\n"


def _incident(app: App) -> int:
    app.add_service("checkout")
    made = app.client.post(
        "/api/v1/incidents",
        json={"title": "Checkout down", "severity": "SEV-2", "service": "checkout"},
        headers=app.auth(),
    )
    assert made.status_code == 201, made.text
    return int(made.json()["number"])


def _login(app: App) -> str:
    root_user(app)
    assert log_in(app.client, "root@example.com", "pw-123456").status_code < 400
    page = app.client.get("/templates").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("source", ATTACKS.values(), ids=ATTACKS.keys())
def test_the_api_refuses_a_hostile_template_with_a_422_naming_the_body(app: App, source: str) -> None:
    before = _rss_mb()
    answer = app.client.put("/api/v1/message-templates/update.slack", json={"body": source}, headers=app.auth())
    assert answer.status_code == 422, answer.text
    (detail,) = answer.json()["error"]["details"]
    assert detail["field"] == "body"
    assert detail["message"].startswith("the template exceeded")
    assert _rss_mb() - before < 20
    listed = {t["key"]: t for t in app.client.get("/api/v1/message-templates", headers=app.auth()).json()}
    assert listed["update.slack"]["edited"] is False


def test_the_web_form_says_what_was_exceeded(app: App) -> None:
    csrf = _login(app)
    answer = app.client.post(
        "/templates/update.slack", data={"body": ATTACKS["ljust"], "csrf_token": csrf}, follow_redirects=True
    )
    assert answer.status_code == 200
    assert "the template exceeded 65536 characters" in answer.text


def test_a_template_saved_before_the_limits_fails_clearly_in_the_composer_and_the_api(app: App) -> None:
    number = _incident(app)
    csrf = _login(app)
    with transaction(app.container.engine, write=True) as conn:  # stored without the save check, as before
        SqlIncidentRepo(conn).save_template("update.slack", NESTED_LOOPS, app.clock.now(), "old")
    started = time.perf_counter()
    page = app.client.post(f"/incidents/{number}/compose", data={"template": "update.slack", "csrf_token": csrf})
    took = time.perf_counter() - started
    assert page.status_code == 200
    assert "the template exceeded 2 s" in page.text
    assert took < 4
    answer: Any = app.client.post(
        f"/api/v1/incidents/{number}/communications/preview", json={"template": "update.slack"}, headers=app.auth()
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == [{"field": "body", "message": "the template exceeded 2 s"}]
