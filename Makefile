# RoofKit Partner API. `make run` serves the API with demo data; `make test` runs every test.
# The scripts in scripts/ do the work; PostgreSQL is a private cluster they start and stop themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := build

.PHONY: run test admin build clean clean-db openapi screenshot bench

## Build, migrate, seed the demo workspaces and serve on $(ROOFKIT_URLS) (default http://127.0.0.1:5080).
run:
	@scripts/run.sh

## All tests against a throwaway PostgreSQL; extra dotnet test arguments: make test TEST_ARGS='--filter X'.
test:
	@scripts/test.sh $(TEST_ARGS)

## Rewrite docs/openapi.json from the document the API serves (review the diff); make test fails while they differ.
openapi:
	@UPDATE_OPENAPI=1 scripts/test.sh --filter 'FullyQualifiedName~RoofKit.Api.Tests.OpenApi.OpenApiDocumentTests'

## Rewrite docs/swagger-ui.png (the README's picture of Swagger UI) with the e2e browser check alone; make test writes
## its screenshot to TestResults/e2e/ instead.
screenshot:
	@UPDATE_SCREENSHOT=1 E2E=only E2E_CHECKS=browser scripts/test.sh

## The API's command-line mode: make admin ARGS='workspaces list'.
admin:
	@scripts/admin.sh $(ARGS)

build:
	dotnet build RoofKit.sln -c Release

## Build outputs and test results. The database, demo keys and signing key in .roofkit/ stay.
clean:
	find src tests -mindepth 2 -maxdepth 2 -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} + 2>/dev/null || true
	rm -rf TestResults

## Stop the private clusters (make run's, make cluster's) and delete .roofkit/ (databases, demo keys, signing key).
clean-db:
	@source scripts/lib.sh && pg_remove .roofkit/pg && pg_remove .roofkit/cluster/replica && pg_remove .roofkit/cluster/primary && rm -rf .roofkit

## The scale-out topology on one machine (CONTRACT.md §10): a PostgreSQL primary and a streaming replica, two Release
## API instances, nginx in front on http://127.0.0.1:5090; writes .roofkit/cluster.env. Ctrl-C stops it. See docs/scaling.md.
.PHONY: cluster cluster-test
cluster:
	@scripts/cluster.sh

## Start a throwaway cluster (on free ports), run the checks of tests/cluster/ through it, stop it (about two minutes).
cluster-test:
	@scripts/cluster-test.sh

# --- bench and soak ---------------------------------------------------------------------------------

## Benchmarks against PostgreSQL's own COPY / pgbench on 1,000,000 seeded leads (not part of make test).
## Writes bench/RESULTS.md; knobs (BENCH_LEADS, BENCH_RUNS, ...) in bench/README.md.
bench:
	@bench/run.sh

## A bounded soak (SOAK_SECONDS, default 60): list, export, status stages and bad keys at once from wrk against
## the Release API; fails on any 5xx or unexpected status, or memory that climbs. Writes bench/SOAK.md.
.PHONY: soak
soak:
	@bench/soak.sh

## List and export throughput through nginx with one and with two API instances on make cluster's topology.
## Writes bench/CLUSTER.md (about two minutes; not part of make test).
.PHONY: cluster-bench
cluster-bench:
	@bench/cluster.sh

## Real concurrent writers (transactions open 0-20 s) against a partner running the README's sync recipe, at
## SYNC_SIM_CHANGES (default 100,000) changes; fails on any row missing, stale or undeleted. Writes bench/SYNC.md.
.PHONY: sync-sim
sync-sim:
	@SYNC_SIM_CHANGES=$${SYNC_SIM_CHANGES:-100000} SYNC_SIM_REPORT=$(CURDIR)/bench/SYNC.md \
		scripts/test.sh --filter 'FullyQualifiedName~SyncSimulationTests' --logger 'console;verbosity=normal'
