#!/usr/bin/env bash
# make admin ARGS='keys create --workspace acme --name "BI sync" --scopes leads.read'
# Runs the API's command-line mode against the database `make run` uses: ROOFKIT_DATABASE_URL if set,
# else the private cluster in .roofkit/pg, started for the command (and stopped after) when it is not
# already running. The command's exit code is ours. Only the command writes to stdout (build and
# database chatter go to stderr), so `keys create`'s last line of stdout is the key, and with --json stdout is one
# JSON document (make admin ARGS='keys create ... --json' | jq -r .key).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PG_DIR=.roofkit/pg

if [ $# -eq 0 ]; then
  echo "usage: make admin ARGS='<command> ...'   (see docs; e.g. ARGS='workspaces list')" >&2
  exit 2
fi

# Builds only when a source changed since the last build (never a stale dll), with its progress on stderr.
api_build

mkdir -p .roofkit
chmod 711 .roofkit
# Same signing key as `make run`, in case the command builds the full host and validates options.
export_signing_key .roofkit/secrets.env

stop_cluster=0
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  if [ "$stop_cluster" = 1 ]; then pg_stop "$PG_DIR" || true; fi
}
on_exit cleanup

if [ -n "${ROOFKIT_DATABASE_URL:-}" ]; then
  URI=$ROOFKIT_DATABASE_URL
else
  pg_ensure_installed
  PG_STARTED=0
  # Stop only a cluster we started: leave one that `make run` (or someone) already runs alone.
  pg_start "$PG_DIR" "${ROOFKIT_PG_PORT:-54329}" || { stop_cluster=$PG_STARTED; exit 1; }
  stop_cluster=$PG_STARTED
  pg_create_db roofkit
  URI=$(pg_uri roofkit)
fi
export ConnectionStrings__Default=$URI
api_env "${ASPNETCORE_ENVIRONMENT:-Production}"

rc=0
dotnet "$ROOFKIT_API_DLL" "$@" || rc=$?
exit "$rc"
