#!/usr/bin/env bash
# Installs Apollo Client and its persisted-queries link (@apollo/client, with graphql and rxjs)
# for tests/server/test_apollo_client.py: `npm ci` in tests/server/apollo_client from its
# committed lock, skipped while the lock is unchanged. scripts/setup.sh runs it, and so does the
# test's fixture. No package here needs its install scripts, so none run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$ROOT/scripts/npm_ci.sh" "$ROOT/tests/server/apollo_client" --ignore-scripts
