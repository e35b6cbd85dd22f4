"""``customer-graph serve`` as a new user runs it: a fresh Neo4j, an empty graph, free ports.

The real command, with an environment cleared of the caller's settings, outside the checkout
(so no ``.env`` applies): it prints one line per start-up step and nothing from the Neo4j
driver, then serves from two worker processes that each answer requests.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server import local_neo4j
from tests.federation.processes import free_port

pytestmark = pytest.mark.e2e

READY = re.compile(r"^Customer Graph API at (http://\S+/graphql): 2 workers \(pids (\d+), (\d+)\)", re.M)
# "<time> <pid> INFO customer_graph.requests [<request id>] GET /healthz 200 0.4ms"
REQUEST_LINE = re.compile(r" (\d+) INFO customer_graph\.requests \[\S+\] GET /healthz 200 ")


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, dict[str, str]]]:
    home = tmp_path / "neo4j"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CG_", "NEO4J_", "APOLLO_"))}
    env.update(
        CG_PORT=str(free_port()),
        CG_LOCAL_NEO4J_PORT=str(free_port()),
        CG_LOCAL_NEO4J_HOME=str(home),
        CG_LOCAL_NEO4J_HEAP_MB="768",
        CG_LOCAL_NEO4J_PAGE_CACHE_MB="256",
        CG_DEMO_PRESET="tiny",
        CG_SOURCES_ENABLED="false",  # the demo systems' own start is tested in test_cli_serve
        CG_LOG_LEVEL="info",
        CG_AUTH_DEV_KEYS_DIR=str(tmp_path / "dev-keys"),
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--workers", "2"],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, log, env
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        local_neo4j.stop(home)


def _wait_for(pattern: re.Pattern[str], log: Path, process: subprocess.Popen[bytes], timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = pattern.search(log.read_text(errors="replace"))
        if found is not None:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"serve did not print {pattern.pattern!r}:\n{log.read_text(errors='replace')[-4000:]}")


def test_first_start_is_quiet_and_serves_from_every_worker(
    first_start: tuple[subprocess.Popen[bytes], Path, dict[str, str]],
) -> None:
    process, log, env = first_start
    ready = _wait_for(READY, log, process, timeout=300)
    url, pids = ready.group(1), {int(ready.group(2)), int(ready.group(3))}

    answered: set[int] = set()
    deadline = time.monotonic() + 60
    while answered != pids and time.monotonic() < deadline:
        with httpx.Client(timeout=5) as client:  # a client of its own: a new connection each time
            assert client.get(url.replace("/graphql", "/healthz")).status_code == 200
        time.sleep(0.05)  # the request's log line is written before the answer; let it land
        answered = {int(pid) for pid in REQUEST_LINE.findall(log.read_text(errors="replace"))}
    assert answered == pids  # both workers took connections and answered
    assert process.pid not in pids

    # A newcomer's token, from the command line, signed with the development key serve made.
    command = [sys.executable, "-m", "server", "token", "--employee", "E0001", "--role", "admin"]
    token = subprocess.run(command, cwd=log.parent, env=env, capture_output=True, text=True, check=True).stdout.strip()
    query = {"query": "{ customers(first: 1) { totalCount } }"}
    refused = httpx.post(url, json=query, timeout=10)
    answer = httpx.post(url, json=query, headers={"authorization": f"Bearer {token}"}, timeout=10).json()
    assert refused.status_code == 401
    assert answer["data"]["customers"]["totalCount"] > 0  # the parent loaded the demo company once

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    output = log.read_text(errors="replace")
    assert "Received notification" not in output
    assert "GqlStatusObject" not in output
    start_up = output[: ready.start()].splitlines()
    # One line per step (the load may add progress lines of its own step), nothing else.
    steps = [line.split(":")[0] for line in start_up if not line.startswith("graph: loading")]
    assert steps == ["neo4j", "graph", "auth"]
    assert "graph: the 'tiny' demo company loaded" in output
    assert output.rstrip().endswith("Customer Graph API stopped")
