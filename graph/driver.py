"""Open the official async Neo4j driver for a URI: a local server, a cluster or Aura."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase


def open_driver(uri: str, user: str, password: str, *, max_connection_pool_size: int = 100) -> AsyncDriver:
    # With no password we send no credentials: the embedded Neo4j on loopback runs without auth.
    auth = (user, password) if password else None
    return AsyncGraphDatabase.driver(
        uri,
        auth=auth,
        max_connection_pool_size=max_connection_pool_size,
        connection_acquisition_timeout=30.0,
    )
