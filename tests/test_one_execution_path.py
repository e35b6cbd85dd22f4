"""One execution path: only ``server/operations.py`` hands an operation to an executor.

HTTP, WebSocket, SSE and the in-process entry point (tests, benchmarks) all run operations
through ``server.operations.OperationRunner``; a second path (strawberry's ``Schema.execute``
or ``execute_sync``, graphql-core's ``execute``, ``subscribe`` or ``graphql``, one of
strawberry's HTTP integrations) would parse, validate, limit and mask errors its own way.
This scan reads every module of the product, the tests, the benchmarks and the scripts and
fails, naming the line, wherever one appears outside the runner's module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from server import operations

ROOT = Path(__file__).resolve().parents[1]
# Not ``demo_systems/``: those are other companies' systems (a CRM with its own GraphQL
# schema), served as separate processes that the service reaches over the wire.
PACKAGES = ("domain", "graph", "resolvers", "sources", "server", "tests", "bench", "scripts", "demo_company")
RUNNER = Path(operations.__file__).resolve()

# graphql-core's entry points into execution (its ``graphql`` runs one too).
EXECUTORS = frozenset({"execute", "execute_sync", "subscribe", "graphql", "graphql_sync", "create_source_event_stream"})
# strawberry's own ways to serve a request: each runs ``Schema.execute`` underneath.
STRAWBERRY_VIEWS = re.compile(r"^strawberry\.(asgi|aiohttp|fastapi|flask|django|litestar|sanic|quart|chalice|channels)")
# A call of ``execute``/``subscribe`` on a schema (``SCHEMA.execute``, ``self.schema.subscribe``).
SCHEMA_RECEIVER = re.compile(r"schema", re.IGNORECASE)


def second_paths(source: str) -> list[tuple[int, str]]:
    """The lines of ``source`` that run an operation other than through the runner, and why."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == "graphql" or node.module.startswith("graphql.execution"):
                for alias in node.names:
                    if alias.name in EXECUTORS:
                        found.append((node.lineno, f"imports graphql-core's {alias.name}"))
            if STRAWBERRY_VIEWS.match(node.module):
                found.append((node.lineno, f"imports strawberry's view {node.module}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if STRAWBERRY_VIEWS.match(alias.name):
                    found.append((node.lineno, f"imports strawberry's view {alias.name}"))
        elif isinstance(node, ast.Attribute):
            receiver = ast.unparse(node.value)
            if node.attr == "execute_sync":
                found.append((node.lineno, f"calls {receiver}.execute_sync"))
            elif node.attr in EXECUTORS and (receiver == "graphql" or SCHEMA_RECEIVER.search(receiver)):
                found.append((node.lineno, f"calls {receiver}.{node.attr}"))
    return found


def test_no_module_but_the_runner_hands_an_operation_to_an_executor() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {why}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.resolve() != RUNNER and "node_modules" not in path.parts
        for line, why in second_paths(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "operations run outside server/operations.py:\n" + "\n".join(found)


def test_the_scan_sees_the_runner_itself() -> None:
    # The scan would pass anything if it recognised nothing: the runner's own calls must count.
    seen = {why for _, why in second_paths(RUNNER.read_text(encoding="utf-8"))}
    assert {"imports graphql-core's execute", "imports graphql-core's subscribe"} <= seen


def test_the_scan_sees_each_way_a_second_path_could_come_back() -> None:
    second = {
        "result = await SCHEMA.execute(query, context_value=context)": "calls SCHEMA.execute",
        "result = schema.execute_sync('{ a }')": "calls schema.execute_sync",
        "stream = await self._schema.subscribe(query)": "calls self._schema.subscribe",
        "import graphql\nresult = graphql.execute(schema, document)": "calls graphql.execute",
        "from graphql.execution import subscribe": "imports graphql-core's subscribe",
        "from graphql import graphql": "imports graphql-core's graphql",
        "from strawberry.asgi import GraphQL": "imports strawberry's view strawberry.asgi",
    }
    for source, why in second.items():
        assert [found for _, found in second_paths(source)] == [why], source
    # What is not an execution stays out: a websocket client's subscribe, a Cypher session's execute.
    assert second_paths("await ws.subscribe(QUERY)\nawait session.execute_read(work)\nhub.subscribe(f)") == []
