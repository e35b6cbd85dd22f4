"""DEMO system, not part of the product: the demo ERP, a SQL database (PostgreSQL or SQLite).

``python -m demo_systems.erp seed --dsn DSN [--preset tiny --seed 7]`` creates the ERP's
tables and the views the ``erp`` sources read, and fills them from the demo company
(``demo_systems.erp_data``); it does nothing when the database already holds that preset and
seed. PostgreSQL is the production-like case (``scripts/postgres.sh`` runs one on loopback),
SQLite a file for the local run.

Test controls live in the database itself, in the one-row table ``demo_control``:
``latency_ms`` delays every read of the views (PostgreSQL: ``pg_sleep`` in a gate function
the views call once per statement), ``fail = 'down'`` makes every read fail with a server
error (PostgreSQL) and ``fail = 'malformed'`` makes the views answer NULL where a status
belongs (both). ``python -m demo_systems.erp faults --dsn DSN --latency-ms 100``.
Statements are counted by PostgreSQL itself (``pg_stat_statements``), not by any client:
``python -m demo_systems.erp stats --dsn DSN``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import LiteralString

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from demo_systems.erp_data import ErpRows, build_erp
from demo_systems.erp_schema import CONTROL, META, METADATA, TABLES, VIEW_NAMES, views
from demo_systems.web import DEFAULT_PRESET, DEFAULT_SEED

SCHEMA_VERSION = "2"
CHUNK = 5000
VIEWED_RELATIONS = (
    "erp_order_status",
    "erp_stock",
    "erp_customer_account",
    "erp_order_export",
    "erp_order_line_export",
)

COUNT_STATEMENTS: LiteralString = """
SELECT coalesce(sum(calls), 0) AS calls
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query ILIKE :pattern
"""
RESET_STATEMENTS: LiteralString = "SELECT pg_stat_statements_reset()"


def is_postgres(dsn: str) -> bool:
    return make_url(dsn).get_backend_name() == "postgresql"


async def _ensure_database(dsn: str) -> None:
    """Create the PostgreSQL database the DSN names, if it is missing."""
    url = make_url(dsn)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(str(url.database))
                await connection.execute(text("CREATE DATABASE " + quoted))
    finally:
        await admin.dispose()


async def _seeded_as(connection: AsyncConnection) -> dict[str, str]:
    try:
        rows = await connection.execute(select(META.c.key, META.c.value))
    except Exception:  # no meta table yet: not seeded
        await connection.rollback()
        return {}
    return {str(key): str(value) for key, value in rows}


async def seed_erp(dsn: str, preset: str = DEFAULT_PRESET, seed: int = DEFAULT_SEED, *, force: bool = False) -> bool:
    """Create and fill the ERP for ``preset``/``seed``; False when it already was."""
    postgres = is_postgres(dsn)
    if postgres:
        await _ensure_database(dsn)
    wanted = {"preset": preset, "seed": str(seed), "schema": SCHEMA_VERSION}
    engine = create_async_engine(dsn)
    try:
        async with engine.connect() as connection:
            if not force and await _seeded_as(connection) == wanted:
                return False
        erp = build_erp(preset, seed)
        async with engine.begin() as connection:
            for name in VIEW_NAMES:
                await connection.execute(text("DROP VIEW IF EXISTS " + name))
            await connection.run_sync(METADATA.drop_all)
            await connection.run_sync(METADATA.create_all)
            for statement in views(postgres=postgres):
                await connection.execute(text(statement))
            if postgres:
                await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
            for table, rows in zip(TABLES, _rows_by_table(erp), strict=True):
                for start in range(0, len(rows), CHUNK):
                    await connection.execute(insert(table), rows[start : start + CHUNK])
            await connection.execute(insert(CONTROL), [{"id": 1, "latency_ms": 0, "fail": None}])
            await connection.execute(insert(META), [{"key": key, "value": value} for key, value in wanted.items()])
            if postgres:
                await connection.execute(text("ANALYZE"))
        return True
    finally:
        await engine.dispose()


def _rows_by_table(erp: ErpRows) -> list[list[dict[str, object]]]:
    """The rows of each table of TABLES, in its order."""
    return [erp.customers, erp.products, erp.orders, erp.lines, erp.shipments, erp.invoices]


async def set_erp_faults(target: str | AsyncEngine, *, latency_ms: int = 0, fail: str | None = None) -> None:
    """Set the test controls of the ERP at a DSN or behind an engine (see the module docstring)."""
    if fail not in (None, "down", "malformed"):
        raise ValueError("fail must be None, 'down' or 'malformed'")
    engine = create_async_engine(target) if isinstance(target, str) else target
    try:
        async with engine.begin() as connection:
            await connection.execute(update(CONTROL).where(CONTROL.c.id == 1).values(latency_ms=latency_ms, fail=fail))
    finally:
        if isinstance(target, str):
            await engine.dispose()


async def erp_statement_count(engine: AsyncEngine, relation: str) -> int:
    """How many statements reading ``relation`` PostgreSQL has completed (pg_stat_statements)."""
    async with engine.connect() as connection:
        calls = await connection.scalar(text(COUNT_STATEMENTS), {"pattern": f"%FROM {relation}%"})
    return int(calls or 0)


async def reset_erp_statements(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text(RESET_STATEMENTS))


def _tables(tables: Sequence[Table]) -> list[str]:
    return [table.name for table in tables]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seed_command = commands.add_parser("seed", help="create and fill the ERP (idempotent)")
    seed_command.add_argument("--dsn", required=True)
    seed_command.add_argument("--preset", default=DEFAULT_PRESET)
    seed_command.add_argument("--seed", type=int, default=DEFAULT_SEED)
    seed_command.add_argument("--force", action="store_true", help="rebuild even if already seeded")
    faults = commands.add_parser("faults", help="set the test controls")
    faults.add_argument("--dsn", required=True)
    faults.add_argument("--latency-ms", type=int, default=0)
    faults.add_argument("--fail", choices=["down", "malformed"])
    stats = commands.add_parser("stats", help="statements PostgreSQL counted per view")
    stats.add_argument("--dsn", required=True)
    args = parser.parse_args(argv)
    if args.command == "seed":
        done = asyncio.run(seed_erp(args.dsn, args.preset, args.seed, force=args.force))
        print(f"seeded {', '.join(_tables(TABLES))}" if done else "already seeded")
    elif args.command == "faults":
        asyncio.run(set_erp_faults(args.dsn, latency_ms=args.latency_ms, fail=args.fail))
    else:
        if not is_postgres(args.dsn):
            print("statement counts come from pg_stat_statements: PostgreSQL only")
            return 2
        asyncio.run(_print_stats(args.dsn))
    return 0


async def _print_stats(dsn: str) -> None:
    engine = create_async_engine(dsn)
    try:
        for relation in VIEWED_RELATIONS:
            print(f"{relation:<24}{await erp_statement_count(engine, relation):>8}")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
