"""DEMO system, not part of the product: the demo ERP's tables and the views sources read.

The tables are what an ERP keeps (customers under ERP keys, stock per product, orders, lines,
shipments, invoices); the views are the stable read models the ``erp`` sources are
configured against, so the tables can change without touching ``sources.toml``. Every view
goes through the test controls of ``demo_control`` (see ``demo_systems.erp``).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, Numeric, String, Table

METADATA = MetaData()


def _money(name: str) -> Column[object]:
    return Column(name, Numeric(14, 2), nullable=False)


def _time(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


CUSTOMER = Table(
    "erp_customer",
    METADATA,
    Column("erp_key", String(16), primary_key=True),
    Column("customer_id", String(16), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("payment_terms_days", Integer, nullable=False),
)
PRODUCT = Table(
    "erp_product",
    METADATA,
    Column("product_id", String(16), primary_key=True),
    Column("sku", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("warehouse", String(32), nullable=False),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("reorder_point", Integer, nullable=False),
)
ORDER = Table(
    "erp_order",
    METADATA,
    Column("order_id", String(16), primary_key=True),
    Column("erp_customer_key", String(16), ForeignKey("erp_customer.erp_key"), nullable=False, index=True),
    _time("placed_at"),
    Column("status", String(16), nullable=False),
    _money("total"),
    Column("currency", String(3), nullable=False),
)
ORDER_LINE = Table(
    "erp_order_line",
    METADATA,
    Column("line_id", String(24), primary_key=True),
    Column("order_id", String(16), ForeignKey("erp_order.order_id"), nullable=False, index=True),
    Column("product_id", String(16), ForeignKey("erp_product.product_id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    _money("price"),
)
SHIPMENT = Table(
    "erp_shipment",
    METADATA,
    Column("shipment_id", String(16), primary_key=True),
    Column("order_id", String(16), ForeignKey("erp_order.order_id"), nullable=False, unique=True),
    Column("carrier", String(32), nullable=False),
    Column("tracking_no", String(32), nullable=False),
    _time("shipped_at"),
    _time("eta"),
    _time("delivered_at", nullable=True),
)
INVOICE = Table(
    "erp_invoice",
    METADATA,
    Column("invoice_no", String(16), primary_key=True),
    Column("order_id", String(16), ForeignKey("erp_order.order_id"), nullable=False, unique=True),
    _money("amount"),
    Column("currency", String(3), nullable=False),
    _time("issued_at"),
    _time("due_at"),
    _time("paid_at", nullable=True),
    Column("payment_state", String(16), nullable=False),
)
CONTROL = Table(
    "demo_control",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("latency_ms", Integer, nullable=False),
    Column("fail", String(16), nullable=True),
)
META = Table("demo_meta", METADATA, Column("key", String(32), primary_key=True), Column("value", String(64)))

# In insert order (parents first), matching ErpRows' fields.
TABLES = (CUSTOMER, PRODUCT, ORDER, ORDER_LINE, SHIPMENT, INVOICE)

VIEW_NAMES = (
    "erp_order_status",
    "erp_stock",
    "erp_order_export",
    "erp_order_line_export",
    "erp_customer_identity_export",
    "erp_customer_account",
)

GATE_FUNCTION = """
CREATE OR REPLACE FUNCTION demo_gate() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
  wait integer;
  mode text;
BEGIN
  SELECT latency_ms, fail INTO wait, mode FROM demo_control WHERE id = 1;
  IF mode = 'down' THEN
    RAISE EXCEPTION 'demo ERP is down (test control)';
  END IF;
  IF wait > 0 THEN
    PERFORM pg_sleep(wait / 1000.0);
  END IF;
  RETURN true;
END
$$
"""

ORDER_STATUS_VIEW = """
CREATE VIEW erp_order_status AS
SELECT o.order_id,
       CASE WHEN c.fail = 'malformed' THEN NULL ELSE o.status END AS status,
       o.placed_at, o.total, o.currency,
       s.carrier, s.tracking_no, s.shipped_at, s.eta, s.delivered_at,
       i.invoice_no, i.amount AS invoice_amount, i.issued_at AS invoiced_at, i.due_at, i.paid_at,
       i.payment_state
FROM erp_order o
JOIN demo_control c ON c.id = 1
LEFT JOIN erp_shipment s ON s.order_id = o.order_id
LEFT JOIN erp_invoice i ON i.order_id = o.order_id
"""

STOCK_VIEW = """
CREATE VIEW erp_stock AS
SELECT p.product_id, p.sku, p.name, p.warehouse, p.on_hand, p.reserved,
       CASE WHEN c.fail = 'malformed' THEN NULL ELSE p.on_hand - p.reserved END AS available,
       p.reorder_point
FROM erp_product p
JOIN demo_control c ON c.id = 1
"""

ORDER_EXPORT_VIEW = """
CREATE VIEW erp_order_export AS
SELECT o.order_id AS id, k.customer_id, o.placed_at, o.status, o.total, o.currency
FROM erp_order o
JOIN erp_customer k ON k.erp_key = o.erp_customer_key
"""

ORDER_LINE_EXPORT_VIEW = """
CREATE VIEW erp_order_line_export AS
SELECT l.line_id, l.order_id, l.product_id, l.quantity, l.price
FROM erp_order_line l
"""

CUSTOMER_IDENTITY_EXPORT_VIEW = """
CREATE VIEW erp_customer_identity_export AS
SELECT k.erp_key, k.customer_id
FROM erp_customer k
"""

# A customer's account as the ERP keeps it, by ERP key: unpaid and overdue invoices, and the
# last order. Scalar subqueries on indexed columns, so a lookup of a few keys stays cheap.
CUSTOMER_ACCOUNT_VIEW = """
CREATE VIEW erp_customer_account AS
SELECT k.erp_key, k.customer_id, k.payment_terms_days,
       (SELECT o.currency FROM erp_order o WHERE o.erp_customer_key = k.erp_key
          ORDER BY o.placed_at DESC, o.order_id DESC LIMIT 1) AS currency,
       CASE WHEN c.fail = 'malformed' THEN NULL ELSE
         (SELECT count(*) FROM erp_invoice i JOIN erp_order o ON o.order_id = i.order_id
            WHERE o.erp_customer_key = k.erp_key AND i.paid_at IS NULL) END AS open_invoices,
       (SELECT coalesce(sum(i.amount), 0) FROM erp_invoice i JOIN erp_order o ON o.order_id = i.order_id
          WHERE o.erp_customer_key = k.erp_key AND i.paid_at IS NULL) AS open_balance,
       (SELECT count(*) FROM erp_invoice i JOIN erp_order o ON o.order_id = i.order_id
          WHERE o.erp_customer_key = k.erp_key AND i.payment_state = 'OVERDUE') AS overdue_invoices,
       (SELECT coalesce(sum(i.amount), 0) FROM erp_invoice i JOIN erp_order o ON o.order_id = i.order_id
          WHERE o.erp_customer_key = k.erp_key AND i.payment_state = 'OVERDUE') AS overdue_balance,
       (SELECT count(*) FROM erp_order o WHERE o.erp_customer_key = k.erp_key) AS orders,
       (SELECT o.order_id FROM erp_order o WHERE o.erp_customer_key = k.erp_key
          ORDER BY o.placed_at DESC, o.order_id DESC LIMIT 1) AS last_order_id,
       (SELECT o.status FROM erp_order o WHERE o.erp_customer_key = k.erp_key
          ORDER BY o.placed_at DESC, o.order_id DESC LIMIT 1) AS last_order_status,
       (SELECT o.placed_at FROM erp_order o WHERE o.erp_customer_key = k.erp_key
          ORDER BY o.placed_at DESC, o.order_id DESC LIMIT 1) AS last_order_at
FROM erp_customer k
JOIN demo_control c ON c.id = 1
"""

VIEWS = (
    ORDER_STATUS_VIEW,
    STOCK_VIEW,
    ORDER_EXPORT_VIEW,
    ORDER_LINE_EXPORT_VIEW,
    CUSTOMER_IDENTITY_EXPORT_VIEW,
    CUSTOMER_ACCOUNT_VIEW,
)


def views(*, postgres: bool) -> list[str]:
    """The DDL of the views; on PostgreSQL each read also passes the latency/down gate."""
    if not postgres:
        return list(VIEWS)
    # A condition without columns is a one-time filter: the gate runs once per statement.
    gated = [view.rstrip() + ("\nAND demo_gate()" if "\nWHERE " in view else "\nWHERE demo_gate()") for view in VIEWS]
    return [GATE_FUNCTION, *gated]
