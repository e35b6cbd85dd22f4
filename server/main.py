"""The ASGI entry point of the workers (``server.main:app``): the API, the playground and explorer, the settings.

``uvicorn --factory server.main:app`` runs it with settings from the environment (as many
workers as you like: the app is stateless). ``customer-graph serve`` runs the same app after
starting the embedded Neo4j and loading the demo company when the graph is empty.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Mapping

from starlette.applications import Starlette

from server.app import create_app
from server.explorer import explorer_html, explorer_routes
from server.playground import playground_html, playground_installed, playground_routes
from server.playground_examples import EXAMPLE_QUERIES
from server.request_id import configure_logging
from server.settings import Settings

logger = logging.getLogger("customer_graph")


def build_app(settings: Settings, *, environ: Mapping[str, str]) -> Starlette:
    """The app with the playground; ``environ`` fills in the sources file's ``${VAR}`` references."""
    if not playground_installed():
        logger.warning("GraphiQL assets are missing: run scripts/install_playground.sh to get the playground")
        served = create_app(settings, environ=environ)
    else:
        served = create_app(
            settings,
            environ=environ,
            playground=lambda identities: playground_html("/graphql", EXAMPLE_QUERIES, identities),
            explorer=lambda identities: explorer_html("/graphql", identities),
            extra_routes=[*playground_routes(), *explorer_routes()],
        )
    # What start-up made (modules, the schema) lives as long as the process: move it out of the
    # garbage collector's reach, so its full collections scan only what requests leave behind
    # instead of stalling every request in flight every few hundred requests.
    gc.collect()
    gc.freeze()
    return served


def app() -> Starlette:
    settings = Settings()
    configure_logging(settings.log_level)
    return build_app(settings, environ=os.environ)


def worker_app(settings: Settings, environ: Mapping[str, str]) -> Starlette:
    """The app of one ``serve`` worker, with the settings and environment its parent resolved.

    A module-level function, so ``functools.partial(worker_app, ...)`` pickles into a worker.
    """
    configure_logging(settings.log_level)
    return build_app(settings, environ=environ)
