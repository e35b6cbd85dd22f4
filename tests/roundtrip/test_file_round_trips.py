"""Rows with any text and any time-zone offset go in through the file loader (``.jsonl`` and
``.csv``, with or without a byte order mark, either line ending) and come out through GraphQL
over HTTP unchanged: the same strings to the last code point, the same instants to the
microsecond (given in any offset, shown in UTC).
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import AsyncDriver

from graph.load import files
from graph.load.loader import BulkLoader
from server.app import create_app, started
from tests import auth_tokens

# `python -m bench.proof roundtrip` runs many more examples (CG_ROUNDTRIP_EXAMPLES).
EXAMPLES = settings(
    max_examples=int(os.environ.get("CG_ROUNDTRIP_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Any code point but the surrogates (which no UTF-8 file can hold); the loader refuses text
# that is only whitespace, so each value has something else too.
any_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)
# What files in the wild carry: quotes, separators, every kind of line break, a BOM inside a value.
tricky_text = (
    st.lists(
        st.sampled_from(
            ['"', "'", ",", ";", "\n", "\r\n", "\r", "\t", "\ufeff", "\u2028", "\x85", "\x00", "é", "名", "🙂"]
        )
        | any_text,
        min_size=1,
        max_size=6,
    )
    .map("".join)
    .filter(str.strip)
)
text = any_text | tricky_text
# Offsets from -23:59 to +23:59, minutes only as ISO 8601 writes them; no offset means UTC.
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))
instants = st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.none() | offsets)

_runs = itertools.count()


@st.composite
def companies(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    """A department, its employee, customers, their interactions and tickets, with drawn values."""
    run = next(_runs)
    prefix = f"rt{run}-"
    department = {"id": prefix + draw(text), "name": draw(text), "kind": "BACK_OFFICE", "function": "SERVICE"}
    employee = {"id": prefix + draw(text), "name": draw(text), "email": draw(text), "title": draw(text),
                "department_id": department["id"]}  # fmt: skip
    customer_ids = draw(st.lists(text, min_size=1, max_size=3, unique=True))
    customers = [
        {"id": prefix + key, "name": draw(text), "email": draw(text), "segment": "SMB", "tier": "GOLD",
         "lifetime_value": draw(st.floats(-1e12, 1e12, allow_nan=False)), "since": draw(instants), "owner_id": ""}
        for key in customer_ids
    ]  # fmt: skip
    interactions = [
        {"id": f"{prefix}i{number}", "customer_id": customer["id"], "employee_id": employee["id"],
         "at": draw(instants), "channel": "EMAIL", "summary": draw(text)}
        for number, customer in enumerate(customers)
    ]  # fmt: skip
    tickets = [
        {"id": f"{prefix}t{number}", "customer_id": customer["id"], "opened_at": draw(instants),
         "closed_at": draw(st.none() | instants), "status": "OPEN", "priority": "LOW", "subject": draw(text)}
        for number, customer in enumerate(customers)
    ]  # fmt: skip
    return {"department": [department], "employee": [employee], "customer": customers, "interaction": interactions,
            "ticket": tickets}  # fmt: skip


def _iso(value: object, utc_as_z: bool) -> object:
    if not isinstance(value, datetime):
        return value
    written = value.isoformat()
    return written.removesuffix("+00:00") + "Z" if utc_as_z and written.endswith("+00:00") else written


def write_files(folder: Path, company: dict[str, list[dict[str, Any]]], style: dict[str, Any]) -> None:
    """The rows as files: one format for all, with or without a BOM, either line ending."""
    encoding = "utf-8-sig" if style["bom"] else "utf-8"
    for kind, rows in company.items():
        written = [{name: _iso(value, style["utc_as_z"]) for name, value in row.items()} for row in rows]
        if style["format"] == "jsonl":
            with (folder / f"{kind}.jsonl").open("w", encoding=encoding, newline="") as handle:
                for row in written:
                    handle.write(json.dumps(row, ensure_ascii=style["ascii"]) + style["newline"])
        else:
            with (folder / f"{kind}s.csv").open("w", encoding=encoding, newline="") as handle:
                # Quoting as spreadsheets write it: a value holding a line break of either kind is
                # quoted (csv's minimal quoting only looks for the characters of the line ending).
                quoting = csv.QUOTE_MINIMAL if style["newline"] == "\r\n" else csv.QUOTE_ALL
                writer = csv.DictWriter(
                    handle, fieldnames=list(written[0]), lineterminator=style["newline"], quoting=quoting
                )
                writer.writeheader()
                writer.writerows(
                    {name: "" if value is None else value for name, value in row.items()} for row in written
                )


styles = st.fixed_dictionaries(
    {"format": st.sampled_from(["jsonl", "csv"]), "bom": st.booleans(), "newline": st.sampled_from(["\n", "\r\n"]),
     "ascii": st.booleans(), "utc_as_z": st.booleans()}
)  # fmt: skip

QUERY = """
query ($department: ID!, $employee: ID!) {
  department(id: $department) { id name employees(first: 5) { nodes { id name email title } } }
  employee(id: $employee) { id interactions(first: 10) { nodes { id at summary customer { id } } } }
  %s
}
"""
CUSTOMER = (
    "c%d: customer(id: $c%d) { id name email lifetimeValue since "
    "tickets(first: 5) { nodes { id subject openedAt closedAt } } }"
)


def query_for(customers: int) -> str:
    """The query, with one aliased customer lookup (and its variable) per customer."""
    lookups = " ".join(CUSTOMER % (number, number) for number in range(customers))
    variables = "".join(f", $c{number}: ID!" for number in range(customers))
    return QUERY.replace("$employee: ID!)", f"$employee: ID!{variables})") % lookups


def _instant(value: datetime | None) -> datetime | None:
    """The instant a written time means: one without an offset is UTC."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _shown(value: str | None) -> datetime | None:
    if value is None:
        return None
    shown = datetime.fromisoformat(value)
    assert shown.utcoffset() == timedelta(0), f"times are shown in UTC: {value}"
    return shown


@EXAMPLES
@given(company=companies(), style=styles)
async def test_rows_come_out_of_graphql_as_they_went_into_the_files(
    empty_graph: AsyncDriver, company: dict[str, list[dict[str, Any]]], style: dict[str, Any]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        write_files(Path(folder), company, style)
        report = await BulkLoader(empty_graph, "neo4j", batch_size=2).load(files.stream([Path(folder)]))
    assert report.rows_rejected == 0, report.rejections

    department, employee = company["department"][0], company["employee"][0]
    app = create_app(auth_tokens.settings(sources_enabled=False), driver=empty_graph)
    async with (
        started(app) as served,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=served), base_url="http://testserver", headers=auth_tokens.bearer()
        ) as http,
    ):
        variables = {"department": department["id"], "employee": employee["id"]}
        variables |= {f"c{number}": customer["id"] for number, customer in enumerate(company["customer"])}
        query = query_for(len(company["customer"]))
        answer = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in answer, answer["errors"]
    data = answer["data"]

    assert data["department"]["name"] == department["name"]
    assert data["department"]["employees"]["nodes"] == [
        {key: employee[key] for key in ("id", "name", "email", "title")}
    ]
    shown_interactions = {node["id"]: node for node in data["employee"]["interactions"]["nodes"]}
    for interaction in company["interaction"]:
        shown = shown_interactions[interaction["id"]]
        assert (shown["summary"], shown["customer"]["id"]) == (interaction["summary"], interaction["customer_id"])
        assert _shown(shown["at"]) == _instant(interaction["at"])
    tickets = {ticket["customer_id"]: ticket for ticket in company["ticket"]}
    for number, customer in enumerate(company["customer"]):
        shown = data[f"c{number}"]
        assert shown["id"] == customer["id"]
        assert (shown["name"], shown["email"], shown["lifetimeValue"]) == (
            customer["name"], customer["email"], customer["lifetime_value"]
        )  # fmt: skip
        assert _shown(shown["since"]) == _instant(customer["since"])
        ticket = tickets[customer["id"]]
        [shown_ticket] = shown["tickets"]["nodes"]
        assert (shown_ticket["id"], shown_ticket["subject"]) == (ticket["id"], ticket["subject"])
        assert _shown(shown_ticket["openedAt"]) == _instant(ticket["opened_at"])
        assert _shown(shown_ticket["closedAt"]) == _instant(ticket["closed_at"])
