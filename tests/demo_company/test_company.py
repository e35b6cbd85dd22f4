"""The demo company generator: deterministic, countable, loadable and believable."""

from __future__ import annotations

import calendar
import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

from demo_company.company import DEMO_NOW, PRESETS, DemoCompany, Preset, identity_key
from graph.load.rows import ROW_KINDS, ROW_KINDS_BY_NAME
from graph.model import (
    OPEN_TICKET_STATUSES,
    Channel,
    DepartmentKind,
    Function,
    OrderStatus,
    OrderStep,
    SourceSystem,
    TicketStatus,
    Tier,
)

Rows = dict[str, list[dict[str, object]]]
KIND_NAMES = [kind.name for kind in ROW_KINDS]
# Which label each kind's ids are known by, for checking references.
LABELS = {
    "department": "Department",
    "employee": "Employee",
    "product": "Product",
    "customer": "Customer",
    "order": "Order",
    "ticket": "Ticket",
}
ID_FORMATS = {
    "department": ("D", 3),
    "employee": ("E", 5),
    "product": ("P", 5),
    "customer": ("C", 6),
    "order": ("O", 7),
    "interaction": ("I", 7),
    "ticket": ("T", 6),
}
STEPS_BY_STATUS = {
    OrderStatus.PLACED.value: ["SALE"],
    OrderStatus.IN_PRODUCTION.value: ["SALE", "BUILD"],
    OrderStatus.PICKING.value: ["SALE", "BUILD", "PICK"],
    OrderStatus.SHIPPED.value: ["SALE", "BUILD", "PICK", "SHIP"],
    OrderStatus.INVOICED.value: ["SALE", "BUILD", "PICK", "SHIP", "INVOICE"],
    OrderStatus.CANCELLED.value: ["SALE"],
}
STEP_FUNCTION = {
    OrderStep.SALE.value: Function.SALES.value,
    OrderStep.BUILD.value: Function.MANUFACTURING.value,
    OrderStep.PICK.value: Function.WAREHOUSE.value,
    OrderStep.SHIP.value: Function.WAREHOUSE.value,
    OrderStep.INVOICE.value: Function.FINANCE.value,
}
PRESET_NAMES = ["tiny", "small"]


@cache
def generated(preset: str, seed: int = 7) -> Rows:
    company = DemoCompany(PRESETS[preset], seed)
    return {kind: list(company.rows(kind)) for kind in KIND_NAMES}


def function_of(rows: Rows) -> dict[str, str]:
    """Employee id -> function of their department."""
    functions = {row["id"]: row["function"] for row in rows["department"]}
    return {str(row["id"]): str(functions[row["department_id"]]) for row in rows["employee"]}


def timestamp(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value


def test_same_seed_gives_identical_rows_whatever_the_order_kinds_are_asked_in() -> None:
    first = DemoCompany(PRESETS["tiny"], seed=11)
    second = DemoCompany(PRESETS["tiny"], seed=11)
    forwards = {kind: list(first.rows(kind)) for kind in KIND_NAMES}
    backwards = {kind: list(second.rows(kind)) for kind in reversed(KIND_NAMES)}
    again = {kind: list(first.rows(kind)) for kind in KIND_NAMES}
    for kind in KIND_NAMES:
        assert forwards[kind], kind
        assert forwards[kind] == backwards[kind] == again[kind], kind


def test_different_seeds_give_different_companies() -> None:
    one, other = generated("tiny", 7), generated("tiny", 8)
    for kind in ("employee", "product", "customer", "order", "order_step", "interaction", "ticket", "hand_off"):
        assert one[kind] != other[kind], kind


def _digest_in_subprocess(hash_seed: str) -> str:
    script = (
        "import hashlib\n"
        "from demo_company.company import DemoCompany, PRESETS\n"
        "from graph.load.rows import ROW_KINDS\n"
        "company = DemoCompany(PRESETS['tiny'])\n"
        "digest = hashlib.sha256()\n"
        "for kind in ROW_KINDS:\n"
        "    for row in company.rows(kind.name):\n"
        "        digest.update(repr(sorted(row.items())).encode())\n"
        "print(digest.hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_rows_do_not_depend_on_the_hash_seed() -> None:
    digests = {_digest_in_subprocess(hash_seed) for hash_seed in ("1", "2")}
    assert len(digests) == 1
    local = hashlib.sha256()
    for kind in KIND_NAMES:
        for row in generated("tiny")[kind]:
            local.update(repr(sorted(row.items())).encode())
    assert digests == {local.hexdigest()}


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_count_is_the_number_of_rows_for_every_kind(preset: str) -> None:
    company = DemoCompany(PRESETS[preset])
    rows = generated(preset)
    assert {kind: company.count(kind) for kind in KIND_NAMES} == {kind: len(rows[kind]) for kind in KIND_NAMES}


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_row_parses_unchanged_with_its_row_kind(preset: str) -> None:
    for kind, rows in generated(preset).items():
        row_kind = ROW_KINDS_BY_NAME[kind]
        names = {field.name for field in row_kind.fields}
        for row in rows:
            assert set(row) == names, kind
            loaded = _as_loaded(row)
            assert row_kind.parse(row) == [loaded[name] for name in row_kind.field_names], (kind, row)


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_typed_rows_are_the_rows_parsed_and_turn_back_into_them(preset: str) -> None:
    company = DemoCompany(PRESETS[preset])
    for kind, rows in generated(preset).items():
        row_kind = ROW_KINDS_BY_NAME[kind]
        typed = list(company.typed_rows(kind))
        assert typed == [row_kind.parse(row) for row in rows], kind
        assert [row_kind.as_raw(row) for row in typed] == rows, kind


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_reference_points_to_a_row_generated_earlier(preset: str) -> None:
    seen: dict[str, set[object]] = defaultdict(set)
    checked = 0
    for kind in ROW_KINDS:
        for row in generated(preset)[kind.name]:
            for reference in kind.references:
                value = row[reference.field]
                if value is not None:
                    assert value in seen[reference.label], (kind.name, reference.field, value)
                    checked += 1
        if kind.name in LABELS:
            ids = [row["id"] for row in generated(preset)[kind.name]]
            assert len(set(ids)) == len(ids), f"duplicate {kind.name} ids"
            seen[LABELS[kind.name]].update(ids)
    assert checked > 0


def test_ids_carry_a_prefix_and_zero_padding() -> None:
    rows = generated("small")
    for kind, (prefix, digits) in ID_FORMATS.items():
        ids = [str(row["id"]) for row in rows[kind]]
        assert ids[0] == prefix + "1".zfill(digits), kind
        assert all(len(id_) == len(prefix) + digits and id_.startswith(prefix) for id_ in ids), kind
        assert ids == sorted(ids), kind


def test_tiny_has_every_function_and_both_kinds_and_bigger_presets_forty_departments() -> None:
    tiny = generated("tiny")["department"]
    assert {row["function"] for row in tiny} == {function.value for function in Function}
    assert {row["kind"] for row in tiny} == {kind.value for kind in DepartmentKind}
    small = generated("small")["department"]
    assert len(small) == 40
    names = {row["name"] for row in small}
    assert {"Sales EMEA", "Warehouse Rotterdam", "Accounts Receivable"} <= names
    for row in small:
        front = row["function"] in {"SALES", "MARKETING", "SERVICE"}
        assert row["kind"] == ("FRONT_OFFICE" if front else "BACK_OFFICE")


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_management_tree_has_heads_under_executives_and_no_cycles(preset: str) -> None:
    rows = generated(preset)
    manager = {row["employee_id"]: row["manager_id"] for row in rows["reports_to"]}
    employees = {row["id"]: row for row in rows["employee"]}
    executives = [id_ for id_ in employees if id_ not in manager]
    assert 3 <= len(executives) <= 6
    assert all(str(employees[id_]["title"]).startswith("Chief ") for id_ in executives)
    for department in rows["department"]:
        heads = [
            id_
            for id_, row in employees.items()
            if row["department_id"] == department["id"] and manager.get(id_) in executives
        ]
        assert len(heads) == 1, department["name"]
    for id_ in employees:
        chain = [id_]
        while chain[-1] in manager:
            chain.append(manager[chain[-1]])
            assert len(chain) <= 5, f"cycle or deep chain from {id_}"
        assert chain[-1] in executives


def test_employees_have_believable_names_emails_and_titles() -> None:
    employees = generated("small")["employee"]
    emails = [str(row["email"]) for row in employees]
    assert len(set(emails)) == len(emails)
    assert all(email.endswith("@brightwater.example") and " " not in email for email in emails)
    assert all(len(str(row["name"]).split()) >= 2 for row in employees)
    assert len({row["title"] for row in employees}) >= 20


def test_customers_fill_tiers_with_consistent_lifetime_value_and_sales_owners() -> None:
    rows = generated("small")
    customers = rows["customer"]
    tiers = Counter(row["tier"] for row in customers)
    assert 0 < tiers[Tier.PLATINUM.value] < tiers[Tier.GOLD.value] < tiers[Tier.SILVER.value] < tiers[Tier.BRONZE.value]
    value_ranges = {
        tier.value: [float(str(row["lifetime_value"])) for row in customers if row["tier"] == tier.value]
        for tier in Tier
    }
    order = [Tier.BRONZE.value, Tier.SILVER.value, Tier.GOLD.value, Tier.PLATINUM.value]
    for lower, higher in pairwise(order):
        assert max(value_ranges[lower]) <= min(value_ranges[higher])
    owners = [row["owner_id"] for row in customers]
    unowned = owners.count(None)
    assert 0 < unowned < len(customers) / 2
    functions = function_of(rows)
    assert {functions[str(owner)] for owner in owners if owner is not None} == {Function.SALES.value}
    since = [timestamp(row["since"]) for row in customers]
    assert since == sorted(since)
    assert min(since) < DEMO_NOW - timedelta(days=5 * 365)


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_orders_have_distinct_lines_that_add_up_to_the_total(preset: str) -> None:
    rows = generated(preset)
    lines = defaultdict(list)
    for line in rows["order_line"]:
        lines[line["order_id"]].append(line)
    for order in rows["order"]:
        items = lines[order["id"]]
        assert 1 <= len(items) <= 4
        assert len({item["product_id"] for item in items}) == len(items)
        total = sum(int(str(item["quantity"])) * float(str(item["price"])) for item in items)
        assert order["total"] == round(total, 2)
    currencies = Counter(order["currency"] for order in rows["order"])
    assert currencies["EUR"] + currencies["USD"] > 0.7 * len(rows["order"])


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_order_steps_match_the_status_in_time_order_by_the_right_function(preset: str) -> None:
    rows = generated(preset)
    functions = function_of(rows)
    steps = defaultdict(list)
    for step in rows["order_step"]:
        steps[step["order_id"]].append(step)
    for order in rows["order"]:
        chain = steps[order["id"]]
        assert [step["step"] for step in chain] == STEPS_BY_STATUS[str(order["status"])], order["id"]
        times = [timestamp(order["placed_at"])] + [timestamp(step["at"]) for step in chain]
        assert all(earlier < later for earlier, later in pairwise(times)), order["id"]
        assert times[-1] <= DEMO_NOW
        for step in chain:
            assert functions[str(step["employee_id"])] == STEP_FUNCTION[str(step["step"])]
    recent = DEMO_NOW - timedelta(days=3 * 365 + 2)
    assert all(timestamp(order["placed_at"]) >= recent for order in rows["order"])


def test_old_orders_are_mostly_invoiced_and_recent_ones_in_earlier_states() -> None:
    orders = generated("small")["order"]
    month_ago = DEMO_NOW - timedelta(days=30)
    old = Counter(order["status"] for order in orders if timestamp(order["placed_at"]) < month_ago)
    recent = Counter(
        order["status"] for order in orders if timestamp(order["placed_at"]) >= DEMO_NOW - timedelta(days=7)
    )
    assert old[OrderStatus.INVOICED.value] > 0.9 * sum(old.values())
    assert recent[OrderStatus.INVOICED.value] < 0.5 * sum(recent.values())
    assert {OrderStatus.PLACED.value, OrderStatus.IN_PRODUCTION.value} <= set(recent)


def test_higher_tiers_order_more_each() -> None:
    rows = generated("small")
    tier = {row["id"]: row["tier"] for row in rows["customer"]}
    orders = Counter(tier[order["customer_id"]] for order in rows["order"])
    customers = Counter(tier.values())
    per_customer = [orders[t.value] / customers[t.value] for t in Tier]
    assert per_customer == sorted(per_customer, reverse=True)


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_hand_off_chains_start_at_service_and_pass_on_in_time_order(preset: str) -> None:
    rows = generated(preset)
    functions = function_of(rows)
    chains = defaultdict(list)
    for hand_off in rows["hand_off"]:
        chains[hand_off["ticket_id"]].append(hand_off)
    for ticket in rows["ticket"]:
        chain = chains[ticket["id"]]
        assert chain, ticket["id"]
        first = chain[0]
        assert first["by_id"] is None
        assert "triage" in str(first["reason"])
        assert functions[str(first["employee_id"])] == Function.SERVICE.value
        assert timestamp(first["at"]) > timestamp(ticket["opened_at"])
        for previous, current in pairwise(chain):
            assert current["by_id"] == previous["employee_id"]
            assert current["employee_id"] != previous["employee_id"]
            assert timestamp(current["at"]) > timestamp(previous["at"])
        assert timestamp(chain[-1]["at"]) <= DEMO_NOW
        if ticket["status"] in {status.value for status in OPEN_TICKET_STATUSES}:
            assert ticket["closed_at"] is None
        else:
            assert timestamp(ticket["closed_at"]) > timestamp(chain[-1]["at"])
            assert timestamp(ticket["closed_at"]) <= DEMO_NOW


def test_tickets_travel_across_departments_about_three_hand_offs_each() -> None:
    rows = generated("small")
    functions = function_of(rows)
    assert 2.5 <= len(rows["hand_off"]) / len(rows["ticket"]) <= 3.5
    reached = {functions[str(hand_off["employee_id"])] for hand_off in rows["hand_off"]}
    assert {"SERVICE", "ENGINEERING", "FINANCE", "WAREHOUSE"} <= reached
    waits = sorted(
        (timestamp(later["at"]) - timestamp(earlier["at"])).total_seconds()
        for earlier, later in pairwise(rows["hand_off"])
        if later["by_id"] is not None
    )
    assert waits[0] < 3600 and waits[-1] > 3 * 86400


def test_some_open_tickets_are_stuck_for_weeks_including_high_tier_ones() -> None:
    rows = generated("small")
    tier = {row["id"]: row["tier"] for row in rows["customer"]}
    last_hand_off = {hand_off["ticket_id"]: timestamp(hand_off["at"]) for hand_off in rows["hand_off"]}
    two_weeks_ago = DEMO_NOW - timedelta(days=14)
    stuck = [
        ticket
        for ticket in rows["ticket"]
        if ticket["status"] in {status.value for status in OPEN_TICKET_STATUSES}
        and timestamp(ticket["opened_at"]) < two_weeks_ago
        and last_hand_off[ticket["id"]] < two_weeks_ago
    ]
    assert stuck
    assert {tier[ticket["customer_id"]] for ticket in stuck} & {Tier.PLATINUM.value, Tier.GOLD.value}
    statuses = Counter(ticket["status"] for ticket in rows["ticket"])
    assert statuses[TicketStatus.CLOSED.value] > len(rows["ticket"]) / 2


def test_interactions_use_every_channel_and_reach_every_function() -> None:
    rows = generated("small")
    functions = function_of(rows)
    interactions = rows["interaction"]
    assert {row["channel"] for row in interactions} == {channel.value for channel in Channel}
    reached = Counter(functions[str(row["employee_id"])] for row in interactions)
    assert set(reached) == {function.value for function in Function}
    assert reached["SERVICE"] > reached["HR"] and reached["SALES"] > reached["MANUFACTURING"]
    summaries = {(row["channel"], row["summary"]) for row in interactions}
    assert len(summaries) > 200
    assert all(str(summary).startswith("Call") for channel, summary in summaries if channel == "PHONE")


def test_interactions_fall_within_the_customer_lifetime() -> None:
    rows = generated("small")
    since = {row["id"]: timestamp(row["since"]) for row in rows["customer"]}
    for row in rows["interaction"]:
        assert since[row["customer_id"]] <= timestamp(row["at"]) <= DEMO_NOW
    for row in rows["order"]:
        assert since[row["customer_id"]] <= timestamp(row["placed_at"])
    for row in rows["ticket"]:
        assert since[row["customer_id"]] <= timestamp(row["opened_at"])


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_all_times_are_utc_and_not_after_now(preset: str) -> None:
    times = 0
    for rows in generated(preset).values():
        for row in rows:
            for value in row.values():
                if isinstance(value, datetime):
                    assert value.tzinfo is UTC
                    assert value <= DEMO_NOW
                    times += 1
    assert times > 0


def test_identities_follow_the_documented_key_scheme() -> None:
    rows = generated("small")
    customer_systems = defaultdict(set)
    for row in rows["customer_identity"]:
        assert row["key"] == identity_key(SourceSystem(row["system"]), str(row["owner_id"]))
        customer_systems[row["owner_id"]].add(row["system"])
    assert all({"CRM", "ERP"} <= customer_systems[row["id"]] for row in rows["customer"])
    assert identity_key(SourceSystem.CRM, "C000042") == "CRM-000042"
    assert identity_key(SourceSystem.ERP, "C000042") == "K000042"
    assert identity_key(SourceSystem.HR, "E00042") == "HR00042"
    functions = function_of(rows)
    employee_systems = defaultdict(set)
    for row in rows["employee_identity"]:
        assert row["key"] == identity_key(SourceSystem(row["system"]), str(row["owner_id"]))
        employee_systems[row["owner_id"]].add(row["system"])
    for id_, function in functions.items():
        assert employee_systems[id_] == ({"HR", "HELPDESK"} if function == "SERVICE" else {"HR"})
    keys = [(row["system"], row["key"]) for kind in ("customer_identity", "employee_identity") for row in rows[kind]]
    assert len(set(keys)) == len(keys)


def test_bench_preset_counts_are_as_promised_without_generating_rows() -> None:
    company = DemoCompany(PRESETS["bench"])
    assert company.count("customer") == 100_000
    assert company.count("order") == 500_000
    assert company.count("employee") == 2_000
    assert company.count("interaction") == 1_000_000
    assert company.count("ticket") == 50_000
    assert company.count("department") == 40
    assert 2.8 <= company.count("hand_off") / 50_000 <= 3.3
    assert 1 < company.count("order_line") / 500_000 <= 4


def test_unknown_kinds_and_impossible_presets_are_refused() -> None:
    company = DemoCompany(PRESETS["tiny"])
    with pytest.raises(ValueError, match="unknown row kind"):
        company.rows("invoice")
    with pytest.raises(ValueError, match="unknown row kind"):
        company.count("invoice")
    too_small = Preset(
        "broken", customers=5, orders=5, employees=10, interactions=5, tickets=5, products=5, departments=8
    )
    with pytest.raises(ValueError, match="too few employees"):
        DemoCompany(too_small)


def _as_loaded(row: dict[str, object]) -> dict[str, object]:
    """The row as the loader sends it: times as [epoch seconds, nanoseconds], the rest unchanged."""
    return {key: _epoch_pair(value) if isinstance(value, datetime) else value for key, value in row.items()}


def _epoch_pair(value: datetime) -> list[int]:
    return [calendar.timegm(value.utctimetuple()), value.microsecond * 1000]
