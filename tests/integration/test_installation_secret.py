"""The key that signs acknowledge links: never the published development default. `prod` refuses to
start without a long secret; a development installation makes up its own and keeps it."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from firebell.infra.installation_secret import with_installation_secret
from firebell.infra.settings import DEV_SECRET_KEY, Settings, WebhookSettings
from firebell.paging.links import AckGrant, sign_ack
from tests.conftest import FIREBELL
from tests.integration.conftest import PagingApp

PUBLISHED_KEY = hmac.new(DEV_SECRET_KEY.encode(), b"firebell ack links", hashlib.sha256).digest()


def test_a_link_forged_with_the_development_default_acknowledges_nothing(paging: PagingApp) -> None:
    sent = paging.client.post(
        "/api/v1/alerts",
        json={"service": "checkout", "severity": "critical", "summary": "down", "dedup_key": "down"},
        headers=paging.auth(),
    )
    assert sent.status_code == 202, sent.text
    incident = paging.client.get("/api/v1/incidents?status=open", headers=paging.auth()).json()[0]
    alice = paging.scalar("SELECT id FROM users WHERE email = 'alice@example.com'")
    grant = AckGrant(str(incident["id"]), str(alice), paging.clock.now() + timedelta(hours=1))
    forged = paging.client.post(f"/ack/{sign_ack(PUBLISHED_KEY, grant)}")
    assert forged.status_code == 409
    assert "not issued by this Firebell" in forged.text
    status = paging.client.get(f"/api/v1/incidents/{incident['number']}", headers=paging.auth()).json()["status"]
    assert status == "detected"


def test_a_development_installation_makes_its_own_key_once_and_keeps_it(tmp_path: Path) -> None:
    def key(database: str) -> str:
        settings = with_installation_secret(Settings(database_url=f"sqlite:///{tmp_path / database}"))
        return settings.secret_key.get_secret_value()

    first = key("one.db")
    assert first != DEV_SECRET_KEY
    assert len(first) >= 32
    assert key("one.db") == first  # every worker and command of the installation signs alike
    assert (tmp_path / "one.db.secret").stat().st_mode & 0o077 == 0
    assert key("two.db") != first
    chosen = Settings(database_url=f"sqlite:///{tmp_path / 'one.db'}", secret_key=SecretStr("x" * 40))
    assert with_installation_secret(chosen).secret_key.get_secret_value() == "x" * 40


@pytest.mark.parametrize("secret", [DEV_SECRET_KEY, "abcde", "y" * 31])
def test_prod_refuses_the_default_or_a_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(env="prod", secret_key=SecretStr(secret))
    webhook = WebhookSettings(signing_secret=SecretStr("w" * 32))
    assert Settings(env="prod", secret_key=SecretStr("z" * 32), webhook=webhook).env == "prod"


def test_serve_in_prod_with_a_short_secret_stops_with_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FIREBELL_ENV": "prod",
        "FIREBELL_SECRET_KEY": "abcde",
        "FIREBELL_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
    }
    result = subprocess.run([str(FIREBELL), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: FIREBELL_SECRET_KEY must be set to a secret of at least 32 characters")
    assert not (tmp_path / "prod.db").exists()


def test_a_key_file_others_may_read_or_change_is_refused(tmp_path: Path) -> None:
    kept = tmp_path / "one.db.secret"
    kept.write_text("k" * 40)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'one.db'}")
    for mode in (0o644, 0o620, 0o604):
        kept.chmod(mode)
        with pytest.raises(ValueError, match=f"may be read or changed by other users \\(mode {mode:o}\\)"):
            with_installation_secret(settings)
    kept.chmod(0o600)
    assert with_installation_secret(settings).secret_key.get_secret_value() == "k" * 40


def test_a_key_file_that_is_a_link_or_another_users_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("k" * 40)
    elsewhere.chmod(0o600)
    (tmp_path / "one.db.secret").symlink_to(elsewhere)
    with pytest.raises(ValueError, match="is a symbolic link"):
        with_installation_secret(Settings(database_url=f"sqlite:///{tmp_path / 'one.db'}"))
    if os.geteuid() != 0:
        return  # only root can give a file to another user
    other = tmp_path / "two.db.secret"
    other.write_text("k" * 40)
    other.chmod(0o600)
    os.chown(other, 65534, 65534)
    with pytest.raises(ValueError, match="belongs to another user"):
        with_installation_secret(Settings(database_url=f"sqlite:///{tmp_path / 'two.db'}"))


def test_a_command_with_an_open_key_file_stops_with_one_line(tmp_path: Path) -> None:
    kept = tmp_path / "one.db.secret"
    kept.write_text("k" * 40)
    kept.chmod(0o644)
    env = {**os.environ, "FIREBELL_DATABASE_URL": f"sqlite:///{tmp_path / 'one.db'}"}
    result = subprocess.run([str(FIREBELL), "user", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == f"error: {kept} may be read or changed by other users (mode 644): chmod 600 it"
