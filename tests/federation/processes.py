"""Start the real programs the federation tests talk to, wait until they answer, stop them.

Every program writes its output to a log file, so a test that fails can show what the
program said; nothing is read through pipes that could fill up and stall it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from server.settings import PROJECT_ROOT
from tests.auth_tokens import SECRET_ENV

HARNESS_DIR = PROJECT_ROOT / "tests" / "federation" / "harness"
INSTALL_SCRIPT = PROJECT_ROOT / "scripts" / "install_federation_harness.sh"
PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"
START_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Running:
    process: subprocess.Popen[bytes]
    log: Path
    url: str

    def output(self) -> str:
        """Everything the program wrote so far."""
        return self.log.read_text(errors="replace")


def install_harness() -> Path:
    """``npm ci`` the Node harness from its lock (quick when it is already installed)."""
    completed = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, f"{INSTALL_SCRIPT.name} failed:\n{completed.stderr[-4000:]}"
    return HARNESS_DIR


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node() -> str:
    found = shutil.which("node")
    assert found is not None, "node is needed for the federation tests (Node.js 20+)"
    return found


@contextmanager
def node_server(
    script: str, args: Sequence[str], log: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[Running]:
    """A harness script that prints ``{"ready": URL}`` once it listens."""
    # An APOLLO_KEY in the caller's environment would switch on reporting to Apollo's cloud.
    env = {key: value for key, value in os.environ.items() if not key.startswith("APOLLO_")}
    env.update(extra_env or {})
    with _started([node(), script, *args], log, cwd=HARNESS_DIR, env=env) as process:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            url = _ready_url(log)
            if url is not None:
                yield Running(process, log, url)
                return
            _assert_alive(process, log)
            time.sleep(0.1)
        raise AssertionError(f"{script} did not get ready in {START_TIMEOUT:.0f}s:\n{log.read_text()[-4000:]}")


@contextmanager
def api_server(env: Mapping[str, str], log: Path, cwd: Path, *, workers: int = 0) -> Iterator[Running]:
    """Our API under uvicorn on a free loopback port, once ``/readyz`` says the graph answers.

    With ``workers``, that many processes serve it (``python -m server.workers``).
    """
    port = free_port()
    command = [str(PYTHON), "-m", "uvicorn", "--factory", "server.main:app", "--host", "127.0.0.1"]
    if workers:
        command = [str(PYTHON), "-m", "server.workers", "server.main:app", "--workers", str(workers)]
        command += ["--host", "127.0.0.1", "--log-level", "warning"]
    with _started([*command, "--port", str(port)], log, cwd=cwd, env=env) as process:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            _assert_alive(process, log)
            try:
                if httpx.get(f"{base}/readyz", timeout=2.0).status_code == 200:
                    yield Running(process, log, f"{base}/graphql")
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the API did not get ready in {START_TIMEOUT:.0f}s:\n{log.read_text()[-4000:]}")


def run_node_json(
    script: str, args: Sequence[str], timeout: float = 90.0, extra_env: Mapping[str, str] | None = None
) -> object:
    """Run a harness script to its end and parse what it printed as JSON."""
    env = {**os.environ, **(extra_env or {})}
    completed = subprocess.run(
        [node(), script, *args], cwd=HARNESS_DIR, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    assert completed.returncode == 0, f"{script} failed:\n{completed.stderr[-4000:]}"
    return json.loads(completed.stdout)


@contextmanager
def _started(
    command: Sequence[str], log: Path, *, cwd: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=dict(env) if env is not None else None, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ready_url(log: Path) -> str | None:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            ready = message.get("ready") if isinstance(message, dict) else None
            if isinstance(ready, str):
                return ready
    return None


def _assert_alive(process: subprocess.Popen[bytes], log: Path) -> None:
    if process.poll() is not None:
        raise AssertionError(f"{process.args!r} exited with {process.returncode}:\n{log.read_text()[-4000:]}")


# What a program we start may take from the caller's environment: where its tools are, the
# home folder. Nothing else: a developer's own settings must not change what is tested.
PASSED_THROUGH = ("PATH", "HOME", "TMPDIR")


def clean_environment(**variables: str) -> dict[str, str]:
    """A minimal process environment: the tools' ``PATH`` and home, UTF-8, and ``variables``.

    Run the program outside the checkout too (``cwd``), so that no ``.env`` is read.
    """
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    env.update(variables)
    return env


def api_environment(neo4j_uri: str, **settings: str) -> dict[str, str]:
    """The process environment for our API: a clean one with the test Neo4j and ``CG_<NAME>`` settings.

    Tokens are verified with the tests' shared secret (``tests.auth_tokens``).
    """
    env = clean_environment(
        NEO4J_URI=neo4j_uri,
        NEO4J_USER=os.environ.get("CG_TEST_NEO4J_USER", "neo4j"),
        NEO4J_PASSWORD=os.environ.get("CG_TEST_NEO4J_PASSWORD", ""),
        **SECRET_ENV,
    )
    env.update({f"CG_{name.upper()}": value for name, value in settings.items()})
    return env
