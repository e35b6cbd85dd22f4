"""The real server under uvicorn on a socket, its Neo4j behind a proxy that counts Bolt RUNs.

The server runs as in production (``uvicorn --factory server.main:app``, one process) with its
default limits, live sources off and a 5 s deadline, over the small demo company.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from neo4j import AsyncDriver

from tests.bolt_proxy import BoltProxy
from tests.federation.processes import Running, api_environment, api_server

DEADLINE_S = 5.0


@dataclass(frozen=True, slots=True)
class HostileTarget:
    api: Running
    proxy: BoltProxy

    @property
    def base(self) -> str:
        return self.api.url.removesuffix("/graphql")


@pytest.fixture(scope="package")
def target(neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileTarget]:
    port = urlparse(neo4j_uri).port
    assert port is not None
    folder = tmp_path_factory.mktemp("hostile")
    with BoltProxy(port, urlparse(neo4j_uri).hostname or "127.0.0.1") as proxy:
        env = api_environment(
            f"bolt://127.0.0.1:{proxy.port}",
            log_level="warning",
            sources_enabled="false",
            request_timeout_s=str(DEADLINE_S),
            # The attacks count the statements the API sends through the proxy: the event hub's
            # tail of the log (a statement every poll, whatever the requests) would be counted.
            events_enabled="false",
        )
        with api_server(env, folder / "uvicorn.log", cwd=folder) as api:
            yield HostileTarget(api, proxy)


@pytest.fixture
def hostile(target: HostileTarget, demo_graph: AsyncDriver) -> HostileTarget:
    """The server, over the demo company (loaded by ``demo_graph`` if another suite wiped it)."""
    return target
