"""Open the official async Neo4j driver for a URI: a local server, a cluster or Aura."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase, NotificationDisabledClassification

# The server's notices that a label, relationship type or property does not exist. Our Cypher
# names only the model's fixed labels and types, so these mean "no such data yet": every query
# on an empty or partly loaded graph would log one per name (a page of them at the first start).
# Deprecations, performance and other warnings still come through.
QUIET_NOTIFICATIONS = [NotificationDisabledClassification.UNRECOGNIZED]

# How long a statement may wait for a connection: to open one (TCP, TLS, the Bolt handshake
# and login) or for a free one in the pool. The driver's 30 s held every request for that long
# when Neo4j took connections without answering (a JVM still starting, a stalled server, a
# broken network); a client or a proxy gives up before that. Failing in a few seconds answers
# GRAPH_UNAVAILABLE instead, and the next request tries again.
CONNECTION_TIMEOUT_S = 5.0


def open_driver(uri: str, user: str, password: str, *, max_connection_pool_size: int = 100) -> AsyncDriver:
    # With no password we send no credentials: the embedded Neo4j on loopback runs without auth.
    auth = (user, password) if password else None
    return AsyncGraphDatabase.driver(
        uri,
        auth=auth,
        max_connection_pool_size=max_connection_pool_size,
        connection_timeout=CONNECTION_TIMEOUT_S,
        connection_acquisition_timeout=CONNECTION_TIMEOUT_S,
        notifications_disabled_classifications=QUIET_NOTIFICATIONS,
    )
