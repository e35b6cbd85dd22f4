"""Translate the Neo4j driver's errors into the project's own, at the adapter's edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionAcquisitionTimeoutError,
    ConstraintError,
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
    except AuthError as exc:
        raise GraphUnavailableError("the graph database refused our credentials") from exc
    except ConnectionAcquisitionTimeoutError as exc:
        # Every connection of the pool stayed busy for the acquisition timeout: the service is
        # overloaded, which the client may retry later, not a bug of ours.
        raise GraphUnavailableError("the graph database is busy: no connection was free in time") from exc
    except ClientError as exc:
        # The transaction timeout a statement was given (the time left of its request) ran out.
        if exc.code is not None and "TransactionTimedOut" in exc.code:
            raise RequestTimeoutError("the graph database stopped a statement at the request's deadline") from exc
        raise
