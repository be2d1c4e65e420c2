"""The CLI's settings file: the server URL and API token, beside --url/FIREBELL_URL and
--token/FIREBELL_TOKEN.

It lives at `$XDG_CONFIG_HOME/firebell/cli.toml` (`~/.config/firebell/cli.toml` without it), readable
by its owner only, and holds two keys:

    url = "http://127.0.0.1:8080"
    token = "fb_..."

Which value wins: the flag, then the environment variable, then this file, then the default.
`serve --demo` writes it, and overwrites only a file it wrote itself (its first line says so).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path

import typer

DEMO_MARK = "# Written by `firebell serve --demo`; it is replaced at each demo start. Edit it and it is kept."
_FROM_COMMAND_LINE_OR_ENV = ("COMMANDLINE", "ENVIRONMENT")  # click's ParameterSource names


def path(environ: os._Environ[str] | dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "firebell" / "cli.toml"


def read(where: Path | None = None) -> dict[str, str]:
    """The file's url and token (those it has, as strings); nothing when it is missing or unreadable."""
    try:
        data = tomllib.loads((where or path()).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return {k: v for k, v in data.items() if k in ("url", "token") and isinstance(v, str) and v}


def write_demo(url: str, token: str, where: Path | None = None) -> tuple[Path, bool]:
    """Write the demo's url and token, readable by the owner only, unless a file the demo did not write
    is there; the path and whether it was written."""
    target = where or path()
    try:
        first = target.read_text(encoding="utf-8").split("\n", 1)[0]
    except FileNotFoundError:
        first = DEMO_MARK
    except (OSError, UnicodeDecodeError):
        first = ""
    if first != DEMO_MARK:
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = f'{DEMO_MARK}\nurl = "{_toml(url)}"\ntoken = "{_toml(token)}"\n'
    temporary = target.with_name(target.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)
    return target, True


def _toml(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def from_file(key: str) -> Callable[[typer.Context, typer.CallbackParam, str], str]:
    """An option's callback: its value from the settings file's `key` when neither the flag nor the
    environment variable gave one."""

    def callback(ctx: typer.Context, param: typer.CallbackParam, value: str) -> str:
        source = ctx.get_parameter_source(param.name) if param.name is not None else None
        if source is not None and source.name in _FROM_COMMAND_LINE_OR_ENV:
            return value
        return read().get(key, value)

    return callback
