"""Start and stop the project's own embedded Neo4j (the `embedded-neo4j/` launcher).

The launcher is a small Maven project that runs Neo4j Community embedded with its Bolt
connector on loopback. ``start`` builds it on first use, runs it in the background with its
own session (so it outlives the command that started it), waits until Bolt answers and
records the pid in the data folder; ``stop`` signals exactly that pid and waits for a clean
shutdown.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from server.settings import PROJECT_ROOT

LAUNCHER_DIR = PROJECT_ROOT / "embedded-neo4j"
LAUNCHER_JAR = LAUNCHER_DIR / "target" / "embedded-neo4j-1.0.0.jar"
MAIN_CLASS = "org.customergraph.neo4j.EmbeddedNeo4j"


# Launchers this process started, kept so they are reaped on stop rather than left as zombies.
_children: dict[int, subprocess.Popen[bytes]] = {}


class LocalNeo4jError(RuntimeError):
    """The embedded Neo4j could not be built, started or stopped."""


@dataclass(frozen=True, slots=True)
class LocalNeo4j:
    home: Path
    port: int
    pid: int

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"


def _pid_file(home: Path) -> Path:
    return home / "embedded-neo4j.pid"


def _log_file(home: Path) -> Path:
    return home / "embedded-neo4j.log"


def build_launcher(*, force: bool = False) -> None:
    """Compile the launcher and copy its runtime classpath (Neo4j's jars) from Maven Central."""
    sources = [*(LAUNCHER_DIR / "src").rglob("*.java"), LAUNCHER_DIR / "pom.xml"]
    if not force and LAUNCHER_JAR.exists():
        built_at = LAUNCHER_JAR.stat().st_mtime
        if all(source.stat().st_mtime <= built_at for source in sources):
            return
    print("embedded-neo4j: building the launcher with Maven (first run downloads Neo4j)...", flush=True)
    result = subprocess.run(
        ["mvn", "-B", "-q", "-f", str(LAUNCHER_DIR / "pom.xml"), "package", "-DskipTests"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LocalNeo4jError(f"maven build of the launcher failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")


def running(home: Path) -> LocalNeo4j | None:
    """The embedded Neo4j recorded in ``home``, if its process is still ours and alive."""
    pid_file = _pid_file(home)
    if not pid_file.exists():
        return None
    try:
        pid_text, port_text = pid_file.read_text().split()
        pid, port = int(pid_text), int(port_text)
    except ValueError:
        pid_file.unlink(missing_ok=True)
        return None
    if not _is_launcher(pid):
        pid_file.unlink(missing_ok=True)
        return None
    return LocalNeo4j(home=home, port=port, pid=pid)


def start(
    home: Path, port: int, *, heap_mb: int, page_cache_mb: int, timeout: float = 180.0, bulk_load: bool = False
) -> LocalNeo4j:
    """Start the embedded Neo4j in ``home`` unless it already runs there; return it once Bolt answers.

    ``bulk_load`` picks the JVM's throughput collector (Parallel GC) instead of G1: a load's
    large transactions make G1 copy gigabytes of live state per young collection (about 11% of
    the run in pauses, measured), while an API server wants G1's short pauses. It also has the
    database checkpoint rarely (see the launcher): during a load, every checkpoint stalled
    the commits on the disk for a second or two.
    """
    home = home.resolve()
    current = running(home)
    if current is not None:
        if current.port != port:
            raise LocalNeo4jError(f"an embedded Neo4j already runs in {home} on port {current.port}")
        _wait_for_bolt(current, timeout)
        return current
    if _port_in_use(port):
        raise LocalNeo4jError(
            f"port {port} is already in use; set CG_LOCAL_NEO4J_PORT to a free port or NEO4J_URI to that server"
        )
    build_launcher()
    home.mkdir(parents=True, exist_ok=True)
    command = [
        "java",
        f"-Xms{heap_mb}m",
        f"-Xmx{heap_mb}m",
        "-XX:+UseParallelGC" if bulk_load else "-XX:+UseG1GC",
        "-cp",
        # Like a Neo4j server, plugin jars in <home>/plugins (Neo4j's default plugin folder) are
        # also on the class path, so their extensions (APOC's configuration) load with them.
        os.pathsep.join([str(LAUNCHER_JAR), str(LAUNCHER_DIR / "target" / "lib" / "*"), str(home / "plugins" / "*")]),
        MAIN_CLASS,
        "--home",
        str(home),
        "--port",
        str(port),
        "--page-cache-mb",
        str(page_cache_mb),
        "--bulk-load",
        str(bulk_load).lower(),
    ]
    log_path = _log_file(home)
    log_offset = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    _children[process.pid] = process
    _pid_file(home).write_text(f"{process.pid} {port}\n")
    local = LocalNeo4j(home=home, port=port, pid=process.pid)
    try:
        _wait_for_bolt(local, timeout, process, log_offset)
    except LocalNeo4jError:
        stop(home)
        raise
    return local


def stop(home: Path, *, timeout: float = 90.0) -> bool:
    """Stop the embedded Neo4j of ``home`` cleanly; True if one was running."""
    current = running(home.resolve())
    if current is None:
        return False
    os.kill(current.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_launcher(current.pid):
        time.sleep(0.2)
    if _is_launcher(current.pid):
        os.kill(current.pid, signal.SIGKILL)
    reap(current.pid)
    _pid_file(current.home).unlink(missing_ok=True)
    return True


def _wait_for_bolt(
    local: LocalNeo4j, timeout: float, process: subprocess.Popen[bytes] | None = None, log_offset: int = 0
) -> None:
    deadline = time.monotonic() + timeout
    log = _log_file(local.home)
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise LocalNeo4jError(f"embedded Neo4j exited with {process.returncode}:\n{_tail(log)}")
        announced = process is None or b"embedded-neo4j: ready" in _read_from(log, log_offset)
        if announced and _port_in_use(local.port):
            return
        time.sleep(0.25)
    raise LocalNeo4jError(f"embedded Neo4j did not answer on port {local.port} within {timeout:.0f}s:\n{_tail(log)}")


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _is_launcher(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return MAIN_CLASS.encode() in cmdline and "State:\tZ" not in status


def reap(pid: int, timeout: float = 10.0) -> bool:
    """Wait for a launcher this process started to end and collect its exit status, so it
    leaves no zombie (nor a handle that still thinks it runs); False if it is not ours."""
    child = _children.pop(pid, None)
    if child is None:
        return False
    child.wait(timeout=timeout)
    return True


def _read_from(path: Path, offset: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read()


def _tail(path: Path, size: int = 4000) -> str:
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode(errors="replace")
