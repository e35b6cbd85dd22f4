"""The limits of one GraphQL request, from the settings, and the cost check before it runs.

``RequestLimits`` gathers what ``server.graphql_http`` enforces, in the order a request meets
them: the body's size while it streams in, the document's tokens while it is parsed, its
shape (depth, aliases, root fields, repeated fields) before it is validated, its cost and the
number of ``_entities`` representations before it runs (``CostGuard``), and then the budget it
runs within (a deadline, Cypher statements at once, errors reported; ``domain.budget``).

A cost depends on the document and on the variables its slicing arguments read, so
``CostGuard`` keeps estimates by document, operation and the values of just those variables:
a client repeating a query pays for its estimate once. Estimates live as long as their
document does in the document cache (they hold it weakly).
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode

from domain.budget import RequestBudget
from domain.errors import LimitExceededError
from resolvers.cost import CostModel, Estimate
from resolvers.documents import DocumentLimits
from server.settings import Settings

COST_TOO_EXPENSIVE = "COST_ESTIMATED_TOO_EXPENSIVE"
TOO_MANY_REPRESENTATIONS = "MAX_REPRESENTATIONS_LIMIT"


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """What a request may send, ask for and spend; ``None`` turns a check off."""

    max_body_bytes: int = 1_000_000
    document: DocumentLimits = field(default_factory=DocumentLimits)
    max_cost: int | None = None
    max_representations: int | None = None
    timeout_s: float = 10.0
    max_statements: int = 8
    max_errors: int = 50

    @classmethod
    def of(cls, settings: Settings) -> RequestLimits:
        on = settings.operation_limits_enabled
        return cls(
            max_body_bytes=settings.max_body_bytes,
            document=DocumentLimits(
                max_tokens=settings.max_tokens,
                max_depth=settings.max_depth if on else None,
                max_aliases=settings.max_aliases if on else None,
                max_root_fields=settings.max_root_fields if on else None,
            ),
            max_cost=settings.max_cost if on else None,
            max_representations=settings.max_representations if on else None,
            timeout_s=settings.request_timeout_s,
            max_statements=settings.max_statements_in_flight,
            max_errors=settings.max_errors,
        )

    @property
    def checks_cost(self) -> bool:
        return self.max_cost is not None or self.max_representations is not None

    def budget(self) -> RequestBudget:
        return RequestBudget(self.timeout_s, self.max_statements, self.max_errors)


@dataclass(frozen=True, slots=True)
class CostCheck:
    estimate: Estimate
    errors: list[GraphQLError]


@dataclass(frozen=True, slots=True)
class _Checks:
    names: frozenset[str]  # the variables the operation's estimate reads
    by_values: dict[Hashable, CostCheck]


class CostGuard:
    """Estimates operations' costs (cached, see the module docstring) and refuses those over the limits."""

    def __init__(self, model: CostModel, limits: RequestLimits) -> None:
        self._model = model
        self._limits = limits
        # id(document) -> the document, weakly, and by id(operation): the variables its estimate
        # reads and the checks by their values. An entry goes when its document is collected.
        self._checks: dict[int, tuple[weakref.ref[DocumentNode], dict[int, _Checks]]] = {}

    def check(
        self, document: DocumentNode, operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
    ) -> CostCheck:
        known = self._checks.get(id(document))
        if known is None or known[0]() is not document:
            key = id(document)
            known = self._checks[key] = (weakref.ref(document, lambda _: self._checks.pop(key, None)), {})
        by_operation = known[1]
        checks = by_operation.get(id(operation))
        if checks is not None:
            found = checks.by_values.get(_values_key(checks.names, variables))
            if found is not None:
                return found
        found = self._check(document, operation, variables)
        if checks is None:
            checks = by_operation[id(operation)] = _Checks(found.estimate.variables_read, {})
        if len(checks.by_values) < 64:  # a few variants of one operation; the rest are estimated each time
            checks.by_values[_values_key(checks.names, variables)] = found
        return found

    def _check(
        self, document: DocumentNode, operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
    ) -> CostCheck:
        estimate = self._model.estimate(document, operation, variables)
        errors: list[GraphQLError] = []
        reps, max_reps = estimate.representations, self._limits.max_representations
        if reps is not None and max_reps is not None and reps > max_reps:
            message = f"_entities got {reps} representations; at most {max_reps} are allowed in one request"
            errors.append(_limit_error(TOO_MANY_REPRESENTATIONS, message, max_reps, reps))
        max_cost = self._limits.max_cost
        if max_cost is not None and estimate.cost > max_cost:
            message = (
                f"the operation's estimated cost is {estimate.cost}, over the limit of {max_cost}: "
                "ask for smaller pages or fewer nested lists"
            )
            errors.append(_limit_error(COST_TOO_EXPENSIVE, message, max_cost, estimate.cost))
        return CostCheck(estimate, errors)


def _values_key(names: frozenset[str], variables: Mapping[str, Any] | None) -> Hashable:
    given = variables or {}
    return tuple(sorted((name, _hashable(given.get(name))) for name in names))


def _hashable(value: object) -> Hashable:
    # The estimate reads integers (slicing arguments) and list lengths (representations).
    if isinstance(value, list):
        return ("list", len(value))
    return value if isinstance(value, int | str | float | bool | None) else ("other", type(value).__name__)


def _limit_error(code: str, message: str, limit: int, requested: int) -> GraphQLError:
    cause = LimitExceededError(code, message, limit=limit, requested=requested)
    return GraphQLError(message, original_error=cause, extensions=cause.extensions)
