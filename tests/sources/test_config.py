from __future__ import annotations

from pathlib import Path

import pytest

from server.sources_config import DEFAULT_SOURCES_FILE, SourceRegistry
from sources.config import GraphqlSourceConfig, HttpSourceConfig, SourceConfigError, SqlSourceConfig, load_sources
from sources.interpolation import InterpolationError, interpolate

HTTP_SOURCE = """
[sources.tickets]
kind = "http"
base_url = "${TICKETS_URL:-http://127.0.0.1:9}"
headers = { Authorization = "Bearer ${TICKETS_TOKEN}" }
entity = "Ticket"
lookup = { path = "/tickets", items = "tickets", key_field = "id" }
fields = { status = "status", updated_at = { path = "meta.updated", type = "datetime", optional = true } }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return path


def test_the_shipped_configuration_declares_every_demo_source() -> None:
    config = load_sources(DEFAULT_SOURCES_FILE, {})
    kinds = {name: type(entry) for name, entry in config.sources.items()}
    assert kinds == {
        "erp_orders": SqlSourceConfig,
        "erp_stock": SqlSourceConfig,
        "erp_accounts": SqlSourceConfig,
        "helpdesk": HttpSourceConfig,
        "helpdesk_customers": HttpSourceConfig,
        "hr": HttpSourceConfig,
        "crm": GraphqlSourceConfig,
    }
    erp = config.sources["erp_orders"]
    assert isinstance(erp, SqlSourceConfig)
    assert erp.dsn == f"sqlite+aiosqlite:///{DEFAULT_SOURCES_FILE.parent}/.local/demo_systems/erp.sqlite"
    assert (erp.entity, erp.key) == ("Order", "id")
    assert (config.sources["crm"].entity, config.sources["crm"].key) == ("Customer", "CRM")
    assert (config.sources["hr"].entity, config.sources["hr"].key) == ("Employee", "HR")


def test_the_registry_builds_and_finds_sources_by_what_they_serve() -> None:
    registry = SourceRegistry.from_file(DEFAULT_SOURCES_FILE, {"CG_CRM_TOKEN": "secret"})
    assert registry.names == ["erp_orders", "erp_stock", "erp_accounts", "helpdesk", "helpdesk_customers", "hr", "crm"]
    assert [source.name for source in registry.serving("Customer", "CRM")] == ["crm"]
    assert [source.name for source in registry.serving("Customer", "ERP")] == ["erp_accounts"]
    assert [source.name for source in registry.serving("Customer", "HELPDESK")] == ["helpdesk_customers"]
    assert [source.name for source in registry.serving("Order")] == ["erp_orders"]
    assert "erp_stock" not in [source.name for source in registry.exporting()]
    with pytest.raises(KeyError, match="no source 'billing'"):
        registry["billing"]


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    config = load_sources(write(tmp_path, HTTP_SOURCE), {"TICKETS_TOKEN": "s3cret"})
    tickets = config.sources["tickets"]
    assert isinstance(tickets, HttpSourceConfig)
    assert tickets.headers == {"Authorization": "Bearer s3cret"}
    assert tickets.base_url == "http://127.0.0.1:9"


def test_a_missing_secret_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="TICKETS_TOKEN is not set"):
        load_sources(write(tmp_path, HTTP_SOURCE), {})


@pytest.mark.parametrize(
    ("text", "variables", "result"),
    [
        ("${A}", {"A": "1"}, "1"),
        ("x${A:-d}y", {}, "xdy"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A:-${B}/db}", {"B": "/srv"}, "/srv/db"),
        ("cost $$5 and $x", {}, "cost $5 and $x"),
    ],
)
def test_interpolation(text: str, variables: dict[str, str], result: str) -> None:
    assert interpolate(text, variables) == result


@pytest.mark.parametrize("text", ["${A", "${A:-x", "${1}", "${A-x}"])
def test_bad_references_are_errors(text: str) -> None:
    with pytest.raises(InterpolationError):
        interpolate(text, {"A": "1"})


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('kind = "http"', 'kind = "ftp"'), "kind"),
        (('entity = "Ticket"', 'entity = "Invoice"'), "entity"),
        (('path = "/tickets"', 'path = "tickets"'), "path"),
        (("fields = {", "unknown_option = 1\nfields = {"), "unknown_option"),
        (('type = "datetime"', 'type = "timestamp"'), "type"),
    ],
)
def test_invalid_configurations_are_refused_with_the_reason(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    with pytest.raises(SourceConfigError, match=complaint):
        load_sources(write(tmp_path, HTTP_SOURCE.replace(*change)), {"TICKETS_TOKEN": "t"})


def test_sql_names_must_be_identifiers(tmp_path: Path) -> None:
    text = """
[sources.erp]
kind = "sql"
dsn = "sqlite+aiosqlite:///erp.sqlite"
entity = "Order"
lookup = { table = "orders; DROP TABLE orders", key_column = "id" }
fields = { status = "status" }
"""
    with pytest.raises(SourceConfigError, match="table"):
        load_sources(write(tmp_path, text), {})
    column = text.replace("orders; DROP TABLE orders", "orders").replace('status = "status"', 'status = "a b"')
    with pytest.raises(SourceConfigError, match="not a column name"):
        SourceRegistry.from_file(write(tmp_path, column), {})


def test_a_graphql_lookup_must_be_a_query(tmp_path: Path) -> None:
    text = """
[sources.crm]
kind = "graphql"
url = "http://127.0.0.1:9/graphql"
entity = "Customer"
key = "CRM"
lookup = { query = "mutation($keys: [ID!]!) { wipe(keys: $keys) { key } }", items = "wipe", key_field = "key" }
fields = { key = "key" }
"""
    with pytest.raises(SourceConfigError, match="must be a query"):
        SourceRegistry.from_file(write(tmp_path, text), {})


def test_an_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="cannot read"):
        load_sources(tmp_path / "missing.toml", {})
    with pytest.raises(SourceConfigError, match="not valid TOML"):
        load_sources(write(tmp_path, "[sources\n"), {})
