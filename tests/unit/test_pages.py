"""Page helpers: links from alert payloads can only be http(s)."""

from __future__ import annotations

import pytest

from firebell.web.pages import TEMPLATES


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("https://runbooks.example.com/x", "https://runbooks.example.com/x"),
        ("HTTP://example.com", "HTTP://example.com"),
        ("javascript:alert(1)", "#"),
        ("  JavaScript:alert(1)", "#"),
        ("data:text/html,<script>", "#"),
        ("", "#"),
        (None, "#"),
    ],
)
def test_only_http_links_are_rendered(given: str | None, shown: str) -> None:
    assert TEMPLATES.env.filters["safe_url"](given) == shown
