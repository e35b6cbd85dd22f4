"""Which errors clients may see, and how every error is shown to them.

Errors the project raised on purpose (``CustomerGraphError``) and GraphQL's own request
errors (syntax, validation, variables) keep their message and carry a stable
``extensions.code``. Anything else is a bug or an outage we did not translate: it is logged
in full and shown as ``Internal server error``.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from domain.errors import CustomerGraphError

logger = logging.getLogger("customer_graph.errors")

MASKED_MESSAGE = "Internal server error"


def is_public(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(original, CustomerGraphError | GraphQLError)


def request_error_code(error: GraphQLError) -> str:
    """The code of an error GraphQL raised before running any resolver."""
    message = error.message
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable "):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def format_error(error: GraphQLError) -> dict[str, Any]:
    """The error as it goes out in a response, masked unless it is public."""
    if not is_public(error):
        logger.error("internal error at %s", error.path, exc_info=error.original_error)
        masked = GraphQLError(MASKED_MESSAGE, path=error.path, extensions={"code": "INTERNAL_SERVER_ERROR"})
        masked.locations = error.locations
        return masked.formatted  # type: ignore[return-value]
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    if "code" not in extensions:
        extensions["code"] = request_error_code(error) if error.path is None else "INTERNAL_SERVER_ERROR"
    formatted["extensions"] = extensions
    return formatted
