"""What ``resolvers/strawberry_internals.py`` relies on in strawberry, checked on the installed version.

Each test names the private name it checks, so an upgrade that moves one fails here, loudly and
by name, rather than somewhere in the fast path. The scan keeps those names out of every other
module of the product.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import strawberry
from graphql import Executor as GraphQLCoreExecutionContext
from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.types.field import StrawberryField

from resolvers import strawberry_internals
from resolvers.execution import PlainFieldExecutor
from resolvers.schema import build_schema
from resolvers.strawberry_internals import (
    ExecutionContext,
    entity_types,
    field_definition,
    graphql_schema,
    has_exception_handlers,
    raw_info,
    strawberry_info,
)
from server.operations import OperationRunner

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("domain", "graph", "resolvers", "sources", "server")
ADAPTER = Path(strawberry_internals.__file__).resolve()
# Private strawberry names and internal modules: only the adapter may use them.
PRIVATE = re.compile(
    r"\._schema\b|_raw_info|\b_field=|StrawberryGraphQLCoreExecutionContext|DEFINITION_BACKREF|schema_converter"
    r"|strawberry\.schema\.schema\b|strawberry\.schema\.schema_converter|strawberry\.types\.fields\.resolver"
)


def test_no_product_module_but_the_adapter_uses_a_private_strawberry_name() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.resolve() != ADAPTER
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert found == [], "private strawberry names outside resolvers/strawberry_internals.py:\n" + "\n".join(found)


def test_the_scan_sees_the_names_the_adapter_uses() -> None:
    # The pattern would pass anything if it matched nothing: it must find the adapter's own uses.
    used = set(PRIVATE.findall(ADAPTER.read_text(encoding="utf-8")))
    assert {"._schema", "_raw_info", "_field=", "StrawberryGraphQLCoreExecutionContext"} <= used


def test_schema_private_schema_is_the_graphql_core_schema_strawberry_executes() -> None:
    schema = build_schema()
    core = graphql_schema(schema)
    assert isinstance(core, GraphQLSchema)
    assert isinstance(core.type_map["Customer"], GraphQLObjectType)
    assert core.get_type("Query") is not None


def _probe_schema() -> tuple[strawberry.Schema, list[Any]]:
    seen: list[Any] = []

    @strawberry.type
    class Query:
        @strawberry.field
        def probe(self, info: strawberry.Info) -> str:
            seen.append(info)
            return "ok"

        @strawberry.field
        def plain(self, info: strawberry.Info) -> str:
            return info.field_name

    return strawberry.Schema(query=Query), seen


async def test_info_private_raw_info_and_the_info_constructor_still_fit() -> None:
    schema, seen = _probe_schema()
    result = await OperationRunner.of(schema).run("{ probe }", {"who": "me"})
    assert result.errors is None and seen
    info = seen[0]
    raw = raw_info(info)
    # What the look-ahead reads of it (a GraphQLResolveInfo's fields).
    for name in ("field_nodes", "fragments", "variable_values", "schema", "path"):
        assert hasattr(raw, name), f"the raw info has no {name}"
    assert raw.field_name == "probe" and raw.context == {"who": "me"}
    assert raw.field_nodes and raw.fragments == {}

    definition = field_definition(graphql_schema(schema).type_map["Query"].fields["probe"])  # type: ignore[union-attr]
    assert isinstance(definition, StrawberryField)
    made = strawberry_info(type(info), raw, definition)
    assert made.field_name == "probe"
    assert made.context == {"who": "me"}
    assert made.python_name == "probe"


def test_strawberry_resolvers_still_expose_what_the_direct_call_reads() -> None:
    schema, _ = _probe_schema()
    field = graphql_schema(schema).type_map["Query"].fields["plain"]  # type: ignore[union-attr]
    definition = field_definition(field)
    assert definition is not None and definition.base_resolver is not None
    resolver = definition.base_resolver
    for name in ("wrapped_func", "self_parameter", "parent_parameter", "root_parameter", "info_parameter", "arguments"):
        assert hasattr(resolver, name), f"StrawberryResolver.{name} is gone"
    assert callable(resolver.wrapped_func)
    assert resolver.info_parameter is not None and resolver.info_parameter.name == "info"
    assert schema.config.info_class is strawberry.Info or issubclass(schema.config.info_class, strawberry.Info)
    assert has_exception_handlers(schema) is False


def test_the_execution_context_still_has_the_methods_the_executor_overrides() -> None:
    assert issubclass(ExecutionContext, GraphQLCoreExecutionContext)
    expected = {
        "execute_fields": ["self", "parent_type", "source_value", "path", "grouped_field_set", "position_context"],
        "execute_field": ["self", "parent_type", "source", "field_details_list", "path", "position_context"],
        "handle_field_error": ["self", "raw_error", "return_type", "field_details_list", "path"],
    }
    for name, parameters in expected.items():
        method = getattr(ExecutionContext, name)
        assert list(inspect.signature(method).parameters) == parameters, f"{name} changed its signature"
    source = inspect.getsource(GraphQLCoreExecutionContext)
    for attribute in ("middleware_manager", "context_value", "collected_errors", "error_propagation", "is_awaitable"):
        assert f"self.{attribute}" in source or hasattr(ExecutionContext, attribute), f"{attribute} is gone"
    assert build_schema().execution_context_class is PlainFieldExecutor


def test_an_executor_still_keeps_its_subfield_memo_where_own_subfield_memo_replaces_it() -> None:
    source = inspect.getsource(GraphQLCoreExecutionContext)
    assert "self._relevant_sub_fields" in source, "graphql-core's memo of collected subfields moved"
    assert inspect.getsource(GraphQLCoreExecutionContext.build_per_event_executor).count("copy(self)") == 1


def test_the_federation_entities_still_map_to_their_classes() -> None:
    origins = entity_types(build_schema())
    assert {"Customer", "Employee", "Department", "Order", "Product", "Ticket", "Interaction"} <= set(origins)
    assert all(callable(getattr(origin, "resolve_reference", None)) for origin in origins.values())
