from resolvers.schema import export_sdl
from server.settings import PROJECT_ROOT


def test_committed_schema_graphql_matches_the_served_schema() -> None:
    committed = (PROJECT_ROOT / "schema.graphql").read_text()

    assert committed == export_sdl(), "schema.graphql drifted: run `python -m server export-schema`"
