"""The served application, wired for real use: the API, the offline playground, the settings.

``uvicorn --factory server.main:app`` runs it with settings from the environment (as many
workers as you like: the app is stateless). ``customer-graph serve`` runs the same app after
starting the embedded Neo4j and loading the demo company when the graph is empty.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette

from server.app import create_app
from server.playground import EXAMPLE_QUERIES, playground_html, playground_installed, playground_routes
from server.request_id import configure_logging
from server.settings import Settings

logger = logging.getLogger("customer_graph")


def build_app(settings: Settings) -> Starlette:
    if not playground_installed():
        logger.warning("GraphiQL assets are missing: run scripts/install_playground.sh to get the playground")
        return create_app(settings)
    page = playground_html("/graphql", EXAMPLE_QUERIES)
    return create_app(settings, playground=lambda: page, extra_routes=playground_routes())


def app() -> Starlette:
    settings = Settings()
    configure_logging(settings.log_level)
    return build_app(settings)
