"""The Content-Security-Policy of each answer.

Firebell's own pages load scripts, styles and images from itself only, and run no inline script or
style: HTMX and the page scripts are static files (web/static/). The API documentation pages
(web/api_docs.py) load Swagger UI and ReDoc from Firebell too and run no inline script either;
ReDoc alone needs more, on its path only: it styles itself with inline <style> elements and renders
in a worker it builds from a blob.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from starlette.types import Scope

from firebell.postmortems.printable import PRINT_STYLE
from firebell.web.api_docs import REDOC_URL
from firebell.web.middleware import BUSY_STYLE

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
REDOC_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    f"img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; {_NO_FRAMING}"
)


def policies() -> Callable[[Scope], str]:
    """The policy for a request, by its path: /docs gets the app's own."""

    def policy(scope: Scope) -> str:
        root_path = str(scope.get("root_path", "")).rstrip("/")
        path = str(scope["path"]).removeprefix(root_path) if root_path else str(scope["path"])
        if path == REDOC_URL:
            return REDOC_POLICY
        return APP_POLICY

    return policy
