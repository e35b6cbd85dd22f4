# `make run` and `make check` are the two commands of the README; .ci/run calls `make check`.
PY := .venv/bin/python

.PHONY: setup run check lint test schema clean-local bench

setup:
	bash scripts/setup.sh

run: setup
	$(PY) -m server serve

check: setup lint test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports
	$(PY) -m server export-schema --check

test:
	.venv/bin/pytest

# This service vs @neo4j/graphql vs naive resolvers vs the raw driver on the `bench` graph:
# writes bench/results/compare.md and its charts (about 10 minutes; see README, Benchmarks).
# BENCH_ARGS passes options on, e.g. BENCH_ARGS="--systems ours --baseline <commit>" for this
# service against itself at an earlier commit, side by side.
bench: setup
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) -m bench.compare $(BENCH_ARGS)

schema:
	$(PY) -m server export-schema

clean-local:
	$(PY) -m server neo4j stop || true
	rm -rf .local
