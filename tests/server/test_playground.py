"""The offline GraphiQL playground: a page that loads only local bundles, and the route that serves them.

These tests need the bundles installed (``scripts/install_playground.sh``, which CI runs before
the tests); without them they fail with that instruction rather than skip.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server.playground import (
    ASSETS,
    ASSETS_DIR,
    INSTALL_HINT,
    missing_assets,
    playground_html,
    playground_installed,
    playground_routes,
)
from server.playground_examples import EXAMPLE_QUERIES

PLAYGROUND_DIR = Path(__file__).resolve().parents[2] / "server" / "playground"
ENDPOINT = "/graphql"


class _PageReferences(HTMLParser):
    """Collects what a page loads: script sources, stylesheet links and the embedded config."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.config_text: str | None = None
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(str(attributes["src"]))
        if tag == "link" and attributes.get("href"):
            self.urls.append(str(attributes["href"]))
        self._in_config = tag == "script" and attributes.get("id") == "playground-config"

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config_text = (self.config_text or "") + data

    def handle_endtag(self, tag: str) -> None:
        self._in_config = False


def _references(page: str) -> _PageReferences:
    parser = _PageReferences()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture
async def playground() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a tiny app: the playground page at / and the asset routes."""
    if not playground_installed():
        pytest.fail(f"{INSTALL_HINT} ({'; '.join(missing_assets())})", pytrace=False)

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(playground_html(ENDPOINT, EXAMPLE_QUERIES))

    app = Starlette(routes=[Route("/", page), *playground_routes()])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


def test_bundles_are_installed_at_the_pinned_versions() -> None:
    assert playground_installed(), f"{INSTALL_HINT} ({'; '.join(missing_assets())})"


def test_served_versions_are_the_ones_package_json_pins() -> None:
    pinned = json.loads((PLAYGROUND_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"]
    locked = json.loads((PLAYGROUND_DIR / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    for asset in ASSETS.values():
        assert pinned[asset.package] == asset.version, asset.name
        assert locked[f"node_modules/{asset.package}"]["version"] == asset.version, asset.name
        assert asset.path.is_relative_to(ASSETS_DIR)


async def test_page_loads_only_local_assets(playground: httpx.AsyncClient) -> None:
    page = (await playground.get("/")).text

    urls = _references(page).urls

    assert "http://" not in page
    assert "https://" not in page
    assert sorted(urls) == sorted(asset.url for asset in ASSETS.values())
    assert all(url.startswith("/playground/assets/") for url in urls)


async def test_every_referenced_asset_is_served_with_its_type_and_a_long_cache(playground: httpx.AsyncClient) -> None:
    urls = _references((await playground.get("/")).text).urls

    for url in urls:
        asset = ASSETS[url.rsplit("/", 1)[1]]
        response = await playground.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(asset.media_type), url
        assert len(response.content) == asset.path.stat().st_size > 1000, url
        assert "max-age=31536000" in response.headers["cache-control"], url
        assert "immutable" in response.headers["cache-control"], url


async def test_scripts_are_served_in_the_order_their_globals_need(playground: httpx.AsyncClient) -> None:
    scripts = [url for url in _references((await playground.get("/")).text).urls if url.endswith(".js")]

    names = [url.rsplit("/", 1)[1] for url in scripts]

    assert [name.split("-")[0] for name in names] == ["react", "react", "graphiql", "plugin"]
    assert names[1].startswith("react-dom")


@pytest.mark.parametrize(
    "path",
    [
        "/playground/assets/package.json",
        "/playground/assets/react.production.min.js",
        "/playground/assets/react/umd/react.production.min.js",
        "/playground/assets/..%2F..%2Fplayground.py",
        "/playground/assets/",
    ],
)
async def test_names_outside_the_allow_list_are_not_found(playground: httpx.AsyncClient, path: str) -> None:
    assert (await playground.get(path)).status_code == 404


async def test_examples_open_as_tabs_against_the_endpoint(playground: httpx.AsyncClient) -> None:
    config_text = _references((await playground.get("/")).text).config_text
    assert config_text is not None

    config = json.loads(config_text)

    assert config["endpoint"] == ENDPOINT
    assert [tab["query"] for tab in config["tabs"]] == [f"# {name}\n{query}" for name, query in EXAMPLE_QUERIES]


def test_injected_values_cannot_close_the_script_element() -> None:
    hostile = "</script><script>alert(1)</script><!--"

    page = playground_html(f"/graphql?{hostile}", [(hostile, f"{{ __typename }} # {hostile}")])

    assert "alert(1)</script>" not in page
    assert "<!--" not in page
    config = json.loads(_references(page).config_text or "")
    assert config["endpoint"] == f"/graphql?{hostile}"
    assert config["tabs"] == [{"query": f"# {hostile}\n{{ __typename }} # {hostile}"}]


def test_examples_are_named_operations_that_the_schema_accepts() -> None:
    schema = graphql_schema(build_schema())

    names: list[str] = []
    for label, query in EXAMPLE_QUERIES:
        document = parse(query)
        assert validate(schema, document) == [], label
        operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
        assert len(operations) == 1, label
        assert operations[0].name is not None, f"{label}: GraphiQL titles the tab by the operation name"
        names.append(operations[0].name.value)

    assert 4 <= len(names) <= 7
    assert len(set(names)) == len(names)
