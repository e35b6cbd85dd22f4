"""The Markdown report and PNG charts of bench/compare.py (matplotlib, Agg backend: no display)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.load import Stats
from bench.systems import BASELINE, LABELS, NAIVE, OURS, PEER, RAW

COLORS = {OURS: "#1f77b4", BASELINE: "#9ecae1", NAIVE: "#ff7f0e", PEER: "#2ca02c", RAW: "#7f7f7f"}
ORDER = [OURS, BASELINE, NAIVE, PEER, RAW]
# CPU meters of a measurement: the system's own processes (for the raw driver, the benchmark
# process it runs in) and Neo4j's, per request.
SERVICE_CPU = "service"
NEO4J_CPU = "neo4j"


@dataclass
class Measured:
    workload: str
    title: str
    system: str
    stats: Stats
    load_before: float
    load_after: float
    first_error: str | None = None


@dataclass
class Run:
    started: str
    settings: dict[str, Any]
    environment: dict[str, Any]
    mappings: dict[str, str]
    checks: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    measured: list[Measured] = field(default_factory=list)

    def get(self, workload: str, system: str) -> Measured | None:
        for item in self.measured:
            if item.workload == workload and item.system == system:
                return item
        return None

    def workloads(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for item in self.measured:
            seen.setdefault(item.workload, item.title)
        return list(seen.items())

    def systems(self) -> list[str]:
        present = {item.system for item in self.measured}
        return [system for system in ORDER if system in present]


def _ratio(numerator: float, denominator: float) -> str:
    if not denominator or numerator != numerator or denominator != denominator:
        return "n/a"
    return f"{numerator / denominator:.2f}x"


def _figures(stats: Stats) -> dict[str, Any]:
    return {
        "p50_ms": round(stats.p50, 2),
        "p90_ms": round(stats.percentile(0.90), 2),
        "p99_ms": round(stats.p99, 2),
        "rps": round(stats.rps, 1),
        "requests": stats.requests,
        "errors": stats.errors,
        "cpu_ms_per_request": {meter: round(stats.cpu_ms_per_request(meter), 3) for meter in stats.cpu_seconds},
    }


def _cpu(stats: Stats, meter: str) -> str:
    value = stats.cpu_ms_per_request(meter)
    return "n/a" if value != value else f"{value:.2f}"


def headline_rows(run: Run) -> list[str]:
    rows = [
        "| query | system | p50 ms | p99 ms | req/s | errors | req/s vs @neo4j/graphql | req/s vs raw driver "
        "| CPU ms/request: system | CPU ms/request: Neo4j | load avg (min..max) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for workload, title in run.workloads():
        peer = run.get(workload, PEER)
        raw = run.get(workload, RAW)
        for system in run.systems():
            item = run.get(workload, system)
            if item is None:
                continue
            s = item.stats
            versus_peer = _ratio(s.rps, peer.stats.rps) if peer else "n/a"
            versus_raw = _ratio(s.rps, raw.stats.rps) if raw else "n/a"
            rows.append(
                f"| {title} | {LABELS[system]} | {s.p50:.1f} | {s.p99:.1f} | {s.rps:.1f} | {s.errors} | "
                f"{versus_peer} | {versus_raw} | {_cpu(s, SERVICE_CPU)} | {_cpu(s, NEO4J_CPU)} "
                f"| {item.load_before:.2f}..{item.load_after:.2f} |"
            )
    return rows


def ratio_rows(run: Run) -> list[str]:
    with_baseline = BASELINE in run.systems()
    rows = [
        "| query | req/s: ours / @neo4j/graphql | p50: ours / @neo4j/graphql | req/s: ours / naive "
        "| req/s: ours / raw driver | p50: ours / raw driver |" + (" req/s: ours / before |" if with_baseline else ""),
        "| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if with_baseline else ""),
    ]
    for workload, title in run.workloads():
        ours = run.get(workload, OURS)
        if ours is None:
            continue
        peer, naive, raw = run.get(workload, PEER), run.get(workload, NAIVE), run.get(workload, RAW)
        before = run.get(workload, BASELINE)
        rows.append(
            f"| {title} | {_ratio(ours.stats.rps, peer.stats.rps) if peer else 'n/a'} "
            f"| {_ratio(ours.stats.p50, peer.stats.p50) if peer else 'n/a'} "
            f"| {_ratio(ours.stats.rps, naive.stats.rps) if naive else 'n/a'} "
            f"| {_ratio(ours.stats.rps, raw.stats.rps) if raw else 'n/a'} "
            f"| {_ratio(ours.stats.p50, raw.stats.p50) if raw else 'n/a'} |"
            + (f" {_ratio(ours.stats.rps, before.stats.rps) if before else 'n/a'} |" if with_baseline else "")
        )
    return rows


def throughput_chart(run: Run, path: Path) -> None:
    workloads = run.workloads()
    systems = run.systems()
    fig, axes = plt.subplots(1, len(workloads), figsize=(3.2 * len(workloads), 4.2), squeeze=False)
    for axis, (workload, title) in zip(axes[0], workloads, strict=True):
        values = [run.get(workload, system) for system in systems]
        heights = [item.stats.rps if item else 0.0 for item in values]
        bars = axis.bar(range(len(systems)), heights, color=[COLORS[s] for s in systems])
        for bar, height in zip(bars, heights, strict=True):
            axis.annotate(f"{height:.0f}", (bar.get_x() + bar.get_width() / 2, height), ha="center", va="bottom",
                          fontsize=8)  # fmt: skip
        axis.set_title(title, fontsize=9)
        axis.set_xticks(range(len(systems)), [LABELS[s] for s in systems], rotation=35, ha="right", fontsize=8)
        axis.set_ylabel("requests/s" if axis is axes[0][0] else "")
        axis.margins(y=0.15)
        axis.grid(axis="y", alpha=0.3)
    fig.suptitle(
        f"Throughput per query (closed loop, concurrency {run.settings['concurrency']}, "
        f"{run.settings['duration']:.0f} s each; higher is better)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency_chart(run: Run, path: Path) -> None:
    workloads = run.workloads()
    systems = run.systems()
    fig, axes = plt.subplots(1, len(workloads), figsize=(3.2 * len(workloads), 4.2), squeeze=False)
    for axis, (workload, title) in zip(axes[0], workloads, strict=True):
        data, labels, colors = [], [], []
        for system in systems:
            item = run.get(workload, system)
            if item is None or not item.stats.latencies_ms:
                continue
            data.append(item.stats.latencies_ms)
            labels.append(LABELS[system])
            colors.append(COLORS[system])
        parts = axis.boxplot(data, whis=(1, 99), showfliers=False, patch_artist=True, widths=0.6)
        for patch, color in zip(parts["boxes"], colors, strict=True):
            patch.set_facecolor(color)
            patch.set_alpha(0.6)
        axis.set_yscale("log")
        axis.set_title(title, fontsize=9)
        axis.set_xticks(range(1, len(labels) + 1), labels, rotation=35, ha="right", fontsize=8)
        axis.set_ylabel("latency ms (log)" if axis is axes[0][0] else "")
        axis.grid(axis="y", alpha=0.3, which="both")
    fig.suptitle("Latency per query: box = p25..p75, line = p50, whiskers = p1..p99 (lower is better)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cdf_chart(run: Run, path: Path) -> None:
    workloads = run.workloads()
    systems = run.systems()
    fig, axes = plt.subplots(1, len(workloads), figsize=(3.2 * len(workloads), 3.8), squeeze=False)
    for axis, (workload, title) in zip(axes[0], workloads, strict=True):
        for system in systems:
            item = run.get(workload, system)
            if item is None or not item.stats.latencies_ms:
                continue
            ordered = sorted(item.stats.latencies_ms)
            shares = [(index + 1) / len(ordered) for index in range(len(ordered))]
            axis.plot(ordered, shares, label=LABELS[system], color=COLORS[system], linewidth=1.4)
        axis.set_xscale("log")
        axis.set_title(title, fontsize=9)
        axis.set_xlabel("latency ms (log)", fontsize=8)
        axis.set_ylim(0, 1.01)
        axis.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("share of requests")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.suptitle("Latency distribution per query (cumulative; further left is better)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(run: Run, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    throughput_chart(run, out / "compare-throughput.png")
    latency_chart(run, out / "compare-latency.png")
    cdf_chart(run, out / "compare-latency-cdf.png")
    payload = {
        "started": run.started,
        "settings": run.settings,
        "environment": run.environment,
        "checks": run.checks,
        "mismatches": run.mismatches,
        "results": [
            {
                "query": item.workload,
                "system": item.system,
                **_figures(item.stats),
                "load_before": round(item.load_before, 2),
                "load_after": round(item.load_after, 2),
                "first_error": item.first_error,
            }
            for item in run.measured
        ],
    }
    (out / "compare.json").write_text(json.dumps(payload, indent=2) + "\n")
    settings, env = run.settings, run.environment
    lines = [
        "# This service vs @neo4j/graphql vs naive resolvers vs the raw driver",
        "",
        f"Run {run.started} with `{settings['command']}`: the `bench` preset graph "
        f"({env['graph']}) in one embedded Neo4j {env['neo4j']}, the same for every system.",
        "",
        f"- Machine: {env['cores']} cores shared with Neo4j, the load generator and other work; load average "
        f"{env['load_start']} at the start, {env['load_end']} at the end (per measurement in the table). "
        "Figures are noisy: read the ratios of one run, not absolute numbers.",
        f"- Load: closed loop from the benchmark process (bench/load.py), concurrency {settings['concurrency']}, "
        f"{settings['duration']:.0f} s measured per query per system in {settings['rounds']} rounds of alternating "
        f"order (A B C, C B A: drift in the machine's load weighs on every system), each after a "
        f"{settings['warmup']:.0f} s warm-up; random samples from a fixed seed; a request with a non-200 status or a "
        "GraphQL `errors` list is an error. The load average column gives the lowest and highest seen.",
        "- CPU per request: user plus system CPU time spent during the measured windows, divided by the requests "
        "answered, for the system's own processes (server and workers; for the raw driver, the benchmark process the "
        "driver runs in) and for Neo4j. With two cores shared, a system's requests/s falls as the sum of the two "
        "rises, whatever its latency.",
        f"- Servers: {settings['workers']} worker process(es) each, on loopback. This service: "
        "`python -m server.workers server.main:app` (uvicorn in each worker, a listening socket each); "
        "naive: bench/naive (same schema shape and HTTP endpoint, no DataLoaders, "
        "one Cypher statement per field per parent); @neo4j/graphql: "
        f"{env['peer_versions']} on Node {env['node']}; raw driver: one hand-written Cypher statement per "
        "request through the Python async driver, no HTTP, no GraphQL.",
        "",
        "## Headline ratios (this service)",
        "",
        *ratio_rows(run),
        "",
        "## All figures",
        "",
        *headline_rows(run),
        "",
        "![Throughput](compare-throughput.png)",
        "",
        "![Latency](compare-latency.png)",
        "",
        "![Latency distribution](compare-latency-cdf.png)",
        "",
        "## Same data before timing",
        "",
        "Each system answered the same samples before the measurement; answers were reduced to the same plain "
        "form (times as UTC instants, ids, counts, values; for paths: length and endpoints, as equally short "
        "paths may differ) and compared.",
        "",
    ]
    lines += [f"- {line}" for line in run.checks]
    if run.mismatches:
        lines += ["", "**MISMATCHES:**", ""] + [f"- {line}" for line in run.mismatches]
    lines += ["", "## How each query maps onto @neo4j/graphql", ""]
    lines += [f"- **{title}**: {run.mappings[key]}" for key, title in run.workloads() if key in run.mappings]
    lines += [
        "",
        "@neo4j/graphql projects every DateTime field with `apoc.date.convertFormat`, so the bench Neo4j runs "
        "with APOC core (scripts/install_bench_peers.sh copies it from Maven Central into its plugins folder). "
        "Its DateTime strings carry milliseconds and `Z` (ours: `+00:00`); its one-to-one relationships "
        "(`owner`, `employee`, `department`) are objects as ours are.",
        "",
    ]
    errors = [item for item in run.measured if item.first_error]
    if errors:
        lines += ["## Errors", ""]
        lines += [f"- {item.title} / {LABELS[item.system]}: {item.first_error}" for item in errors]
        lines.append("")
    report = out / "compare.md"
    report.write_text("\n".join(lines))
    return report
