"""The test proxy counts one RUN per statement and leaves nothing open when its ``with`` ends.

A driver still holding its pooled connections when the proxy stops is the hostile suite's case:
the proxy must end those connections itself, close their sockets and threads, and not count
statements that went to Neo4j without it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

from neo4j import GraphDatabase

from tests.bolt_proxy import BoltProxy, counting_runs


def open_sockets() -> int:
    found = 0
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # the listing's own descriptor is gone by now
            found += os.readlink(fd).startswith("socket:")
    return found


def proxy_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("bolt-proxy")]


def test_the_proxy_counts_each_statement_and_closes_all_it_opened(neo4j_uri: str) -> None:
    target = urlparse(neo4j_uri)
    assert target.port is not None
    sockets_before = open_sockets()
    auth = ("neo4j", os.environ.get("CG_TEST_NEO4J_PASSWORD", ""))
    with BoltProxy(target.port, target.hostname or "127.0.0.1") as proxy:
        driver = GraphDatabase.driver(f"bolt://127.0.0.1:{proxy.port}", auth=auth)
        with counting_runs(proxy) as runs, driver.session() as session:
            for value in range(3):
                assert session.run("RETURN $value AS value", value=value).single(strict=True)["value"] == value
        assert runs[0] == 3
        assert len(proxy_threads()) >= 3  # the acceptor, and two for the pooled connection
    # The proxy has ended while the driver still pools its connection.
    assert proxy_threads() == []
    driver.close()
    assert open_sockets() <= sockets_before
