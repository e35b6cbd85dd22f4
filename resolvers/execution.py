"""Execute plain scalar fields without graphql-core's per-field machinery.

graphql-core runs every field the same way: a ``Path``, a ``GraphQLResolveInfo``, a resolver
call, then ``complete_value`` through non-null, list and leaf checks. For a field that only
reads an attribute holding a scalar or an enum, that is about ten Python calls to do one
``getattr`` and one ``coerce_output_value``; a journey page or a list of 50 customers is made
mostly of such fields, and that overhead was most of its execution time.

``PlainFieldExecutor`` resolves those fields directly and gives everything else to
graphql-core unchanged. A field counts as plain when its resolver was made by
``plain_attribute`` (``resolve_fields_directly`` does so for fields without resolver,
arguments, extensions or permissions) and its type is a scalar or enum, nullable or not.
Whenever a value is not simply valid (null for a non-null field, a value its type refuses),
the field is executed the ordinary way, so errors, their paths and null propagation are
exactly graphql-core's. With middleware (the federated tracing) every field takes the
ordinary way, so each one is seen.

Masked fields (``policy.toml``, ``Grants.masks``) never take the direct way: they go out as
null with a ``FORBIDDEN_FIELD`` error, without their resolver being called, or redacted once
resolved. Only an executor whose caller has masks checks fields for them; the others run
exactly as before.

The executor also keeps a request's errors within its budget (``Context.budget``): past
``max_errors`` located errors, a failing field is still null (and still nulls its non-null
parents), but its error is only counted, not built: locating an error in a long document and
carrying thousands of them was what made a flood of failing fields slow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from graphql import (
    GraphQLError,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry import Info, Schema
from strawberry.types.field import StrawberryField

from domain.access import ForbiddenFieldError, MaskMode, redact
from resolvers.strawberry_internals import (
    ExecutionContext,
    field_definition,
    graphql_schema,
    has_exception_handlers,
    own_subfield_memo,
    strawberry_info,
)

_PLAIN_ATTRIBUTE = "__plain_attribute__"


class _OmittedError(GraphQLError):
    """An error past the request's cap: counted once, carried up only to null its non-null parents."""


# (response name, attribute, leaf type, non-null) for the plain fields of a selection; the
# other fields of the selection, for graphql-core.
_Plan = tuple[list[tuple[str, str, GraphQLLeafType, bool]], GroupedFieldSet]


def plain_attribute(name: str) -> Callable[..., Any]:
    """A resolver that returns ``source.<name>``, marked so the executor may skip calling it."""

    def resolve(source: Any, _info: GraphQLResolveInfo[Any]) -> Any:
        return getattr(source, name)

    setattr(resolve, _PLAIN_ATTRIBUTE, name)
    return resolve


def resolve_fields_directly(schema: Schema) -> None:
    """Resolve simple fields without strawberry's per-field wrapper.

    strawberry wraps every field, a plain attribute too, in a resolver that builds its own
    Info, converts arguments and chains field extensions: for a response made of many small
    objects (a list of 50 customers with their orders, a journey page) that wrapper was most
    of the execution time. A field without arguments, extensions or permissions (and a schema
    without exception handlers) needs none of it:

    - without a resolver, its value is the attribute, read by ``plain_attribute`` (which the
      executor below skips calling altogether for scalars and enums);
    - with a resolver, the resolver is called as strawberry would call it (``self``, the parent
      and ``info`` where it asks for them), with an Info of the schema's class.

    Values are serialized and errors reported by graphql-core as before.
    """
    if has_exception_handlers(schema):
        return
    info_class = schema.config.info_class
    for graphql_type in graphql_schema(schema).type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field in graphql_type.fields.values():
            definition = field_definition(field)
            if definition is None or definition.extensions or field.args:
                continue
            if definition.base_resolver is None:
                field.resolve = plain_attribute(definition.python_name)
            elif not definition.base_resolver.arguments and callable(definition.base_resolver.wrapped_func):
                field.resolve = _calling(definition, info_class)


def _calling(definition: StrawberryField, info_class: type[Info]) -> Any:
    """A graphql-core resolver calling an argument-less strawberry resolver as strawberry does."""
    resolver = definition.base_resolver
    assert resolver is not None
    function = cast("Callable[..., Any]", resolver.wrapped_func)
    passes_self = resolver.self_parameter is not None
    source_names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None]
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    def resolve(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        keywords = dict.fromkeys(source_names, source)
        if info_name is not None:
            keywords[info_name] = strawberry_info(info_class, info, definition)
        return function(source, **keywords) if passes_self else function(**keywords)

    return resolve


class PlainFieldExecutor(ExecutionContext):
    """strawberry's graphql-core executor, with plain scalar fields read directly (see the module docstring)."""

    _plans: dict[int, tuple[GroupedFieldSet, _Plan]]
    _masks: Mapping[str, Mapping[str, MaskMode]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        access = getattr(self.context_value, "access", None)
        self._masks = access.grants.masks if access is not None else {}
        if self._masks:
            # An instance attribute: executors of callers without masks keep the plain method,
            # with no check per field.
            setattr(self, "execute_field", self._execute_field_masked)  # noqa: B010

    def build_per_event_executor(self, payload: Any) -> PlainFieldExecutor:
        # Each event of a subscription runs in a copy of its executor: the copy gets memos of
        # its own, or they would keep every event's fields for as long as the subscription lasts.
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, PlainFieldExecutor)
        own_subfield_memo(executor)
        executor.__dict__.pop("_plans", None)
        if self._masks:
            # The copy took this executor's bound method: a masked field's error would go to the
            # subscription's own list (growing with every event) instead of the event's result.
            setattr(executor, "execute_field", executor._execute_field_masked)  # noqa: B010
        return executor

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        if self.middleware_manager is not None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        plain, others = self._plan(parent_type, grouped_field_set)
        if not plain:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        values: dict[str, Any] = {}
        fallback: GroupedFieldSet | None = None
        for response_name, attribute, leaf_type, non_null in plain:
            value = getattr(source_value, attribute, Undefined)
            if value is None and not non_null:
                values[response_name] = None
                continue
            if value is not None and value is not Undefined:
                try:
                    value = leaf_type.coerce_output_value(value)
                except Exception:  # graphql-core meets it again below and reports it, located
                    value = None
                if value is not None and value is not Undefined:
                    values[response_name] = value
                    continue
            # Not simply valid: graphql-core executes it and reports the error as it would.
            if fallback is None:
                fallback = dict(others)
            fallback[response_name] = grouped_field_set[response_name]
        rest = fallback if fallback is not None else others
        if not rest:
            return values
        executed = super().execute_fields(parent_type, source_value, path, rest, position_context)
        if isinstance(executed, dict):
            return _merged(executed, values, grouped_field_set)
        return _merged_later(executed, values, grouped_field_set)

    def handle_field_error(
        self,
        raw_error: Exception,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> None:
        budget = getattr(self.context_value, "budget", None)
        if isinstance(raw_error, _OmittedError):
            pass  # counted where it was raised; it only nulls this field now
        elif budget is None or len(self.collected_errors.errors) < budget.max_errors:
            super().handle_field_error(raw_error, return_type, field_details_list, path)
            return
        else:
            budget.omitted_errors += 1
        if self.error_propagation and is_non_null_type(return_type):
            raise _OmittedError("left out", path=path.as_list())

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> _Plan:
        # graphql-core collects a selection once per execution and hands the same grouped field
        # set to every object of a list, so a plan per set is made once per request.
        try:
            plans = self._plans
        except AttributeError:
            plans = self._plans = {}
        cached = plans.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        plain: list[tuple[str, str, GraphQLLeafType, bool]] = []
        others: GroupedFieldSet = {}
        masked = self._masks.get(parent_type.name, {})
        for response_name, field_details_list in grouped_field_set.items():
            field_name = field_details_list[0].node.name.value
            field = parent_type.fields.get(field_name)
            attribute = getattr(field.resolve, _PLAIN_ATTRIBUTE, None) if field is not None else None
            if field_name in masked:
                attribute = None
            field_type = field.type if field is not None else None
            non_null = isinstance(field_type, GraphQLNonNull)
            leaf_type = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
            if attribute is not None and is_leaf_type(leaf_type):
                plain.append((response_name, attribute, leaf_type, non_null))
            else:
                others[response_name] = field_details_list
        plan = (plain, others)
        plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _execute_field_masked(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        field_name = field_details_list[0].node.name.value
        mode = self._masks.get(parent_type.name, {}).get(field_name)
        if mode is None:
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        if mode is MaskMode.NULL:
            field = parent_type.fields[field_name]
            error = ForbiddenFieldError(
                f"your roles may not see {parent_type.name}.{field_name}", field=f"{parent_type.name}.{field_name}"
            )
            self.handle_field_error(error, field.type, field_details_list, path)
            return None
        completed = super().execute_field(parent_type, source, field_details_list, path, position_context)
        if self.is_awaitable(completed):
            return _redacted_later(completed)
        return _redacted(completed)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact(item) if isinstance(item, str) else item for item in value]
    return value


async def _redacted_later(value: Awaitable[Any]) -> Any:
    return _redacted(await value)


def _merged(executed: dict[str, Any], values: dict[str, Any], order: GroupedFieldSet) -> dict[str, Any]:
    # The response keeps the order of the selection, as the specification asks.
    merged: dict[str, Any] = {}
    for name in order:
        if name in values:
            merged[name] = values[name]
        elif name in executed:
            merged[name] = executed[name]
    return merged


async def _merged_later(
    executed: Awaitable[dict[str, Any]], values: dict[str, Any], order: GroupedFieldSet
) -> dict[str, Any]:
    return _merged(await executed, values, order)
