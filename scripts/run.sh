#!/usr/bin/env bash
# make run: build the API (when a source changed), bring up its database, seed the demo workspaces, write their keys
# to .roofkit/env and .roofkit/postman_environment.json, and serve in the foreground.
# Ctrl-C (or SIGTERM) stops the API and then the private PostgreSQL cluster.
#
#   ROOFKIT_URLS           where to listen (default http://127.0.0.1:5080)
#   ROOFKIT_DATABASE_URL   use this database (libpq URI) instead of the private cluster in .roofkit/pg
#   ROOFKIT_PG_PORT        port of the private cluster (default 54329)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PG_DIR=.roofkit/pg
ROOFKIT_URLS=${ROOFKIT_URLS:-http://127.0.0.1:5080}
# --urls may list several (separated by ;); clients use the first, and a wildcard host means localhost.
BASE_URL=$(printf '%s' "${ROOFKIT_URLS%%;*}" | sed -E 's#//(0\.0\.0\.0|\*|\+|\[::\])(:|/|$)#//127.0.0.1\2#')

# A second `make run` would fail on the port only after sharing (and then stopping) our cluster.
hostport=${BASE_URL#*://}
hostport=${hostport%%/*}
if port_in_use "${hostport%:*}" "${hostport##*:}"; then
  say "something already listens on $BASE_URL (is make run already running?)"
  exit 1
fi

# The private dir: the postgres user may pass through (to reach pg/) but nobody else may list it.
mkdir -p .roofkit
chmod 711 .roofkit

# Cursor signing key: generated once and kept, so cursors survive restarts.
export_signing_key .roofkit/secrets.env

api_build

api_pid=
cluster_started=0
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  if [ -n "$api_pid" ] && kill -0 "$api_pid" 2>/dev/null; then
    say "stopping the API"
    stop_process "$api_pid"
  fi
  if [ "$cluster_started" = 1 ]; then
    say "stopping PostgreSQL ($PG_DIR)"
    pg_stop "$PG_DIR" || true
  fi
}
on_exit cleanup

if [ -n "${ROOFKIT_DATABASE_URL:-}" ]; then
  URI=$ROOFKIT_DATABASE_URL
  say "using ROOFKIT_DATABASE_URL"
else
  pg_ensure_installed
  # This script owns the private cluster while it serves, even one left running by an earlier run.
  cluster_started=1
  pg_start "$PG_DIR" "${ROOFKIT_PG_PORT:-54329}"
  pg_create_db roofkit
  URI=$(pg_uri roofkit)
  say "PostgreSQL $PG_CLUSTER on 127.0.0.1:$PG_PORT"
fi
export ConnectionStrings__Default=$URI
api_env Production

demo_setup .roofkit "$BASE_URL" "$URI"

cat <<EOF

RoofKit Partner API: $BASE_URL   (Ctrl-C stops it and its database)
Try it:
  source .roofkit/env
  curl -s -H "Authorization: Bearer \$ROOFKIT_DEMO_KEY" "\$ROOFKIT_BASE_URL/api/v1/leads?limit=5"
Docs: $BASE_URL/docs
Postman: import docs/postman/roofkit-partner-api.postman_collection.json and .roofkit/postman_environment.json, press Run

EOF

# A child plus `wait`, not exec: bash runs the traps only while it waits, so the cluster gets stopped.
# The OpenAPI document names this address as its server, so generated clients and "Try it out" call it.
Api__PublicBaseUrl=${Api__PublicBaseUrl:-$BASE_URL} dotnet "$ROOFKIT_API_DLL" --urls "$ROOFKIT_URLS" &
api_pid=$!
wait "$api_pid"
