"""DEMO system, not part of the product: a CRM with a GraphQL API, on loopback.

Run ``python -m demo_systems.crm --port 8703 [--preset tiny --seed 7 --token T]``. Requests
go to ``POST /graphql`` as ``{"query": ..., "variables": ...}`` with
``Authorization: Bearer <token>`` (default ``demo-crm-token``); the schema is ``SDL`` below.
Every POST is counted as ``graphql``; inside, ``accounts`` counts as ``lookup``,
``accountPage`` as ``export`` and ``logTouchpoint`` (a write) as ``write``. The test controls
of ``demo_systems.web`` apply to the whole endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import ExecutionResult, GraphQLSchema, build_schema, graphql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from demo_systems.directory_records import Row, build_crm
from demo_systems.web import DemoServer, bearer, serve, server_arguments

DEFAULT_PORT = 8703
DEFAULT_TOKEN = "demo-crm-token"

SDL = """
type Query {
  "Accounts by CRM key; unknown keys are left out."
  accounts(keys: [ID!]!): [Account!]!
  "Every account, a page at a time; nextCursor is null on the last page."
  accountPage(first: Int! = 100, after: String): AccountPage!
  ping: String!
}

type Mutation {
  "Record a touchpoint on an account; returns how many it has now. Not idempotent."
  logTouchpoint(key: ID!, summary: String!): Int!
}

type AccountPage {
  nodes: [Account!]!
  nextCursor: String
}

type Account {
  key: ID!
  customerId: ID!
  name: String!
  email: String!
  segment: String!
  tier: String!
  lifetimeValue: Float!
  since: String!
  ownerId: ID
  leadScore: Int!
  openOpportunities: [Opportunity!]!
  campaigns: [CampaignTouch!]!
}

type Opportunity {
  id: ID!
  name: String!
  stage: String!
  amount: Float!
  closeDate: String!
}

type CampaignTouch {
  id: ID!
  name: String!
  channel: String!
  response: String!
}
"""


class Crm:
    """The accounts and the root resolvers (graphql-core's default resolver reads the dicts)."""

    def __init__(self, server: DemoServer, accounts: list[Row]) -> None:
        self._server = server
        self._accounts = accounts
        self._by_key = {str(account["key"]): account for account in accounts}
        self._touchpoints: dict[str, int] = {}

    def root(self) -> dict[str, object]:
        """The root value of queries and mutations alike: fields by name."""
        return {
            "accounts": self.accounts,
            "accountPage": self.account_page,
            "ping": lambda _info: "pong",
            "logTouchpoint": self.log_touchpoint,
        }

    def accounts(self, _info: object, keys: list[str]) -> list[Row]:
        self._server.counts["lookup"] += 1
        return [self._by_key[key] for key in keys if key in self._by_key]

    def account_page(self, _info: object, first: int, after: str | None = None) -> dict[str, object]:
        self._server.counts["export"] += 1
        start = int(after) if after and after.isdigit() else 0
        end = min(len(self._accounts), start + max(1, min(first, 1000)))
        return {"nodes": self._accounts[start:end], "nextCursor": str(end) if end < len(self._accounts) else None}

    def log_touchpoint(self, _info: object, key: str, summary: str) -> int:
        self._server.counts["write"] += 1
        if key not in self._by_key:
            raise ValueError(f"no account {key}")
        self._touchpoints[key] = self._touchpoints.get(key, 0) + 1
        return self._touchpoints[key]


def create_app(preset: str, seed: int, token: str = DEFAULT_TOKEN) -> Starlette:
    schema: GraphQLSchema = build_schema(SDL)
    server = DemoServer("crm", auth=bearer(token))
    root = Crm(server, build_crm(preset, seed)).root()

    async def endpoint(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"errors": [{"message": "expected a JSON body"}]}, status_code=400)
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, str):
            return JSONResponse({"errors": [{"message": "expected {'query': ...}"}]}, status_code=400)
        variables = body.get("variables") or {}
        result: ExecutionResult = await graphql(
            schema,
            query,
            root_value=root,
            variable_values=variables if isinstance(variables, dict) else None,
            operation_name=body.get("operationName"),
        )
        return JSONResponse(result.formatted)

    return server.app([Route("/graphql", server.api("graphql", endpoint), methods=["POST"])])


def main(argv: Sequence[str] | None = None) -> None:
    args = server_arguments(__doc__.splitlines()[0], argv, default_port=DEFAULT_PORT)
    serve(create_app(args.preset, args.seed, args.token or DEFAULT_TOKEN), args.port)


if __name__ == "__main__":
    main()
