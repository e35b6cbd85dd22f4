"""Open the official async Neo4j driver for a URI: a local server, a cluster or Aura."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase, NotificationDisabledClassification

# The server's notices that a label, relationship type or property does not exist. Our Cypher
# names only the model's fixed labels and types, so these mean "no such data yet": every query
# on an empty or partly loaded graph would log one per name (a page of them at the first start).
# Deprecations, performance and other warnings still come through.
QUIET_NOTIFICATIONS = [NotificationDisabledClassification.UNRECOGNIZED]


def open_driver(uri: str, user: str, password: str, *, max_connection_pool_size: int = 100) -> AsyncDriver:
    # With no password we send no credentials: the embedded Neo4j on loopback runs without auth.
    auth = (user, password) if password else None
    return AsyncGraphDatabase.driver(
        uri,
        auth=auth,
        max_connection_pool_size=max_connection_pool_size,
        connection_acquisition_timeout=30.0,
        notifications_disabled_classifications=QUIET_NOTIFICATIONS,
    )
