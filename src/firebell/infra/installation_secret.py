"""The secret key of a development installation that was given none.

A fixed, published default would let anyone who can reach a demo install forge acknowledge links, so
each installation makes up its own once and keeps it in a file: beside the SQLite database
(`firebell.db.secret`), or `firebell-dev.secret` in the working directory for another database.
Every worker process and command of that installation then signs with the same key.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from firebell.infra.settings import DEV_SECRET_KEY, Settings


def with_installation_secret(settings: Settings) -> Settings:
    """`settings` with the installation's own secret key in place of the development default."""
    if settings.secret_key.get_secret_value() != DEV_SECRET_KEY:
        return settings
    path = secret_path(settings.database_url)
    try:
        key = secrets.token_urlsafe(32) if path is None else _kept(path)
    except PermissionError:
        key = secrets.token_urlsafe(32)  # nowhere to keep it: links last as long as the process
    return settings.model_copy(update={"secret_key": SecretStr(key)})


def secret_path(database_url: str) -> Path | None:
    """Where the installation keeps its secret; None for an in-memory database (a key per process)."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None  # no database to keep it beside; opening the database says what is wrong, in one line
    if url.get_backend_name() != "sqlite":
        return Path("firebell-dev.secret")
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        return None
    return Path(f"{url.database}.secret")


def _kept(path: Path) -> str:
    # Written under another name and linked into place: the first process wins, the others read it.
    if not path.exists():
        draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
        try:
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink()
    key = _read_private(path)
    if len(key) < 32:
        raise ValueError(f"{path} does not hold a secret key: delete it to make a new one")
    return key


def _read_private(path: Path) -> str:
    """The file's text, refused unless it is a regular file of this user that no one else may read
    or change: a key others can read forges links, one they can write chooses the key."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValueError(f"{path} is a symbolic link: replace it with the key file itself") from exc
        raise
    with os.fdopen(fd) as kept:
        info = os.fstat(kept.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path} is not a regular file")
        if info.st_uid != os.getuid():
            raise ValueError(f"{path} belongs to another user: delete it to make a new one")
        if info.st_mode & 0o077:
            raise ValueError(
                f"{path} may be read or changed by other users (mode {stat.S_IMODE(info.st_mode):o}): chmod 600 it"
            )
        return kept.read().strip()
