"""The long fuzz: thousands of operations generated from our schema against the real server.

The same generator as the short fuzz of the tests (``tests/fuzz_operations.py``:
``hypothesis-graphql`` queries with random arguments and scalars, rewritten with variables,
fragments and aliases) against the service under uvicorn (one process, live sources off) on
the bench graph. Failures are counted, not stopped at: every 5xx and every
``INTERNAL_SERVER_ERROR`` is printed with its operation. It prints how many operations were
generated and sent, what they were answered, and the server's memory (RSS) at the start, at
its peak and at the end. Figures go to ``bench/results/fuzz.json``.

    .venv/bin/python -m bench.fuzz_bench [--operations 3000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings

from bench.bench_graph import ensure_bench_graph
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from tests.federation.processes import api_environment, api_server
from tests.fuzz_operations import Operation, operations
from tests.hostile.test_fuzz import outcome, rss_mb

RESULTS = Path(__file__).resolve().parent / "results"


def run(count: int, log_dir: Path) -> dict[str, Any]:
    uri = ensure_bench_graph()
    # Requests carry no token: the anonymous role is the admin, who reads everything unmasked.
    env = api_environment(uri, log_level="warning", sources_enabled="false", auth_anonymous_role="admin")
    outcomes: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    slow: list[dict[str, Any]] = []  # answered REQUEST_TIMEOUT: what the cost estimate let through
    rss: list[float] = []
    with api_server(env, log_dir / "fuzz-bench.log", cwd=log_dir) as api, httpx.Client(timeout=60) as http:
        pid = api.process.pid
        for _ in range(20):  # warm up: the first requests fill caches that then stay
            http.post(api.url, json={"query": '{ customer(id: "C000002") { id name } }'})
        rss.append(rss_mb(pid))
        started = time.monotonic()

        @settings(
            max_examples=count,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(operation=operations(graphql_schema(build_schema())))
        def send(operation: Operation) -> None:
            payload = {"query": operation.query, "variables": operation.variables, "operationName": "Fuzz"}
            try:
                response = http.post(api.url, json=payload)
                found = outcome(response) if response.status_code < 500 else f"{response.status_code}"
            except (httpx.HTTPError, ValueError) as error:
                found = f"transport error: {type(error).__name__}"
            outcomes[found] += 1
            if "REQUEST_TIMEOUT" in found:
                slow.append({"query": operation.query, "variables": operation.variables})
            if found.startswith("5") or "INTERNAL_SERVER_ERROR" in found or found.startswith("transport"):
                failures.append({"outcome": found, "query": operation.query, "variables": operation.variables})
                print(f"!!! {found}\n{operation.query}\n{operation.variables}", flush=True)
            done = sum(outcomes.values())
            if done % 250 == 0:
                rss.append(rss_mb(pid))
                print(f"  {done} operations, RSS {rss[-1]:.0f} MB", flush=True)

        send()
        took = time.monotonic() - started
        rss.append(rss_mb(pid))
    return {
        "operations": sum(outcomes.values()),
        "seconds": round(took, 1),
        "outcomes": dict(outcomes.most_common()),
        "failures": failures,
        "timed_out": slow,
        "rss_mb": {"start": round(rss[0], 1), "peak": round(max(rss), 1), "end": round(rss[-1], 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--operations", type=int, default=3000, help="operations to generate and send")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logs = Path(__file__).resolve().parent / "work"
    logs.mkdir(parents=True, exist_ok=True)
    results = run(args.operations, logs)
    memory = results["rss_mb"]
    print(f"\n{results['operations']} operations generated and sent in {results['seconds']} s; answered:")
    for found, count in results["outcomes"].items():
        print(f"  {count:6d}  {found}")
    print(f"5xx or INTERNAL_SERVER_ERROR: {len(results['failures'])}")
    print(
        f"server RSS: {memory['start']} MB at the start, {memory['peak']} MB at the peak, "
        f"{memory['end']} MB at the end "
        f"(+{memory['end'] - memory['start']:.1f} MB; the bound is 100 MB)"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "fuzz.json"
    path.write_text(json.dumps({"run": datetime.now(UTC).isoformat(timespec="seconds"), **results}, indent=2) + "\n")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
