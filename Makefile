# RoofKit Partner API. `make run` serves the API with demo data; `make test` runs every test.
# The scripts in scripts/ do the work; PostgreSQL is a private cluster they start and stop themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := build

.PHONY: run test admin build clean clean-db

## Build, migrate, seed the demo workspaces and serve on $(ROOFKIT_URLS) (default http://127.0.0.1:5080).
run:
	@scripts/run.sh

## All tests against a throwaway PostgreSQL; extra dotnet test arguments: make test TEST_ARGS='--filter X'.
test:
	@scripts/test.sh $(TEST_ARGS)

## The API's command-line mode: make admin ARGS='workspaces list'.
admin:
	@scripts/admin.sh $(ARGS)

build:
	dotnet build RoofKit.sln -c Release

## Build outputs and test results. The database, demo keys and signing key in .roofkit/ stay.
clean:
	find src tests -mindepth 2 -maxdepth 2 -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} + 2>/dev/null || true
	rm -rf TestResults

## Stop the private cluster and delete .roofkit/ (database, demo keys, signing key).
clean-db:
	@source scripts/pg.sh && pg_remove .roofkit/pg && rm -rf .roofkit

# --- bench and soak targets go here (added later) ---------------------------------------------
