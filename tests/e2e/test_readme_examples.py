"""Every shell example in the README runs, as written, against the demo.

The README's `sh`/`bash` blocks are read in order and run in one bash session (so a variable one block
sets is there for the next), in a folder holding a copy of the repository's `examples/`, against
`firebell serve --demo` started as a newcomer starts it. A block that cannot run here says why in a
comment just before it (`<!-- readme-test: skip - why -->`), and each of its `firebell` commands must
still name a real command and real options. The block "First steps without the demo" runs on its own,
on a database of its own (`<!-- readme-test: fresh -->`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIREBELL, free_port, need_peer

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MARK = "::readme-line::"
BASH = shutil.which("bash") or "/bin/bash"

_FENCE = re.compile(r"^(<!-- readme-test: (?P<mark>[^>]*?) -->\n)?```(?P<lang>sh|bash)\n(?P<body>.*?)^```", re.M | re.S)


@dataclass(frozen=True, slots=True)
class Block:
    line: int  # of the opening fence
    body: str
    mark: str  # "" (run on the demo), "fresh", or "skip - why"

    def commands(self) -> Iterator[tuple[int, str]]:
        """Each command line (continuations joined) with its README line number."""
        pending, start = "", 0
        for offset, raw in enumerate(self.body.splitlines(), start=self.line + 1):
            if not pending:
                start = offset
            if raw.endswith("\\"):
                pending += raw[:-1] + " "
                continue
            pending += raw
            if not _complete(pending):
                pending += "\n"  # a quoted argument goes on over lines (a JSON body)
                continue
            command, pending = pending.strip(), ""
            if command and not command.startswith("#"):
                yield start, command


def _complete(command: str) -> bool:
    """Whether the shell would run this as it stands: no quote is left open."""
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return False
    return True


def readme_blocks(text: str) -> list[Block]:
    blocks = []
    for found in _FENCE.finditer(text):
        line = text.count("\n", 0, found.start("lang")) + 1
        blocks.append(Block(line, found.group("body"), (found.group("mark") or "").strip()))
    return blocks


def _script(blocks: list[Block]) -> str:
    """One bash script: each command announced with its README line, stopping at the first failure."""
    lines = ["set -euo pipefail"]
    for block in blocks:
        for number, command in block.commands():
            lines.append(f"echo '{MARK}{number}' >&2")
            lines.append(command)
    return "\n".join(lines) + "\n"


def _failed_line(stderr: str) -> str:
    marks = [line for line in stderr.splitlines() if line.startswith(MARK)]
    return marks[-1].removeprefix(MARK) if marks else "?"


def _venv(work: Path) -> None:
    """The repository folder's `.venv/bin/firebell`, which the README's set-up commands name."""
    (work / ".venv" / "bin").mkdir(parents=True)
    (work / ".venv" / "bin" / "firebell").symlink_to(FIREBELL)


def _wait_ready(url: str, process: subprocess.Popen[str], deadline: float = 90.0) -> None:
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: exit {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the server at {url} did not become ready in {deadline:.0f} s")


def _shell_env(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")}
    env.update(
        PATH=f"{FIREBELL.parent}:{env['PATH']}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        FIREBELL_PORT=str(port),
        COLUMNS="120",
    )
    return env


def _run(script: str, cwd: Path, env: dict[str, str], what: str) -> None:
    result = subprocess.run(
        [BASH, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        line = _failed_line(result.stderr)
        tail = "\n".join(line for line in result.stderr.splitlines() if not line.startswith(MARK))[-2000:]
        pytest.fail(f"{what}: README.md:{line} failed (exit {result.returncode}):\n{tail}\n{result.stdout[-1500:]}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """`firebell serve --demo` in a folder of its own, as a newcomer starts it."""
    need_peer(None if shutil.which("jq") else "jq is not installed: apt-get install jq")
    work = tmp_path / "repo"
    shutil.copytree(REPO / "examples", work / "examples")
    _venv(work)
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    env = _shell_env(home, port)
    process = subprocess.Popen(
        [str(FIREBELL), "serve", "--demo"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process)
        yield work, env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_readme_has_examples_and_says_why_it_skips_any() -> None:
    blocks = readme_blocks(README.read_text(encoding="utf-8"))
    run = [b for b in blocks if not b.mark]
    assert sum(1 for b in run for _ in b.commands()) >= 80, "the README's examples were not found"
    for block in blocks:
        assert block.mark == "fresh" or not block.mark or re.fullmatch(r"skip - \S.{8,}", block.mark), (
            f"README.md:{block.line}: a skipped block says why: <!-- readme-test: skip - why -->"
        )
    assert sum(1 for b in blocks if b.mark.startswith("skip")) <= 12, "most examples must run"


def test_skipped_examples_still_name_real_commands_and_options() -> None:
    """A block that cannot run here (it needs a vendor's API, or starts a server) still spells the CLI right."""
    checked = 0
    for block in readme_blocks(README.read_text(encoding="utf-8")):
        if not block.mark.startswith("skip"):
            continue
        for number, command in block.commands():
            words = command.split()
            if not words or words[0] != "firebell":
                continue
            path = []
            for word in words[1:]:
                if word.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                path.append(word)
            result = subprocess.run(
                [str(FIREBELL), *path, "--help"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                env={**os.environ, "COLUMNS": "300"},
            )
            assert result.returncode == 0, f"README.md:{number}: `firebell {' '.join(path)}` is not a command"
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", command):
                assert option in result.stdout, f"README.md:{number}: `{option}` is not an option of {path}"
            checked += 1
    assert checked >= 5


def test_every_readme_example_runs_on_the_demo(demo: tuple[Path, dict[str, str]]) -> None:
    work, env = demo
    blocks = [b for b in readme_blocks(README.read_text(encoding="utf-8")) if not b.mark]
    _run(_script(blocks), work, env, "on the demo")


def test_the_first_steps_without_the_demo_run_on_a_fresh_database(tmp_path: Path) -> None:
    """The set-up by hand: its own database, then `firebell serve`, which must answer."""
    fresh = [b for b in readme_blocks(README.read_text(encoding="utf-8")) if b.mark == "fresh"]
    assert len(fresh) == 1
    work = tmp_path / "repo"
    _venv(work)
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    env = _shell_env(home, port)
    lines = ["set -euo pipefail"]
    for number, command in fresh[0].commands():
        lines.append(f"echo '{MARK}{number}' >&2")
        if command.endswith("firebell serve"):
            # The server runs until stopped: start it, see it answer, stop it.
            lines += [
                f"{command} > serve.log 2>&1 & server=$!",
                f"for _ in $(seq 150); do curl -fsS http://127.0.0.1:{port}/healthz >/dev/null && break; "
                "sleep 0.4; done",
                f"curl -fsS http://127.0.0.1:{port}/login >/dev/null",
                "kill $server; wait $server || true",
            ]
        else:
            lines.append(command)
    _run("\n".join(lines) + "\n", work, env, "first steps")
