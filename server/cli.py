"""The `customer-graph` command: run the local Neo4j, load data, look at the graph, serve the API.

Run ``python -m server --help`` (or ``customer-graph --help`` once installed) for the list.
Exit codes: 0 done, 1 failed, 2 bad arguments, 3 loaded but some rows were rejected.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from demo_company.company import PRESETS
from domain.errors import CustomerGraphError
from graph.counts import GraphCounts
from graph.load import files
from resolvers.schema import build_schema, export_sdl
from resolvers.strawberry_internals import graphql_schema
from server import local_neo4j
from server.app import persisted_queries_for
from server.auth.config import AuthConfigError, claim_names, signing_key, token_verifier
from server.auth.dev_keys import DevKeyError
from server.auth.tokens import mint_token
from server.graph_connection import ensure_neo4j
from server.loading import export_demo, format_counts, load_demo, load_files, show_counts
from server.playground_examples import EXAMPLE_QUERIES
from server.policy_config import PolicyError, load_policy
from server.progress import format_report, format_summary
from server.request_id import configure_logging
from server.safelist import ManifestError, listed_operation, manifest_json
from server.serve import register_demo_webhook, serve_api, start_demo_systems
from server.settings import PLAYGROUND_MANIFEST, PROJECT_ROOT, Settings
from server.sync import run_sync
from server.workers import PortInUseError
from sources.config import SourceConfigError

SCHEMA_FILE = PROJECT_ROOT / "schema.graphql"
EXIT_BAD_ARGUMENTS = 2
EXIT_REJECTED_ROWS = 3


def _setting_names(problem: ErrorDetails) -> str:
    """The environment variable a settings error is about; a check across several names them itself."""
    if not problem["loc"]:
        return "(settings)"
    field = str(problem["loc"][0])
    if field not in Settings.model_fields:
        return field  # read under one of its aliases (NEO4J_URI): that is the variable's name
    return f"CG_{field.upper()}"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="customer-graph", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    neo4j = commands.add_parser("neo4j", help="start, stop or look at the embedded Neo4j")
    neo4j.add_argument("action", choices=["start", "stop", "status"])

    load = commands.add_parser("load", help="load a demo preset or data files (idempotent)")
    source = load.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", choices=sorted(PRESETS), help="generate and load a demo company")
    source.add_argument("paths", nargs="*", type=Path, default=[], help=".jsonl/.csv files or folders")
    load.add_argument("--seed", type=int, help="demo generator seed")
    load.add_argument("--batch-size", type=_positive, help="rows per transaction")

    commands.add_parser("counts", help="print node and relationship counts")

    sync = commands.add_parser("sync", help="pull what the graph keeps from live sources and upsert it (idempotent)")
    sync.add_argument("names", nargs="*", help="sources to sync (default: every source that exports)")
    sync.add_argument("--kind", action="append", dest="kinds", help="only these row kinds (repeatable)")
    sync.add_argument("--sources-file", type=Path, help="sources configuration (default: sources.toml)")

    demo = commands.add_parser("demo", help="start Neo4j, load the demo data if the graph is empty, print counts")
    demo.add_argument("--preset", choices=sorted(PRESETS), help="demo preset (default: CG_DEMO_PRESET)")

    serve = commands.add_parser("serve", help="start Neo4j, load the demo data if the graph is empty, serve the API")
    serve.add_argument("--preset", choices=sorted(PRESETS), help="demo preset to load into an empty graph")
    serve.add_argument(
        "--no-demo", action="store_true", help="never load demo data nor start the demo systems of record"
    )
    serve.add_argument("--workers", type=int, help="API processes (default: CG_WORKERS, or one per core)")

    schema = commands.add_parser("export-schema", help="write the served SDL to schema.graphql")
    schema.add_argument("--check", action="store_true", help="exit 1 if schema.graphql differs from the code")
    schema.add_argument("--path", type=Path, default=SCHEMA_FILE, help="the SDL file (default: schema.graphql)")

    manifest = commands.add_parser(
        "export-manifest", help="write the playground's example queries as a persisted-query manifest"
    )
    manifest.add_argument("--check", action="store_true", help="exit 1 if the manifest differs from the examples")

    token = commands.add_parser(
        "token", help="print a bearer token for an employee and roles (development key or shared secret)"
    )
    token.add_argument("--employee", required=True, help="the employee id the token names (its subject)")
    token.add_argument(
        "--role", action="append", dest="roles", required=True, help="a role of policy.toml (repeatable)"
    )
    token.add_argument("--ttl", default="8h", type=_duration, help="how long it is valid: 90s, 30m, 8h or 7d (8h)")

    export = commands.add_parser("export-demo", help="write a demo preset as JSON Lines files, one per row kind")
    export.add_argument("folder", type=Path)
    export.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    export.add_argument("--seed", type=int)
    return parser


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``8h``, ``7d`` or a number of seconds."""
    number, unit = (text[:-1], text[-1]) if text and text[-1] in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration such as 30m, 8h or 7d") from None
    if not 0 < seconds <= 366 * 86400:
        raise argparse.ArgumentTypeError("a token lives for more than 0 seconds and at most a year")
    return timedelta(seconds=seconds)


def _human(ttl: timedelta) -> str:
    seconds = int(ttl.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        # A setting from the environment or .env that does not fit: a bad argument, said plainly.
        for problem in error.errors(include_url=False):
            print(f"customer-graph: bad setting {_setting_names(problem)}: {problem['msg']}", file=sys.stderr)
        return EXIT_BAD_ARGUMENTS
    # Library warnings (the Neo4j driver's) as log lines, not bare text between the steps.
    configure_logging(settings.log_level)
    if getattr(args, "batch_size", None):
        settings = settings.model_copy(update={"load_batch_size": args.batch_size})
    seed = args.seed if getattr(args, "seed", None) is not None else settings.demo_seed
    try:
        return _run(args, settings, seed)
    except (
        CustomerGraphError,
        local_neo4j.LocalNeo4jError,
        files.UnknownFileError,
        FileNotFoundError,
        SourceConfigError,
        ManifestError,
        PolicyError,
        AuthConfigError,
        DevKeyError,
        PortInUseError,
        KeyError,
    ) as exc:
        print(f"customer-graph: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("customer-graph: interrupted; loading again resumes where it stopped", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, settings: Settings, seed: int) -> int:
    if args.command == "neo4j":
        return _neo4j(args.action, settings)
    if args.command == "export-demo":
        export_demo(args.preset, seed, args.folder)
        return 0
    if args.command == "export-schema":
        return _export_schema(args.path, check=args.check)
    if args.command == "export-manifest":
        return _export_manifest(check=args.check)
    if args.command == "token":
        return _token(settings, args.employee, args.roles, args.ttl)
    if args.command == "serve":
        return _serve(args, settings, seed)
    if args.command == "load" and args.paths:
        files.collect(args.paths)  # a missing or misnamed file is told before Neo4j is started or reached
    uri = ensure_neo4j(settings)
    if args.command == "counts":
        print(format_counts(asyncio.run(show_counts(settings, uri))))
        return 0
    if args.command == "sync":
        options = {"sources_file": args.sources_file} if args.sources_file else {}
        report = asyncio.run(run_sync(settings, uri, args.names, environ=os.environ, kinds=args.kinds, **options))
        print(format_report(report))
        return EXIT_REJECTED_ROWS if report.rows_rejected else 0
    if args.command == "load":
        if args.preset:
            report = asyncio.run(load_demo(settings, args.preset, seed, uri))
        elif args.paths:
            report = asyncio.run(load_files(settings, args.paths, uri))
        else:
            print("customer-graph: load needs --preset or data files", file=sys.stderr)
            return 2
        print(format_report(report))
        return EXIT_REJECTED_ROWS if report.rows_rejected else 0
    counts = _load_demo_if_empty(settings, args.preset or settings.demo_preset, seed, uri)
    print(f"graph at {uri}:")
    print(format_counts(counts))
    return 0


def _load_demo_if_empty(settings: Settings, preset: str, seed: int, uri: str) -> GraphCounts:
    counts = asyncio.run(show_counts(settings, uri))
    if counts.total_nodes == 0:
        print(f"the graph at {uri} is empty: loading the '{preset}' demo company")
        print(format_report(asyncio.run(load_demo(settings, preset, seed, uri))))
        counts = asyncio.run(show_counts(settings, uri))
    return counts


def _token(settings: Settings, employee: str, roles: list[str], ttl: timedelta) -> int:
    """Print a token on stdout (and what it is on stderr), so ``TOKEN=$(... token ...)`` works."""
    policy = load_policy(settings, graphql_schema(build_schema())).policy
    unknown = [role for role in roles if role not in policy.roles]
    if unknown:
        known = ", ".join(policy.roles)
        print(
            f"customer-graph: {settings.policy_file} has no role {', '.join(unknown)} (roles: {known})", file=sys.stderr
        )
        return 2
    signing = signing_key(settings)
    token = mint_token(
        signing, subject=employee, roles=roles, ttl=ttl, claims=claim_names(settings), audience=settings.auth_audience
    )
    how = (
        "the shared secret"
        if settings.auth_shared_secret is not None
        else f"the development key in {settings.auth_dev_keys_dir}"
    )
    print(f"token for {employee} as {', '.join(roles)}, valid for {_human(ttl)}, signed with {how}", file=sys.stderr)
    print(token)
    return 0


def _check_auth(settings: Settings) -> str:
    """Stop before anything starts if the policy or the token settings are unusable (the
    development key is made here, once, before the workers read it); the line that says how
    tokens work."""
    token_verifier(settings, load_policy(settings, graphql_schema(build_schema())).policy)
    if settings.auth_jwks_url is not None:
        line = f"auth: tokens verified with the keys at {settings.auth_jwks_url}"
    elif settings.auth_shared_secret is not None:
        line = "auth: tokens verified with the shared secret (HS256)"
    else:
        line = (
            f"auth: development key in {settings.auth_dev_keys_dir}; the playground has a token per role "
            "(or: python -m server token --employee ID --role ROLE)"
        )
        if settings.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"customer-graph: warning: serving on {settings.host} with development keys: anyone who reaches "
                "the playground gets tokens; configure CG_AUTH_JWKS_URL or CG_AUTH_SHARED_SECRET",
                file=sys.stderr,
            )
    if settings.auth_anonymous_role is not None:
        line += f"; requests without a token act as the '{settings.auth_anonymous_role}' role"
    return line


def _serve(args: argparse.Namespace, settings: Settings, seed: int) -> int:
    """Each start-up step once, in this process, a line each; then the API in its workers."""
    if args.workers is not None and args.workers < 1:
        print("customer-graph: --workers must be at least 1", file=sys.stderr)
        return 2
    persisted_queries_for(settings)  # a bad manifest stops us here, before anything starts
    auth = _check_auth(settings)  # and so do a bad policy or unusable token settings
    uri = _start_neo4j(settings)
    environ = dict(os.environ)
    if not args.no_demo:
        preset = args.preset or settings.demo_preset
        _load_demo_once(settings, preset, seed, uri)
        if settings.sources_enabled:
            for name, url in start_demo_systems(settings, preset, seed).items():
                environ.setdefault(name, url)  # URLs set by hand win
            register_demo_webhook(settings, environ)
    worker_count = args.workers or settings.worker_count()
    print(auth, flush=True)
    # Each worker delivers the outbox to the helpdesk the sources point at, unless told not to.
    delivery = {
        "outbox_delivery": settings.outbox_delivery or "CG_OUTBOX_DELIVERY" not in environ,
        "helpdesk_url": environ.get("CG_HELPDESK_URL", settings.helpdesk_url),
    }
    return serve_api(settings.model_copy(update={"neo4j_uri": uri, **delivery}), environ, worker_count=worker_count)


def _start_neo4j(settings: Settings) -> str:
    if settings.neo4j_uri is not None:
        print(f"neo4j: {settings.neo4j_uri}", flush=True)
    elif (current := local_neo4j.running(settings.local_neo4j_home)) is not None:
        print(f"neo4j: the embedded Neo4j runs at {current.uri} (data in {current.home})", flush=True)
    else:
        where = f"bolt://127.0.0.1:{settings.local_neo4j_port}"
        print(f"neo4j: starting the embedded Neo4j at {where} (data in {settings.local_neo4j_home})", flush=True)
    return ensure_neo4j(settings)


def _load_demo_once(settings: Settings, preset: str, seed: int, uri: str) -> None:
    counts = asyncio.run(show_counts(settings, uri))
    if counts.total_nodes:
        print(
            f"graph: {counts.total_nodes:,} nodes and {counts.total_relationships:,} relationships already loaded",
            flush=True,
        )
        return
    report = asyncio.run(load_demo(settings, preset, seed, uri, one_line=True))
    print(f"graph: the '{preset}' demo company {format_summary(report)}", flush=True)
    if report.rows_rejected:
        print(format_report(report), file=sys.stderr)


def _export_schema(target: Path, *, check: bool) -> int:
    sdl = export_sdl()
    if check:
        if not target.exists() or target.read_text() != sdl:
            print(f"{target} differs from the code: run 'customer-graph export-schema'", file=sys.stderr)
            return 1
        print(f"{target} matches the code")
        return 0
    target.write_text(sdl)
    print(f"wrote {target}")
    return 0


def playground_manifest() -> str:
    """The playground's example queries as an Apollo persisted-query manifest."""
    return manifest_json(listed_operation(query) for _, query in EXAMPLE_QUERIES)


def _export_manifest(*, check: bool) -> int:
    manifest = playground_manifest()
    if check:
        if not PLAYGROUND_MANIFEST.exists() or PLAYGROUND_MANIFEST.read_text(encoding="utf-8") != manifest:
            print(
                f"{PLAYGROUND_MANIFEST} differs from the examples: run 'customer-graph export-manifest'",
                file=sys.stderr,
            )
            return 1
        print(f"{PLAYGROUND_MANIFEST.name} matches the playground's examples")
        return 0
    PLAYGROUND_MANIFEST.write_text(manifest, encoding="utf-8")
    print(f"wrote {PLAYGROUND_MANIFEST}")
    return 0


def _neo4j(action: str, settings: Settings) -> int:
    home = settings.local_neo4j_home
    if action == "start":
        uri = ensure_neo4j(settings)
        print(f"Neo4j answers at {uri}" + ("" if settings.neo4j_uri else f" (embedded, data in {home})"))
    elif action == "stop":
        print("stopped" if local_neo4j.stop(home) else "not running")
    else:
        current = local_neo4j.running(home)
        print(f"running: {current.uri} pid {current.pid}" if current else "not running")
    return 0
