"""The Content-Security-Policy of each answer.

Firebell's own pages load scripts, styles and images from itself only, and run no inline script or
style: HTMX and the page scripts are static files (web/static/). The API documentation pages are
FastAPI's, which load Swagger UI and ReDoc from their CDN and start them inline; their policy allows
just that, on their paths only. Swagger UI's inline start is allowed by its hash, rendered as
FastAPI renders it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from functools import lru_cache

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.types import Scope

from firebell.postmortems.printable import PRINT_STYLE
from firebell.web.middleware import BUSY_STYLE

_CDN = "https://cdn.jsdelivr.net"
_FAVICON = "https://fastapi.tiangolo.com"
_NO_FRAMING = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# The two self-contained pages keep their style inline: the printable postmortem (saved as one file)
# and the busy page (shown when no request can be served, a stylesheet included).
_OWN_STYLES = " ".join(_sha256(style) for style in (PRINT_STYLE, BUSY_STYLE))
APP_POLICY = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {_OWN_STYLES}; img-src 'self' data:; "
    f"connect-src 'self'; font-src 'self'; {_NO_FRAMING}"
)
# ReDoc styles itself with inline <style> and renders in a worker it builds from a blob.
REDOC_POLICY = (
    f"default-src 'self'; script-src 'self' {_CDN}; style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; "
    f"font-src 'self' https://fonts.gstatic.com; img-src 'self' data: {_FAVICON} https://cdn.redoc.ly; "
    f"worker-src 'self' blob:; connect-src 'self'; {_NO_FRAMING}"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def policies(app: FastAPI) -> Callable[[Scope], str]:
    """The policy for a request, by its path."""

    @lru_cache(maxsize=8)
    def swagger(root_path: str) -> str:
        # The same arguments FastAPI.setup passes, so the inline start hashes the same.
        redirect = app.swagger_ui_oauth2_redirect_url
        page = get_swagger_ui_html(
            openapi_url=root_path + (app.openapi_url or ""),
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root_path + redirect if redirect else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        ).body
        hashes = " ".join(_sha256(script) for script in _INLINE_SCRIPT.findall(bytes(page).decode()))
        return (
            f"default-src 'self'; script-src 'self' {_CDN} {hashes}; style-src 'self' {_CDN}; "
            f"img-src 'self' data: {_FAVICON}; connect-src 'self'; {_NO_FRAMING}"
        )

    def policy(scope: Scope) -> str:
        root_path = str(scope.get("root_path", "")).rstrip("/")
        path = str(scope["path"]).removeprefix(root_path) if root_path else str(scope["path"])
        if app.docs_url and path == app.docs_url:
            return swagger(root_path)
        if app.redoc_url and path == app.redoc_url:
            return REDOC_POLICY
        return APP_POLICY

    return policy
