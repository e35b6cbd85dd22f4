from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import cast

import pytest
from neo4j import AsyncDriver

from bench.prepared_load import PreparingLoader
from domain.errors import ConflictError
from graph.counts import graph_counts
from graph.load import files
from graph.load.loader import BulkLoader, KindReport, LoadReport
from graph.load.rows import ROW_KINDS_BY_NAME, TypedRows
from graph.neo4j_errors import translated

DATABASE = "neo4j"

DEPARTMENTS = [
    {"id": "D1", "name": "Service Desk", "kind": "FRONT_OFFICE", "function": "SERVICE"},
    {"id": "D2", "name": "Accounts Receivable", "kind": "BACK_OFFICE", "function": "FINANCE"},
]
EMPLOYEES = [
    {"id": "E1", "name": "Ada Agent", "email": "ada@example.com", "title": "Agent", "department_id": "D1"},
    {"id": "E2", "name": "Bo Biller", "email": "bo@example.com", "title": "Billing manager", "department_id": "D2"},
]
CUSTOMERS = [
    {
        "id": "C1",
        "name": "Acme",
        "email": "ops@acme.test",
        "segment": "ENTERPRISE",
        "tier": "PLATINUM",
        "lifetime_value": 125000.0,
        "since": "2021-03-01T09:00:00+00:00",
        "owner_id": "E1",
    }
]


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def company_files(folder: Path) -> Path:
    write_jsonl(folder / "department.jsonl", DEPARTMENTS)
    write_jsonl(folder / "employees.jsonl", EMPLOYEES)
    write_jsonl(folder / "customer.jsonl", CUSTOMERS)
    write_jsonl(
        folder / "interaction.jsonl",
        [
            {
                "id": "I1",
                "customer_id": "C1",
                "employee_id": "E2",
                "at": "2026-10-01T10:00:00+00:00",
                "channel": "EMAIL",
                "summary": "asked about an invoice",
            },
        ],
    )
    return folder


async def load(driver: AsyncDriver, folder: Path, batch_size: int = 2):
    return await BulkLoader(driver, DATABASE, batch_size=batch_size).load(files.stream([folder]))


async def test_loads_rows_from_files_into_nodes_and_relationships(empty_graph: AsyncDriver, tmp_path: Path) -> None:
    report = await load(empty_graph, company_files(tmp_path))

    assert report.rows_rejected == 0
    counts = await graph_counts(empty_graph, DATABASE)
    assert counts.nodes["Department"] == 2
    assert counts.nodes["Employee"] == 2
    assert counts.nodes["Interaction"] == 1
    assert counts.relationships["WORKS_IN"] == 2
    assert counts.relationships["OWNED_BY"] == 1
    assert counts.relationships["HAD"] == 1
    assert counts.relationships["WITH"] == 1
    records, _, _ = await empty_graph.execute_query(
        "MATCH (:Customer {id: 'C1'})-[:HAD]->(:Interaction)-[:WITH]->(e)-[:WORKS_IN]->(d) "
        "RETURN e.id AS e, d.name AS d"
    )
    assert [(r["e"], r["d"]) for r in records] == [("E2", "Accounts Receivable")]


async def test_loading_the_same_files_twice_changes_nothing(empty_graph: AsyncDriver, tmp_path: Path) -> None:
    folder = company_files(tmp_path)
    await load(empty_graph, folder)
    first = await graph_counts(empty_graph, DATABASE)

    again = await load(empty_graph, folder)

    assert await graph_counts(empty_graph, DATABASE) == first
    assert again.elements_created == 0
    assert again.rows_loaded == 6


async def test_rows_loaded_again_with_new_values_update_their_nodes_and_move_one_answer_links(
    empty_graph: AsyncDriver, tmp_path: Path
) -> None:
    await load(empty_graph, company_files(tmp_path))
    first = await graph_counts(empty_graph, DATABASE)
    changed = tmp_path / "changed"
    changed.mkdir()
    write_jsonl(changed / "customer.jsonl", [{**CUSTOMERS[0], "tier": "GOLD", "owner_id": "E2"}])
    write_jsonl(
        changed / "interaction.jsonl",
        [
            {
                "id": "I1",
                "customer_id": "C1",
                "employee_id": "E2",
                "at": "2026-10-02T10:00:00+00:00",
                "channel": "PHONE",
                "summary": "called back about the invoice",
            }
        ],
    )

    again = await load(empty_graph, changed)

    assert again.rows_loaded == 2 and again.elements_created == 1  # the new OWNED_BY only
    assert await graph_counts(empty_graph, DATABASE) == first
    records, _, _ = await empty_graph.execute_query(
        "MATCH (c:Customer {id: 'C1'})-[:OWNED_BY]->(owner) MATCH (c)-[:HAD]->(i:Interaction) "
        "RETURN c.tier AS tier, collect(DISTINCT owner.id) AS owners, i.channel AS channel, i.summary AS summary, "
        "toString(i.at) AS at"
    )
    assert [dict(record) for record in records] == [
        {
            "tier": "GOLD",
            "owners": ["E2"],
            "channel": "PHONE",
            "summary": "called back about the invoice",
            "at": "2026-10-02T10:00:00Z",
        }
    ]


def email(interaction_id: str, at: str, summary: str) -> dict[str, str]:
    """An e-mail between customer C1 and employee E1 of `company_files`."""
    return {
        "id": interaction_id,
        "customer_id": "C1",
        "employee_id": "E1",
        "at": at,
        "channel": "EMAIL",
        "summary": summary,
    }


async def test_rows_repeating_a_new_id_in_one_batch_load_as_if_merged_in_order(
    empty_graph: AsyncDriver, tmp_path: Path
) -> None:
    company_files(tmp_path)
    write_jsonl(
        tmp_path / "interaction.jsonl",
        [
            email("I1", "2026-10-01T10:00:00+00:00", "first word"),
            email("I2", "2026-10-01T11:00:00+00:00", "another matter"),
            email("I1", "2026-10-01T10:00:00+00:00", "last word"),
        ],
    )

    report = await load(empty_graph, tmp_path, batch_size=10)

    assert report.rows_rejected == 0 and report.rows_loaded == 8
    records, _, _ = await empty_graph.execute_query(
        "MATCH (:Customer {id: 'C1'})-[had:HAD]->(i:Interaction)-[with:WITH]->(:Employee {id: 'E1'}) "
        "RETURN i.id AS id, i.summary AS summary, count(had) AS had, count(with) AS with ORDER BY id"
    )
    assert [dict(record) for record in records] == [
        {"id": "I1", "summary": "last word", "had": 1, "with": 1},
        {"id": "I2", "summary": "another matter", "had": 1, "with": 1},
    ]


async def test_bad_rows_are_reported_with_file_and_line_and_the_rest_loads(
    empty_graph: AsyncDriver, tmp_path: Path
) -> None:
    write_jsonl(tmp_path / "department.jsonl", DEPARTMENTS)
    employees = write_jsonl(
        tmp_path / "employee.jsonl",
        [
            EMPLOYEES[0],
            {**EMPLOYEES[1], "id": ""},  # line 2: missing id
            "{not json",  # line 3
            {**EMPLOYEES[1], "id": "E3", "department_id": "D404"},  # line 4: unknown department
            EMPLOYEES[1],
        ],
    )
    customers = write_jsonl(
        tmp_path / "customer.jsonl",
        [{**CUSTOMERS[0], "lifetime_value": "a lot"}, {**CUSTOMERS[0], "id": "C2", "tier": "DIAMOND"}],
    )

    report = await load(empty_graph, tmp_path)

    reasons = {rejection.origin: rejection.reason for rejection in report.rejections}
    assert set(reasons) == {f"{employees}:2", f"{employees}:3", f"{employees}:4", f"{customers}:1", f"{customers}:2"}
    assert "missing required field 'id'" in reasons[f"{employees}:2"]
    assert "not valid JSON" in reasons[f"{employees}:3"]
    assert "department_id 'D404': no Department with that id" in reasons[f"{employees}:4"]
    assert "field 'lifetime_value': expected a number" in reasons[f"{customers}:1"]
    assert "field 'tier': expected one of" in reasons[f"{customers}:2"]
    ids, _, _ = await empty_graph.execute_query("MATCH (e:Employee) RETURN e.id AS id ORDER BY id")
    assert [r["id"] for r in ids] == ["E1", "E2"]
    # The row with the unknown department is not half-written: no node without its WORKS_IN.
    orphans, _, _ = await empty_graph.execute_query("MATCH (e:Employee) WHERE NOT (e)-[:WORKS_IN]->() RETURN e")
    assert orphans == []
    assert report.rows_loaded == 4


async def test_csv_rows_are_typed_and_loaded(empty_graph: AsyncDriver, tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text(
        "id,sku,name,category,price\nP1,SKU-1,Pump,Hydraulics,199.5\nP2,SKU-2,Valve,Hydraulics,cheap\n"
    )

    report = await load(empty_graph, tmp_path)

    assert [str(r) for r in report.rejections] == [
        f"{tmp_path / 'products.csv'}:3: product: field 'price': expected a number"
    ]
    records, _, _ = await empty_graph.execute_query("MATCH (p:Product) RETURN p.id AS id, p.price AS price")
    assert [(r["id"], r["price"]) for r in records] == [("P1", 199.5)]


async def test_duplicate_id_is_rejected_by_the_constraint_with_a_clear_error(empty_graph: AsyncDriver) -> None:
    await empty_graph.execute_query("CREATE (:Customer {id: 'C1'})", database_=DATABASE)

    with pytest.raises(ConflictError) as raised:
        async with translated():
            await empty_graph.execute_query("CREATE (:Customer {id: 'C1'})", database_=DATABASE)

    assert raised.value.extensions["code"] == "CONFLICT"
    assert "C1" in raised.value.message


def test_a_file_named_after_no_row_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(files.UnknownFileError, match="must be a row kind"):
        files.collect([write_jsonl(tmp_path / "widgets.jsonl", [])])


class Interrupted(Exception):
    pass


def tiny_stream():
    from demo_company.company import PRESETS, DemoCompany, demo_stream

    return demo_stream(DemoCompany(PRESETS["tiny"], 11))


async def test_loading_the_demo_company_twice_leaves_identical_counts(empty_graph: AsyncDriver) -> None:
    first = await BulkLoader(empty_graph, DATABASE, batch_size=100).load(tiny_stream())
    counts = await graph_counts(empty_graph, DATABASE)

    second = await BulkLoader(empty_graph, DATABASE, batch_size=100).load(tiny_stream())

    assert first.rows_rejected == second.rows_rejected == 0
    assert first.elements_created == counts.total_nodes + counts.total_relationships
    assert second.elements_created == 0
    assert await graph_counts(empty_graph, DATABASE) == counts


async def tiny_company_fingerprint(driver: AsyncDriver) -> object:
    """The graph the tiny demo company loads into, taken from a load that is then wiped."""
    from tests.conftest import wipe
    from tests.graph.fingerprint import fingerprint

    await BulkLoader(driver, DATABASE, batch_size=50).load(tiny_stream())
    graph = await fingerprint(driver)
    await wipe(driver)
    return graph


async def test_a_load_interrupted_between_batches_and_run_again_ends_with_the_same_graph(
    empty_graph: AsyncDriver,
) -> None:
    from tests.graph.fingerprint import fingerprint

    uninterrupted = await tiny_company_fingerprint(empty_graph)

    def stop_after_a_few_batches(kind: str, read: int) -> None:
        if kind == "order_line" and read >= 200:
            raise Interrupted

    with pytest.raises(Interrupted):
        await BulkLoader(empty_graph, DATABASE, batch_size=50, on_progress=stop_after_a_few_batches).load(tiny_stream())
    partial = await graph_counts(empty_graph, DATABASE)
    assert partial.relationships.get("CONTAINS", 0) < 389 and partial.nodes.get("Interaction", 0) == 0, partial

    await BulkLoader(empty_graph, DATABASE, batch_size=50).load(tiny_stream())

    assert await fingerprint(empty_graph) == uninterrupted


async def test_a_prepared_load_sends_nothing_until_written_then_ends_as_a_streamed_one(
    empty_graph: AsyncDriver,
) -> None:
    from tests.graph.fingerprint import fingerprint

    streamed = await tiny_company_fingerprint(empty_graph)
    departments = ROW_KINDS_BY_NAME["department"]
    bad_department = [("extra:1", {**DEPARTMENTS[0], "id": ""})]
    progress: list[tuple[str, int]] = []
    loader = PreparingLoader(empty_graph, DATABASE, batch_size=50, on_progress=lambda *step: progress.append(step))

    prepared = loader.prepare([(departments, bad_department), *tiny_stream()])

    assert (await graph_counts(empty_graph, DATABASE)).total_nodes == 0
    # Preparing shows the rows read, kind by kind (the last call of a kind has them all).
    assert dict(progress) == {kind.kind: kind.read for kind in prepared.report.kinds}
    progress.clear()

    report = await loader.load_prepared(prepared)

    assert await fingerprint(empty_graph) == streamed
    assert [(rejection.origin, rejection.reason) for rejection in report.rejections] == [
        ("extra:1", "missing required field 'id'")
    ]
    # Writing shows the rows done, and ends with every row of a kind loaded or rejected.
    assert dict(progress) == {kind.kind: kind.loaded + kind.rejected for kind in report.kinds}
    assert all(kind.loaded + kind.rejected == kind.read for kind in report.kinds)


async def test_typed_rows_skip_parsing_but_not_the_reference_check(empty_graph: AsyncDriver) -> None:
    departments, employees = ROW_KINDS_BY_NAME["department"], ROW_KINDS_BY_NAME["employee"]
    typed = TypedRows(
        "typed",
        [
            ["E1", "Ada Park", "ada@example.com", "Agent", "D1"],
            ["E2", "Bo Lund", "bo@example.com", "Agent", "D404"],
        ],
    )

    report = await BulkLoader(empty_graph, DATABASE).load(
        [(departments, TypedRows("typed", [departments.parse(DEPARTMENTS[0])])), (employees, typed)]
    )

    assert [(rejection.origin, rejection.reason) for rejection in report.rejections] == [
        ("typed#2", "department_id 'D404': no Department with that id")
    ]
    records, _, _ = await empty_graph.execute_query(
        "MATCH (e:Employee)-[:WORKS_IN]->(d:Department) RETURN e.id AS e, d.id AS d"
    )
    assert [(record["e"], record["d"]) for record in records] == [("E1", "D1")]
    assert [kind.read for kind in report.kinds] == [1, 2]


def test_interactions_keep_each_customer_to_one_writer_and_take_employee_locks_in_order() -> None:
    interactions = ROW_KINDS_BY_NAME["interaction"]
    raw = [
        (f"row {n}", {"id": f"I{n}", "customer_id": f"C{(n * 7) % 50:03d}", "employee_id": f"E{n % 9}",
                      "at": "2026-01-01T00:00:00Z", "channel": "EMAIL", "summary": "hello"})
        for n in range(500)
    ]  # fmt: skip
    loader = BulkLoader(cast(AsyncDriver, None), "neo4j", batch_size=40, concurrency=3)

    made = list(loader._batches(interactions, raw, KindReport("interaction"), LoadReport()))
    employee, customer, id_ = (interactions.position(name) for name in ("employee_id", "customer_id", "id"))

    lanes_of_customer: dict[object, set[int]] = {}
    for lane, batch in made:
        for row in batch.rows:
            lanes_of_customer.setdefault(row[customer], set()).add(lane)
        keys = [row[employee] for row in batch.rows]
        assert keys == sorted(keys)  # every writer takes its locks on shared employees in the same order
    assert all(len(lanes) == 1 for lanes in lanes_of_customer.values())
    assert {lane for lane, _ in made} == {0, 1, 2}
    loaded = [row[id_] for _, batch in made for row in batch.rows]
    assert sorted(loaded) == sorted(f"I{n}" for n in range(500))


def test_a_one_sided_kind_gives_each_node_one_lane_and_keeps_the_lanes_even() -> None:
    orders = ROW_KINDS_BY_NAME["order"]
    raw = [
        (f"row {n}", {"id": f"O{n}", "customer_id": f"C{(n * 13) % 67:03d}",
                      "placed_at": "2026-01-01T00:00:00Z", "status": "PLACED", "total": 1.0, "currency": "EUR"})
        for n in range(1000)
    ]  # fmt: skip
    loader = BulkLoader(cast(AsyncDriver, None), "neo4j", batch_size=50, concurrency=2)

    made = list(loader._batches(orders, raw, KindReport("order"), LoadReport()))
    customer = orders.position("customer_id")

    lanes_of_customer: dict[object, set[int]] = {}
    rows_of_lane = [0, 0]
    for lane, batch in made:
        rows_of_lane[lane] += len(batch.rows)
        for row in batch.rows:
            lanes_of_customer.setdefault(row[customer], set()).add(lane)
    assert all(len(lanes) == 1 for lanes in lanes_of_customer.values())
    assert sum(rows_of_lane) == 1000 and abs(rows_of_lane[0] - rows_of_lane[1]) <= 100, rows_of_lane


# Kinds whose shared references travel as per-batch tables: what each row must connect, as
# read back from the graph and as said by the row.
TABLED_KINDS = {
    "order_line": (
        "MATCH (o:Order)-[l:CONTAINS]->(p:Product) RETURN [o.id, p.id, l.quantity] AS link",
        lambda row: [row["order_id"], row["product_id"], row["quantity"]],
    ),
    "order_step": (
        "MATCH (o:Order)-[h:HANDLED_BY]->(e:Employee) RETURN [o.id, e.id, h.step] AS link",
        lambda row: [row["order_id"], row["employee_id"], row["step"]],
    ),
    "interaction": (
        "MATCH (c:Customer)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee) RETURN [i.id, c.id, e.id] AS link",
        lambda row: [row["id"], row["customer_id"], row["employee_id"]],
    ),
    "hand_off": (
        "MATCH (t:Ticket)-[a:ASSIGNED_TO]->(e:Employee) RETURN [t.id, e.id, a.by, a.reason] AS link",
        lambda row: [row["ticket_id"], row["employee_id"], row["by_id"], row["reason"]],
    ),
    "customer_identity": (
        "MATCH (c:Customer)-[:KNOWN_AS]->(x:ExternalId) RETURN [c.id, x.system, x.key] AS link",
        lambda row: [row["owner_id"], row["system"], row["key"]],
    ),
}


async def test_rows_sharing_references_in_a_batch_each_connect_the_nodes_they_name(empty_graph: AsyncDriver) -> None:
    from demo_company.company import PRESETS, DemoCompany, demo_stream

    company = DemoCompany(PRESETS["tiny"], 11)
    await BulkLoader(empty_graph, DATABASE, batch_size=60).load(demo_stream(company))

    for kind, (query, expected) in TABLED_KINDS.items():
        assert ROW_KINDS_BY_NAME[kind].tables, kind
        records, _, _ = await empty_graph.execute_query(query, database_=DATABASE)
        links = sorted(map(repr, (record["link"] for record in records)))
        assert links == sorted(repr(expected(row)) for row in company.rows(kind)), kind


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("order_line", {"order_id": "O1", "product_id": "P1", "quantity": 2, "price": 9.5}),
        ("order_step", {"order_id": "O1", "employee_id": "E1", "step": "SALE", "at": "2026-01-01T00:00:00Z"}),
        ("hand_off", {"ticket_id": "T1", "employee_id": "E1", "at": "2026-01-01T00:00:00Z", "reason": "billing"}),
    ],
)
async def test_two_transactions_writing_the_same_relationship_leave_one(
    empty_graph: AsyncDriver, kind: str, raw: dict[str, object]
) -> None:
    from graph.load.loader import _parameters

    await empty_graph.execute_query(
        "CREATE (:Order {id: 'O1'}), (:Product {id: 'P1'}), (:Employee {id: 'E1'}), (:Ticket {id: 'T1'})",
        database_=DATABASE,
    )
    row_kind = ROW_KINDS_BY_NAME[kind]
    parameters = _parameters(row_kind, [row_kind.parse(raw)])

    async with empty_graph.session(database=DATABASE) as first, empty_graph.session(database=DATABASE) as second:
        held = await first.begin_transaction()
        await (await held.run(row_kind.write, parameters)).consume()

        async def write_again() -> None:
            tx = await second.begin_transaction()
            await (await tx.run(row_kind.write, parameters)).consume()
            await tx.commit()

        racing = asyncio.create_task(write_again())
        await asyncio.sleep(0.5)
        waited = not racing.done()  # the second waits for the first's lock on the order or ticket
        await held.commit()
        await racing

    records, _, _ = await empty_graph.execute_query("MATCH ()-[r]->() RETURN count(r) AS n", database_=DATABASE)
    assert waited
    assert records[0]["n"] == 1
