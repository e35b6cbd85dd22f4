"""Profile this service's hot paths with pyinstrument: customer 360 and the nested list of 50.

    .venv/bin/python -m bench.profile_service [--requests 300] [--concurrency 8] [--only c360,list50]

Runs the real app in this process (its lifespan opens the driver on the `bench` preset graph)
and drives it through the ASGI interface, so the profile holds the whole request: HTTP
endpoint, GraphQL execution, resolvers, DataLoaders, the Neo4j driver and record conversion.
Writes bench/results/profiles/<query>.txt (the call tree; with --html also the interactive page).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from pathlib import Path

import httpx
from pyinstrument import Profiler

from bench.bench_graph import ensure_bench_graph
from bench.compare_queries import workloads

PROFILES = Path(__file__).parent / "results" / "profiles"


async def _profile(
    uri: str, keys: list[str], requests: int, concurrency: int, out: Path, mode: str, html: bool
) -> None:
    os.environ["NEO4J_URI"] = uri
    os.environ.setdefault("CG_LOG_LEVEL", "warning")
    from server.app import create_app, started
    from server.settings import Settings

    app = create_app(Settings(auth_anonymous_role="admin"))  # requests carry no token
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for workload in workloads():
                if workload.key not in keys:
                    continue
                rng = random.Random(7)

                async def one(sample: object, query: str = workload.ours, variables=workload.ours_variables) -> None:
                    response = await client.post("/graphql", json={"query": query, "variables": variables(sample)})
                    if response.status_code != 200 or b'"errors"' in response.content:
                        raise RuntimeError(response.text[:300])

                async def loop(count: int, samples: list[object] = workload.samples, rng: random.Random = rng) -> None:
                    for _ in range(count):
                        await one(samples[rng.randrange(len(samples))])

                await asyncio.gather(*(loop(5) for _ in range(concurrency)))  # warm caches and the pool
                profiler = Profiler(async_mode="enabled" if mode == "enabled" else "disabled", interval=0.0005)
                started = time.perf_counter()
                profiler.start()
                await asyncio.gather(*(loop(requests // concurrency) for _ in range(concurrency)))
                profiler.stop()
                seconds = time.perf_counter() - started
                done = (requests // concurrency) * concurrency
                print(f"{workload.title}: {done} requests in {seconds:.1f} s ({done / seconds:.1f} req/s, profiled)")
                (out / f"{workload.key}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
                if html:
                    (out / f"{workload.key}.html").write_text(profiler.output_html())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", default="c360,list50")
    parser.add_argument("--out", type=Path, default=PROFILES)
    parser.add_argument("--html", action="store_true", help="also write the interactive HTML (about 10 MB each)")
    parser.add_argument(
        "--mode",
        choices=["disabled", "enabled"],
        default="disabled",
        help="disabled: where the CPU goes (idle waits show as select); enabled: wall time per awaiting coroutine",
    )
    args = parser.parse_args()
    uri = ensure_bench_graph()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(_profile(uri, args.only.split(","), args.requests, args.concurrency, args.out, args.mode, args.html))
    print(f"profiles in {args.out}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
