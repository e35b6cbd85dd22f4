"""``serve`` does each start-up step once, then serves the API on every core unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server import cli, serve
from server.settings import Settings


@dataclass
class Started:
    """What ``serve`` ran, with Neo4j, the demo load and the API itself stubbed out."""

    commands: list[list[str]] = field(default_factory=list)
    neo4j: int = 0
    served: list[tuple[Settings, dict[str, str], int]] = field(default_factory=list)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Started:
    seen = Started()
    monkeypatch.setenv("CG_AUTH_DEV_KEYS_DIR", str(tmp_path / "dev-keys"))

    def run(command: Sequence[str], **_: object) -> subprocess.CompletedProcess[str]:
        seen.commands.append(list(command))
        return subprocess.CompletedProcess(command, 0, stdout="", stderr="")

    def ensure_neo4j(settings: Settings) -> str:
        seen.neo4j += 1
        return "bolt://127.0.0.1:1"

    def serve_api(settings: Settings, environ: Mapping[str, str], *, worker_count: int) -> int:
        seen.served.append((settings, dict(environ), worker_count))
        return 0

    monkeypatch.setattr(cli, "ensure_neo4j", ensure_neo4j)
    monkeypatch.setattr(cli, "_load_demo_once", lambda *args: None)
    monkeypatch.setattr(cli, "serve_api", serve_api)
    monkeypatch.setattr(serve.subprocess, "run", run)
    for name in ("CG_HELPDESK_URL", "CG_HR_URL", "CG_CRM_URL", "CG_WORKERS", "CG_DEMO_SYSTEMS_BASE_PORT"):
        monkeypatch.delenv(name, raising=False)
    return seen


def test_serve_starts_the_demo_systems_and_points_the_sources_at_them(
    started: Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_DEMO_SYSTEMS_BASE_PORT", "9911")
    assert cli.main(["serve", "--preset", "tiny"]) == 0

    seed = str(Settings().demo_seed)
    assert started.commands == [
        [sys.executable, "-m", "demo_systems", "start", "--preset", "tiny", "--seed", seed, "--base-port", "9911"]
    ]
    [(settings, environ, _)] = started.served
    assert settings.neo4j_uri == "bolt://127.0.0.1:1"  # the workers use the Neo4j the parent started
    assert environ["CG_HELPDESK_URL"] == "http://127.0.0.1:9911"
    assert environ["CG_HR_URL"] == "http://127.0.0.1:9912"
    assert environ["CG_CRM_URL"] == "http://127.0.0.1:9913/graphql"
    assert started.neo4j == 1


def test_serve_without_the_demo_starts_no_demo_system(started: Started) -> None:
    assert cli.main(["serve", "--no-demo"]) == 0
    assert started.commands == []
    assert "CG_HELPDESK_URL" not in started.served[0][1]


def test_serve_runs_a_worker_per_core_unless_told(started: Started, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["serve", "--no-demo"]) == 0
    monkeypatch.setenv("CG_WORKERS", "3")
    assert cli.main(["serve", "--no-demo"]) == 0
    assert cli.main(["serve", "--no-demo", "--workers", "1"]) == 0

    assert [count for *_, count in started.served] == [os.cpu_count() or 1, 3, 1]
    assert cli.main(["serve", "--no-demo", "--workers", "0"]) == 2


def test_a_bad_manifest_stops_serve_before_anything_starts(
    started: Started, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{")
    monkeypatch.setenv("CG_PERSISTED_QUERY_MANIFESTS", f'["{manifest}"]')

    assert cli.main(["serve"]) == 1
    assert started.neo4j == 0
    assert started.served == []
    assert f"customer-graph: persisted-query manifest {manifest} is not valid JSON" in capsys.readouterr().err


def test_settings_that_are_not_valid_are_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CG_SAFELIST_REQUIRED", "true")
    monkeypatch.setenv("CG_PERSISTED_QUERY_MANIFESTS", "[]")

    assert cli.main(["serve"]) == 2
    assert "CG_SAFELIST_REQUIRED needs at least one manifest" in capsys.readouterr().err
