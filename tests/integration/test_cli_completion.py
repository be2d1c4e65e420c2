"""Shell completion: `firebell --show-completion` prints the script for the shell it runs in, and the
completion it hooks up answers with firebell's own commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIREBELL = Path(sys.executable).parent / "firebell"


def test_bash_gets_a_script_that_completes_firebell() -> None:
    shown = subprocess.run(
        ["/bin/bash", "-c", f"{FIREBELL} --show-completion"], capture_output=True, text=True, timeout=60, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert "_firebell_completion()" in shown.stdout
    assert "complete -o default -F _firebell_completion firebell" in shown.stdout
    assert "_FIREBELL_COMPLETE=complete_bash" in shown.stdout


def test_the_completion_answers_with_commands_and_subcommands() -> None:
    def complete(words: str) -> list[str]:
        env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        env["_FIREBELL_COMPLETE"] = "complete_bash"
        done = subprocess.run([str(FIREBELL)], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert "serve" in complete("firebell se")
    assert complete("firebell db up") == ["upgrade"]


def test_help_offers_the_install() -> None:
    shown = subprocess.run([str(FIREBELL), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert "--install-completion" in shown.stdout
