#!/usr/bin/env bash
# Installs what bench/compare.py's peers need:
#   - @neo4j/graphql, @apollo/server and their dependencies, with `npm ci` in
#     bench/peers/neo4j-graphql from the committed package-lock.json (exact versions);
#   - APOC core (org.neo4j.procedure:apoc-core and apoc-common, the Neo4j version of
#     embedded-neo4j/pom.xml) from Maven Central into a Neo4j plugins folder, given as the first
#     argument (default: .local/bench-neo4j/plugins, the benchmarks' own Neo4j). @neo4j/graphql
#     projects DateTime fields with apoc.date.convertFormat, so it cannot run without it.
# Idempotent and quick when nothing changed: each step writes a stamp with the hash of its
# inputs and is skipped while that stamp still matches. node_modules/ and .local/ are git-ignored.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEER="$ROOT/bench/peers/neo4j-graphql"
APOC_POM="$ROOT/bench/peers/apoc/pom.xml"
PLUGINS="${1:-$ROOT/.local/bench-neo4j/plugins}"

say() { echo "install_bench_peers.sh: $*" >&2; }

for tool in npm mvn; do
    command -v "$tool" >/dev/null 2>&1 || { say "$tool is needed (Node 20, Maven)"; exit 1; }
done

npm_stamp="$PEER/node_modules/.customer-graph-install-stamp"
npm_wanted="$(cd "$PEER" && sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)"
if [[ -f "$npm_stamp" && "$(cat "$npm_stamp")" == "$npm_wanted" ]]; then
    say "@neo4j/graphql peer already installed (lock unchanged)"
else
    say "installing the @neo4j/graphql peer with npm ci in bench/peers/neo4j-graphql"
    # @apollo/server 5 reaches @whatwg-node/promise-helpers 2, which declares node >= 22.15 but
    # runs on Node 20: npm warns EBADENGINE, nothing fails. No package here needs install scripts.
    (cd "$PEER" && npm ci --no-audit --no-fund --ignore-scripts)
    echo "$npm_wanted" >"$npm_stamp"
fi

neo4j_version="$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$ROOT/embedded-neo4j/pom.xml" | head -1)"
[[ -n "$neo4j_version" ]] || { say "no <neo4j.version> in embedded-neo4j/pom.xml"; exit 1; }
apoc_stamp="$PLUGINS/.customer-graph-apoc-stamp"
apoc_wanted="$( (sha256sum "$APOC_POM"; echo "$neo4j_version") | sha256sum | cut -d' ' -f1)"
if [[ -f "$apoc_stamp" && "$(cat "$apoc_stamp")" == "$apoc_wanted" ]]; then
    say "APOC core $neo4j_version already in $PLUGINS"
else
    say "copying APOC core $neo4j_version and its dependencies from Maven Central into $PLUGINS"
    mkdir -p "$PLUGINS"
    staging="$(mktemp -d)"
    trap 'rm -rf "$staging"' EXIT
    mvn -B -q -f "$APOC_POM" dependency:copy-dependencies -Dneo4j.version="$neo4j_version" \
        -DincludeScope=runtime -DoutputDirectory="$staging"
    # Replace what an earlier run copied (listed in the stamp's sibling), leave anything else alone.
    if [[ -f "$PLUGINS/.customer-graph-apoc-jars" ]]; then
        while read -r jar; do rm -f "$PLUGINS/$jar"; done <"$PLUGINS/.customer-graph-apoc-jars"
    fi
    (cd "$staging" && ls -1 *.jar) >"$PLUGINS/.customer-graph-apoc-jars"
    cp "$staging"/*.jar "$PLUGINS/"
    echo "$apoc_wanted" >"$apoc_stamp"
fi
say "done"
