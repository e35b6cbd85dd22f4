"""Run the ``customer-graph`` command as a user does: a process of its own, a clean environment.

The command runs outside the checkout (so no ``.env`` is read) with only the variables a test
gives it (``tests.federation.processes.clean_environment``), and its output goes to files, so a
long run cannot stall on a full pipe.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.federation.processes import clean_environment


def neo4j_variables(uri: str) -> dict[str, str]:
    """The settings that point the command at a Neo4j without credentials (the embedded one)."""
    return {"NEO4J_URI": uri, "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": ""}


@dataclass(frozen=True, slots=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


@dataclass(slots=True)
class Started:
    """A command running in the background; ``finish`` waits for it and reads what it said."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def finish(self, timeout: float = 300) -> Done:
        self.process.wait(timeout=timeout)
        return Done(self.process.returncode, self.out.read_text(errors="replace"), self.err.read_text(errors="replace"))


def start_command(args: list[str], folder: Path, variables: Mapping[str, str] | None = None) -> Started:
    """Start ``python -m server <args>`` in ``folder`` with a clean environment plus ``variables``."""
    folder.mkdir(parents=True, exist_ok=True)
    number = len(list(folder.glob("command-*.out")))
    out, err = folder / f"command-{number}.out", folder / f"command-{number}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", *args],
            cwd=folder,
            env=clean_environment(**dict(variables or {})),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
    return Started(process, out, err)


def run_command(
    args: list[str], folder: Path, variables: Mapping[str, str] | None = None, timeout: float = 300
) -> Done:
    """Run ``python -m server <args>`` to its end (see ``start_command``)."""
    started = start_command(args, folder, variables)
    try:
        return started.finish(timeout)
    finally:
        if started.process.poll() is None:
            started.process.kill()
            started.process.wait()
