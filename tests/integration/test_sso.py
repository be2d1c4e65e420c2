"""Single sign-on against a real OpenID Connect provider: panva's oidc-provider (OpenID Certified),
from the npm registry, run by Node.js (tests/peers/oidc_provider.mjs); installed once into
.cache/oidc and reused. The browser's part is played by an HTTP client that fills in the provider's
own login and consent forms."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from firebell.bootstrap import bootstrap
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_user
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import Settings
from firebell.kernel.clock import ManualClock
from firebell.web.app import create_app
from tests.conftest import REPORTS, free_port, need_peer

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "oidc"
SCRIPT = REPO / "tests" / "peers" / "oidc_provider.mjs"
PACKAGE = "oidc-provider@8"
CALLBACK = "http://testserver/login/sso/callback"


def provider_modules() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    need_peer(None if node and npm else "Node.js and npm are needed to run the OpenID Connect provider")
    modules = CACHE / "node_modules"
    if not (modules / "oidc-provider" / "package.json").exists():
        started = time.monotonic()
        install = [str(npm), "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--no-save", PACKAGE]
        done = subprocess.run(install, capture_output=True, text=True, timeout=600)
        need_peer(None if done.returncode == 0 else f"npm could not install {PACKAGE}: {done.stderr[-500:]}")
        REPORTS.append(f"npm install {PACKAGE}: {time.monotonic() - started:.1f} s")
    return modules


@contextmanager
def oidc_provider(redirect_uri: str) -> Iterator[str]:
    """A running provider with Firebell registered as client `firebell`; yields its issuer URL."""
    modules = provider_modules()
    port = free_port()
    node = shutil.which("node") or "node"
    args = [node, str(SCRIPT), str(modules), str(port), "firebell", "provider-secret", redirect_uri]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the OpenID Connect provider did not start: {process.stdout.read() if process.stdout else ''}")
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider(CALLBACK) as issuer:
        yield issuer


@dataclass
class Sso:
    client: TestClient
    issuer: str
    container: object

    def log_in(self, login: str, *, consent: bool = True) -> httpx.Response:
        """Go through the provider as `login` and come back; the answer of Firebell's callback."""
        start = self.client.get("/login/sso", params={"next": "/access"}, follow_redirects=False)
        assert start.status_code == 303, start.text
        with httpx.Client() as browser:
            page = browser.get(start.headers["location"], follow_redirects=True)
            action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
            assert action, page.text[:500]
            page = browser.post(
                action.group(1), data={"prompt": "login", "login": login, "password": "x"}, follow_redirects=True
            )
            action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
            assert action, page.text[:500]
            if consent:
                answer = browser.post(action.group(1), data={"prompt": "consent"}, follow_redirects=False)
            else:
                answer = browser.get(f"{action.group(1)}/abort", follow_redirects=False)
            while answer.is_redirect and not answer.headers["location"].startswith("http://testserver"):
                answer = browser.get(answer.headers["location"], follow_redirects=False)
        back = answer.headers["location"].removeprefix("http://testserver")
        return self.client.get(back, follow_redirects=False)


def _sso(database_url: str, issuer: str, **oidc: object) -> tuple[TestClient, object]:
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "sqlite_synchronous": "NORMAL",
            "oidc": {"issuer": issuer, "client_id": "firebell", "client_secret": "provider-secret", **oidc},
        }
    )
    container = bootstrap(settings, clock=ManualClock())
    migrate.upgrade(container.engine)
    return TestClient(create_app(container)), container


@pytest.fixture
def sso(database_url: str, provider: str) -> Iterator[Sso]:
    client, container = _sso(database_url, provider)
    with client:
        yield Sso(client, provider, container)
    container.engine.dispose()  # type: ignore[attr-defined]


def test_first_login_creates_a_viewer_and_later_logins_find_them(sso: Sso) -> None:
    page = sso.client.get("/login")
    assert 'id="sso"' in page.text
    assert "Log in with single sign-on" in page.text
    back = sso.log_in("alice")
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/access"
    access = sso.client.get("/access")
    assert "alice@example.com" in access.text
    assert "<strong>viewer</strong>" in access.text
    users = sso.client.get("/api/v1/me")
    assert users.json()["role"] == "viewer"
    sso.client.cookies.clear()
    assert sso.log_in("alice").status_code == 303
    with transaction(sso.container.engine) as conn:  # type: ignore[attr-defined]
        people = [u for u in SqlIdentityRepo(conn).users_with_roles() if u["email"] == "alice@example.com"]
    assert len(people) == 1
    assert people[0]["sso"] is True


def test_an_existing_user_is_linked_by_email_and_keeps_their_role(sso: Sso) -> None:
    with transaction(sso.container.engine, write=True) as conn:  # type: ignore[attr-defined]
        create_user(
            repo=SqlIdentityRepo(conn),
            email="bob@example.com",
            password="pw-123456",
            role=Role.ADMIN,
            now=sso.container.clock.now(),
        )  # type: ignore[attr-defined]
    assert sso.log_in("bob").status_code == 303
    assert sso.client.get("/api/v1/me").json()["role"] == "admin"


def test_a_refused_consent_a_forged_state_and_a_stranger_are_turned_away(sso: Sso, database_url: str) -> None:
    refused = sso.log_in("carol", consent=False)
    assert refused.status_code == 401
    assert "the single sign-on provider refused" in refused.text
    # A reply this browser did not ask for (no flow cookie, or another state) is refused.
    sso.client.cookies.clear()
    forged = sso.client.get("/login/sso/callback", params={"code": "x", "state": "y"})
    assert forged.status_code == 401
    assert "did not start a single sign-on login" in forged.text
    assert sso.client.get("/api/v1/me").status_code == 401


def test_an_email_the_provider_has_not_verified_logs_in_as_nobody(sso: Sso) -> None:
    with transaction(sso.container.engine, write=True) as conn:  # type: ignore[attr-defined]
        create_user(
            repo=SqlIdentityRepo(conn),
            email="unverified-eve@example.com",
            password="pw-123456",
            role=Role.ADMIN,
            now=sso.container.clock.now(),  # type: ignore[attr-defined]
        )
    refused = sso.log_in("unverified-eve")
    assert refused.status_code == 401
    assert "has not verified unverified-eve@example.com" in refused.text
    assert sso.client.get("/api/v1/me").status_code == 401


def test_only_known_people_or_allowed_domains_when_so_configured(database_url: str, provider: str) -> None:
    client, container = _sso(database_url, provider, create_users=False)
    with client:
        stranger = Sso(client, provider, container).log_in("dave")
        assert stranger.status_code == 401
        assert "no Firebell user has the email dave@example.com" in stranger.text
    container.engine.dispose()  # type: ignore[attr-defined]
    client, container = _sso(database_url, provider, allowed_domains="corp.example")
    with client:
        outsider = Sso(client, provider, container).log_in("erin")
        assert outsider.status_code == 401
        assert "single sign-on is open to corp.example" in outsider.text
    container.engine.dispose()  # type: ignore[attr-defined]


def test_without_a_provider_there_is_no_button(app: object) -> None:
    from tests.integration.conftest import App

    assert isinstance(app, App)
    assert 'id="sso"' not in app.client.get("/login").text
    assert "not set up here" in app.client.get("/login/sso").text
