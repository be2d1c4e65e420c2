"""The wheel installs into a fresh virtual environment and runs from there alone.

The wheel is built from a copy of the sources (so no earlier build/ directory leaks files into it),
installed with its dependencies by pip from the indexes pip is configured with, into a venv that
does not see the system's or the test venv's packages. Then, from an empty working directory and
without PYTHONPATH, `firebell db upgrade` and `firebell serve` run, and the server answers with its
templates, static files and the API documentation's assets. Every file of the package that is not
Python source (templates, static files, migrations, message templates) must be in the installed copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, free_port

pytestmark = pytest.mark.timeout(420)

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "firebell"


def _clean_env(home: Path) -> dict[str, str]:
    """The caller's environment less anything that would point Python or Firebell elsewhere."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP") and not key.startswith("FIREBELL_")
    }
    env["HOME"] = env.get("HOME", str(home))
    return env


def _run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    output = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{output}"
    return done


@dataclass
class Installed:
    wheel: Path
    venv: Path
    site: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    env = _clean_env(base)
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(PACKAGE, source / "src" / "firebell", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = base / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels), str(source)],
        cwd=base,
        env=env,
        timeout=300,
    )
    (wheel,) = wheels.glob("firebell-*.whl")

    target = base / "venv"
    venv.create(target, with_pip=True, system_site_packages=False, symlinks=True)
    python = target / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=base, env=env, timeout=300)
    site = Path(
        _run(
            [str(python), "-c", "import firebell, pathlib; print(pathlib.Path(firebell.__file__).parent)"],
            cwd=base,
            env=env,
            timeout=60,
        ).stdout.strip()
    )
    return Installed(wheel=wheel, venv=target, site=site, env=env)


def _data_files(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_every_data_file_and_the_licence(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names[-10:]
    expected = _data_files(PACKAGE)
    for kind in ("web/templates/", "web/static/", "migrations/", "incidents/message_templates/"):
        assert any(name.startswith(kind) for name in expected), kind
    assert expected - _data_files(installed.site) == set()
    # The code runs from the venv's copy, not from this checkout.
    assert installed.site.is_relative_to(installed.venv), installed.site


def test_the_installed_firebell_migrates_and_serves_from_elsewhere(
    installed: Installed, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cwd = tmp_path_factory.mktemp("elsewhere")
    firebell = str(installed.venv / "bin" / "firebell")
    port = free_port()
    env = {**installed.env, "FIREBELL_DATABASE_URL": f"sqlite:///{cwd / 'firebell.db'}", "FIREBELL_PORT": str(port)}
    upgraded = _run([firebell, "db", "upgrade"], cwd=cwd, env=env, timeout=120)
    assert "revision" in upgraded.stdout + upgraded.stderr

    log = cwd / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([firebell, "serve"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"serve exited {server.returncode}:\n{log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"no answer within 60 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)

        login = httpx.get(f"{url}/login", timeout=10)
        assert login.status_code == 200
        assert 'name="password"' in login.text
        assert "/static/app.css" in login.text
        css = httpx.get(f"{url}/static/app.css", timeout=10)
        assert css.status_code == 200
        assert css.content == (PACKAGE / "web" / "static" / "app.css").read_bytes()
        docs = httpx.get(f"{url}/docs", timeout=10)
        assert docs.status_code == 200
        assets = ("/static/api-docs/swagger-ui-bundle.js", "/static/api-docs/swagger-ui.css", "/static/api-docs.js")
        for asset in assets:
            assert asset in docs.text
            answer = httpx.get(f"{url}{asset}", timeout=10)
            assert answer.status_code == 200, asset
            assert len(answer.content) > 100, asset
        redoc = httpx.get(f"{url}/redoc", timeout=10)
        assert redoc.status_code == 200
        assert httpx.get(f"{url}/static/api-docs/redoc.js", timeout=10).status_code == 200
        assert httpx.get(f"{url}/openapi.json", timeout=30).json()["info"]["title"] == "Firebell"
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200  # the migrations it shipped are current
    finally:
        Server(url, env["FIREBELL_DATABASE_URL"], server, log).stop()
