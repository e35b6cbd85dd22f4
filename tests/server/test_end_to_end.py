"""The real server under uvicorn, reached over a socket, on the real Neo4j."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from neo4j import AsyncDriver

from tests.auth_tokens import bearer
from tests.federation.processes import api_environment, free_port


@pytest.fixture
def server_url(neo4j_uri: str, demo_graph: AsyncDriver, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    # A clean environment, run outside the checkout: neither the caller's variables nor a .env count.
    env = api_environment(neo4j_uri, port=str(port), log_level="warning")
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--no-demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"the server did not become ready:\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


@pytest.mark.e2e
def test_the_served_api_answers_queries_and_serves_the_playground(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=10) as http:
        answer = http.post(
            "/graphql",
            json={"query": '{ customer(id: "C000003") { id orders(first: 2) { totalCount } } }'},
            headers={"accept": "application/graphql-response+json", **bearer()},
        )
        page = http.get("/graphql", headers={"accept": "text/html"})
        home = http.get("/", follow_redirects=False)

    assert answer.status_code == 200
    assert answer.json()["data"]["customer"]["id"] == "C000003"
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert home.status_code in (302, 307) and home.headers["location"] == "/graphql"


@pytest.mark.e2e
def test_the_served_api_reports_bad_input_without_crashing(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=10, headers=bearer()) as http:
        malformed = http.post("/graphql", content=b"{", headers={"content-type": "application/json"})
        oversize = http.post("/graphql", json={"query": "{ orders(first: 5000) { totalCount } }"})
        still_up = http.get("/healthz")

    assert malformed.status_code == 400
    assert oversize.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert still_up.json() == {"status": "ok"}
