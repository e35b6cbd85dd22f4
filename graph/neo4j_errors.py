"""Translate the Neo4j driver's errors into the project's own, at the adapter's edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionPoolError,
    ConstraintError,
    DatabaseUnavailable,
    ServiceUnavailable,
    SessionExpired,
)

from domain.errors import ConflictError, GraphUnavailableError, RequestTimeoutError


@asynccontextmanager
async def translated() -> AsyncIterator[None]:
    try:
        yield
    except ConstraintError as exc:
        raise ConflictError(f"the graph refused the write: {exc.message}") from exc
    except (ServiceUnavailable, SessionExpired) as exc:
        raise GraphUnavailableError("the graph database is unavailable") from exc
    except ConnectionPoolError as exc:
        # No connection came free in time (graph.driver.CONNECTION_TIMEOUT_S): busy, not broken.
        raise GraphUnavailableError("the graph database is busy: no connection came free in time") from exc
    except DatabaseUnavailable as exc:
        # Neo4j answers so on a connection still open while its database stops or starts.
        raise GraphUnavailableError("the graph database is unavailable (starting or stopping)") from exc
    except AuthError as exc:
        raise GraphUnavailableError("the graph database refused our credentials") from exc
    except ClientError as exc:
        # The transaction timeout a statement was given (the time left of its request) ran out.
        if exc.code is not None and "TransactionTimedOut" in exc.code:
            raise RequestTimeoutError("the graph database stopped a statement at the request's deadline") from exc
        raise
