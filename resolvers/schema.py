"""Assemble the GraphQL schema: an Apollo Federation v2 subgraph of the customer graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from strawberry.extensions import MaskErrors
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.tools import merge_types
from strawberry.types.field import StrawberryField

from resolvers.errors import is_public
from resolvers.query import Query as EntityQuery
from resolvers.trace import TraceQuery

# The entities by id and as lists, and the traces through them, under one root.
Query = merge_types("Query", (EntityQuery, TraceQuery))


def build_schema() -> strawberry.federation.Schema:
    schema = strawberry.federation.Schema(
        query=Query,
        federation_version="2.7",
        extensions=[lambda: MaskErrors(should_mask_error=lambda error: not is_public(error))],
    )
    _read_plain_fields_directly(schema._schema)
    return schema


def _read_plain_fields_directly(schema: GraphQLSchema) -> None:
    """Resolve each field that is a plain attribute by reading the attribute, nothing more.

    strawberry wraps every field, a plain attribute too, in a resolver that builds its own
    Info, converts arguments and chains field extensions: for a response made of many small
    objects (a list of 50 customers with their orders, a journey page) that wrapper is most of
    the execution time. A field without resolver, arguments, extensions or permissions needs
    none of it; its value is the attribute, serialized by its type as before.
    """
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (
                isinstance(definition, StrawberryField)
                and definition.base_resolver is None
                and not definition.extensions
                and not definition.permission_classes
                and not field.args
            ):
                field.resolve = _attribute(definition.python_name)


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: GraphQLResolveInfo[Any]) -> Any:
        return getattr(source, name)

    return resolve


def export_sdl() -> str:
    """The SDL this service serves, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
