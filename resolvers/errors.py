"""Which errors clients may see, how every error is shown to them, and how a failed request is logged.

Errors the project raised on purpose (``CustomerGraphError``) and GraphQL's own request
errors (syntax, validation, variables) keep their message and carry a stable
``extensions.code``. Anything else is a bug or an outage we did not translate: it is shown as
``Internal server error`` and logged with its traceback.

Whatever a client sends can come back in a message (an id that was not found, a field name
that does not exist): quoted values longer than ``_MAX_QUOTED`` characters and messages
longer than ``_MAX_MESSAGE`` are shortened, so an error never echoes a megabyte of input.

A response carries at most the request budget's ``max_errors`` errors; the executor counts
the others without building them, and ``format_errors`` adds one error that says how many
were left out. ``log_failed_request`` writes one line per request with errors (their codes
and counts) and the traceback of the first unexpected one only, cut to ``_MAX_TRACEBACK``
characters: a request that fails ten thousand fields writes one line, not ten thousand
tracebacks.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections import Counter
from collections.abc import Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

from domain.errors import CustomerGraphError, NotFoundError

logger = logging.getLogger("customer_graph.errors")
T = TypeVar("T")

MASKED_MESSAGE = "Internal server error"
TOO_MANY_ERRORS = "TOO_MANY_ERRORS"
_MAX_QUOTED = 80
_MAX_MESSAGE = 500
_MAX_TRACEBACK = 8000
_QUOTED = re.compile(rf"'[^']{{{_MAX_QUOTED + 1},}}'|\"[^\"]{{{_MAX_QUOTED + 1},}}\"")


def found(value: T | None, kind: str, id: str) -> T:
    """``value``, or ``NOT_FOUND`` for a root lookup by id that found nothing."""
    if value is None:
        raise NotFoundError(f"no {kind} with id '{id}'", id=id)
    return value


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


def shortened(text: str) -> str:
    """``text`` with long quoted values cut short, and cut to ``_MAX_MESSAGE`` characters."""
    if len(text) <= _MAX_QUOTED:
        return text
    text = _QUOTED.sub(lambda quoted: f"{quoted[0][: _MAX_QUOTED // 2]}…{quoted[0][0]}", text)
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def _cut(value: str, length: int = _MAX_QUOTED) -> str:
    return value if len(value) <= length else value[: length // 2] + "…"


def masked(error: GraphQLError) -> GraphQLError:
    """The error a client sees in place of one that is not public: the one masker of the service.

    ``format_error`` applies it to what goes out over HTTP, WebSocket and SSE, and the
    in-process ``server.operations.OperationRunner.run`` to its results, so both show the
    same message and code.
    """
    if is_public(error):
        return error
    hidden = GraphQLError(MASKED_MESSAGE, path=error.path, extensions={"code": "INTERNAL_SERVER_ERROR"})
    hidden.locations = error.locations
    return hidden


def format_error(error: GraphQLError) -> dict[str, Any]:
    """The error as it goes out in a response, masked unless it is public."""
    if not is_public(error):
        return masked(error).formatted  # type: ignore[return-value]
    formatted: dict[str, Any] = dict(error.formatted)
    formatted["message"] = shortened(formatted["message"])
    extensions = {
        name: _cut(value) if isinstance(value, str) else value
        for name, value in (formatted.get("extensions") or {}).items()
    }
    if "code" not in extensions:
        extensions["code"] = request_error_code(error) if error.path is None else "INTERNAL_SERVER_ERROR"
    formatted["extensions"] = extensions
    return formatted


def format_errors(errors: Sequence[GraphQLError], omitted: int = 0) -> list[dict[str, Any]]:
    """Every error of a response, and one that counts those left out, if any were."""
    formatted = [format_error(error) for error in errors]
    if omitted:
        formatted.append(
            {
                "message": f"{omitted} more errors were left out of this response",
                "extensions": {"code": TOO_MANY_ERRORS, "omitted": omitted},
            }
        )
    return formatted


def log_failed_request(errors: Sequence[GraphQLError], formatted: Sequence[dict[str, Any]], omitted: int = 0) -> None:
    """One log line for a request that answered errors (see the module docstring)."""
    codes = Counter(str(error.get("extensions", {}).get("code")) for error in formatted)
    codes.pop(TOO_MANY_ERRORS, None)
    summary = ", ".join(f"{code} {count}" for code, count in codes.most_common())
    left_out = f"; {omitted} more left out" if omitted else ""
    unexpected = next((error for error in errors if not is_public(error)), None)
    if unexpected is None:
        level = logging.WARNING if codes.keys() & {"GRAPH_UNAVAILABLE", "SOURCE_UNAVAILABLE"} else logging.INFO
        logger.log(level, "request answered %d errors (%s)%s", len(formatted), summary, left_out)
        return
    cause = unexpected.original_error
    assert cause is not None  # an error is unexpected because of what caused it
    # Each line cut short (an exception's message may carry any input), then the middle of a
    # long chain of frames left out: the start says where it began, the end what went wrong.
    lines = [_cut(line, 400) for line in "".join(traceback.format_exception(cause)).splitlines()]
    trace = "\n".join(lines)
    if len(trace) > _MAX_TRACEBACK:
        head, tail = trace[: _MAX_TRACEBACK // 4], trace[-(_MAX_TRACEBACK * 3 // 4) :]
        trace = f"{head}\n... ({len(trace) - _MAX_TRACEBACK} characters left out) ...\n{tail}"
    logger.error(
        "request answered %d errors (%s)%s; the first unexpected one, at %s:\n%s",
        len(formatted), summary, left_out, unexpected.path, trace.rstrip(),
    )  # fmt: skip
