"""Assemble the GraphQL schema: an Apollo Federation v2 subgraph of the customer graph."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from resolvers.errors import is_public, masked
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


class MaskUnexpectedErrors(MaskErrors):
    """Masks errors that are not public with ``resolvers.errors.masked``, the masker HTTP uses too."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_public(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return masked(error)


def build_schema() -> strawberry.federation.Schema:
    schema = FederatedSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        federation_version="2.9",
        execution_context_class=PlainFieldExecutor,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[MaskUnexpectedErrors],
    )
    resolve_fields_directly(schema)
    return schema


def export_sdl() -> str:
    """The SDL this service serves, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
