"""Reach the graph the settings point to: a given NEO4J_URI, or the embedded Neo4j we start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from neo4j import AsyncDriver

from graph.constraints import apply_schema
from graph.driver import open_driver
from graph.neo4j_errors import translated
from server import local_neo4j
from server.settings import Settings


def ensure_neo4j(settings: Settings) -> str:
    """The Bolt URI to use, starting the embedded Neo4j first when no NEO4J_URI is set."""
    if settings.neo4j_uri is not None:
        return settings.neo4j_uri
    local = local_neo4j.start(
        settings.local_neo4j_home,
        settings.local_neo4j_port,
        heap_mb=settings.local_neo4j_heap_mb,
        page_cache_mb=settings.local_neo4j_page_cache_mb,
    )
    return local.uri


@asynccontextmanager
async def connected_graph(settings: Settings, uri: str | None = None) -> AsyncIterator[AsyncDriver]:
    """An open driver whose database has the model's constraints and indexes in place."""
    driver = open_driver(
        uri or settings.effective_neo4j_uri(), settings.neo4j_user, settings.neo4j_password.get_secret_value()
    )
    try:
        async with translated():
            await driver.verify_connectivity()
        await apply_schema(driver, settings.neo4j_database)
        yield driver
    finally:
        await driver.close()
