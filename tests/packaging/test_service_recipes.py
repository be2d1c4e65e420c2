"""The systemd unit and the container recipe in packaging/.

The unit is checked by systemd's own `systemd-analyze verify` (any warning fails, such as a
misspelt key or a value it cannot parse) and scored by `systemd-analyze security --offline`, with
ExecStart pointed at this environment's firebell (verify wants the program to exist).

No container engine runs on these machines (the docker client answers, the daemon does not), so
the recipe is read rather than built: each COPY source exists, the runtime runs as a user of its
own with the SQLite database on a volume, its health check asks an endpoint the app serves, and it
starts `firebell serve`. The wheel that its first stage builds is built and run in test_wheel.py.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

from tests.conftest import FIREBELL, need_peer

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
UNIT = PACKAGING / "firebell.service"
CONTAINERFILE = PACKAGING / "Containerfile"
ENV_EXAMPLE = PACKAGING / "firebell.env.example"


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    need_peer(None if found else "systemd-analyze is not installed (Debian: systemd)")
    assert found is not None
    return found


def _unit() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def _local_copy(tmp_path: Path) -> Path:
    text = UNIT.read_text()
    assert "ExecStart=/opt/firebell/bin/firebell serve\n" in text
    copy = tmp_path / "firebell.service"
    copy.write_text(text.replace("ExecStart=/opt/firebell/bin/firebell", f"ExecStart={FIREBELL}"))
    return copy


def test_systemd_verifies_the_unit_without_a_warning(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    done = subprocess.run(
        [analyze, "verify", str(_local_copy(tmp_path))], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_the_verifier_catches_a_misspelt_hardening_option(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    broken = _local_copy(tmp_path)
    broken.write_text(broken.read_text().replace("ProtectSystem=strict", "ProtectSystem=strictly"))
    done = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True, timeout=60, check=False)
    assert "ProtectSystem" in done.stderr or "protect system" in done.stderr, done.stderr


def test_the_unit_is_hardened(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    done = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(_local_copy(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r"Overall exposure level for firebell\.service: (\d+\.\d+)", done.stdout)
    assert found, done.stdout[-2000:] + done.stderr
    assert float(found.group(1)) <= 2.5, done.stdout  # systemd's "OK" band starts below 4


def test_the_unit_has_its_essentials() -> None:
    service = _unit()["Service"]
    essentials = {
        "User": ["firebell"],
        "EnvironmentFile": ["/etc/firebell/firebell.env"],
        "StateDirectory": ["firebell"],
        "WorkingDirectory": ["/var/lib/firebell"],
        "ExecStart": ["/opt/firebell/bin/firebell serve"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "CapabilityBoundingSet": [""],
        "Restart": ["on-failure"],
    }
    for key, value in essentials.items():
        assert service.get(key) == value, (key, service.get(key))
    assert _unit()["Install"]["WantedBy"] == ["multi-user.target"]


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_the_env_example_names_real_settings_and_keeps_state_in_the_state_directory() -> None:
    settings = _env_example()
    reference = (REPO / "docs" / "configuration.md").read_text()
    for key in settings:
        assert f"`{key}`" in reference, f"{key} is not a Firebell setting"
    assert settings["FIREBELL_ENV"] == "prod"
    assert settings["FIREBELL_DATABASE_URL"] == "sqlite:////var/lib/firebell/firebell.db"
    assert settings["FIREBELL_SECRET_KEY"] == "CHANGE-ME"  # a placeholder, never a working secret


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    lines = [line for line in CONTAINERFILE.read_text().splitlines() if not line.startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    split = (line.strip().partition(" ") for line in joined.splitlines())
    return [(name.upper(), args.strip()) for name, _, args in split if name]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def test_the_container_recipe_copies_only_what_exists() -> None:
    copies = [args for name, args in _instructions() if name in ("COPY", "ADD")]
    assert copies
    for args in copies:
        parts = shlex.split(args)
        if any(part.startswith("--from=") for part in parts):
            continue
        sources = [part for part in parts if not part.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"


def test_the_container_runs_firebell_serve_as_its_own_user_with_a_data_volume() -> None:
    stages = _stages()
    assert len(stages) >= 2, "a build stage and a runtime stage"
    runtime = dict(stages[-1])
    assert any(args.startswith("--from=") for name, args in stages[-1] if name == "COPY"), "only built wheels come in"
    assert runtime["USER"] not in ("root", "0"), runtime["USER"]
    assert "useradd --system" in runtime["RUN"]
    assert "--home-dir /var/lib/firebell" in runtime["RUN"]
    assert json.loads(runtime["VOLUME"]) == ["/var/lib/firebell"]
    assert "FIREBELL_DATABASE_URL=sqlite:////var/lib/firebell/firebell.db" in runtime["ENV"]
    command = json.loads(runtime["ENTRYPOINT"]) + json.loads(runtime["CMD"])
    assert command == ["firebell", "serve"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "firebell" in scripts
    assert "FIREBELL_HOST=0.0.0.0" in runtime["ENV"]  # reachable through the published port


def test_the_container_health_check_asks_an_endpoint_the_app_serves() -> None:
    runtime = dict(_stages()[-1])
    check = runtime["HEALTHCHECK"]
    path = re.search(r"'(/[a-z]+)'", check)
    assert path, check
    health = (REPO / "src" / "firebell" / "web" / "health.py").read_text()
    assert f'@router.get("{path.group(1)}"' in health, path.group(1)
    # The check runs with the image's own Python; the slim image has no curl.
    assert json.loads(check.split("CMD", 1)[1])[0] == "python"
