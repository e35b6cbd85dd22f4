"""The systems bench/compare.py measures, each started in its own process on loopback.

- ``ours``: this service, ``python -m server.workers server.main:app`` (uvicorn in each worker);
- ``naive``: bench/naive (our schema shape, one statement per field per parent);
- ``neo4j-graphql``: ``@neo4j/graphql`` served by ``@apollo/server`` (bench/peers/neo4j-graphql).

``prepare_peers`` installs what the peer needs (its npm packages from the committed lock; APOC
core from Maven Central into the bench Neo4j's plugins folder, since the library projects
DateTime fields with ``apoc.date.convertFormat``) and restarts the local bench Neo4j once if it
runs without APOC. Nothing here wipes or reloads the graph.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import bench_graph
from graph.driver import open_driver
from server import local_neo4j
from server.settings import PROJECT_ROOT

PEER_DIR = PROJECT_ROOT / "bench" / "peers" / "neo4j-graphql"
INSTALL_SCRIPT = PROJECT_ROOT / "scripts" / "install_bench_peers.sh"
APOC_FUNCTIONS = ("apoc.date.convertFormat", "apoc.util.validatePredicate")

OURS = "ours"
BASELINE = "baseline"
NAIVE = "naive"
PEER = "neo4j-graphql"
RAW = "raw"
LABELS = {
    OURS: "this service",
    BASELINE: "this service, before",
    NAIVE: "naive strawberry",
    PEER: "@neo4j/graphql",
    RAW: "raw driver",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    command: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


async def _apoc_functions(uri: str) -> set[str]:
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        records, _, _ = await driver.execute_query(
            "SHOW FUNCTIONS YIELD name WHERE name IN $names RETURN collect(name) AS found",
            {"names": list(APOC_FUNCTIONS)},
            database_="neo4j",
        )
        return set(records[0]["found"])
    finally:
        await driver.close()


def prepare_peers(uri: str) -> str:
    """Install the peer's packages and APOC; return the bench URI, restarting a local Neo4j without APOC."""
    plugins = bench_graph.BENCH_HOME / "plugins"
    subprocess.run(["bash", str(INSTALL_SCRIPT), str(plugins)], check=True)
    if set(APOC_FUNCTIONS) <= asyncio.run(_apoc_functions(uri)):
        return uri
    local = local_neo4j.running(bench_graph.BENCH_HOME)
    if os.environ.get("CG_BENCH_NEO4J_URI") or local is None:
        raise SystemExit(
            f"the Neo4j at {uri} has no APOC core ({', '.join(APOC_FUNCTIONS)}), which @neo4j/graphql needs to "
            "project DateTime fields: install APOC core there, or unset CG_BENCH_NEO4J_URI"
        )
    print(
        f"bench Neo4j at {uri} runs without APOC: restarting it once with APOC core from {plugins} (same data)",
        flush=True,
    )
    local_neo4j.stop(bench_graph.BENCH_HOME)
    restarted = bench_graph.bench_uri()  # starts it again with the benchmarks' settings
    if not set(APOC_FUNCTIONS) <= asyncio.run(_apoc_functions(restarted)):
        raise SystemExit(f"APOC core did not load into the bench Neo4j: see {bench_graph.BENCH_HOME / 'logs'}")
    return restarted


def _wait_ready(server: Server, probe: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{server.port}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}; see {server.log}")
        try:
            if probe == "readyz":
                response = httpx.get(f"{url}/readyz", timeout=2)
            else:
                response = httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, timeout=2)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"{server.name} did not become ready on port {server.port}; see {server.log}")


def _spawn(name: str, command: list[str], env: dict[str, str], cwd: Path, logs: Path, port: int) -> Server:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, port, process, log, command)


def start_servers(
    uri: str, names: list[str], workers: int, logs: Path, baseline: Path | None = None
) -> dict[str, Server]:
    """Start the named servers (``ours``, ``naive``, ``neo4j-graphql``) and wait until each answers.

    ``baseline`` (for the name ``baseline``) is another checkout of this project, e.g. an
    earlier commit unpacked with ``git archive``: its service runs from there, to compare.
    """
    # Requests carry no token: our anonymous role is the admin, who reads everything unmasked.
    base_env = {"CG_AUTH_ANONYMOUS_ROLE": "admin", **os.environ, "NEO4J_URI": uri, "CG_LOG_LEVEL": "warning"}
    servers: dict[str, Server] = {}
    try:
        for name in names:
            port = free_port()
            if name in (OURS, NAIVE, BASELINE):
                factory = "bench.naive.app:app" if name == NAIVE else "server.main:app"
                # server.workers: a socket per worker process, so the load generator's connections
                # spread over the workers (see its docstring); an earlier checkout runs uvicorn's.
                command = [
                    sys.executable, "-m", "server.workers", factory, "--host", "127.0.0.1",
                    "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                ] if name != BASELINE else [
                    sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
                    "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
                ]  # fmt: skip
                root = PROJECT_ROOT
                env = base_env
                if name == BASELINE:
                    if baseline is None:
                        raise ValueError("the baseline server needs the folder of its checkout")
                    root = baseline.resolve()
                    env = {**base_env, "PYTHONPATH": str(root)}
                servers[name] = _spawn(name, command, env, root, logs, port)
                _wait_ready(servers[name], "readyz")
            elif name == PEER:
                env = {**base_env, "PORT": str(port), "WORKERS": str(workers), "NODE_ENV": "production"}
                servers[name] = _spawn(name, ["node", "server.mjs"], env, PEER_DIR, logs, port)
                _wait_ready(servers[name], "graphql")
            else:
                raise ValueError(f"unknown server {name!r}")
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return servers
