"""The driver's errors as the rest of the project sees them: translated at the adapter's edge."""

from __future__ import annotations

import os

import pytest
from neo4j.exceptions import DatabaseUnavailable, Neo4jError, ServiceUnavailable

from domain.errors import GraphUnavailableError
from graph.driver import open_driver
from graph.neo4j_errors import translated


async def test_a_database_that_is_starting_or_stopping_is_unavailable_not_an_internal_error() -> None:
    # What Neo4j answers on an open connection while its database shuts down or starts up
    # (seen under traffic while the embedded Neo4j restarts; tests/outage).
    starting = Neo4jError._hydrate_neo4j(
        code="Neo.TransientError.General.DatabaseUnavailable", message="The database is not currently available."
    )
    assert isinstance(starting, DatabaseUnavailable)

    with pytest.raises(GraphUnavailableError, match="unavailable") as raised:
        async with translated():
            raise starting

    assert raised.value.__cause__ is starting


async def test_an_unreachable_database_is_unavailable() -> None:
    with pytest.raises(GraphUnavailableError):
        async with translated():
            raise ServiceUnavailable("Couldn't connect to 127.0.0.1:1")


async def test_a_pool_with_no_connection_free_in_time_is_unavailable(neo4j_uri: str) -> None:
    driver = open_driver(neo4j_uri, "neo4j", os.environ.get("CG_TEST_NEO4J_PASSWORD", ""), max_connection_pool_size=1)
    try:
        async with driver.session(database="neo4j") as holding:
            transaction = await holding.begin_transaction()  # keeps the pool's one connection
            with pytest.raises(GraphUnavailableError, match="busy"):
                async with translated(), driver.session(database="neo4j") as waiting:
                    await (await waiting.run("RETURN 1")).consume()
            await transaction.rollback()
    finally:
        await driver.close()
