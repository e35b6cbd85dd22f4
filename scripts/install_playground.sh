#!/usr/bin/env bash
# Installs the GraphiQL browser bundles that server/playground.py serves, so the playground
# needs no CDN at run time: `npm ci` in server/playground, skipped while the lock is unchanged.
#
# graphiql-explorer@0.9.0 (bundled inside @graphiql/plugin-explorer's UMD build) still
# declares react@16 and graphql@15 as peers; npm resolves it against react@18 and graphql@16
# with ERESOLVE warnings, which is what the upstream CDN build runs with too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$ROOT/scripts/npm_ci.sh" "$ROOT/server/playground"
