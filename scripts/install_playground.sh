#!/usr/bin/env bash
# Installs the GraphiQL browser bundles that server/playground.py serves, so the playground
# needs no CDN at run time.
#
# Runs `npm ci` in server/playground from the committed package-lock.json, at the exact
# versions pinned there. Idempotent and quick when nothing changed: after a good install it
# writes a stamp with the hash of the lock (and of package.json) into node_modules, and skips
# the install while that stamp still matches. node_modules/ is git-ignored.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLAYGROUND="$ROOT/server/playground"
STAMP="$PLAYGROUND/node_modules/.customer-graph-install-stamp"

say() { echo "install_playground.sh: $*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
    say "npm not found: install Node.js 18+ (it brings npm) and run this again"
    exit 1
fi

expected="$(cd "$PLAYGROUND" && sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$expected" ]]; then
    say "GraphiQL assets already installed (lock unchanged)"
    exit 0
fi

say "installing GraphiQL assets with npm ci in server/playground"
# graphiql-explorer@0.9.0 (bundled inside @graphiql/plugin-explorer's UMD build) still
# declares react@16 and graphql@15 as peers; npm resolves it against react@18 and graphql@16
# with ERESOLVE warnings, which is what the upstream CDN build runs with too.
(cd "$PLAYGROUND" && npm ci --no-audit --no-fund)
echo "$expected" >"$STAMP"
say "done"
