#!/usr/bin/env bash
# npm_ci.sh FOLDER [EXTRA NPM ARGS...]: `npm ci` in FOLDER from its committed package-lock.json,
# at the exact versions pinned there, skipped while nothing changed.
#
# After a good install it writes a stamp with the hash of the lock and package.json into
# FOLDER/node_modules, and does nothing while that stamp still matches. node_modules/ is
# git-ignored. The install_*.sh scripts call this for each of the project's Node folders.
set -euo pipefail

folder="$1"
shift
name="$(basename "$folder")"
say() { echo "npm_ci.sh ($name): $*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
    say "npm not found: install Node.js 20+ (it brings npm) and run this again"
    exit 1
fi

stamp="$folder/node_modules/.customer-graph-install-stamp"
expected="$(cd "$folder" && sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$expected" ]]; then
    say "already installed (lock unchanged)"
    exit 0
fi

say "installing with npm ci"
# Only errors: the warnings these locks draw are known (peer ranges older than the versions
# pinned, an engines field stricter than the code; see the install_*.sh scripts).
(cd "$folder" && npm ci --no-audit --no-fund --loglevel=error "$@")
echo "$expected" >"$stamp"
say "done"
