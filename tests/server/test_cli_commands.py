"""The ``customer-graph`` command as a user runs it: a process of its own, a clean environment,
outside the checkout, and its exit codes (0 done, 1 failed, 2 bad arguments, 3 rows rejected).
"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import httpx
import pytest
from neo4j import AsyncDriver

from demo_company.company import PRESETS, DemoCompany
from graph.counts import graph_counts
from graph.load.rows import ROW_KINDS
from resolvers.schema import export_sdl
from tests.auth_tokens import SECRET_ENV, bearer
from tests.commands import neo4j_variables, run_command, start_command
from tests.federation.processes import free_port
from tests.live_systems import LiveSystems
from tests.own_neo4j import OwnNeo4j

TINY = DemoCompany(PRESETS["tiny"], 7)
# A port nothing listens on: a graph that cannot be reached.
DEAD_NEO4J = {"NEO4J_URI": "bolt://127.0.0.1:9", "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": ""}


def printed_counts(output: str) -> dict[str, int]:
    """The ``counts`` table: name, then the number with thousands separators."""
    return {name: int(number.replace(",", "")) for name, number in re.findall(r"^(\w+)\s+([\d,]+)$", output, re.M)}


def test_export_demo_writes_one_file_per_row_kind(tmp_path: Path) -> None:
    done = run_command(["export-demo", str(tmp_path / "rows"), "--preset", "tiny"], tmp_path)

    assert done.returncode == 0, done.stderr
    written = sorted(path.name for path in (tmp_path / "rows").iterdir())
    assert written == sorted(f"{kind.name}.jsonl" for kind in ROW_KINDS)
    customers = (tmp_path / "rows" / "customer.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in customers] == [row["id"] for row in TINY.rows("customer")]
    assert f"({TINY.count('customer'):,} rows)" in done.stdout


async def test_load_files_then_counts_then_load_again_changes_nothing(own_neo4j: OwnNeo4j, tmp_path: Path) -> None:
    await own_neo4j.wipe()
    graph = neo4j_variables(own_neo4j.uri)
    assert run_command(["export-demo", str(tmp_path / "rows"), "--preset", "tiny"], tmp_path).returncode == 0

    loaded = run_command(["load", str(tmp_path / "rows")], tmp_path, graph)
    counted = run_command(["counts"], tmp_path, graph)
    again = run_command(["load", str(tmp_path / "rows")], tmp_path, graph)

    assert loaded.returncode == 0, loaded.stderr
    rows = sum(TINY.count(kind.name) for kind in ROW_KINDS)
    assert f"loaded {rows:,} rows, rejected 0" in loaded.stdout
    async with own_neo4j.driver() as driver:
        counts = await graph_counts(driver, "neo4j")
    assert counted.returncode == 0, counted.stderr
    assert printed_counts(counted.stdout) == {
        **counts.nodes, "nodes": counts.total_nodes, **counts.relationships, "relationships": counts.total_relationships
    }  # fmt: skip
    assert counts.nodes["Customer"] == TINY.count("customer")
    assert again.returncode == 0, again.stderr
    assert "created 0 nodes and relationships" in again.stdout


async def test_rejected_rows_exit_3_and_name_their_file_and_line(own_neo4j: OwnNeo4j, tmp_path: Path) -> None:
    await own_neo4j.wipe()
    rows = tmp_path / "rows"
    rows.mkdir()
    good = {"id": "D1", "name": "Service", "kind": "FRONT_OFFICE", "function": "SERVICE"}
    (rows / "departments.jsonl").write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "D2", "kind": "NOPE"}))
    (rows / "employee.csv").write_text("id,name,email,title,department_id\nE1,Ann,a@x.example,Agent,D-MISSING\n")

    done = run_command(["load", str(rows)], tmp_path, neo4j_variables(own_neo4j.uri))

    assert done.returncode == 3, done.stderr
    assert "loaded 1 rows, rejected 2" in done.stdout
    assert f"{rows / 'departments.jsonl'}:2: department: field 'kind'" in done.stdout
    assert f"{rows / 'employee.csv'}:2: employee: department_id 'D-MISSING': no Department with that id" in done.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["load"], "one of the arguments --preset paths is required"),
        (["load", "--preset", "huge"], "invalid choice: 'huge'"),
        (["load", "--preset", "tiny", "--batch-size", "-5"], "--batch-size"),
        (["load", "--preset", "tiny", "--batch-size", "many"], "--batch-size"),
        (["neo4j", "restart"], "invalid choice: 'restart'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(tmp_path: Path, args: list[str], said: str) -> None:
    done = run_command(args, tmp_path, DEAD_NEO4J)

    assert done.returncode == 2, (done.stdout, done.stderr)
    assert said in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CG_MAX_PAGE_SIZE", "lots"),
        ("CG_LOAD_BATCH_SIZE", "-1"),
        ("CG_SLA_RESPOND_HOURS", '{"PLATINUM": -1}'),
        ("NEO4J_URI", "localhost:7687"),
    ],
)
def test_a_bad_setting_exits_2_naming_it(tmp_path: Path, variable: str, value: str) -> None:
    done = run_command(["counts"], tmp_path, {**DEAD_NEO4J, variable: value})

    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"bad setting {variable}" in done.stderr or f"{variable}," in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["counts"], "the graph database is unavailable"),
        (["load", "--preset", "tiny"], "the graph database is unavailable"),
        (["load", "no/such/folder"], "no such file or folder"),
        (["load", "invoices.jsonl"], "the file name must be a row kind"),
    ],
)
def test_failures_exit_1_with_a_message(tmp_path: Path, args: list[str], said: str) -> None:
    (tmp_path / "invoices.jsonl").write_text("{}\n")

    done = run_command(args, tmp_path, DEAD_NEO4J)

    assert done.returncode == 1, (done.stdout, done.stderr)
    assert said in done.stderr
    assert "Traceback" not in done.stderr


async def test_sync_exits_3_for_rows_the_graph_cannot_take_and_1_for_a_source_that_is_down(
    own_neo4j: OwnNeo4j, live_systems: LiveSystems, tmp_path: Path
) -> None:
    await own_neo4j.wipe()
    await live_systems.reset()
    variables = {**neo4j_variables(own_neo4j.uri), **live_systems.environ("sqlite")}

    # An empty graph has none of the customers the helpdesk's tickets belong to.
    orphans = run_command(["sync", "helpdesk", "--kind", "ticket"], tmp_path, variables)
    unknown = run_command(["sync", "no_such_source"], tmp_path, variables)
    down = run_command(["sync", "hr"], tmp_path, {**variables, "CG_HR_URL": f"http://127.0.0.1:{free_port()}"})

    assert orphans.returncode == 3, orphans.stderr
    assert "no Customer with that id" in orphans.stdout
    assert unknown.returncode == 1 and "no_such_source" in unknown.stderr
    assert down.returncode == 1 and "hr" in down.stderr, down.stderr
    assert "Traceback" not in orphans.stderr + unknown.stderr + down.stderr


def test_export_schema_writes_the_served_sdl_and_check_tells_a_difference(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"

    written = run_command(["export-schema", "--path", str(target)], tmp_path)
    same = run_command(["export-schema", "--check", "--path", str(target)], tmp_path)
    target.write_text(target.read_text() + "\n# changed by hand\n")
    differs = run_command(["export-schema", "--check", "--path", str(target)], tmp_path)
    shipped = run_command(["export-schema", "--check"], tmp_path)

    assert written.returncode == 0 and target.read_text().startswith(export_sdl())
    assert same.returncode == 0 and "matches the code" in same.stdout
    assert differs.returncode == 1 and "differs from the code" in differs.stderr
    assert shipped.returncode == 0, shipped.stderr  # the checkout's schema.graphql


def test_neo4j_start_status_serve_an_empty_graph_counts_demo_and_stop(tmp_path: Path) -> None:
    """The embedded Neo4j managed by the command alone, in a home and on a port of the test's own."""
    home, port, api_port = tmp_path / "neo4j", free_port(), free_port()
    local = {
        "CG_LOCAL_NEO4J_HOME": str(home),
        "CG_LOCAL_NEO4J_PORT": str(port),
        "CG_LOCAL_NEO4J_HEAP_MB": "512",
        "CG_LOCAL_NEO4J_PAGE_CACHE_MB": "128",
        "CG_PORT": str(api_port),
        "CG_SOURCES_ENABLED": "false",
        **SECRET_ENV,
    }
    started = None
    try:
        assert run_command(["neo4j", "status"], tmp_path, local).stdout.strip() == "not running"
        started = run_command(["neo4j", "start"], tmp_path, local)
        assert started.returncode == 0, started.stderr
        assert f"Neo4j answers at bolt://127.0.0.1:{port} (embedded, data in {home.resolve()})" in started.stdout
        status = run_command(["neo4j", "status"], tmp_path, local).stdout
        pid = int(re.fullmatch(rf"running: bolt://127\.0\.0\.1:{port} pid (\d+)\n", status).group(1))  # type: ignore[union-attr]
        assert b"org.customergraph.neo4j.EmbeddedNeo4j" in Path(f"/proc/{pid}/cmdline").read_bytes()

        # serve: the graph is empty, so it loads the demo company, then serves it.
        server = start_command(["serve", "--preset", "tiny"], tmp_path, local)
        try:
            customers = _served_customer_count(f"http://127.0.0.1:{api_port}", server)
        finally:
            server.process.send_signal(signal.SIGTERM)
            served = server.finish(timeout=60)
        assert customers == TINY.count("customer")
        assert f"neo4j: the embedded Neo4j runs at bolt://127.0.0.1:{port}" in served.stdout
        assert "graph: the 'tiny' demo company" in served.stdout
        assert served.returncode == 0, served.stderr
        assert "Customer Graph API stopped" in served.stdout

        # demo: the graph is not empty any more, so it only shows the counts.
        demo = run_command(["demo", "--preset", "tiny"], tmp_path, local)
        assert demo.returncode == 0, demo.stderr
        assert "loading" not in demo.stdout
        assert printed_counts(demo.stdout)["Customer"] == TINY.count("customer")

        stopped = run_command(["neo4j", "stop"], tmp_path, local)
        assert stopped.stdout.strip() == "stopped"
        assert not Path(f"/proc/{pid}").exists() or "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
        assert run_command(["neo4j", "status"], tmp_path, local).stdout.strip() == "not running"
        assert run_command(["neo4j", "stop"], tmp_path, local).stdout.strip() == "not running"
    finally:
        if started is not None:
            run_command(["neo4j", "stop"], tmp_path, local)


def _served_customer_count(base_url: str, server: object) -> int:
    import time

    process = server.process  # type: ignore[attr-defined]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert process.poll() is None, server.finish()  # type: ignore[attr-defined]
        try:
            query = {"query": "{ customers { totalCount } }"}
            answer = httpx.post(f"{base_url}/graphql", json=query, headers=bearer(), timeout=5)
            if answer.status_code == 200:
                return int(answer.json()["data"]["customers"]["totalCount"])
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("serve did not answer in time")


async def test_settings_from_the_environment_change_what_is_served(
    neo4j_uri: str, demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    port = free_port()
    variables = {
        **neo4j_variables(neo4j_uri),
        "NEO4J_PASSWORD": os.environ.get("CG_TEST_NEO4J_PASSWORD", ""),
        "CG_PORT": str(port),
        "CG_MAX_PAGE_SIZE": "7",
        "CG_SOURCES_ENABLED": "false",
        "CG_CORS_ALLOWED_ORIGINS": '["https://studio.example"]',
        "CG_LOG_LEVEL": "warning",
        **SECRET_ENV,
    }
    server = start_command(["serve", "--no-demo"], tmp_path, variables)
    try:
        _served_customer_count(f"http://127.0.0.1:{port}", server)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10, headers=bearer()) as http:
            over = (await http.post("/graphql", json={"query": "{ customers(first: 8) { nodes { id } } }"})).json()
            at_cap = (await http.post("/graphql", json={"query": "{ customers(first: 7) { nodes { id } } }"})).json()
            query = '{ order(id: "O0000001") { id live { status } } }'
            live = (await http.post("/graphql", json={"query": query})).json()
            preflight = await http.options(
                "/graphql",
                headers={"origin": "https://studio.example", "access-control-request-method": "POST"},
            )
    finally:
        server.process.send_signal(signal.SIGTERM)
        server.finish(timeout=60)

    assert over["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first", "maximum": 7}
    assert len(at_cap["data"]["customers"]["nodes"]) == 7
    assert live["data"]["order"] == {"id": "O0000001", "live": None}
    assert live["errors"][0]["extensions"]["code"] == "SOURCE_UNAVAILABLE"
    assert preflight.headers["access-control-allow-origin"] == "https://studio.example"


async def test_the_dot_env_file_of_the_folder_it_runs_in_is_read(own_neo4j: OwnNeo4j, tmp_path: Path) -> None:
    # The documented way to keep settings: a .env beside where the command runs.
    (tmp_path / ".env").write_text(f"NEO4J_URI={own_neo4j.uri}\n")

    done = run_command(["counts"], tmp_path)

    assert done.returncode == 0, done.stderr
    assert "nodes" in printed_counts(done.stdout)
