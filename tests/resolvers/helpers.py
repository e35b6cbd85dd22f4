from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from domain.access import Access
from graph.store import Neo4jGraphStore
from resolvers.context import Context
from resolvers.schema import build_schema
from server.operations import OperationRunner

SCHEMA = build_schema()
# The service's one execution path, in-process: what HTTP runs, without the transport.
OPERATIONS = OperationRunner.of(SCHEMA)


async def run(driver: AsyncDriver, query: str, max_page_size: int = 100, **variables: Any) -> Any:
    context = Context(store=Neo4jGraphStore(driver, "neo4j"), access=Access.unrestricted(), max_page_size=max_page_size)
    return await OPERATIONS.run(query, context, variables or None)
