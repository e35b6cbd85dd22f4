#!/usr/bin/env bash
# Sets up everything a run or the tests need, on a fresh machine or an existing checkout:
#   - a Python virtualenv (.venv) with the project and its dev tools, pinned in pyproject.toml
#   - the embedded Neo4j launcher, built with Maven from Maven Central
#   - the offline GraphiQL assets and the explorer's drawing libraries, installed with npm from
#     the committed locks
#   - Debian's chromium and chromium-driver, for the explorer's browser tests (apt-get, as root)
#   - Debian's redis-server, for the tests of the Redis Streams event broker (apt-get, as root)
# Each step is skipped quickly when it is already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { echo "setup: $*" >&2; }

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { say "Python 3.11+ is needed"; exit 1; }
for tool in java mvn npm; do
    command -v "$tool" >/dev/null 2>&1 || { say "$tool is needed (Java 17, Maven, Node 20)"; exit 1; }
done

stamp=".venv/.customer-graph-stamp"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    say "installing Python packages into .venv (pip's output: .venv/pip-install.log)"
    [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
    # pip's notes (such as setuptools' editable-install warning) go to the log; a failure shows it.
    if ! { .venv/bin/python -m pip install --quiet --upgrade pip \
        && .venv/bin/python -m pip install --quiet -e ".[dev]"; } >.venv/pip-install.log 2>&1; then
        cat .venv/pip-install.log >&2
        say "installing Python packages failed"
        exit 1
    fi
    echo "$wanted" >"$stamp"
else
    say "Python packages up to date"
fi

# Says nothing when the launcher is built already; its first build downloads Neo4j from Maven Central.
.venv/bin/python -c "from server.local_neo4j import build_launcher; build_launcher()"

bash scripts/install_playground.sh
bash scripts/install_explorer.sh
bash scripts/install_chromium.sh
bash scripts/install_redis.sh
bash scripts/install_federation_harness.sh
bash scripts/install_apollo_client.sh
say "ready"
