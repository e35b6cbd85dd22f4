#!/usr/bin/env bash
# Installs the Node programs tests/federation runs against the API: an Apollo gateway
# (@apollo/gateway, @apollo/server), a second subgraph (@apollo/subgraph) and the
# GraphQL-over-HTTP audits (graphql-http).
#
# Runs `npm ci` in tests/federation/harness from the committed package-lock.json, at the
# exact versions pinned there. Idempotent and quick when nothing changed: after a good
# install it writes a stamp with the hash of the lock (and of package.json) into
# node_modules, and skips the install while that stamp still matches. node_modules/ is
# git-ignored. scripts/setup.sh runs it, and so does the tests' fixture.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS="$ROOT/tests/federation/harness"
STAMP="$HARNESS/node_modules/.customer-graph-install-stamp"

say() { echo "install_federation_harness.sh: $*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
    say "npm not found: install Node.js 20+ (it brings npm) and run this again"
    exit 1
fi

expected="$(cd "$HARNESS" && sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$expected" ]]; then
    say "federation test harness already installed (lock unchanged)"
    exit 0
fi

say "installing the federation test harness with npm ci in tests/federation/harness"
# @apollo/server 5 reaches @whatwg-node/promise-helpers 2, which declares node >= 22.15 but
# runs on Node 20 (it feature-tests Promise.withResolvers): npm warns EBADENGINE, nothing fails.
# No package here needs its install scripts (protobufjs only checks its optional CLI), so none run.
(cd "$HARNESS" && npm ci --no-audit --no-fund --ignore-scripts)
echo "$expected" >"$STAMP"
say "done"
