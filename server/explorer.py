"""The relationship explorer at ``/explore``: a page of plain HTML, CSS and ES modules.

The page draws with Cytoscape.js and its fcose layout, served from
``server/explorer/node_modules`` at the versions pinned in ``server/explorer/package-lock.json``
(installed by ``scripts/install_explorer.sh``), so it works with no CDN in reach. Its own code
is in ``server/explorer/static``. Only a fixed allow-list of files is served: the libraries
under versioned names (cached for a year), the page's own files under their names (revalidated,
so an upgrade shows at once).

Every call the page makes goes to ``/graphql`` with the caller's token: one of the
development tokens the playground offers (one per role, only with development keys), or one
the reader pastes. The page holds no data of its own, so it shows what the policy lets that
token see and nothing else.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from server.playground import STORAGE_NAMESPACE

logger = logging.getLogger(__name__)

EXPLORER_DIR: Path = Path(__file__).resolve().parent / "explorer"
LIBRARIES_DIR: Path = EXPLORER_DIR / "node_modules"
STATIC_DIR: Path = EXPLORER_DIR / "static"
ASSETS_URL = "/explore/assets"
INSTALL_HINT = "the explorer's drawing libraries are missing: run scripts/install_explorer.sh"

LIBRARY_CACHE = "public, max-age=31536000, immutable"
OWN_CACHE = "no-cache"
JAVASCRIPT = "text/javascript"
CSS = "text/css"


@dataclass(frozen=True, slots=True)
class ExplorerAsset:
    """One file the page loads: the name it is served under and where it is on disk."""

    name: str
    path: Path
    media_type: str
    version: str | None = None  # a library's, checked against its package.json

    @property
    def url(self) -> str:
        return f"{ASSETS_URL}/{self.name}"


def _library(package: str, version: str, file: str) -> ExplorerAsset:
    stem = package.replace("/", "-")
    return ExplorerAsset(f"{stem}-{version}.js", LIBRARIES_DIR / package / file, JAVASCRIPT, version)


# In load order: each UMD build finds the one before through a global (layoutBase, coseBase).
LIBRARIES: tuple[ExplorerAsset, ...] = (
    _library("cytoscape", "3.35.0", "dist/cytoscape.min.js"),
    _library("layout-base", "2.0.1", "layout-base.js"),
    _library("cose-base", "2.2.0", "cose-base.js"),
    _library("cytoscape-fcose", "2.2.0", "cytoscape-fcose.js"),
)
OWN_FILES: tuple[ExplorerAsset, ...] = (
    ExplorerAsset("explore.css", STATIC_DIR / "explore.css", CSS),
    *(
        ExplorerAsset(name, STATIC_DIR / name, JAVASCRIPT)
        for name in ("explore.js", "api.js", "graph.js", "views.js", "state.js")
    ),
)
ASSETS: dict[str, ExplorerAsset] = {asset.name: asset for asset in (*LIBRARIES, *OWN_FILES)}


def missing_libraries() -> list[str]:
    """What is wrong with the installed libraries: files not there, or packages at other versions."""
    problems: list[str] = []
    for asset in LIBRARIES:
        if not asset.path.is_file():
            problems.append(f"{asset.path} is missing")
            continue
        manifest = asset.path.parent / "package.json"
        if asset.path.parent.name == "dist":
            manifest = asset.path.parent.parent / "package.json"
        try:
            installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            problems.append(f"{manifest} cannot be read")
            continue
        if installed != asset.version:
            problems.append(f"{manifest.parent.name} is at {installed}, the explorer expects {asset.version}")
    return problems


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element."""
    encoded = json.dumps(value, ensure_ascii=False)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        encoded = encoded.replace(raw, f"\\u{ord(raw):04x}")
    return encoded


def explorer_html(endpoint: str, identities: Sequence[Mapping[str, str]] = ()) -> str:
    """The explorer's page: talks to ``endpoint``; ``identities`` (``role``, ``label``,
    ``description``, ``token``) fill its role picker, as they fill the playground's."""
    config = {
        "endpoint": endpoint,
        "storageNamespace": STORAGE_NAMESPACE,
        "installHint": INSTALL_HINT,
        "identities": [dict(identity) for identity in identities],
    }
    libraries = "\n".join(f'    <script src="{html.escape(asset.url)}"></script>' for asset in LIBRARIES)
    # An HTML page, not SQL: ruff's S608 takes its <select> for a SELECT.
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Customer Graph · Explorer</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="{ASSETS_URL}/explore.css" />
  </head>
  <body>
    <header class="bar">
      <strong class="brand">Customer Graph explorer</strong>
      <form id="search" role="search">
        <label for="search-text" class="hidden-label">Search</label>
        <input id="search-text" type="search" placeholder="Search a customer, employee, department, order or ticket"
               autocomplete="off" aria-controls="search-results" />
        <ul id="search-results" role="listbox" aria-label="Search results"></ul>
      </form>
      <label>Act as <select id="identity-role" aria-label="Role"></select></label>
      <details id="token-preset">
        <summary>Token</summary>
        <label>Authorization header value <input id="token-text" type="password" placeholder="Bearer …" /></label>
        <button type="button" id="token-use">Use</button> <button type="button" id="token-clear">Clear</button>
      </details>
      <a href="/graphql">Playground</a>
    </header>
    <main>
      <section id="canvas-pane" aria-label="Graph">
        <div id="toolbar">
          <fieldset id="rel-filter"><legend>Relationships</legend></fieldset>
          <span class="tools">
            <button type="button" id="relayout" title="Lay the graph out again (L)">Layout</button>
            <button type="button" id="path-from" title="Path from the selection (F)">From</button>
            <button type="button" id="path-to" title="Path to the selection (T)">To</button>
            <button type="button" id="path-one">Shortest path</button>
            <button type="button" id="path-all">All shortest</button>
            <button type="button" id="clear">Clear</button>
          </span>
          <label title="How many neighbours a drawing or an expansion brings (1 to 1000)">Neighbours
            <input id="neighbours" type="number" min="1" max="1000" step="10" size="4" /></label>
          <output id="path-ends"></output>
        </div>
        <div id="graph" tabindex="0" role="application"
             aria-label="Graph: arrow keys move between neighbours, Enter expands, F and T pick path ends"></div>
        <p id="status" role="status" aria-live="polite"></p>
      </section>
      <aside id="views" aria-label="Views">
        <nav role="tablist" id="view-tabs">
          <button role="tab" data-view="list">List</button>
          <button role="tab" data-view="journey">Journey</button>
          <button role="tab" data-view="handoffs">Hand-offs</button>
          <button role="tab" data-view="alerts">Alerts</button>
          <button role="tab" data-view="experts">Knows best</button>
        </nav>
        <div id="view" role="tabpanel" tabindex="0"></div>
      </aside>
    </main>
    <script id="explorer-config" type="application/json">{_script_json(config)}</script>
{libraries}
    <script type="module" src="{ASSETS_URL}/explore.js"></script>
  </body>
</html>
"""  # noqa: S608


async def _serve_asset(request: Request) -> Response:
    asset = ASSETS.get(request.path_params["name"])
    if asset is None:
        return PlainTextResponse("Not Found", status_code=404)
    if not asset.path.is_file():
        logger.error("explorer file %s not found at %s: %s", asset.name, asset.path, INSTALL_HINT)
        return PlainTextResponse(INSTALL_HINT, status_code=404)
    cache = LIBRARY_CACHE if asset.version is not None else OWN_CACHE
    return FileResponse(
        asset.path, media_type=asset.media_type, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    )


def explorer_routes() -> list[BaseRoute]:
    """The route that serves the explorer's allow-listed files under ``/explore/assets``."""
    problems = missing_libraries()
    if problems:
        logger.warning("%s (%s)", INSTALL_HINT, "; ".join(problems))
    return [Mount(ASSETS_URL, routes=[Route("/{name}", _serve_asset, methods=["GET", "HEAD"])], name="explorer-assets")]
