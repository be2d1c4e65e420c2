"""The CLI's settings file: where it is, what `serve --demo` may overwrite, and which value wins
(flag, then environment variable, then the file, then the default)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from firebell.cli import settings_file
from firebell.cli.main import TokenOpt, UrlOpt, app

DEFAULT_URL = "http://127.0.0.1:8080"


def test_path_follows_xdg_config_home_else_home(tmp_path: Path) -> None:
    assert settings_file.path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "firebell" / "cli.toml"
    assert settings_file.path({"HOME": str(tmp_path)}) == tmp_path / ".config" / "firebell" / "cli.toml"


def test_demo_writes_a_private_file_and_replaces_only_its_own(tmp_path: Path) -> None:
    target = tmp_path / "firebell" / "cli.toml"
    where, written = settings_file.write_demo("http://127.0.0.1:9001", "fbt_one", target)
    assert (where, written) == (target, True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert settings_file.read(target) == {"url": "http://127.0.0.1:9001", "token": "fbt_one"}

    assert settings_file.write_demo("http://127.0.0.1:9002", "fbt_two", target)[1]
    assert settings_file.read(target) == {"url": "http://127.0.0.1:9002", "token": "fbt_two"}

    target.write_text('url = "https://mine.example.com"\ntoken = "fbt_mine"\n', encoding="utf-8")
    assert settings_file.write_demo("http://127.0.0.1:9003", "fbt_three", target) == (target, False)
    assert settings_file.read(target) == {"url": "https://mine.example.com", "token": "fbt_mine"}


def test_a_broken_or_odd_file_gives_nothing(tmp_path: Path) -> None:
    target = tmp_path / "cli.toml"
    assert settings_file.read(target) == {}
    target.write_text("url = [", encoding="utf-8")
    assert settings_file.read(target) == {}
    target.write_text('url = 3\ntoken = ""\nother = "x"\n', encoding="utf-8")
    assert settings_file.read(target) == {}


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("FIREBELL_URL", raising=False)
    monkeypatch.delenv("FIREBELL_TOKEN", raising=False)
    return tmp_path


probe = typer.Typer()


@probe.command()
def show(url: UrlOpt = DEFAULT_URL, token: TokenOpt = "") -> None:
    """What a responder command is given."""
    typer.echo(f"{url} {token or '-'}")


def _given(args: list[str], env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(probe, args, env=env)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_without_file_env_or_flag_the_defaults(config_home: Path) -> None:
    assert _given([]) == f"{DEFAULT_URL} -"


def test_precedence_flag_then_env_then_file_then_default(config_home: Path) -> None:
    settings_file.write_demo("http://file:1", "fbt_file", settings_file.path())
    assert _given([]) == "http://file:1 fbt_file"
    env = {"FIREBELL_URL": "http://env:2", "FIREBELL_TOKEN": "fbt_env"}
    assert _given([], env) == "http://env:2 fbt_env"
    assert _given(["--url", "http://flag:3"], env) == "http://flag:3 fbt_env"
    assert _given(["--token", "fbt_flag"], {"FIREBELL_URL": "http://env:2"}) == "http://env:2 fbt_flag"


def test_a_file_with_a_token_only_keeps_the_default_url(config_home: Path) -> None:
    settings_file.write_demo("", "fbt_file", settings_file.path())
    assert _given([]) == f"{DEFAULT_URL} fbt_file"


def test_the_real_commands_read_the_file(config_home: Path) -> None:
    """`alert list` with nothing listening names the file's URL (port 9 refuses on loopback)."""
    settings_file.write_demo("http://127.0.0.1:9", "fbt_file", settings_file.path())
    result = CliRunner().invoke(app, ["alert", "list"])
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == "firebell 0.1.0"
