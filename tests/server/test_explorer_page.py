"""The explorer's page and the route that serves its files (the browser tests drive the page itself).

These tests need the drawing libraries installed (``scripts/install_explorer.sh``, run by
``make setup``); without them they fail with that instruction rather than skip.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from server.explorer import ASSETS, LIBRARIES, explorer_html, explorer_routes, missing_libraries

EXPLORER_DIR = Path(__file__).resolve().parents[2] / "server" / "explorer"


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.config = ""
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(str(attributes["src"]))
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.urls.append(str(attributes["href"]))
        self._in_config = tag == "script" and attributes.get("id") == "explorer-config"

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config += data

    def handle_endtag(self, tag: str) -> None:
        self._in_config = False


def _app(identities: list[dict[str, str]]) -> Starlette:
    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(explorer_html("/graphql", identities))

    return Starlette(routes=[Route("/explore", page), *explorer_routes()])


def test_the_libraries_are_installed_at_the_pinned_versions() -> None:
    assert missing_libraries() == [], "run scripts/install_explorer.sh"
    pinned = json.loads((EXPLORER_DIR / "package.json").read_text())["dependencies"]
    lock = json.loads((EXPLORER_DIR / "package-lock.json").read_text())["packages"]
    for asset in LIBRARIES:
        package = asset.name.removesuffix(f"-{asset.version}.js")
        assert lock[f"node_modules/{package}"]["version"] == asset.version
        if package in pinned:
            assert pinned[package] == asset.version


async def test_the_page_loads_only_files_the_route_serves() -> None:
    hostile = {"role": "admin", "label": "</script><script>alert(1)</script>", "description": "&", "token": "t"}
    transport = httpx.ASGITransport(app=_app([hostile]))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        page = (await http.get("/explore")).text
        references = _References()
        references.feed(page)

        assert json.loads(references.config)["identities"] == [hostile]
        # The page loads the libraries, the stylesheet and explore.js, which imports the other modules.
        assert {url.removeprefix("/explore/assets/") for url in references.urls} == {
            *(asset.name for asset in LIBRARIES),
            "explore.css",
            "explore.js",
        }
        for url in (asset.url for asset in ASSETS.values()):
            served = await http.get(url)
            assert served.status_code == 200, url
            assert served.headers["content-type"].startswith(("text/javascript", "text/css"))
            assert served.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "name", ["package.json", "..%2Fpackage.json", "cytoscape-3.0.0.js", "explore.py", "node_modules", "%2Fetc%2Fpasswd"]
)
async def test_nothing_else_is_served(name: str) -> None:
    transport = httpx.ASGITransport(app=_app([]))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get(f"/explore/assets/{name}")).status_code == 404
