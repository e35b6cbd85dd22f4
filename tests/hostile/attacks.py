"""The attacks of the hostile-client suite, one per class, shared with ``bench/hostile_bench.py``.

Each ``Attack`` says how to send it and what a correct answer is: refused with its own code
(``refused``), bad input (``bad_input``), answered (``answered``) or answered with its errors
capped (``capped_errors``), and how many Bolt RUNs it may cause (none when it is refused).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.auth_tokens import token

SMALL_QUERY = {"query": 'query Small { customer(id: "C000002") { id name } }'}
Send = Callable[[httpx.Client, str], httpx.Response]


@dataclass(frozen=True)
class Attack:
    name: str
    send: Send
    check: Callable[[httpx.Response], None]
    max_runs: int = 0  # Bolt RUNs the attack may cause: none when it is refused


def post(payload: dict[str, Any]) -> Send:
    return lambda http, url: http.post(url, json=payload, headers={"accept": "application/graphql-response+json"})


def refused(code: str, status: int = 400) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        assert response.status_code == status, response.text[:500]
        codes = {error["extensions"]["code"] for error in response.json()["errors"]}
        assert code in codes, codes

    return check


def bad_input(response: httpx.Response) -> None:
    assert response.status_code in (200, 400), response.text[:500]
    assert {error["extensions"]["code"] for error in response.json()["errors"]} == {"BAD_USER_INPUT"}


def answered(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text[:500]
    assert "errors" not in response.json(), response.json()["errors"][:3]


def capped_errors(response: httpx.Response) -> None:
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert len(errors) == 51
    assert errors[-1]["extensions"]["code"] == "TOO_MANY_ERRORS"


def fragment_bomb(levels: int) -> str:
    body = "\n".join(f"fragment F{i} on Customer {{ name ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1))
    return f'{{ customer(id: "C000001") {{ ...F0 }} }}\n{body}\nfragment F{levels - 1} on Customer {{ id }}'


def aliased_bomb(levels: int) -> str:
    body = "\n".join(
        f"fragment F{i} on Employee {{ a: manager {{ ...F{i + 1} }} b: manager {{ ...F{i + 1} }} }}"
        for i in range(levels - 1)
    )
    return f'{{ employee(id: "E00006") {{ ...F0 }} }}\n{body}\nfragment F{levels - 1} on Employee {{ id }}'


def paths(count: int) -> str:
    one = 'shortestPath(from: {kind: CUSTOMER, id: "C000001"}, to: {kind: DEPARTMENT, id: "D001"}) { length }'
    return "{ " + " ".join(f"p{i}: {one}" for i in range(count)) + " }"


def hops(count: int) -> str:
    inner = "id"
    for _ in range(count):
        inner = f"orders(first: 2) {{ nodes {{ customer {{ {inner} }} }} }}"
    return f'{{ customer(id: "C000001") {{ {inner} }} }}'


def cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{position}".encode()).decode()


def with_token(make: Callable[[], str]) -> Send:
    """The small query with a bearer token of its own on every request."""
    return lambda http, url: http.post(url, json=SMALL_QUERY, headers={"authorization": f"Bearer {make()}"})


def _segment(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def nested_header_token() -> str:
    header = '{"alg": "HS256", "x": ' + "[" * 3000 + "]" * 3000 + "}"
    return f"{_segment(header)}.{_segment(json.dumps({'sub': 'E1'}))}.{_segment('x')}"


def oversize(http: httpx.Client, url: str) -> httpx.Response:
    def body() -> Any:
        yield b'{"query": "{ __typename }", "padding": "'
        for _ in range(5_000):
            yield b"x" * 1_000

    return http.post(url, content=body(), headers={"content-type": "application/json"})


# 100 customers, 100 orders each, and each order's customer with 100 orders again: 10^6 orders.
FAN_OUT = (
    "{ customers(first: 100) { nodes { orders(first: 100) { nodes { "
    "customer { orders(first: 100) { nodes { id } } } } } } } }"
)
ATTACKS = [
    Attack("exponential fragments spread", post({"query": fragment_bomb(30)}), answered, max_runs=1),
    Attack("exponential fragments aliased", post({"query": aliased_bomb(30)}), refused("MAX_DEPTH_LIMIT")),
    Attack("8,000 aliases", post({"query": paths(8_000)}), refused("MAX_TOKENS_LIMIT")),
    Attack("aliases under the token limit", post({"query": paths(100)}), refused("MAX_ALIASES_LIMIT")),
    Attack("depth: 14 hops", post({"query": hops(14)}), refused("MAX_DEPTH_LIMIT")),
    Attack(
        "fan-out",
        post({"query": FAN_OUT}),
        refused("COST_ESTIMATED_TOO_EXPENSIVE"),
    ),
    Attack(
        "10,000 representations",
        post(
            {
                "query": "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { email } } }",
                "variables": {"r": [{"__typename": "Customer", "id": f"C{i:06d}"} for i in range(10_000)]},
            }
        ),
        refused("MAX_REPRESENTATIONS_LIMIT"),
    ),
    Attack(
        "error flood",
        post({"query": "{ customers(first: 100) { nodes { crm { leadScore } erpAccount { openInvoices } } } }"}),
        capped_errors,
        max_runs=3,
    ),
    Attack("oversize body", oversize, refused("PAYLOAD_TOO_LARGE", status=413)),
    Attack(
        "forged cursor",
        post(
            {
                "query": "query ($c: String) { customers(first: 5, after: $c) { nodes { id } } }",
                "variables": {"c": cursor(2**63 - 1)},
            }
        ),
        bad_input,
    ),
    Attack("garbage bearer tokens", with_token(lambda: secrets.token_urlsafe(48)), refused("UNAUTHENTICATED", 401)),
    Attack("an oversized token", with_token(lambda: "a" * 9_000), refused("UNAUTHENTICATED", 401)),
    Attack("a token header nested 3,000 deep", with_token(nested_header_token), refused("UNAUTHENTICATED", 401)),
    Attack(
        "tokens signed with another secret",
        with_token(lambda: token(secret=secrets.token_hex(32))),
        refused("UNAUTHENTICATED", 401),
    ),
    # Each request a token never seen before: verified in full every time, the cache churning.
    Attack("a new valid token on every request", with_token(lambda: token(subject=secrets.token_hex(6))), answered, 1),
    Attack(
        "forged date",
        post(
            {
                "query": 'query ($t: DateTime) { whoKnowsBest(customerId: "C000001", asOf: $t) { score } }',
                "variables": {"t": "0001-01-01T00:00:00+01:00"},
            }
        ),
        bad_input,
    ),
]
