"""The API documentation pages, Swagger UI at /docs and ReDoc at /redoc, served from Firebell itself.

Their scripts and stylesheet are the bundles the fastapi-offline package ships (Swagger UI, under the
Apache License 2.0, and ReDoc, under the MIT licence), mounted under /static/api-docs/, so the pages
work without any other origin. Neither page runs an inline script: Swagger UI is started
by web/static/api-docs.js, which reads the OpenAPI document's address from the page.

ReDoc's bundle has one address of its own: the footer of its menu shows Redocly's logo, an image
from their CDN. The copy served here (as redoc.js) gives that image no address instead; ReDoc then
drops it, as it does whenever the logo fails to load, and the page asks nothing of another origin.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import escape

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/static/api-docs"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
REDOC_LOGO = '"https://cdn.redoc.ly/redoc/logo-mini.svg"'

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _openapi_url(request: Request) -> str:
    return _root(request) + (request.app.openapi_url or "/openapi.json")


def _page(request: Request, kind: str, head: str, body: str) -> HTMLResponse:
    """One documentation page: its title, the favicon, then what the viewer needs."""
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
{head}<title>{escape(request.app.title)} - {kind}</title>
<link rel="icon" href="{_root(request)}{ASSETS_URL}/favicon.png">
</head>
<body>
{body}</body>
</html>
"""
    )


@router.get(DOCS_URL)
def swagger_ui(request: Request) -> HTMLResponse:
    root, spec = _root(request), escape(_openapi_url(request))
    return _page(
        request,
        "Swagger UI",
        f'<link rel="stylesheet" href="{root}{ASSETS_URL}/swagger-ui.css">\n',
        f'<div id="swagger-ui" data-openapi-url="{spec}"></div>\n'
        f'<script src="{root}{ASSETS_URL}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{root}/static/api-docs.js"></script>\n',
    )


@router.get(REDOC_URL)
def redoc(request: Request) -> HTMLResponse:
    root, spec = _root(request), escape(_openapi_url(request))
    return _page(
        request,
        "ReDoc",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<style>body { margin: 0; padding: 0; }</style>\n",
        f'<redoc spec-url="{spec}"></redoc>\n<script src="{root}{ASSETS_URL}/redoc.js"></script>\n',
    )


@cache
def _redoc_bundle() -> bytes:
    return (ASSETS / "redoc.standalone.js").read_text(encoding="utf-8").replace(REDOC_LOGO, '""').encode()


@router.get(f"{ASSETS_URL}/redoc.js")
def redoc_bundle() -> Response:
    return Response(
        _redoc_bundle(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def install(app: FastAPI) -> None:
    """Add the two pages and their assets; call before /static is mounted (its mount would shadow)."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api-docs")
