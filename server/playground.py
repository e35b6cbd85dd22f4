"""GraphiQL served from local files, so the playground works where no CDN can be reached.

Strawberry's own GraphiQL page loads React and GraphiQL from a CDN. This module serves the
same GraphiQL 3 browser bundles from ``server/playground/node_modules``, installed at the
versions pinned in ``server/playground/package-lock.json`` by ``scripts/install_playground.sh``.
Only a fixed allow-list of bundle files is served, under versioned names, so they can be cached
for a year and ``node_modules`` is never exposed as a whole.

With development keys the page carries a token per role of the policy (``server.auth.playground``)
and a role picker above GraphiQL: every request GraphiQL sends carries the chosen role's token,
unless the Headers tab sets an ``Authorization`` header of its own.
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

logger = logging.getLogger(__name__)


ASSETS_DIR: Path = Path(__file__).resolve().parent / "playground" / "node_modules"
ASSETS_URL = "/playground/assets"
INSTALL_HINT = "GraphiQL assets are missing: run scripts/install_playground.sh"

# The URL names carry the version, so a year-long immutable cache is safe: a version bump is a new URL.
CACHE_CONTROL = "public, max-age=31536000, immutable"
JAVASCRIPT = "text/javascript"
CSS = "text/css"

# GraphiQL keeps its tabs in localStorage; a namespace of our own keeps them apart from any
# other GraphiQL on the same origin (such as strawberry's), whose saved tabs would hide ours.
STORAGE_NAMESPACE = "customer-graph-playground"


@dataclass(frozen=True, slots=True)
class PlaygroundAsset:
    """One bundle file: the name it is served under and where npm puts it."""

    name: str
    package: str
    version: str
    file: str
    media_type: str

    @property
    def path(self) -> Path:
        return ASSETS_DIR / self.package / self.file

    @property
    def url(self) -> str:
        return f"{ASSETS_URL}/{self.name}"


# The versions must match server/playground/package.json; playground_installed() checks that they do.
REACT = PlaygroundAsset("react-18.3.1.min.js", "react", "18.3.1", "umd/react.production.min.js", JAVASCRIPT)
REACT_DOM = PlaygroundAsset(
    "react-dom-18.3.1.min.js", "react-dom", "18.3.1", "umd/react-dom.production.min.js", JAVASCRIPT
)
GRAPHIQL_JS = PlaygroundAsset("graphiql-3.8.3.min.js", "graphiql", "3.8.3", "graphiql.min.js", JAVASCRIPT)
GRAPHIQL_CSS = PlaygroundAsset("graphiql-3.8.3.min.css", "graphiql", "3.8.3", "graphiql.min.css", CSS)
EXPLORER_JS = PlaygroundAsset(
    "plugin-explorer-3.2.5.umd.js", "@graphiql/plugin-explorer", "3.2.5", "dist/index.umd.js", JAVASCRIPT
)
EXPLORER_CSS = PlaygroundAsset("plugin-explorer-3.2.5.css", "@graphiql/plugin-explorer", "3.2.5", "dist/style.css", CSS)

STYLESHEETS: tuple[PlaygroundAsset, ...] = (GRAPHIQL_CSS, EXPLORER_CSS)
# In load order: the UMD builds find each other through globals (React, ReactDOM, GraphiQL).
SCRIPTS: tuple[PlaygroundAsset, ...] = (REACT, REACT_DOM, GRAPHIQL_JS, EXPLORER_JS)
ASSETS: dict[str, PlaygroundAsset] = {asset.name: asset for asset in (*STYLESHEETS, *SCRIPTS)}


def missing_assets() -> list[str]:
    """What is wrong with the installed bundles: files not there, or packages at other versions."""
    problems: list[str] = []
    for asset in ASSETS.values():
        if not asset.path.is_file():
            problems.append(f"{asset.path} is missing")
    for package, version in sorted({(asset.package, asset.version) for asset in ASSETS.values()}):
        manifest = ASSETS_DIR / package / "package.json"
        try:
            installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            continue  # its files are reported missing above
        if installed != version:
            problems.append(f"{package} is at {installed}, the playground expects {version}")
    return problems


def playground_installed() -> bool:
    """Whether every bundle the page loads is installed at the pinned version."""
    return not missing_assets()


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element: no '</script>', '<!--' or HTML entity can form."""
    encoded = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        encoded = encoded.replace(raw, escaped)
    return encoded


def playground_html(
    endpoint: str, examples: Sequence[tuple[str, str]], identities: Sequence[Mapping[str, str]] = ()
) -> str:
    """The GraphiQL page: talks to ``endpoint`` and opens one tab per ``(name, query)`` example.

    It loads only the local bundles under ``/playground/assets``; each tab starts with its name
    as a comment and is titled by the query's operation name, as GraphiQL 3 titles tabs.
    ``identities`` (``role``, ``label``, ``description``, ``token``) fill the role picker.
    """
    config = {
        "endpoint": endpoint,
        "storageNamespace": STORAGE_NAMESPACE,
        "installHint": INSTALL_HINT,
        "tabs": [{"query": f"# {name}\n{query}"} for name, query in examples],
        "identities": [dict(identity) for identity in identities],
    }
    stylesheets = "\n".join(f'    <link rel="stylesheet" href="{html.escape(asset.url)}" />' for asset in STYLESHEETS)
    scripts = "\n".join(f'    <script src="{html.escape(asset.url)}"></script>' for asset in SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Customer Graph · GraphiQL</title>
    <style>
      body {{ height: 100vh; margin: 0; width: 100%; overflow: hidden; display: flex; flex-direction: column; }}
      #identity {{ font: 14px system-ui, sans-serif; padding: 6px 12px; border-bottom: 1px solid #ddd; }}
      #identity[hidden] {{ display: none; }}
      #identity select {{ font: inherit; margin: 0 8px; max-width: 60vw; }}
      #identity small {{ color: #666; }}
      #graphiql {{ flex: 1; min-height: 0; display: flex; }}
      #graphiql > p {{ margin: auto; font-family: system-ui, sans-serif; }}
    </style>
{stylesheets}
  </head>
  <body>
    <div id="identity" hidden>
      <label>Act as <select id="identity-role"></select></label>
      <small id="identity-description"></small>
    </div>
    <div id="graphiql"><p>Loading GraphiQL…</p></div>
    <script id="playground-config" type="application/json">{_script_json(config)}</script>
{scripts}
    <script>
      (function () {{
        const config = JSON.parse(document.getElementById("playground-config").textContent);
        const container = document.getElementById("graphiql");
        if (typeof React === "undefined" || typeof ReactDOM === "undefined" || typeof GraphiQL === "undefined") {{
          container.firstElementChild.textContent = config.installHint;
          return;
        }}
        const plugins = typeof GraphiQLPluginExplorer === "undefined" ? [] : [GraphiQLPluginExplorer.explorerPlugin()];
        // The role picker: a development token per role, sent unless the Headers tab sets its own.
        const identities = config.identities || [];
        const picker = document.getElementById("identity-role");
        const described = document.getElementById("identity-description");
        const savedRole = config.storageNamespace + ":role";
        identities.forEach(function (identity, index) {{
          const option = document.createElement("option");
          option.value = String(index);
          option.textContent = identity.label;
          picker.appendChild(option);
        }});
        const savedName = localStorage.getItem(savedRole);
        const saved = identities.findIndex(function (identity) {{ return identity.role === savedName; }});
        picker.selectedIndex = saved >= 0 ? saved : 0;
        function showRole() {{
          const identity = identities[picker.selectedIndex];
          described.textContent = identity ? identity.description : "";
          if (identity) localStorage.setItem(savedRole, identity.role);
        }}
        picker.addEventListener("change", showRole);
        if (identities.length) {{
          document.getElementById("identity").hidden = false;
          showRole();
        }}
        const send = GraphiQL.createFetcher({{ url: config.endpoint }});
        // Subscriptions go to the GraphQL over SSE endpoint (distinct connections mode): each
        // "next" event is one result; GraphiQL shows them as they come.
        function isSubscription(query) {{
          return /^\\s*subscription\\b/.test(String(query || "").replace(/#[^\\n]*/g, ""));
        }}
        async function* stream(params, headers) {{
          const response = await fetch(config.endpoint + "/stream", {{
            method: "POST",
            headers: Object.assign({{ "content-type": "application/json", accept: "text/event-stream" }}, headers),
            body: JSON.stringify(params),
          }});
          if (!response.ok || !response.body) {{
            yield await response.json();
            return;
          }}
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let buffer = "";
          for (;;) {{
            const chunk = await reader.read();
            if (chunk.done) return;
            buffer += decoder.decode(chunk.value, {{ stream: true }});
            let end;
            while ((end = buffer.indexOf("\\n\\n")) >= 0) {{
              const lines = buffer.slice(0, end).split("\\n");
              buffer = buffer.slice(end + 2);
              let kind = "message";
              const data = [];
              lines.forEach(function (line) {{
                if (line.startsWith("event:")) kind = line.slice(6).trim();
                else if (line.startsWith("data:")) data.push(line.slice(5).trim());
              }});
              if (kind === "complete") return;
              if (kind === "next" && data.length) yield JSON.parse(data.join("\\n"));
            }}
          }}
        }}
        function fetcher(params, options) {{
          const given = (options && options.headers) || {{}};
          const ownAuthorization = Object.keys(given).some(function (name) {{
            return name.toLowerCase() === "authorization";
          }});
          const identity = identities[picker.selectedIndex];
          const headers = Object.assign({{}}, given);
          if (identity && !ownAuthorization) headers.Authorization = "Bearer " + identity.token;
          if (isSubscription(params.query)) return stream(params, headers);
          return send(params, Object.assign({{}}, options, {{ headers: headers }}));
        }}
        ReactDOM.createRoot(container).render(
          React.createElement(GraphiQL, {{
            fetcher: fetcher,
            defaultTabs: config.tabs,
            storage: GraphiQL.createLocalStorage({{ namespace: config.storageNamespace }}),
            plugins: plugins,
            defaultEditorToolsVisibility: false,
            isHeadersEditorEnabled: true,
            shouldPersistHeaders: false,
            inputValueDeprecation: true,
          }}),
        );
      }})();
    </script>
  </body>
</html>
"""


async def _serve_asset(request: Request) -> Response:
    asset = ASSETS.get(request.path_params["name"])
    if asset is None:
        return PlainTextResponse("Not Found", status_code=404)
    if not asset.path.is_file():
        logger.error("playground asset %s not found at %s: %s", asset.name, asset.path, INSTALL_HINT)
        return PlainTextResponse(INSTALL_HINT, status_code=404)
    return FileResponse(
        asset.path,
        media_type=asset.media_type,
        headers={"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )


def playground_routes() -> list[BaseRoute]:
    """The route that serves the allow-listed GraphiQL bundles under ``/playground/assets``."""
    problems = missing_assets()
    if problems:
        logger.warning("%s (%s)", INSTALL_HINT, "; ".join(problems))
    return [
        Mount(
            ASSETS_URL,
            routes=[Route("/{name}", _serve_asset, methods=["GET", "HEAD"])],
            name="playground-assets",
        )
    ]
