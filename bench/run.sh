#!/usr/bin/env bash
# make bench: the Release API against PostgreSQL's own COPY on a workspace of 1,000,000 seeded leads.
# Writes bench/RESULTS.md (and bench/out/: the run's log, its figures as JSON, the API's log).
#
# The private cluster lives in .roofkit/bench-pg and is kept between runs: the seeded workspace is
# reused while it still holds exactly BENCH_LEADS leads. The server is stopped again when this run
# started it. See bench/README.md for what is measured and how to read it.
#
#   BENCH_LEADS        leads in the workspace (default 1000000; other sizes get workspace bench-<N>)
#   BENCH_RUNS         repetitions of the short measurements (default 7)
#   BENCH_SYNC_RUNS    repetitions of the full sync and of the memory run (default 3)
#   BENCH_CONCURRENCY  connections of the list throughput run, wrk and pgbench alike (default 16)
#   BENCH_DURATION     seconds of each wrk / pgbench run (default 10)
#   BENCH_PG_PORT      port of the bench cluster when this run starts it (default: a free port)
#   BENCH_RESULTS      where to write the report (default bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOFKIT_SCRIPT=bench   # what say() prints before its messages
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
PG_DIR=.roofkit/bench-pg
DB_NAME=roofkit_bench
export BENCH_LEADS=${BENCH_LEADS:-1000000}
if ! [[ $BENCH_LEADS =~ ^[1-9][0-9]*$ ]] || [ "$BENCH_LEADS" -lt 20000 ]; then
  echo "bench: BENCH_LEADS must be a whole number of at least 20000 (two segments)" >&2
  exit 2
fi
if [ "$BENCH_LEADS" = 1000000 ]; then SLUG=bench; else SLUG=bench-$BENCH_LEADS; fi
export BENCH_SLUG=$SLUG
OUT=bench/out
mkdir -p "$OUT"

# --- tools ------------------------------------------------------------------------------------
ensure_commands curl python3 wrk
pg_ensure_installed
if [ ! -x "$PG_BIN/pgbench" ]; then
  say "pgbench not found next to $PG_BIN/psql; installing postgresql-contrib"
  apt_install postgresql-contrib
fi

# --- build ------------------------------------------------------------------------------------
api_build
# Section 6's reference point: the list's first page with the least .NET can do (bench/floor/Program.cs).
FLOOR_OUT=$OUT/floor
say "building the floor (bench/floor, Release)"
dotnet publish bench/floor/Floor.csproj -c Release -o "$FLOOR_OUT" -nologo -v quiet >&2

# --- cleanup ----------------------------------------------------------------------------------
api_pid=
floor_pid=
cluster_started=0
key_id=
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  if [ -n "$api_pid" ]; then stop_process "$api_pid"; fi
  if [ -n "$floor_pid" ]; then stop_process "$floor_pid"; fi
  if [ -n "$key_id" ]; then
    dotnet "$ROOFKIT_API_DLL" keys revoke "$key_id" >/dev/null 2>&1 || true
  fi
  if [ "$cluster_started" = 1 ]; then
    say "stopping PostgreSQL ($PG_DIR)"
    pg_stop "$PG_DIR" || true
  fi
  release_ports
}
on_exit cleanup

# --- database ---------------------------------------------------------------------------------
mkdir -p .roofkit
chmod 711 .roofkit
PG_STARTED=0
pg_start "$PG_DIR" "${BENCH_PG_PORT:-$(free_port)}" || { cluster_started=$PG_STARTED; exit 1; }
cluster_started=$PG_STARTED
pg_create_db "$DB_NAME"
URI=$(pg_uri "$DB_NAME")
say "PostgreSQL $PG_CLUSTER on 127.0.0.1:$PG_PORT, database $DB_NAME"

export ConnectionStrings__Default=$URI
api_env Production
export Logging__LogLevel__Default=Warning
# Fresh per run: cursors need not outlive it.
export_signing_key

sql() { pg_psql -d "$DB_NAME" -tA -c "$1"; }

dotnet "$ROOFKIT_API_DLL" migrate >&2
leads=$(sql "SELECT count(*) FROM leads l JOIN workspaces w ON w.id = l.workspace_id WHERE w.slug = '$SLUG'")
if [ "$leads" = "$BENCH_LEADS" ]; then
  say "reusing workspace $SLUG ($leads leads)"
else
  if [ -n "$(sql "SELECT 1 FROM workspaces WHERE slug = '$SLUG'")" ]; then
    say "workspace $SLUG holds $leads leads, not $BENCH_LEADS: deleting it"
    sql "DELETE FROM workspaces WHERE slug = '$SLUG'" >/dev/null
  fi
  dotnet "$ROOFKIT_API_DLL" workspaces create --slug "$SLUG" --name "Benchmark ($BENCH_LEADS leads)" >&2
  say "seeding $BENCH_LEADS leads (once; later runs reuse them)"
  seed_start=$(date +%s)
  # One COPY batch (100,000 rows and their trigram index entries) can outlast the API's 30 s statement
  # timeout on a busy machine; the seed is an operator's command, not a request.
  Database__StatementTimeoutSeconds=3600 dotnet "$ROOFKIT_API_DLL" seed --workspace "$SLUG" --leads "$BENCH_LEADS" --seed 1 >&2
  say "seeded in $(($(date +%s) - seed_start)) s"
fi
# Sets the visibility map (index-only scans) and fresh statistics, as autovacuum would in time.
say "VACUUM (ANALYZE)"
sql "VACUUM (ANALYZE) leads" >/dev/null
sql "VACUUM (ANALYZE) status_stages" >/dev/null

# --- key and API ------------------------------------------------------------------------------
key_out=$(dotnet "$ROOFKIT_API_DLL" keys create --workspace "$SLUG" --name "bench $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --scopes leads.read,leads.export --json)
BENCH_KEY=$(json_field key <<<"$key_out")
key_id=$(json_field id <<<"$key_out")
export BENCH_KEY

API_PORT=$(free_port)
export BENCH_BASE_URL=http://127.0.0.1:$API_PORT
# Rate limits must not shape the figures: this API instance allows a billion requests a minute.
export RateLimits__Export__PermitLimit=1000000000 RateLimits__List__PermitLimit=1000000000
# The 8 concurrent exporters of section 5 share one workspace: its export slots are lifted like the rate limits.
export Exports__MaxConcurrentPerWorkspace=1000
say "starting the API on $BENCH_BASE_URL (Release, Production, rate limits lifted)"
dotnet "$ROOFKIT_API_DLL" --urls "$BENCH_BASE_URL" >"$OUT/api.log" 2>&1 &
api_pid=$!
wait_for_http "$BENCH_BASE_URL/healthz" "$api_pid" "$OUT/api.log" || exit 1

export BENCH_API_PID=$api_pid

FLOOR_PORT=$(free_port)
export BENCH_FLOOR_URL=http://127.0.0.1:$FLOOR_PORT
say "starting the floor on $BENCH_FLOOR_URL"
BENCH_FLOOR_DB="Host=127.0.0.1;Port=$PG_PORT;Database=$DB_NAME;Username=$PG_SUPERUSER;Password=$PG_PASSWORD" \
BENCH_FLOOR_WORKSPACE=$(sql "SELECT id FROM workspaces WHERE slug = '$SLUG'") \
  dotnet "$FLOOR_OUT/Floor.dll" --urls "$BENCH_FLOOR_URL" >"$OUT/floor.log" 2>&1 &
floor_pid=$!
wait_for_http "$BENCH_FLOOR_URL/healthz" "$floor_pid" "$OUT/floor.log" || exit 1
export BENCH_FLOOR_PID=$floor_pid
export BENCH_PSQL=$PG_BIN/psql BENCH_PGBENCH=$PG_BIN/pgbench
export BENCH_PG_HOST=127.0.0.1 BENCH_PG_PORT_USED=$PG_PORT BENCH_PG_USER=$PG_SUPERUSER BENCH_PG_DB=$DB_NAME
export BENCH_PG_PASSWORD=$PG_PASSWORD
export BENCH_RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
export BENCH_OUT=$OUT

# The numbers in RESULTS.md are the ones printed here; the whole output is also kept in bench/out.
log=$OUT/bench-$(date -u +%Y%m%dT%H%M%SZ).log
set +e
python3 -u bench/bench.py 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
say "log: $log"
exit "$rc"
