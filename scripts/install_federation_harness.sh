#!/usr/bin/env bash
# Installs the Node programs tests/federation runs against the API: an Apollo gateway
# (@apollo/gateway, @apollo/server), a second subgraph (@apollo/subgraph) and the
# GraphQL-over-HTTP audits (graphql-http): `npm ci` in tests/federation/harness, skipped while
# the lock is unchanged. scripts/setup.sh runs it, and so does the tests' fixture.
#
# @apollo/server 5 reaches @whatwg-node/promise-helpers 2, which declares node >= 22.15 but
# runs on Node 20 (it feature-tests Promise.withResolvers): npm warns EBADENGINE, nothing fails.
# No package here needs its install scripts (protobufjs only checks its optional CLI), so none run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$ROOT/scripts/npm_ci.sh" "$ROOT/tests/federation/harness" --ignore-scripts
