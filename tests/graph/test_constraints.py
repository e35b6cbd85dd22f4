"""The schema is applied at every start: it must converge on the model from any earlier state."""

from __future__ import annotations

from neo4j import AsyncDriver

from graph import constraints

DATABASE = "neo4j"


async def index_names(driver: AsyncDriver) -> set[str]:
    records, _, _ = await driver.execute_query("SHOW INDEXES YIELD name RETURN name", database_=DATABASE)
    return {record["name"] for record in records}


async def test_applying_the_schema_again_changes_nothing(driver: AsyncDriver) -> None:
    await constraints.apply_schema(driver, DATABASE)
    before = await index_names(driver)

    await constraints.apply_schema(driver, DATABASE)

    assert await index_names(driver) == before
    assert {"customer_id", "interaction_id", "customer_email", "interaction_at"} <= before


async def test_indexes_no_query_uses_are_dropped_from_databases_that_have_them(driver: AsyncDriver) -> None:
    await driver.execute_query(
        "CREATE TEXT INDEX customer_name_text IF NOT EXISTS FOR (n:Customer) ON (n.name)", database_=DATABASE
    )
    assert "customer_name_text" in await index_names(driver)

    await constraints.apply_schema(driver, DATABASE)

    assert "customer_name_text" not in await index_names(driver)
