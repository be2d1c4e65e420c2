"""The exported catalog-info.yaml passes Backstage's own validation: `@backstage/catalog-model` from
the npm registry, run by the machine's Node.js (tests/peers/backstage_validate.cjs). The package is
installed once into .cache/backstage and reused."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPORTS, Server, cli, last_line, need_peer
from tests.unit.catalog.test_backstage import CATALOG_INFO

REPO = Path(__file__).resolve().parents[3]
CACHE = REPO / ".cache" / "backstage"
SCRIPT = REPO / "tests" / "peers" / "backstage_validate.cjs"
PACKAGES = ("@backstage/catalog-model@1", "yaml@2")  # the catalog model, and the YAML parser Backstage reads files with


def validate(modules: Path, file: Path) -> tuple[int, list[dict[str, object]]]:
    node = shutil.which("node") or "node"
    done = subprocess.run([node, str(SCRIPT), str(modules), str(file)], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def backstage_modules() -> Path:
    """node_modules with Backstage's catalog model, installed on first use; skips (fails in CI) without npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    need_peer(None if node and npm else "Node.js and npm are needed to run Backstage's validator")
    modules = CACHE / "node_modules"
    if not (modules / "@backstage" / "catalog-model" / "package.json").exists():
        started = time.monotonic()
        install = [str(npm), "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--no-save", *PACKAGES]
        done = subprocess.run(install, capture_output=True, text=True, timeout=600)
        need_peer(None if done.returncode == 0 else f"npm could not install {' '.join(PACKAGES)}: {done.stderr[-500:]}")
        REPORTS.append(f"npm install {' '.join(PACKAGES)}: {time.monotonic() - started:.1f} s")
    return modules


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_backstage_accepts_the_exported_catalog(server: Server, tmp_path: Path) -> None:
    modules = backstage_modules()
    token = last_line(cli(server.database_url, "token", "create", "--name", "ci", "--scope", "admin"))
    api = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=30)
    policy = CATALOG_INFO.replace("    firebell.io/escalation-policy: artists-primary\n", "")
    imported = api.post(
        "/api/v1/catalog/backstage", content=policy.encode(), headers={"content-type": "application/yaml"}
    )
    assert imported.status_code == 200, imported.text
    for name, body in (
        ("checkout", {"owner_team": "Payments Team", "tier": 1, "tags": ["python", "payments"]}),
        ("payments-db", {"owner_team": "", "tier": 3, "lifecycle": "experimental"}),
        ("checkout.v2_", {}),  # a Firebell name Backstage refuses: left out of the export, with a comment
    ):
        assert api.post("/api/v1/services", json={"name": name}).status_code == 201
        facts = {
            **body,
            "runbook_url": "https://wiki.example.com/checkout",
            "slos": [{"kind": "availability", "target": "99.9%"}, {"kind": "throughput", "target": "> 1000 rps"}],
            "slis": [{"name": "Availability SLI", "query": 'sum(rate(http_requests_total{status!~"5.."}[5m]))'}],
            "dashboards": [{"title": "Service Deep Dive", "url": "https://grafana.example.com/d/service-detail"}],
        }
        assert api.patch(f"/api/v1/services/{name}", json=facts).status_code == 200
    needs = {"dependencies": ["payments-db", "artist-web"]}
    assert api.patch("/api/v1/services/checkout", json=needs).status_code == 200
    exported = api.get("/api/v1/catalog/backstage").text
    assert exported.startswith("# not exported: checkout.v2_: Backstage names are at most 63 characters")
    file = tmp_path / "catalog-info.yaml"
    file.write_text(exported)

    status, results = validate(modules, file)
    assert status == 0, results
    assert [(r["name"], r["ok"]) for r in results] == [
        ("artist-lookup", True),
        ("artist-web", True),
        ("checkout", True),
        ("payments-db", True),
    ]
    by_name = {str(r["name"]): r for r in results}
    assert by_name["checkout"]["owner"] == "group:default/payments-team"
    assert by_name["checkout"]["dependsOn"] == ["component:default/payments-db", "component:default/artist-web"]
    assert by_name["artist-web"]["dependsOn"] == ["component:default/artist-lookup", "resource:default/artists-db"]

    # The validator does refuse what Backstage refuses.
    file.write_text(exported.replace("  - python\n", "  - Python!\n"))
    status, results = validate(modules, file)
    assert status == 1
    assert [r["ok"] for r in results] == [True, True, False, True]
    assert str(results[2]["error"]).startswith('"tags.0" is not valid')
