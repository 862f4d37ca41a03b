#!/usr/bin/env bash
# make soak: a bounded, mixed load against the Release API, to show that it stays up, correct and flat.
#
# A throwaway PostgreSQL cluster (removed on exit), a seeded workspace, SOAK_KEY_COUNT keys, one revoked key;
# the Release API as in production (no trusted proxy: every bad key counts in one invalid-auth bucket); then
# five wrk processes at once for SOAK_SECONDS: list, export, status stages, bad keys, and one key that asks for
# more than its bucket holds (bench/soak.lua).
# The API's RSS is sampled every second. Writes bench/SOAK.md and fails when any answer is a 5xx, a socket
# error or timeout, or anything but what the traffic calls for (200; 429 rate_limited past a key's bucket;
# 401 invalid_api_key and 429 auth_rate_limited for bad keys), when memory does not stay flat, or when the API logs an
# error (bench/soak_report.py judges and writes the report; a failing verdict quotes its evidence).
# The run's logs (the API's, wrk's, the RSS samples) stay in bench/out/soak-<UTC time>/ (git-ignored).
#
#   SOAK_SECONDS       length of the measured load (default 60); a 10 s warm-up of the same mix comes first
#   SOAK_LEADS         leads in the soak workspace (default 20000)
#   SOAK_KEY_COUNT     keys the good traffic is spread over (default 12)
#   SOAK_LIST_LIMIT    RateLimits:List:PermitLimit per key and minute (default 6000, ten times production, so
#                      that list traffic mostly does real work)
#   SOAK_EXPORT_LIMIT  RateLimits:Export:PermitLimit per key and minute (default 60, as in production)
#   SOAK_REPORT        where to write the report (default bench/SOAK.md)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
DB_NAME=roofkit_soak
SLUG=soak
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_LEADS=${SOAK_LEADS:-20000}
SOAK_KEY_COUNT=${SOAK_KEY_COUNT:-12}
SOAK_LIST_LIMIT=${SOAK_LIST_LIMIT:-6000}
SOAK_EXPORT_LIMIT=${SOAK_EXPORT_LIMIT:-60}
SOAK_REPORT=${SOAK_REPORT:-bench/SOAK.md}
WARMUP_SECONDS=10
for n in SOAK_SECONDS SOAK_LEADS SOAK_KEY_COUNT SOAK_LIST_LIMIT SOAK_EXPORT_LIMIT; do
  if ! [[ ${!n} =~ ^[1-9][0-9]*$ ]]; then
    echo "soak: $n must be a positive whole number, not '${!n}'" >&2
    exit 2
  fi
done

# --- tools ------------------------------------------------------------------------------------
ensure_commands curl python3 wrk
pg_ensure_installed

api_build

# --- cleanup ----------------------------------------------------------------------------------
# The database is thrown away; what the verdict is judged on (the API's log, wrk's output, the RSS samples) is kept.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/roofkit-soak.XXXXXX")
chmod 711 "$tmp"   # as root the cluster belongs to the postgres user, who must pass through
run_dir=bench/out/soak-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$run_dir"
api_pid=
sampler_pid=
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; fi
  if [ -n "$api_pid" ]; then stop_process "$api_pid"; fi
  pg_remove "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf -- "$tmp"
  release_ports
  say "the run's logs: $run_dir/"
}
on_exit cleanup

# --- database, data and keys ------------------------------------------------------------------
pg_start "$tmp/pg" "$(free_port)" fast
pg_create_db "$DB_NAME"
# shellcheck disable=SC2153  # PG_PORT is set by pg_start
export ConnectionStrings__Default
ConnectionStrings__Default=$(pg_uri "$DB_NAME")
say "PostgreSQL on 127.0.0.1:$PG_PORT, database $DB_NAME"
api_env Production
export Logging__LogLevel__Default=Warning
export_signing_key

admin() { dotnet "$ROOFKIT_API_DLL" "$@"; }
admin migrate >/dev/null
admin workspaces create --slug "$SLUG" --name "Soak ($SOAK_LEADS leads)" >/dev/null
say "seeding $SOAK_LEADS leads"
admin seed --workspace "$SLUG" --leads "$SOAK_LEADS" --seed 1 >/dev/null
pg_psql -d "$DB_NAME" -c "VACUUM (ANALYZE)" >/dev/null
keys=()
for i in $(seq 1 "$SOAK_KEY_COUNT"); do
  keys+=("$(admin keys create --workspace "$SLUG" --name "soak $i" --scopes leads.read,leads.export --json | json_field key)")
done
SOAK_LIMITED_KEY=$(admin keys create --workspace "$SLUG" --name "soak over the limit" --scopes leads.export --json | json_field key)
revoked_out=$(admin keys create --workspace "$SLUG" --name "soak revoked" --scopes leads.read,leads.export --json)
admin keys revoke "$(json_field id <<<"$revoked_out")" >/dev/null
# What bench/soak.lua sends.
SOAK_KEYS="${keys[*]}"
SOAK_REVOKED_KEY=$(json_field key <<<"$revoked_out")
export SOAK_KEYS SOAK_REVOKED_KEY SOAK_LIMITED_KEY

# --- the API ----------------------------------------------------------------------------------
API_PORT=$(free_port)
BASE_URL=http://127.0.0.1:$API_PORT
export RateLimits__List__PermitLimit=$SOAK_LIST_LIMIT RateLimits__Export__PermitLimit=$SOAK_EXPORT_LIMIT SOAK_EXPORT_LIMIT
say "starting the API on $BASE_URL (Release, Production)"
dotnet "$ROOFKIT_API_DLL" --urls "$BASE_URL" >"$run_dir/api.log" 2>&1 &
api_pid=$!
wait_for_http "$BASE_URL/healthz" "$api_pid" "$run_dir/api.log" || exit 1

rss_mb() { ps -o rss= -p "$api_pid" | awk '{printf "%.1f", $1 / 1024}'; }

# One wrk process per kind of traffic, at once; connections roughly as partners would weigh them.
run_mix() {
  local seconds=$1 out=$2 pids=() kind conns
  for spec in list:6 export:3 stages:2 badkeys:1 overlimit:1; do
    kind=${spec%%:*} conns=${spec##*:}
    wrk -t1 -c"$conns" -d"${seconds}s" --timeout 30s -s bench/soak.lua "$BASE_URL" -- "$kind" >"$out.$kind" 2>&1 &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

say "warm-up: ${WARMUP_SECONDS} s of the same mix"
run_mix "$WARMUP_SECONDS" "$run_dir/warmup"
sleep 2
rss_start=$(rss_mb)

say "load: ${SOAK_SECONDS} s (RSS at start $rss_start MB)"
(while kill -0 "$api_pid" 2>/dev/null; do printf '%s %s\n' "$(date +%s)" "$(rss_mb)"; sleep 1; done) >"$run_dir/rss" 2>/dev/null &
sampler_pid=$!
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
started_epoch=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
run_mix "$SOAK_SECONDS" "$run_dir/load"
rss_end=$(rss_mb)
ended_epoch=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=
sleep 5
rss_idle=$(rss_mb)
busy=$(pg_psql -d "$DB_NAME" -tAc \
  "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'roofkit-api' AND state <> 'idle'")
open=$(pg_psql -d "$DB_NAME" -tAc \
  "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'roofkit-api'")

# --- report -----------------------------------------------------------------------------------
export SOAK_RUN_DIR=$run_dir SOAK_STARTED=$started SOAK_RSS_START=$rss_start SOAK_RSS_END=$rss_end SOAK_RSS_IDLE=$rss_idle
export SOAK_LOAD_START=$load_start SOAK_LOAD_END=$load_end SOAK_STARTED_EPOCH=$started_epoch SOAK_ENDED_EPOCH=$ended_epoch
export SOAK_BUSY=$busy SOAK_OPEN=$open SOAK_SECONDS SOAK_LEADS SOAK_KEY_COUNT
export SOAK_LIST_LIMIT SOAK_EXPORT_LIMIT SOAK_REPORT
SOAK_COMMIT=${SOAK_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
SOAK_DOTNET=$(dotnet --version)
SOAK_PG=$("$PG_BIN/postgres" --version | awk '{print $3}')
SOAK_WRK=$({ wrk --version 2>&1 || true; } | head -n 1 | awk '{print $2}')
export SOAK_COMMIT SOAK_DOTNET SOAK_PG SOAK_WRK
python3 bench/soak_report.py
