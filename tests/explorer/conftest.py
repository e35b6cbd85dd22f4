"""The served app (``python -m server serve``) on the demo company, for the browser tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from neo4j import AsyncDriver

from tests.federation.processes import api_environment, free_port


@pytest.fixture
def explorer_server(neo4j_uri: str, demo_graph: AsyncDriver, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = api_environment(neo4j_uri, port=str(port), log_level="warning", workers="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--no-demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"the server did not become ready:\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()
