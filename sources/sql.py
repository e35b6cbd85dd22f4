"""``SqlSource``: a system of record reached over SQL, through SQLAlchemy's async engine.

PostgreSQL (asyncpg) in production, SQLite (aiosqlite) as the embedded default. A lookup is
one ``SELECT ... WHERE <key> IN (...)`` on the configured table or view; an export pages
through a table along a unique column (keyset pagination, so page 1,000 costs what page 1
does). Table and column names come from the validated configuration and are quoted by
SQLAlchemy; keys are always bound parameters. Driver errors are translated at this edge:
lost or refused connections and server errors are transient, a schema that does not match
the configuration is not.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Select, TableClause, bindparam, column, select, table, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from sources.answers import records_by_key
from sources.config import SqlSourceConfig
from sources.guarded import ExportPage, GuardedSource, SourceCallError
from sources.port import Record
from sources.resilience import Clock

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PING = text("SELECT 1")


def _table(name: str, columns: Sequence[str]) -> TableClause:
    schema, _, bare = name.rpartition(".")
    return table(bare, *(column(name) for name in dict.fromkeys(columns)), schema=schema or None)


def _columns_of(paths: Sequence[str], source: str) -> list[str]:
    for path in paths:
        if not _COLUMN.match(path):
            raise ValueError(f"source '{source}': '{path}' is not a column name")
    return list(paths)


class SqlSource(GuardedSource):
    """A SQL database as a live source: batch lookups by key, paged exports; see the module doc."""

    def __init__(self, name: str, config: SqlSourceConfig, *, clock: Clock = time.monotonic) -> None:
        super().__init__(name, config, config.exports, clock=clock)
        self._config = config
        self._engine: AsyncEngine | None = None
        lookup = config.lookup
        columns = [lookup.key_column, *_columns_of(self._shape.paths, name)]
        lookup_table = _table(lookup.table, columns)
        self._lookup_query: Select[Any] = select(*lookup_table.c).where(
            lookup_table.c[lookup.key_column].in_(bindparam("keys", expanding=True))
        )
        self._export_queries: dict[str, tuple[TableClause, Select[Any]]] = {}
        for kind, spec in config.exports.items():
            export_columns = [spec.order_by, *_columns_of(self._export_shapes[kind].paths, name)]
            export_table = _table(spec.table, export_columns)
            query = select(*export_table.c).order_by(export_table.c[spec.order_by]).limit(spec.page_size)
            self._export_queries[kind] = (export_table, query)

    @property
    def engine(self) -> AsyncEngine:
        """The open engine (for instrumentation in tests and benchmarks)."""
        if self._engine is None:
            raise RuntimeError(f"source '{self._name}' is not open")
        return self._engine

    async def open(self) -> None:
        if self._engine is not None:
            return
        url = make_url(self._config.dsn)
        resilience = self._config.resilience
        options: dict[str, object] = {
            "pool_size": self._config.pool_size,
            "max_overflow": self._config.pool_size,
            "pool_timeout": resilience.timeout_s,
        }
        if url.get_backend_name() == "postgresql":
            # command_timeout makes the server cancel a statement the caller has given up on.
            options["connect_args"] = {"timeout": resilience.connect_timeout_s, "command_timeout": resilience.timeout_s}
        elif url.database in (None, "", ":memory:"):
            options = {}  # an in-memory SQLite lives in one connection: there is no pool to size
        self._engine = create_async_engine(url, pool_pre_ping=False, **options)

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _lookup(self, keys: Sequence[str]) -> dict[str, Record]:
        async with self._connection() as connection:
            result = await connection.execute(self._lookup_query, {"keys": list(keys)})
            rows = [dict(row._mapping) for row in result]
        return records_by_key(rows, self._config.lookup.key_column, self._shape)

    async def _export_page(self, kind: str, cursor: object | None) -> ExportPage:
        spec = self._config.exports[kind]
        export_table, query = self._export_queries[kind]
        if cursor is not None:
            query = query.where(export_table.c[spec.order_by] > bindparam("after", cursor))
        async with self._connection() as connection:
            rows = [dict(row._mapping) for row in await connection.execute(query)]
        next_cursor = rows[-1][spec.order_by] if len(rows) == spec.page_size else None
        return self._build_page(kind, rows, next_cursor)

    async def _ping(self) -> None:
        async with self._connection() as connection:
            await connection.execute(PING)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self.engine.connect() as connection:
                yield connection
        except (sa_exc.ProgrammingError, sa_exc.DataError, sa_exc.IntegrityError) as exc:
            raise SourceCallError(f"the database refused the query: {_first_line(exc)}", transient=False) from exc
        except (sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError) as exc:
            raise SourceCallError(f"database error: {_first_line(exc)}", transient=True) from exc
        except OSError as exc:
            raise SourceCallError(f"cannot reach the database: {exc.strerror or exc}", transient=True) from exc


def _first_line(exc: BaseException) -> str:
    detail = getattr(exc, "orig", None) or exc
    return str(detail).strip().splitlines()[0] if str(detail).strip() else type(detail).__name__
