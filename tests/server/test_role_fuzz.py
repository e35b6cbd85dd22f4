"""Property: no answer to a row-ruled role ever holds an id the role's row rules hide.

Operations generated from the schema as each role may read it, asking for visible and hidden
ids alike, run over HTTP with the role's token against the demo company; every answer is
checked against the hidden ids ``tests/row_oracle.py`` works out from the raw graph (see
``tests/role_fuzz.py``). The check must be able to fail: the oracle hides rows of every label
and lets some through, the admin asking for the same hidden ids gets them, and over the fuzz
the admin's answers to the very same operations hold hidden ids. A longer run is
``bench/role_fuzz.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from graphql import GraphQLSchema
from neo4j import AsyncDriver

from domain.access import Policy
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server.app import create_app, started
from server.policy_config import PolicyFile
from server.settings import PROJECT_ROOT
from tests.auth_tokens import bearer, settings
from tests.conftest import ensure_demo
from tests.role_fuzz import RoleTarget, Tally, fuzz, role_targets, strings_in
from tests.row_oracle import LABELS, ruled_roles

SCHEMA: GraphQLSchema = graphql_schema(build_schema())
POLICY: Policy = PolicyFile.load(PROJECT_ROOT / "policy.toml", SCHEMA).policy
ROLES = ruled_roles(sorted(POLICY.roles))
EXAMPLES = 30  # per role; bench/role_fuzz.py runs thousands
ADMIN_PROOF = 5  # the admin answers holding hidden ids after which the admin is no longer asked
LOOKUP = {"Customer": "customer", "Order": "order", "Interaction": "interaction", "Ticket": "ticket"}


@pytest.fixture(scope="module")
async def fuzzing(driver: AsyncDriver) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, RoleTarget]]]:
    await ensure_demo(driver)
    app = create_app(settings(sources_enabled=False), driver=driver)
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as http:
            targets = await role_targets(driver, POLICY, SCHEMA)
            yield http, {target.role: target for target in targets}


@pytest.fixture
async def on_demo(
    fuzzing: tuple[httpx.AsyncClient, dict[str, RoleTarget]], demo_graph: AsyncDriver
) -> tuple[httpx.AsyncClient, dict[str, RoleTarget]]:
    """The module's client and targets, with the demo company loaded (if another suite wiped it)."""
    return fuzzing


def test_every_ruled_role_of_the_policy_has_an_oracle() -> None:
    ruled = {role for role in POLICY.roles if POLICY.grants([role]).row_rules}
    assert ruled == set(ROLES) == {"service_agent", "back_office", "account_manager"}


def lookups(target: RoleTarget, side: str) -> str:
    """One ``_entities`` operation for each pool id of one side (visible or hidden) the role may ask for."""
    split = target.split.visible if side == "visible" else target.split.hidden
    asked = [
        f'{{__typename: "{label}", id: "{value}"}}'
        for label in LABELS
        if label in target.entity_types
        for value in sorted(split[label] & set(target.pools[label.lower()]))
    ]
    selections = " ".join(f"... on {label} {{ id }}" for label in LABELS if label in target.entity_types)
    return f"{{ _entities(representations: [{', '.join(asked)}]) {{ {selections} }} }}"


@pytest.mark.parametrize("role", ROLES)
async def test_the_check_can_fail_hidden_ids_exist_and_the_admin_gets_them(
    on_demo: tuple[httpx.AsyncClient, dict[str, RoleTarget]], role: str
) -> None:
    http, targets = on_demo
    target = targets[role]
    for label in LABELS:
        assert target.split.hidden[label], f"{role} would see every {label}: the fuzz could not fail"
        assert set(target.pools[label.lower()]) & target.split.hidden[label]
    for label in ("Customer", "Order"):  # the role sees some rows: not a role that sees nothing
        assert target.split.visible[label], f"{role} sees no {label} at all"

    hidden_query, visible_query = lookups(target, "hidden"), lookups(target, "visible")
    admin = (await http.post("/graphql", json={"query": hidden_query}, headers=bearer("admin"))).json()
    as_role = (await http.post("/graphql", json={"query": hidden_query}, headers=target.headers())).json()
    seen = (await http.post("/graphql", json={"query": visible_query}, headers=target.headers())).json()

    asked = {value for label in LABELS if label in target.entity_types for value in target.pools[label.lower()]}
    admin_got = {value for _, value in strings_in(admin.get("data"))}
    assert admin_got == asked & target.split.all_hidden, admin  # the admin gets every hidden id asked for
    assert not {value for _, value in strings_in(as_role.get("data"))}, as_role  # the role none of them
    role_got = {value for _, value in strings_in(seen.get("data"))}
    assert role_got == asked - target.split.all_hidden, seen  # and every visible one


@pytest.mark.parametrize("role", ROLES)
async def test_generated_operations_never_show_a_row_the_role_may_not_see(
    on_demo: tuple[httpx.AsyncClient, dict[str, RoleTarget]], role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    http, targets = on_demo
    target = targets[role]
    tally = Tally()

    def checked(example: Tally) -> None:
        tally.add(example)
        # A failure here is a real leak or a server error: hypothesis shrinks the operation and
        # prints it. Keep it as a regression test before anything else.
        assert not example.leaks, "\n\n".join(map(str, example.leaks))
        assert not example.server_errors, "\n\n".join(example.server_errors)

    def with_admin() -> bool:
        return tally.admin_answers_with_hidden < ADMIN_PROOF

    await asyncio.to_thread(
        fuzz, asyncio.get_running_loop(), http, target, EXAMPLES, with_admin=with_admin, on_example=checked
    )

    with capsys.disabled():
        print(
            f"\n  role fuzz {role} (as {target.employee_id}): {tally.examples} operations, "
            f"{tally.ids_checked} ids in answers checked ({tally.strings_checked} strings), 0 hidden; "
            f"the admin's answers to the same operations held {tally.admin_hidden_ids} hidden ids; "
            f"answers {dict(tally.outcomes.most_common())}"
        )
    assert tally.examples >= EXAMPLES
    assert tally.ids_checked > 0
    assert tally.admin_answers_with_hidden > 0, "no operation reached a hidden row: the fuzz checked nothing"
