"""Acknowledgements racing the next level: hundreds of incidents are acknowledged through the API right
around the instant their level 2 falls due (bench/ack_race.py does the work against a real server and
a real receiver). No page may arrive after the acknowledgement's 2xx, and the timeline may not say a
level was paged when none of its notifications went out, unless it also says they were cancelled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPORTS

ROOT = Path(__file__).resolve().parents[2]
RACES = 200


@pytest.mark.timeout(600)
@pytest.mark.parametrize("target", ["sqlite", "postgres"])
def test_no_page_arrives_after_the_acknowledgement_and_the_timeline_is_honest(target: str, tmp_path: Path) -> None:
    output = tmp_path / "race.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ack_race.py"), "--only", target, "--races", str(RACES),
         "--spread", "20", "--json", str(output)],
        capture_output=True, text=True, timeout=580, cwd=ROOT,
    )  # fmt: skip
    assert output.exists(), f"bench/ack_race.py failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result = json.loads(output.read_text())[target]
    REPORTS.append(f"faults, acknowledgement races ({target}): {result}")
    assert result["acknowledged"] == {"200": RACES}
    assert result["late"] == 0
    assert result["dishonest"] == 0
    # The races were real: some pages went out just before the acknowledgement, some were answered first.
    assert result["reached_before_ack"] > 0
    assert result["paged_then_cancelled"] + result["answered_before_paging"] > 0
    assert done.returncode == 0
