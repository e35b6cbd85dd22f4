#!/usr/bin/env bash
# Installs the drawing libraries server/explorer.py serves to the explorer page (/explore):
# Cytoscape.js and its fcose layout (with layout-base and cose-base), so the page needs no CDN
# at run time: `npm ci` in server/explorer, skipped while the lock is unchanged.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$ROOT/scripts/npm_ci.sh" "$ROOT/server/explorer"
