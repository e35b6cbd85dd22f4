"""Constraints and indexes of the customer graph, applied idempotently at start-up.

Every label has a uniqueness constraint on ``id`` (which also gives the lookup index every
batched read and every loader ``MERGE`` uses). The other indexes serve the list filters and
sorts of the API and the time-ordered trace queries.
"""

from __future__ import annotations

from typing import LiteralString

from neo4j import AsyncDriver

from graph.explore_queries import CREATE_SEARCH_INDEX
from graph.neo4j_errors import translated

LABELS: tuple[LiteralString, ...] = (
    "Customer",
    "Order",
    "Product",
    "Employee",
    "Department",
    "Interaction",
    "Ticket",
    "ExternalId",
)

CONSTRAINTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (n:Customer) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT order_id IF NOT EXISTS FOR (n:Order) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT product_id IF NOT EXISTS FOR (n:Product) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT employee_id IF NOT EXISTS FOR (n:Employee) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT department_id IF NOT EXISTS FOR (n:Department) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT interaction_id IF NOT EXISTS FOR (n:Interaction) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT ticket_id IF NOT EXISTS FOR (n:Ticket) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT external_id_id IF NOT EXISTS FOR (n:ExternalId) REQUIRE n.id IS UNIQUE",
    # A mutation's idempotency key writes once (graph.writes); an outbox item is delivered by id.
    "CREATE CONSTRAINT mutation_receipt_key IF NOT EXISTS FOR (n:MutationReceipt) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT outbox_item_id IF NOT EXISTS FOR (n:OutboxItem) REQUIRE n.id IS UNIQUE",
    # The event log, read by its sequence number (graph.events).
    "CREATE CONSTRAINT graph_event_seq IF NOT EXISTS FOR (n:GraphEvent) REQUIRE n.seq IS UNIQUE",
    # A service-level crossing is logged once (graph.events.LOG_CROSSINGS); other events have no key.
    "CREATE CONSTRAINT graph_event_key IF NOT EXISTS FOR (n:GraphEvent) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT event_sequence_name IF NOT EXISTS FOR (n:EventSequence) REQUIRE n.name IS UNIQUE",
)

INDEXES: tuple[LiteralString, ...] = (
    "CREATE INDEX customer_name IF NOT EXISTS FOR (n:Customer) ON (n.name)",
    "CREATE INDEX customer_email IF NOT EXISTS FOR (n:Customer) ON (n.email)",
    "CREATE INDEX customer_tier IF NOT EXISTS FOR (n:Customer) ON (n.tier)",
    "CREATE INDEX customer_since IF NOT EXISTS FOR (n:Customer) ON (n.since)",
    "CREATE INDEX order_placed_at IF NOT EXISTS FOR (n:Order) ON (n.placed_at)",
    "CREATE INDEX order_status IF NOT EXISTS FOR (n:Order) ON (n.status)",
    "CREATE INDEX product_sku IF NOT EXISTS FOR (n:Product) ON (n.sku)",
    "CREATE INDEX product_category IF NOT EXISTS FOR (n:Product) ON (n.category)",
    "CREATE INDEX employee_name IF NOT EXISTS FOR (n:Employee) ON (n.name)",
    "CREATE INDEX employee_email IF NOT EXISTS FOR (n:Employee) ON (n.email)",
    "CREATE INDEX department_function IF NOT EXISTS FOR (n:Department) ON (n.function)",
    "CREATE INDEX interaction_at IF NOT EXISTS FOR (n:Interaction) ON (n.at)",
    "CREATE INDEX interaction_channel IF NOT EXISTS FOR (n:Interaction) ON (n.channel)",
    "CREATE INDEX ticket_status IF NOT EXISTS FOR (n:Ticket) ON (n.status)",
    "CREATE INDEX ticket_opened_at IF NOT EXISTS FOR (n:Ticket) ON (n.opened_at)",
    # Service levels as of a past moment: tickets closed after it were still open then.
    "CREATE INDEX ticket_closed_at IF NOT EXISTS FOR (n:Ticket) ON (n.closed_at)",
    "CREATE INDEX ticket_priority IF NOT EXISTS FOR (n:Ticket) ON (n.priority)",
    # The delivery worker looks for pending items; a ticket's delivery state reads its items.
    "CREATE INDEX outbox_item_state IF NOT EXISTS FOR (n:OutboxItem) ON (n.state)",
    "CREATE INDEX outbox_item_ticket IF NOT EXISTS FOR (n:OutboxItem) ON (n.ticket_id)",
    "CREATE INDEX graph_event_at IF NOT EXISTS FOR (n:GraphEvent) ON (n.at)",
    # A department's customers in the order of a list's sort (graph.serves): a caller whose rows
    # are the customers their department serves gets a page read from here in order.
    "CREATE INDEX serves_by_name IF NOT EXISTS FOR ()-[s:SERVES]-() ON (s.scope, s.name, s.cid)",
    "CREATE INDEX serves_by_since IF NOT EXISTS FOR ()-[s:SERVES]-() ON (s.scope, s.since, s.cid)",
    "CREATE INDEX serves_by_id IF NOT EXISTS FOR ()-[s:SERVES]-() ON (s.scope, s.cid)",
    # The explorer's search by words of a name, a subject or an id (graph.explore_queries).
    CREATE_SEARCH_INDEX,
)

# Indexes earlier versions made that no query can use: the name filters compare
# ``toLower(n.name)``, which a text index on ``n.name`` does not serve, and every loaded
# customer paid for an entry in them.
RETIRED: tuple[LiteralString, ...] = (
    "DROP INDEX customer_name_text IF EXISTS",
    "DROP INDEX employee_name_text IF EXISTS",
)

AWAIT_INDEXES: LiteralString = "CALL db.awaitIndexes(300)"


async def apply_schema(driver: AsyncDriver, database: str) -> None:
    """Create every constraint and index that is missing, drop retired ones, wait until all are online."""
    async with translated():
        for statement in (*CONSTRAINTS, *INDEXES, *RETIRED, AWAIT_INDEXES):
            await driver.execute_query(statement, database_=database)
