"""The policy's union of roles, masks and row rules, and redaction: plain data, no framework."""

from __future__ import annotations

import pytest

from domain.access import (
    REDACTED_TEXT,
    Access,
    Caller,
    MaskMode,
    Policy,
    RolePolicy,
    RowRuleText,
    redact,
)

READER = RolePolicy("reader", read_types=frozenset({"Order"}), read_fields=frozenset({("Customer", "name")}))
MASKER = RolePolicy(
    "masker",
    reads_everything=True,
    masks={("Customer", "email"): MaskMode.REDACT, ("Interaction", "summary"): MaskMode.NULL},
)
NULLER = RolePolicy("nuller", reads_everything=True, masks={("Customer", "email"): MaskMode.NULL})
ROWS_A = RolePolicy(
    "rows_a", reads_everything=True, rows={"Customer": RowRuleText("Customer", ("(row)-[:OWNED_BY]->(caller)",))}
)
ROWS_B = RolePolicy(
    "rows_b",
    read_fields=frozenset({("Customer", "id")}),
    rows={
        "Customer": RowRuleText("Customer", ("(row)-[:PLACED]->(:Order)",)),
        "Ticket": RowRuleText("Ticket", ("(row)<-[:RAISED]-(:Customer)",)),
    },
)
UNMASKED = RolePolicy("unmasked", reads_everything=True)
POLICY = Policy({role.name: role for role in (READER, MASKER, NULLER, ROWS_A, ROWS_B, UNMASKED)})


def test_a_field_is_readable_when_any_role_reads_it() -> None:
    grants = POLICY.grants(["reader"])

    assert grants.readable("Order", "total") and grants.readable("Customer", "name")
    assert not grants.readable("Customer", "email")
    assert grants.reads_type("Customer") and not grants.reads_type("Ticket")
    assert POLICY.grants(["reader", "masker"]).readable("Ticket", "subject")


def test_a_caller_without_a_known_role_reads_nothing() -> None:
    grants = POLICY.grants(["nobody", "root"])

    assert grants.role_names == frozenset()
    assert not grants.readable("Customer", "id") and not grants.reads_everything


def test_a_field_is_masked_only_when_every_role_that_reads_it_masks_it() -> None:
    assert POLICY.grants(["masker"]).mask("Customer", "email") is MaskMode.REDACT
    # The reader does not read emails at all, so the masker's mask stands.
    assert POLICY.grants(["masker", "reader"]).mask("Customer", "email") is MaskMode.REDACT
    # A role that reads it unmasked and sees every row the set sees lifts the mask.
    assert POLICY.grants(["masker", "reader", "unmasked"]).mask("Customer", "email") is None
    assert POLICY.grants(["masker", "unmasked"]).masks == {}


def test_a_narrow_roles_unmasked_view_does_not_lift_a_broad_roles_mask() -> None:
    # rows_a reads emails unmasked of the customers it owns; the masker sees every customer,
    # emails redacted. Together: every customer, emails still redacted (no role shows more).
    pair = POLICY.grants(["masker", "rows_a"])

    assert "Customer" not in pair.row_rules  # every customer row
    assert pair.mask("Customer", "email") is MaskMode.REDACT
    assert pair.mask("Interaction", "summary") is MaskMode.NULL
    # With the same rows on both sides, the unmasked view counts.
    narrow_masker = RolePolicy(
        "narrow_masker",
        reads_everything=True,
        masks={("Customer", "email"): MaskMode.REDACT},
        rows={"Customer": RowRuleText("Customer", ("(row)-[:OWNED_BY]->(caller)",))},
    )
    same_rows = Policy({role.name: role for role in (narrow_masker, ROWS_A)})
    assert same_rows.grants(["narrow_masker", "rows_a"]).mask("Customer", "email") is None


def test_of_two_masks_the_one_showing_more_wins() -> None:
    assert POLICY.grants(["nuller"]).mask("Customer", "email") is MaskMode.NULL
    assert POLICY.grants(["nuller", "masker"]).mask("Customer", "email") is MaskMode.REDACT


def test_row_rules_are_the_union_among_the_roles_that_read_the_label() -> None:
    both = POLICY.grants(["rows_a", "rows_b"])

    assert both.row_rules["Customer"] == ("(row)-[:OWNED_BY]->(caller)", "(row)-[:PLACED]->(:Order)")
    # rows_a reads tickets without a rule: every ticket is visible to the pair.
    assert "Ticket" not in both.row_rules
    # rows_b alone reads no ticket field: no ticket row is visible.
    assert POLICY.grants(["rows_b"]).row_rules["Ticket"] == ()
    # A role without a rule for a label it reads sees every row of it.
    assert "Customer" not in POLICY.grants(["rows_b", "masker"]).row_rules


def test_grants_are_built_once_per_role_set_and_bounded() -> None:
    policy = Policy({role.name: role for role in (READER, MASKER)})

    assert policy.grants(["reader", "masker"]) is policy.grants(["masker", "reader", "unknown"])
    assert policy.grants(["reader"]) is not policy.grants(["masker"])


def test_access_binds_the_caller_to_its_grants() -> None:
    caller = Caller("E0042", frozenset({"rows_a"}), "E0042")
    access = Access(caller, POLICY.grants(caller.roles))

    assert access.parameters() == {"caller_id": "E0042"}
    assert access.row_rules == {"Customer": ("(row)-[:OWNED_BY]->(caller)",)}
    assert Access.unrestricted().readable("Anything", "at_all") and not Access.unrestricted().row_rules


@pytest.mark.parametrize(
    ("value", "redacted"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("x@y.org", "x***@y.org"),
        ("Called about the invoice; wants a refund", REDACTED_TEXT),
        ("not@an email", REDACTED_TEXT),
        ("", REDACTED_TEXT),
    ],
)
def test_redaction_keeps_an_emails_first_letter_and_domain_and_drops_other_text(value: str, redacted: str) -> None:
    assert redact(value) == redacted


def test_labels_the_roles_read_nothing_of_have_no_visible_row() -> None:
    policy = Policy({role.name: role for role in (READER, MASKER)}, labels=["Customer", "Order", "Ticket"])

    assert policy.grants(["reader"]).row_rules == {"Ticket": ()}
    assert policy.grants(["reader", "masker"]).row_rules == {}
