"""The demo HTTP servers as subprocesses: auth, counters and the loopback test controls."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from demo_systems.launcher import DemoFleet, control, counts

HELPDESK_AUTH = {"Authorization": "Bearer demo-helpdesk-token"}
CRM_AUTH = {"Authorization": "Bearer demo-crm-token"}


@pytest.fixture(scope="module")
def fleet() -> Iterator[DemoFleet]:
    with DemoFleet(names=("helpdesk", "crm")) as running:
        yield running


@pytest.fixture
async def helpdesk(fleet: DemoFleet) -> AsyncIterator[httpx.AsyncClient]:
    await control(fleet.url("helpdesk"), reset=True)
    async with httpx.AsyncClient(base_url=fleet.url("helpdesk"), headers=HELPDESK_AUTH, timeout=5) as client:
        yield client


async def test_the_api_wants_its_credential(fleet: DemoFleet) -> None:
    async with httpx.AsyncClient(base_url=fleet.url("helpdesk")) as client:
        assert (await client.get("/api/tickets", params={"ids": "T000001"})).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await client.get("/api/tickets", params={"ids": "T000001"}, headers=wrong)).status_code == 401


async def test_lookups_are_counted_by_the_server(helpdesk: httpx.AsyncClient, fleet: DemoFleet) -> None:
    answer = await helpdesk.get("/api/tickets", params={"ids": "T000001,NOPE,T000002"})
    assert [ticket["id"] for ticket in answer.json()["tickets"]] == ["T000001", "T000002"]
    await helpdesk.get("/api/export/tickets", params={"limit": 5})
    assert await counts(fleet.url("helpdesk")) == {"lookup": 1, "export": 1, "requests": 2}


async def test_latency_delays_the_api_but_not_the_controls(helpdesk: httpx.AsyncClient, fleet: DemoFleet) -> None:
    await control(fleet.url("helpdesk"), latency_ms=150)
    started = time.perf_counter()
    await helpdesk.get("/api/tickets", params={"ids": "T000001"})
    assert time.perf_counter() - started >= 0.15
    started = time.perf_counter()
    await helpdesk.get("/__health")
    assert time.perf_counter() - started < 0.15


@pytest.mark.parametrize(("mode", "status"), [("500", 500), ("down", 503), ("malformed", 200), ("wrong_shape", 200)])
async def test_faults_last_for_their_count(
    helpdesk: httpx.AsyncClient, fleet: DemoFleet, mode: str, status: int
) -> None:
    await control(fleet.url("helpdesk"), fail=mode, fail_count=2)
    for _ in range(2):
        answer = await helpdesk.get("/api/tickets", params={"ids": "T000001"})
        assert answer.status_code == status
        if mode == "malformed":
            with pytest.raises(ValueError):
                answer.json()
    answer = await helpdesk.get("/api/tickets", params={"ids": "T000001"})
    assert answer.status_code == 200 and answer.json()["tickets"]


async def test_reset_clears_faults_and_counters(helpdesk: httpx.AsyncClient, fleet: DemoFleet) -> None:
    await control(fleet.url("helpdesk"), fail="500", latency_ms=10)
    await helpdesk.get("/api/tickets", params={"ids": "T000001"})
    state = await control(fleet.url("helpdesk"), reset=True)
    assert state["counts"] == {}
    assert state["faults"] == {"latency_ms": 0, "fail": None, "fail_count": None}


async def test_the_controls_refuse_unknown_modes(fleet: DemoFleet) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{fleet.url('helpdesk')}/__control", json={"fail": "explode"})
    assert answer.status_code == 400


async def test_the_crm_speaks_graphql_and_counts_reads_and_writes(fleet: DemoFleet) -> None:
    await control(fleet.url("crm"), reset=True)
    async with httpx.AsyncClient(base_url=fleet.url("crm"), headers=CRM_AUTH) as client:
        query = "query($keys: [ID!]!) { accounts(keys: $keys) { key customerId } }"
        answer = await client.post("/graphql", json={"query": query, "variables": {"keys": ["CRM-000003", "X"]}})
        assert answer.json() == {"data": {"accounts": [{"key": "CRM-000003", "customerId": "C000003"}]}}
        page = await client.post("/graphql", json={"query": "{ accountPage(first: 2) { nodes { key } nextCursor } }"})
        assert page.json()["data"]["accountPage"]["nextCursor"] == "2"
        write = 'mutation { logTouchpoint(key: "CRM-000003", summary: "visit") }'
        assert (await client.post("/graphql", json={"query": write})).json() == {"data": {"logTouchpoint": 1}}
        bad = await client.post("/graphql", json={"query": "{ nope }"})
        assert bad.json()["errors"]
    assert await counts(fleet.url("crm")) == {"graphql": 4, "requests": 4, "lookup": 1, "export": 1, "write": 1}
