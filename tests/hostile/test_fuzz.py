"""Property-based fuzz of the real server: operations generated from our schema never break it.

Every generated operation (``tests/fuzz_operations.py``: random arguments and scalars,
variables, fragments, aliases) gets an answer below 500 without ``INTERNAL_SERVER_ERROR``,
and the server's memory grows by less than 100 MB over the run. A longer run with the same
generator is ``bench/fuzz_bench.py``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from tests.auth_tokens import bearer
from tests.fuzz_operations import Operation, operations
from tests.hostile.conftest import DEADLINE_S, HostileTarget

pytestmark = pytest.mark.e2e

EXAMPLES = 200
MAX_GROWTH_MB = 100
SCHEMA = graphql_schema(build_schema())


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def outcome(response: httpx.Response) -> str:
    body = response.json()
    codes = sorted({error["extensions"]["code"] for error in body.get("errors", ())})
    return f"{response.status_code} {'+'.join(codes) or 'ok'}"


def test_generated_operations_never_answer_5xx_or_internal_errors(
    hostile: HostileTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    pid = hostile.api.process.pid
    outcomes: Counter[str] = Counter()
    with httpx.Client(timeout=DEADLINE_S * 4, headers=bearer()) as http:
        before = rss_mb(pid)

        @settings(
            max_examples=EXAMPLES,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        )
        @given(operation=operations(SCHEMA))
        def answered_without_a_server_error(operation: Operation) -> None:
            response = http.post(
                hostile.api.url,
                json={"query": operation.query, "variables": operation.variables, "operationName": "Fuzz"},
            )
            assert response.status_code < 500, (operation, response.text[:2000])
            found = outcome(response)
            assert "INTERNAL_SERVER_ERROR" not in found, (operation, response.text[:2000])
            outcomes[found] += 1

        answered_without_a_server_error()
        growth = rss_mb(pid) - before

    assert sum(outcomes.values()) >= EXAMPLES
    assert growth < MAX_GROWTH_MB, f"the server grew by {growth:.0f} MB"
    with capsys.disabled():
        print(
            f"\n  fuzz: {sum(outcomes.values())} operations, server RSS {before:.0f} MB -> +{growth:.1f} MB; outcomes:"
        )
        for found, count in outcomes.most_common():
            print(f"    {count:5d}  {found}")
