"""``serve`` starts the demo systems of record with the demo company, unless ``--no-demo``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

import pytest

from server import cli
from server.settings import Settings


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The commands ``serve`` runs, with Neo4j, the demo load and the server itself stubbed out."""
    commands: list[list[str]] = []

    def run(command: Sequence[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        commands.append(list(command))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(cli, "ensure_neo4j", lambda settings: "bolt://127.0.0.1:1")
    monkeypatch.setattr(cli, "_load_demo_if_empty", lambda *args: None)
    monkeypatch.setattr(cli, "_serve", lambda settings: 0)
    monkeypatch.setattr(cli.subprocess, "run", run)
    return commands


def test_serve_starts_the_demo_systems_for_the_demo_company(started: list[list[str]]) -> None:
    assert cli.main(["serve", "--preset", "tiny"]) == 0
    seed = str(Settings().demo_seed)
    assert started == [[sys.executable, "-m", "demo_systems", "start", "--preset", "tiny", "--seed", seed]]


def test_serve_without_the_demo_starts_no_demo_system(started: list[list[str]]) -> None:
    assert cli.main(["serve", "--no-demo"]) == 0
    assert started == []
