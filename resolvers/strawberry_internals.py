"""The one module that reaches into strawberry's private names: what it relies on, and why.

Everything else in the product speaks strawberry's public API (``strawberry.type``,
``strawberry.field``, ``strawberry.Info``, ``DataLoader``) and graphql-core's. Four things
this service does for speed or for federation need more, and this module is where they are
reached, each behind a function that says what it gives:

- ``graphql_schema``: the graphql-core schema strawberry builds (``Schema._schema``). Every
  operation, over HTTP, WebSocket, SSE or in-process, is parsed, measured, validated and costed
  by our own code (``server/operations.py``, the one execution path) with a cache of parsed
  documents, then executed by graphql-core's ``execute`` on this schema, so no request is
  parsed or validated twice; the access policy and the cost model read it too.
- ``raw_info``: graphql-core's resolve info under a ``strawberry.Info`` (``Info._raw_info``): the
  field nodes, fragments and coerced variables, which the look-ahead (``resolvers/lookahead.py``)
  reads to load a page with what the query asks of its nodes next, in one statement.
- ``strawberry_info`` and ``ExecutionContext``: ``resolvers/execution.py`` calls simple resolvers
  without strawberry's per-field wrapper (an ``Info`` made as strawberry makes it,
  ``Info(_raw_info=..., _field=...)``) and executes plain scalar fields directly, in a subclass
  of strawberry's graphql-core execution context; these took most of a large response's time.
- ``own_subfield_memo``: graphql-core (strawberry's engine) copies a subscription's executor for
  each event, and the copies share one memo of collected subfields (``_relevant_sub_fields``)
  keyed by lists each event makes anew; a subscription's memory grew with every event it
  delivered (about 2 KB each) until each copy got a memo of its own.
- ``field_definition``, ``has_exception_handlers`` and ``entity_types``: how the strawberry
  definitions hang off the graphql-core schema (``GraphQLCoreConverter.DEFINITION_BACKREF``,
  ``Schema.schema_converter``), for the same fast path and for ``_entities``.

``tests/resolvers/test_strawberry_internals.py`` checks each of these on the installed
strawberry and fails, naming what changed, when an upgrade moves one; a scan in the same test
keeps private strawberry names out of every other module of the product.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema, GraphQLUnionType
from strawberry.schema.schema import Schema, StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

# strawberry's graphql-core execution context: the base of ``resolvers.execution.PlainFieldExecutor``.
ExecutionContext = StrawberryGraphQLCoreExecutionContext


def own_subfield_memo(executor: ExecutionContext) -> None:
    """Give ``executor`` (one event's copy of a subscription's executor) a memo of collected
    subfields of its own, so that what it collects goes when the event is done."""
    executor._relevant_sub_fields = {}


def graphql_schema(schema: Schema) -> GraphQLSchema:
    """The graphql-core schema that ``schema`` executes."""
    return schema._schema


def raw_info(info: Info) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info of the field ``info`` was made for."""
    return info._raw_info


def strawberry_info(info_class: type[Info], raw: GraphQLResolveInfo[Any], definition: StrawberryField) -> Info:
    """The ``Info`` strawberry would hand a resolver of ``definition`` for this resolve info."""
    return info_class(_raw_info=raw, _field=definition)


def field_definition(field: GraphQLField) -> StrawberryField | None:
    """The strawberry field a graphql-core field was made from, if any."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryField) else None


def has_exception_handlers(schema: Schema) -> bool:
    """Whether the schema converts exceptions itself (then every field keeps strawberry's wrapper)."""
    return bool(schema.schema_converter.exception_handlers)


def entity_types(schema: Schema) -> dict[str, Any]:
    """The Python class of each member of the federation's ``_Entity`` union, by type name."""
    union = graphql_schema(schema).type_map.get("_Entity")
    names = [member.name for member in union.types] if isinstance(union, GraphQLUnionType) else []
    type_map = schema.schema_converter.type_map
    return {name: type_map[name].definition.origin for name in names}  # type: ignore[union-attr]
