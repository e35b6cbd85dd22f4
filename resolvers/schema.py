"""Assemble the GraphQL schema: an Apollo Federation v2 subgraph of the customer graph."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaskErrors
from strawberry.tools import merge_types

from resolvers.errors import is_public
from resolvers.execution import PlainFieldExecutor, resolve_fields_directly
from resolvers.query import Query as EntityQuery
from resolvers.trace import TraceQuery

# The entities by id and as lists, and the traces through them, under one root.
Query = merge_types("Query", (EntityQuery, TraceQuery))


def build_schema() -> strawberry.federation.Schema:
    schema = strawberry.federation.Schema(
        query=Query,
        federation_version="2.9",
        execution_context_class=PlainFieldExecutor,
        extensions=[lambda: MaskErrors(should_mask_error=lambda error: not is_public(error))],
    )
    resolve_fields_directly(schema)
    return schema


def export_sdl() -> str:
    """The SDL this service serves, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
