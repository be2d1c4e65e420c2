"""The CLI never shows the database password: not on success, not in any error it reports."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import cli

SECRET = "Sup3rSecretPw"


def _said(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def _with_password(url: str, password: str = SECRET) -> str:
    scheme, rest = url.split("://", 1)
    user = rest.split("@", 1)[0].split(":", 1)[0]
    return f"{scheme}://{user}:{password}@{rest.split('@', 1)[1]}"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_upgrade_and_check_with_a_password_in_the_url(database_url: str) -> None:
    url = _with_password(database_url)  # the test server trusts loopback: any password connects
    upgraded = cli(url, "db", "upgrade")
    assert "database at revision" in upgraded.stdout
    checked = cli(url, "config", "check")
    assert "postgres:***@127.0.0.1" in checked.stdout
    for result in (upgraded, checked):
        assert SECRET not in _said(result)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_refused_login_does_not_show_the_password(database_url: str) -> None:
    url = _with_password(database_url).replace("://postgres:", "://no_such_role_fb:")
    result = cli(url, "db", "upgrade", check=False)
    assert result.returncode == 1
    assert SECRET not in _said(result)
    assert "error: cannot use the database postgresql+psycopg://no_such_role_fb:***@127.0.0.1:5432/" in result.stderr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"postgresql+psycopg://fb:{SECRET}@127.0.0.1:9/fb",
            "cannot use the database postgresql+psycopg://fb:***@127.0.0.1:9/fb",
        ),
        (
            f"postgresql+psycopg://fb:{SECRET}@db.invalid/fb",
            "cannot use the database postgresql+psycopg://fb:***@db.invalid/fb",
        ),
        # an unencoded "@" in the password: the driver is handed the rest as part of the host
        ("postgresql+psycopg://fb:Sup3r@SecretPw@127.0.0.1:9/fb", "the database URL's password holds a bare"),
        (
            f"postgresql+nosuchdriver://fb:{SECRET}@127.0.0.1:9/fb",
            "the database URL names no installed driver: postgresql+nosuchdriver",
        ),
        (f"fb:{SECRET}@127.0.0.1/fb", "the database URL does not parse"),
    ],
)
@pytest.mark.parametrize("command", [("db", "upgrade"), ("user", "list")])
def test_an_unusable_database_is_one_line_without_the_password(url: str, shown: str, command: tuple[str, ...]) -> None:
    result = cli(url, *command, check=False)
    assert result.returncode == 1
    said = _said(result)
    assert SECRET not in said
    assert "Sup3r" not in said
    assert "SecretPw" not in said
    assert "Traceback" not in said
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert shown in errors[0], result.stderr
