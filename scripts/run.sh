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
# shellcheck source=scripts/pg.sh
source scripts/pg.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
API_OUT=src/RoofKit.Api/bin/Release/net10.0
API_DLL=$API_OUT/RoofKit.Api.dll
PG_DIR=.roofkit/pg
ROOFKIT_URLS=${ROOFKIT_URLS:-http://127.0.0.1:5080}
# --urls may list several (separated by ;); clients use the first, and a wildcard host means localhost.
BASE_URL=$(printf '%s' "${ROOFKIT_URLS%%;*}" | sed -E 's#//(0\.0\.0\.0|\*|\+|\[::\])(:|/|$)#//127.0.0.1\2#')

# A second `make run` would fail on the port only after sharing (and then stopping) our cluster.
hostport=${BASE_URL#*://}
hostport=${hostport%%/*}
# shellcheck disable=SC2016  # $1 and $2 belong to the inner bash
if timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "${hostport%:*}" "${hostport##*:}" 2>/dev/null; then
  echo "run: something already listens on $BASE_URL (is make run already running?)" >&2
  exit 1
fi

# The private dir: the postgres user may pass through (to reach pg/) but nobody else may list it.
mkdir -p .roofkit
chmod 711 .roofkit

# Cursor signing key: generated once and kept, so cursors survive restarts.
if [ ! -s .roofkit/secrets.env ]; then
  (umask 077 && printf 'Cursor__SigningKey=%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >.roofkit/secrets.env)
fi
chmod 600 .roofkit/secrets.env
set -a
# shellcheck source=/dev/null
source .roofkit/secrets.env
set +a

api_build

api_pid=
cluster_started=0
# shellcheck disable=SC2317  # runs from the traps below
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  trap '' INT TERM   # a second Ctrl-C must not leave the cluster behind
  if [ -n "$api_pid" ] && kill -0 "$api_pid" 2>/dev/null; then
    echo "run: stopping the API" >&2
    kill -TERM "$api_pid" 2>/dev/null || true
    # Give the host its graceful shutdown, then insist.
    for _ in $(seq 1 50); do kill -0 "$api_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
  fi
  if [ "$cluster_started" = 1 ]; then
    echo "run: stopping PostgreSQL ($PG_DIR)" >&2
    pg_stop "$PG_DIR" || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${ROOFKIT_DATABASE_URL:-}" ]; then
  URI=$ROOFKIT_DATABASE_URL
  echo "run: using ROOFKIT_DATABASE_URL" >&2
else
  pg_ensure_installed
  # This script owns the private cluster while it serves, even one left running by an earlier run.
  cluster_started=1
  pg_start "$PG_DIR" "${ROOFKIT_PG_PORT:-54329}"
  pg_create_db roofkit
  URI=$(pg_uri roofkit)
  echo "run: PostgreSQL $PG_CLUSTER on 127.0.0.1:$PG_PORT" >&2
fi
export ConnectionStrings__Default=$URI
# appsettings.json is copied next to the dll; we run from the repo root, so say where the content is.
ASPNETCORE_CONTENTROOT=$(realpath "$API_OUT")
export ASPNETCORE_CONTENTROOT
export ASPNETCORE_ENVIRONMENT=Production

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
Api__PublicBaseUrl=${Api__PublicBaseUrl:-$BASE_URL} dotnet "$API_DLL" --urls "$ROOFKIT_URLS" &
api_pid=$!
wait "$api_pid"
