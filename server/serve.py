"""What ``customer-graph serve`` runs once Neo4j answers: the demo systems, then the API on every core.

The parent process does each start-up step once (Neo4j, the demo load, the demo systems of
record) and prints one line for it; then it runs the API in ``settings.worker_count()`` worker
processes (one per core by default), each with its own listening socket (``server/workers.py``),
and prints one line when all of them serve. Workers get the settings and environment the parent
resolved (the Neo4j URI it started, the demo systems' URLs), not a fresh read of the process
environment, so every worker talks to what the parent set up.
"""

from __future__ import annotations

import functools
import socket
import subprocess
import sys
from collections.abc import Mapping

import httpx
import uvicorn

from server import workers
from server.main import build_app, worker_app
from server.request_id import configure_logging
from server.settings import PROJECT_ROOT, Settings

# The demo systems' ports, from `python -m demo_systems start --base-port P`: helpdesk on P, HR
# on P+1 and CRM on P+2, read by sources.toml through these variables (see demo_systems/local.py).
DEMO_SYSTEM_URLS = {
    "CG_HELPDESK_URL": (0, ""),
    "CG_HR_URL": (1, ""),
    "CG_CRM_URL": (2, "/graphql"),
}


def start_demo_systems(settings: Settings, preset: str, seed: int) -> dict[str, str]:
    """Start the DEMO systems of record that the shipped sources.toml points at, if they are not
    running, so the live fields answer in the playground; the environment that points the sources
    at them. They are demo code, run as their own command (``python -m demo_systems``), never
    imported by the product; they keep running after the server stops (``python -m demo_systems
    stop``). The API is served even if they fail."""
    base_port = settings.demo_systems_base_port
    command = [sys.executable, "-m", "demo_systems", "start", "--preset", preset, "--seed", str(seed)]
    command += ["--base-port", str(base_port)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"{done.stdout or ''}{done.stderr or ''}".rstrip(), file=sys.stderr)
        print("customer-graph: the demo systems did not start; live fields will be null", file=sys.stderr)
        return {}
    print(
        f"demo systems of record: helpdesk, HR and CRM on 127.0.0.1:{base_port}-{base_port + 2}, "
        "the ERP in .local/demo_systems (stop them: python -m demo_systems stop)",
        flush=True,
    )
    return {name: f"http://127.0.0.1:{base_port + offset}{path}" for name, (offset, path) in DEMO_SYSTEM_URLS.items()}


def register_demo_webhook(settings: Settings, environ: Mapping[str, str]) -> bool:
    """Point the DEMO helpdesk's webhook at this API, when the receiver is on
    (``CG_HELPDESK_WEBHOOK_SECRET``), so a change made in the helpdesk reaches the graph at once.
    The demo helpdesk keeps one receiver per URL, so a restart registers again without doubling."""
    secret = settings.helpdesk_webhook_secret
    helpdesk = environ.get("CG_HELPDESK_URL")
    if secret is None or not helpdesk:
        return False
    receiver = f"http://{settings.host}:{settings.port}/webhooks/helpdesk"
    token = environ.get("CG_HELPDESK_TOKEN", "demo-helpdesk-token")
    try:
        answer = httpx.post(
            f"{helpdesk}/api/webhooks",
            json={"url": receiver, "secret": secret.get_secret_value()},
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
    except httpx.HTTPError as error:
        print(f"customer-graph: the demo helpdesk's webhook was not registered ({error})", file=sys.stderr)
        return False
    if answer.status_code not in (200, 201):
        print(f"customer-graph: the demo helpdesk refused the webhook ({answer.status_code})", file=sys.stderr)
        return False
    print(f"demo helpdesk: changes made there are sent to {receiver}", flush=True)
    return True


def serve_api(settings: Settings, environ: Mapping[str, str], *, worker_count: int) -> int:
    """Serve the API until stopped: ``worker_count`` processes, or this one if it must."""
    url = f"http://{settings.host}:{settings.port}/graphql"
    if not hasattr(socket, "SO_REUSEPORT"):  # not Linux: one process, as uvicorn runs it
        configure_logging(settings.log_level)
        print(f"Customer Graph API at {url}: one process (open it in a browser for the playground)", flush=True)
        uvicorn.run(
            build_app(settings, environ=environ),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=False,  # the app logs each request itself, with its X-Request-Id
            ws_max_size=settings.max_body_bytes,
        )
        return 0

    def announce(pids: list[int]) -> None:
        count = f"{len(pids)} worker{'s' if len(pids) > 1 else ''}"
        print(
            f"Customer Graph API at {url}: {count} (pids {', '.join(map(str, pids))}); "
            "open it in a browser for the GraphiQL playground",
            flush=True,
        )

    # uvicorn's own start-up lines would come once per worker: only its warnings are shown, and the
    # app's log (one line per request, at settings.log_level) names the worker's pid.
    factory = functools.partial(worker_app, settings, dict(environ))
    code = workers.serve(
        factory,
        workers=worker_count,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ws_max_bytes=settings.max_body_bytes,
        on_ready=announce,
    )
    print("Customer Graph API stopped", flush=True)
    return code
