"""Count the Bolt RUN messages the driver really sends: one per Cypher statement.

The driver logs every message it writes to the socket on the ``neo4j.io`` logger; counting
``C: RUN`` lines there counts round trips to Neo4j, not calls to our own loaders.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class _RunCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "C: RUN" in message:
            self.statements.append(message)


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    logger = logging.getLogger("neo4j.io")
    handler = _RunCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
