"""The app factory uvicorn imports in each worker process: settings from the environment."""

from __future__ import annotations

import sys

from fastapi import FastAPI

from firebell.bootstrap import bootstrap
from firebell.infra import heap
from firebell.infra.settings import Settings
from firebell.web.app import create_app


def create() -> FastAPI:
    # Hand the GIL between the event loop and the intake writer every 0.5 ms rather than 5 ms, so a
    # finished commit is answered promptly even while the loop is busy.
    sys.setswitchinterval(0.0005)
    app = create_app(bootstrap(Settings()))
    heap.settle()
    return app
