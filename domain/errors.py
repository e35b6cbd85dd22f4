"""The project's own errors.

Adapters translate vendor errors (Neo4j, HTTP, SQL) into these at their edge; the GraphQL
layer turns each into a client-facing error with a stable ``extensions.code``. Anything that
is not one of these is an internal error: logged in full, masked for clients.
"""

from __future__ import annotations


class CustomerGraphError(Exception):
    """Base of every error the project raises on purpose."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, object] = {"code": self.code, **extensions}


class NotFoundError(CustomerGraphError):
    code = "NOT_FOUND"


class BadUserInputError(CustomerGraphError):
    code = "BAD_USER_INPUT"


class ConflictError(CustomerGraphError):
    code = "CONFLICT"


class GraphUnavailableError(CustomerGraphError):
    code = "GRAPH_UNAVAILABLE"


class SourceUnavailableError(CustomerGraphError):
    """A live source system failed, timed out, answered garbage or has its circuit open."""

    code = "SOURCE_UNAVAILABLE"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"source '{source}' is unavailable: {reason}", source=source)
        self.source = source
        self.reason = reason


class LimitExceededError(CustomerGraphError):
    """A request asks for more than the service allows (see the limits in the settings).

    Each limit has its own code, so a client can tell which one it hit; ``limit`` and
    ``requested`` are in the extensions when they are numbers.
    """

    def __init__(self, code: str, message: str, **extensions: object) -> None:
        self.code = code
        super().__init__(message, **extensions)


class RequestTimeoutError(CustomerGraphError):
    """The request's deadline passed before this part of it was done."""

    code = "REQUEST_TIMEOUT"
