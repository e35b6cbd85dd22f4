"""policy.toml: the shipped demo roles load, and every mistake stops the start naming its place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from neo4j import AsyncDriver

from domain.access import MaskMode
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server.app import create_app
from server.policy_config import PolicyError, PolicyFile
from server.settings import PROJECT_ROOT
from tests.auth_tokens import settings

SCHEMA = graphql_schema(build_schema())
SHIPPED = PROJECT_ROOT / "policy.toml"


def load(text: str) -> PolicyFile:
    return PolicyFile(Path("policy.toml"), text, SCHEMA)


def test_the_shipped_policy_has_the_five_demo_roles() -> None:
    policy = PolicyFile.load(SHIPPED, SCHEMA).policy

    assert set(policy.roles) == {"admin", "analyst", "service_agent", "back_office", "account_manager"}
    analyst = policy.grants(["analyst"])
    assert analyst.reads_everything
    assert analyst.mask("Customer", "email") is MaskMode.REDACT
    assert analyst.mask("Interaction", "summary") is MaskMode.REDACT
    assert analyst.mask("JourneyEvent", "detail") is MaskMode.NULL
    back_office = policy.grants(["back_office"])
    assert back_office.readable("Customer", "name") and not back_office.readable("Customer", "email")
    assert back_office.readable("Query", "orders") and not back_office.readable("Query", "journey")
    assert set(back_office.row_rules) == {"Customer", "Order", "Interaction", "Ticket"}
    # Labels it reads nothing of: no row at all.
    assert back_office.row_rules["Interaction"] == () and back_office.row_rules["Ticket"] == ()
    assert set(policy.grants(["service_agent"]).row_rules) == {"Customer", "Order", "Interaction", "Ticket"}
    manager = policy.grants(["account_manager"]).row_rules["Customer"]
    assert manager == ("(row)-[:OWNED_BY]->(caller)", "(row)-[:OWNED_BY]->(:Employee)-[:REPORTS_TO]->(caller)")
    assert policy.grants(["admin"]).row_rules == {} and policy.grants(["admin"]).masks == {}


BROKEN = {
    "an unknown type": ('read = ["Orders"]', "policy.toml:3: role 'clerk', read 'Orders': the schema has no type"),
    "an unknown field": (
        'read = ["Order.totl"]',
        "policy.toml:3: role 'clerk', read 'Order.totl': the type 'Order' has no field 'totl'",
    ),
    "a type that is not an object": ('read = ["Tier"]', "read 'Tier': 'Tier' is not an object type"),
    "null for a non-null field": (
        'read = "*"\n[roles.clerk.mask]\n"Customer.email" = "null"',
        "policy.toml:5: role 'clerk', mask 'Customer.email': the field is non-null in the schema",
    ),
    "redacting a number": (
        'read = "*"\nmask = { "Customer.lifetimeValue" = "redact" }',
        "role 'clerk', mask 'Customer.lifetimeValue': only String fields (or lists of them) can be redacted",
    ),
    "masking what is not read": (
        'read = ["Order"]\nmask = { "Customer.name" = "redact" }',
        "mask 'Customer.name': the role does not read this field",
    ),
    "a mutation the schema lacks": (
        'read = "*"\nwrite = ["closeTicket", "dropEverything"]',
        "policy.toml:4: role 'clerk', write 'dropEverything': the schema has no mutation 'dropEverything'",
    ),
    "a row rule on a type that is no label": (
        'read = "*"\n[roles.clerk.rows]\nOrderLine = "(row)"',
        "policy.toml:5: role 'clerk', rows 'OrderLine': 'OrderLine' is not a graph label",
    ),
}


@pytest.mark.parametrize(("role_body", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_policy_that_does_not_fit_the_schema_names_the_role_entry_and_line(role_body: str, message: str) -> None:
    # Line 1 is the table, line 2 a comment, the entry follows.
    text = f"[roles.clerk]\n# the clerk\n{role_body}\n"

    with pytest.raises(PolicyError, match=re.escape(message)):
        load(text)


SHAPES = {
    "not TOML": ("[roles.x\nread = 1", "not valid TOML"),
    "no roles": ("", "roles"),
    "a bad role name": ('[roles."Bad Name"]\nread = "*"', "roles.Bad Name"),
    "read that is neither * nor a list": ('[roles.x]\nread = "everything"', "roles.x.read"),
    "a mask mode that does not exist": ('[roles.x]\nread = "*"\nmask = { "Customer.email" = "hide" }', "mask"),
    "an unknown key": ('[roles.x]\nread = "*"\ndelete = "*"', "roles.x.delete"),
    "an empty pattern list": ('[roles.x]\nread = "*"\nrows = { Customer = [] }', "at least one pattern"),
    "an empty pattern": ('[roles.x]\nread = "*"\nrows = { Customer = "" }', "roles.x.rows.Customer"),
}


@pytest.mark.parametrize(("text", "fragment"), SHAPES.values(), ids=SHAPES.keys())
def test_a_policy_of_the_wrong_shape_is_refused_with_where(text: str, fragment: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(fragment)):
        load(text)


def test_a_missing_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        PolicyFile.load(tmp_path / "nowhere.toml", SCHEMA)


async def test_the_app_does_not_start_with_a_broken_policy_or_an_unknown_anonymous_role(
    demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text('[roles.viewer]\nread = ["Customer.mail"]\n')
    with pytest.raises(PolicyError, match=re.escape("role 'viewer', read 'Customer.mail'")):
        create_app(settings(policy_file=broken), driver=demo_graph)
    with pytest.raises(PolicyError, match="CG_AUTH_ANONYMOUS_ROLE names 'guest'"):
        create_app(settings(auth_anonymous_role="guest"), driver=demo_graph)
