"""Row rules as text to Cypher: the strict pattern grammar and what the marks become."""

from __future__ import annotations

import pytest

from graph.row_rules import PatternError, parse_pattern, row_scope

SERVED = "(row)<-[:SERVES]-(:Department)<-[:WORKS_IN]-(caller)"
AGENT = {
    "Customer": (SERVED,),
    "Order": ("(row)<-[:PLACED]-(:Customer)<-[:SERVES]-(:Department)<-[:WORKS_IN]-(caller)",),
}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("(c)-[:OWNED_BY]->(caller)", "starts with the node (row)"),
        ("(row)", "at least one relationship"),
        ("(row)-[:OWNED_BY]-(caller)", "exactly one direction"),
        ("(row)<-[:OWNED_BY]->(caller)", "exactly one direction"),
        ("(row)-[:OWNED_BY|PLACED]->(caller)", "expected a relationship"),
        ("(row)-[:OWNED_BY*1..3]->(caller)", "expected a relationship"),
        ("(row)-[:OWNED_BY]->(x:Employee)", "only (row) and (caller) may be named"),
        ("(row)-[:OWNED_BY]->(caller:Customer)", "caller's Employee node"),
        ("(row)-[:OWNED_BY]->(caller)-[:REPORTS_TO]->(caller)", "(caller) may appear once"),
        ("(row)-[:OWNED_BY]->({id: 'E1'})", "expected a node"),
        ("(row)-[:OWNED_BY]->(caller) WHERE true", "expected a relationship"),
        ("(row)-[:OWNED_BY]->(caller)}) MATCH (n) DETACH DELETE n //", "expected a relationship"),
        ("(row)" + "-[:R]->()" * 9, "at most 8 relationships"),
    ],
)
def test_anything_but_a_plain_pattern_is_refused(text: str, problem: str) -> None:
    with pytest.raises(PatternError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_pattern(text)


def test_a_rule_becomes_an_exists_with_the_caller_as_a_parameter() -> None:
    scope = row_scope(AGENT)

    assert scope.predicate("Customer", "c") == (
        "EXISTS { MATCH (c)<-[:SERVES]-(rule_node_1:Department)"
        " MATCH (rule_node_1)<-[:WORKS_IN]-(:Employee {id: $caller_id}) }"
    )
    assert scope.predicate("Ticket", "t") == "true"  # no rule: every ticket
    assert row_scope({"Ticket": ()}).predicate("Ticket", "t") == "false"  # no ticket at all


def test_marks_compile_to_the_rules_or_vanish_without_them() -> None:
    query = "MATCH (c:Customer {id: $id})@where(Customer, c) RETURN COUNT { (c)-[:RAISED]->(t)@where(Ticket, t) }"

    assert row_scope({}).compile(query) == "MATCH (c:Customer {id: $id}) RETURN COUNT { (c)-[:RAISED]->(t) }"
    compiled = row_scope(AGENT).compile(query)
    assert compiled.startswith("MATCH (c:Customer {id: $id}) WHERE EXISTS { MATCH (c)<-[:SERVES]-")
    assert "@" not in compiled


def test_rows_read_from_a_checked_parent_are_checked_only_when_the_rules_need_it() -> None:
    query = "MATCH (c)-[:PLACED]->(o:Order)@where(Order, o, <-PLACED-Customer) RETURN o"
    # An order is visible exactly when its customer is: nothing more to check.
    assert row_scope(AGENT).compile(query) == "MATCH (c)-[:PLACED]->(o:Order) RETURN o"
    # Orders ruled on their own (the ones a department handled): each is checked.
    handled = {**AGENT, "Order": ("(row)-[:HANDLED_BY]->(:Employee)-[:WORKS_IN]->(:Department)<-[:WORKS_IN]-(caller)",)}
    assert "WHERE EXISTS { MATCH (o)-[:HANDLED_BY]->" in row_scope(handled).compile(query)
    # Orders ruled, customers not: each is checked.
    assert "WHERE EXISTS" in row_scope({"Order": AGENT["Order"]}).compile(query)


def test_a_rule_through_serves_lists_from_the_callers_department() -> None:
    assert row_scope(AGENT).serving_scopes("Customer") == (
        "MATCH (:Employee {id: $caller_id})-[:WORKS_IN]->(scope:Department) WITH collect(DISTINCT scope.id) AS scopes"
    )
    # Two ways to see a customer, or another first hop: row by row.
    assert row_scope({"Customer": (SERVED, "(row)-[:OWNED_BY]->(caller)")}).serving_scopes("Customer") is None
    assert row_scope({"Customer": ("(row)-[:OWNED_BY]->(caller)",)}).serving_scopes("Customer") is None
