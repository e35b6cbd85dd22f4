"""Assemble the GraphQL schema: an Apollo Federation v2 subgraph of the customer graph."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from resolvers.execution import PlainFieldExecutor, resolve_fields_directly
from resolvers.explore import ExploreQuery
from resolvers.federation import FederatedSchema
from resolvers.mutations import Mutation
from resolvers.query import Query as EntityQuery
from resolvers.scalars import SCALAR_MAP
from resolvers.subscriptions import Subscription
from resolvers.trace.query import TraceQuery

# The entities by id and as lists, the traces through them and the explorer's reads, under one root.
Query = merge_types("Query", (EntityQuery, TraceQuery, ExploreQuery))


def build_schema() -> strawberry.federation.Schema:
    """The schema, run by ``server/operations.py`` (the one execution path, which masks errors
    with ``resolvers.errors.masked``); no strawberry extension, as nothing calls ``Schema.execute``."""
    schema = FederatedSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        federation_version="2.9",
        execution_context_class=PlainFieldExecutor,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
    resolve_fields_directly(schema)
    return schema


def export_sdl() -> str:
    """The SDL this service serves, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
