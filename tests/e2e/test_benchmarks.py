"""Every benchmark under bench/ runs here at a tiny size, so none of them rots unnoticed. The figures
mean nothing at this size; what is checked is that each runs to the end and prints its results."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need_peer

ROOT = Path(__file__).resolve().parents[2]


def _bench(script: str, *args: str, timeout: int = 300) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_escalation_benchmark_runs() -> None:
    out = _bench("bench/escalation.py", "--only", "sqlite", "--incidents", "20", "--spread", "2", "--alerts", "3")
    assert "| sqlite | 20 | 20 (20) |" in out
    assert "A fixed 5 s polling cycle" in out


def test_the_ingest_benchmark_runs(tmp_path: Path) -> None:
    need_peer(None if shutil.which("wrk") else "wrk is not installed (Debian package wrk)")
    output = tmp_path / "ingest.json"
    _bench(
        "bench/ingest.py", "--quick", "--only", "sqlite", "--scenarios", "single", "--concurrency", "4",
        "--duration", "1", "--warmup", "1", "--repeats", "1", "--output", str(output),
    )  # fmt: skip
    assert json.loads(output.read_text())


def test_the_ingest_benchmark_runs_at_a_steady_rate_over_a_history(tmp_path: Path) -> None:
    need_peer(None if shutil.which("prometheus-alertmanager") else "Debian package prometheus-alertmanager")
    output = tmp_path / "steady.json"
    out = _bench(
        "bench/ingest.py", "--only", "sqlite,alertmanager", "--scenarios", "single", "--rate", "40",
        "--duration", "1", "--warmup", "1", "--repeats", "1", "--history", "500", "--output", str(output),
    )  # fmt: skip
    assert "history: 500 alerts written" in out
    assert "open loop at 40 alerts/s, 500 alerts of history" in out
    cells = {cell["target"]: cell for cell in json.loads(output.read_text())["cells"]}
    for target in ("sqlite", "alertmanager"):
        run = cells[target]["runs"][0]
        assert run["requests"] == 40, run  # every scheduled request was answered
        assert run["non_2xx"] == 0, run
        assert run["p99_ms"] is not None, run
        assert run["p50_ms"] <= run["p99_ms"], run
    assert cells["sqlite"]["durability"]["rows"] >= 500 + 80  # the history, and the warm-up's and run's alerts


def test_the_readers_benchmark_runs() -> None:
    out = _bench("bench/readers.py", "--only", "sqlite", "--readers", "4", "--seconds", "3", "--pages", "3")
    assert "| sqlite | 4 |" in out
    assert "| 3/3 |" in out  # every level-2 page due while they read went out


def test_the_metrics_benchmark_runs() -> None:
    out = _bench("bench/metrics.py", "--alerts", "2000", "--incidents", "200", "--only", "sqlite", "--repeat", "1")
    assert "| SQLite |" in out


@pytest.mark.timeout(300)
def test_the_soak_runs(tmp_path: Path) -> None:
    output = tmp_path / "soak.json"
    _bench("bench/soak.py", "--db", "sqlite", "--minutes", "0.1", "--rate", "5", "--output", str(output))
    assert json.loads(output.read_text())


def test_the_acknowledgement_race_benchmark_runs(tmp_path: Path) -> None:
    output = tmp_path / "race.json"
    out = _bench("bench/ack_race.py", "--only", "sqlite", "--races", "10", "--spread", "2", "--json", str(output))
    assert "| sqlite | 10 | 10 | 0 | 0 |" in out
    assert json.loads(output.read_text())["sqlite"]["races"] == 10


def test_the_login_flood_benchmark_runs() -> None:
    out = _bench("bench/login_flood.py", "--alerts", "20", "--flooders", "2", "--half-open", "50")
    assert "login answers during the flood (2 clients): {" in out
    ratios = {}
    for phase in ("idle", "login flood", "half-open (50 held)", "login flood and half-open at once"):
        row = next(line for line in out.splitlines() if line.startswith(f"| {phase} |"))
        ratios[phase] = float(row.rstrip(" |").rsplit("|", 1)[1].strip().rstrip("x"))
    assert ratios["idle"] == 1.0
    # Very generous: the full-size run measures the ratios (target 2x).
    assert ratios["login flood"] < 50, out
    assert ratios["login flood and half-open at once"] < 50, out
