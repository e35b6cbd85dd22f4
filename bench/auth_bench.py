"""What authentication and the policy's checks cost a small query: tokens vs anonymous, one run.

    .venv/bin/python -m bench.auth_bench [--graph bench|small] [--duration 10] [--concurrency 8] [--workers 2]

One server (``python -m server.workers server.main:app``, development key in a folder of its
own, ``CG_AUTH_ANONYMOUS_ROLE=admin``) answers the same small query, an order by id with its
customer's name, asked five ways in alternating rounds:

- without a token: the anonymous admin, nothing to verify, nothing to check (the baseline);
- with an admin token: the token verified once, then found in the cache by its hash;
- with a back_office token: the same, and the operation checked against a read list (the
  verdict kept per document and role set);
- with an analyst token: the same as admin, with an executor that checks fields for masks;
- with a new admin token on every request: full EdDSA verification each time (the worst case,
  which a real client, reusing its token, does not meet).

Prints p50, req/s and the server's CPU per request for each, and each one's ratio to the
baseline; writes bench/results/auth.json. ``--graph small`` runs its own embedded Neo4j with
the small demo company (quick); the default reads the ``bench`` graph like the other benchmarks.

On a shared 2-core machine the differences sit inside the noise of whole requests, so the
bench first times the pieces on their own, in this process (``micro``): a cached token, a
token verified for the first time (EdDSA, RS256, HS256), the read check of a cached document
and of a new one. Those are the costs a request adds, whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from graphql import parse
from jwt.algorithms import RSAAlgorithm

from bench.bench_graph import ensure_bench_graph
from bench.http_client import Endpoint, GraphQLClient
from bench.load import Stats, measure, process_cpu_seconds
from demo_company.company import PRESETS, DemoCompany, demo_stream
from graph.constraints import apply_schema
from graph.driver import open_driver
from graph.load.loader import BulkLoader
from resolvers.access import ReadCheck
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server import local_neo4j
from server.auth.access_control import AccessControl
from server.auth.config import signing_key
from server.auth.keys import StaticKeys
from server.auth.middleware import Authenticator
from server.auth.tokens import SigningKey, TokenRules, TokenVerifier, mint_token
from server.settings import PROJECT_ROOT, Settings

RESULTS = Path(__file__).parent / "results"
SMALL_HOME = PROJECT_ROOT / ".local" / "auth-bench-neo4j"
QUERY = "query ($id: ID!) { order(id: $id) { id status total placedAt customer { id name } } }"
ORDER_IDS = "MATCH (o:Order) RETURN o.id AS id ORDER BY o.id LIMIT 2000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _small_graph_loaded(uri: str) -> None:
    driver = open_driver(uri, "neo4j", "")
    try:
        await apply_schema(driver, "neo4j")
        records, _, _ = await driver.execute_query("MATCH (n) RETURN count(n) > 0 AS loaded")
        if not records[0]["loaded"]:
            print("loading the small demo company...", flush=True)
            await BulkLoader(driver, "neo4j").load(demo_stream(DemoCompany(PRESETS["small"], 7)))
    finally:
        await driver.close()


def graph_uri(graph: str) -> str:
    if graph == "bench":
        return ensure_bench_graph()
    running = local_neo4j.running(SMALL_HOME)
    uri = running.uri if running else local_neo4j.start(SMALL_HOME, free_port(), heap_mb=1024, page_cache_mb=512).uri
    asyncio.run(_small_graph_loaded(uri))
    return uri


def start_server(uri: str, port: int, workers: int, keys: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NEO4J_URI": uri,
        "CG_LOG_LEVEL": "warning",
        "CG_AUTH_ANONYMOUS_ROLE": "admin",
        "CG_AUTH_DEV_KEYS_DIR": str(keys),
        "CG_SOURCES_ENABLED": "false",
    }
    for name in ("CG_AUTH_JWKS_URL", "CG_AUTH_SHARED_SECRET", "CG_AUTH_ISSUER", "CG_AUTH_AUDIENCE"):
        env.pop(name, None)
    command = [sys.executable, "-m", "server.workers", "server.main:app", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the API server did not become ready")


async def order_ids(uri: str) -> list[str]:
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        records, _, _ = await driver.execute_query(ORDER_IDS)
        return [record["id"] for record in records]
    finally:
        await driver.close()


def _token(signing: SigningKey, role: str, subject: str = "E0001") -> str:
    return mint_token(signing, subject=subject, roles=[role], ttl=timedelta(hours=2))


async def run(
    uri: str,
    port: int,
    server: subprocess.Popen[bytes],
    signing: SigningKey,
    concurrency: int,
    duration: float,
    rounds: int,
) -> list[Stats]:
    ids = await order_ids(uri)
    client = GraphQLClient(Endpoint("127.0.0.1", port), concurrency)
    # Enough distinct tokens that none repeats within a round (a few thousand requests a second).
    fresh = [_token(signing, "admin", subject=f"E{number:06d}") for number in range(int(duration * 2000 * rounds))]
    serial = count()
    tokens = {role: _token(signing, role) for role in ("admin", "back_office", "analyst")}

    def asking(token: Callable[[], str | None]) -> Callable[[str], Awaitable[object]]:
        async def ask(order_id: str) -> object:
            return await client.execute(QUERY, {"id": order_id}, token())

        return ask

    modes: list[tuple[str, Callable[[str], Awaitable[object]]]] = [
        ("no token (anonymous admin)", asking(lambda: None)),
        ("admin token", asking(lambda: tokens["admin"])),
        ("back_office token (read list)", asking(lambda: tokens["back_office"])),
        ("analyst token (masks)", asking(lambda: tokens["analyst"])),
        ("new admin token per request", asking(lambda: fresh[next(serial) % len(fresh)])),
    ]
    meters = {"server": lambda: process_cpu_seconds(server.pid)}
    results: dict[str, list[Stats]] = {}
    try:
        for round_number in range(rounds):  # every other round in reverse order
            order = modes if round_number % 2 == 0 else list(reversed(modes))
            for name, ask in order:
                stats = await measure(
                    name, ask, ids, concurrency=concurrency, duration=duration, warmup=2.0, cpu_meters=meters
                )
                print(f"{stats.line()}  server CPU {stats.cpu_ms_per_request('server'):.3f} ms/request", flush=True)
                results.setdefault(name, []).append(stats)
    finally:
        client.close()
    return [_merged(name, rounds) for name, rounds in results.items()]


def _merged(name: str, rounds: list[Stats]) -> Stats:
    merged = Stats(name)
    for stats in rounds:
        merged.latencies_ms += stats.latencies_ms
        merged.errors += stats.errors
        merged.seconds += stats.seconds
        for meter, seconds in stats.cpu_seconds.items():
            merged.cpu_seconds[meter] = merged.cpu_seconds.get(meter, 0.0) + seconds
    return merged


def _per_call_us(call: Callable[[], object], seconds: float = 1.0) -> float:
    """Microseconds per call, the best of three runs of about ``seconds`` each."""
    best = float("inf")
    for _ in range(3):
        calls = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for _ in range(100):
                call()
            calls += 100
        best = min(best, elapsed / calls * 1e6)
    return best


def micro(keys: Path) -> list[tuple[str, float]]:
    """What each piece of authentication and the read check costs, timed on its own."""
    schema = graphql_schema(build_schema())
    control = AccessControl(Settings(auth_dev_keys_dir=keys), schema, playground=False)
    policy = control.policy_file.policy
    signing = signing_key(Settings(auth_dev_keys_dir=keys))
    figures: list[tuple[str, float]] = []

    def verifying(authenticator: Authenticator, tokens: list[str]) -> Callable[[], object]:
        # With keys held in memory nothing awaits: the coroutine runs to its end in one step,
        # without an event loop's own cost in the figure.
        serial = count()

        def verify() -> object:
            coroutine = authenticator.access([f"Bearer {tokens[next(serial) % len(tokens)]}"])
            try:
                coroutine.send(None)
            except StopIteration as done:
                return done.value
            coroutine.close()
            raise RuntimeError("verification awaited something")

        return verify

    # A cached token: the hash, the cache, the Access. The same token every time.
    cached = Authenticator(control.verifier, policy)
    figures.append(("a cached token (hash, cache lookup)", _per_call_us(verifying(cached, [_token(signing, "admin")]))))
    # Tokens seen for the first time: no cache at all, each one verified in full.
    uncached = Authenticator(TokenVerifier(control.verifier.keys, TokenRules(), policy, cache_size=0), policy)
    fresh = [_token(signing, "admin", subject=f"E{number}") for number in range(2000)]
    figures.append(("a new EdDSA token (full verification)", _per_call_us(verifying(uncached, fresh))))
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**RSAAlgorithm.to_jwk(private.public_key(), as_dict=True), "kid": "bench"}
    rsa_keys = StaticKeys.public_key(jwk)
    rsa_signing = SigningKey("RS256", private, "bench", None)
    rsa_tokens = [_token(rsa_signing, "admin", subject=f"E{number}") for number in range(500)]
    rsa_auth = Authenticator(TokenVerifier(rsa_keys, TokenRules(), policy, cache_size=0), policy)
    figures.append(("a new RS256 token (full verification)", _per_call_us(verifying(rsa_auth, rsa_tokens))))
    secret = "bench-only-shared-secret-of-at-least-32-bytes"
    hs_auth = Authenticator(TokenVerifier(StaticKeys.shared_secret(secret), TokenRules(), policy, cache_size=0), policy)
    hs_tokens = [_token(SigningKey("HS256", secret, None, None), "admin", subject=f"E{n}") for n in range(2000)]
    figures.append(("a new HS256 token (full verification)", _per_call_us(verifying(hs_auth, hs_tokens))))

    document = parse(QUERY)
    back_office = policy.grants(["back_office"])
    check = ReadCheck(schema)
    figures.append(
        ("read check, admin (reads everything)", _per_call_us(lambda: check.errors(document, policy.grants(["admin"]))))
    )
    figures.append(
        ("read check, back_office, cached verdict", _per_call_us(lambda: check.errors(document, back_office)))
    )
    figures.append(
        (
            "read check, back_office, a new document",
            _per_call_us(lambda: ReadCheck(schema).errors(parse(QUERY), back_office)),
        )
    )
    figures.append(("(parsing that document, for scale)", _per_call_us(lambda: parse(QUERY))))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", choices=["bench", "small"], default="bench")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every mode, alternating their order")
    parser.add_argument("--pieces-only", action="store_true", help="time the pieces on their own, no server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="auth-bench-keys-") as folder:
        keys = Path(folder)
        pieces = micro(keys)
        print("each piece on its own, in this process (best of 3):")
        for name, us in pieces:
            print(f"  {name:<44} {us:8.1f} us")
        if args.pieces_only:
            return
        uri = graph_uri(args.graph)
        signing = signing_key(Settings(auth_dev_keys_dir=keys))
        port = free_port()
        server = start_server(uri, port, args.workers, keys)
        try:
            merged = asyncio.run(run(uri, port, server, signing, args.concurrency, args.duration, args.rounds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    base = merged[0]
    print(
        f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; concurrency {args.concurrency}; "
        f"{args.workers} server process(es); graph {args.graph}; all rounds together"
    )
    results: list[dict[str, Any]] = []
    for stats in merged:
        cpu = stats.cpu_ms_per_request("server")
        print(
            f"{stats.name:<32} p50 {stats.p50:6.2f} ms  {stats.rps:7.1f} req/s ({stats.rps / base.rps:5.1%} of the "
            f"baseline)  server CPU {cpu:.3f} ms/request (+{cpu - base.cpu_ms_per_request('server'):.3f})  "
            f"{stats.errors} errors"
        )
        results.append(
            {
                "mode": stats.name,
                "p50_ms": round(stats.p50, 3),
                "p99_ms": round(stats.p99, 3),
                "rps": round(stats.rps, 1),
                "rps_vs_baseline": round(stats.rps / base.rps, 3),
                "server_cpu_ms_per_request": round(cpu, 4),
                "errors": stats.errors,
            }
        )
    RESULTS.mkdir(exist_ok=True)
    report = {
        "graph": args.graph,
        "pieces_us": {name: round(us, 2) for name, us in pieces},
        "modes": results,
        "load_average": round(os.getloadavg()[0], 2),
    }
    (RESULTS / "auth.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
