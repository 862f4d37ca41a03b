#!/usr/bin/env bash
# make soak: a bounded, mixed load against the Release API, to show that it stays up, correct and flat.
#
# A throwaway PostgreSQL cluster (removed on exit), a seeded workspace, SOAK_KEY_COUNT keys, one revoked key;
# the Release API as in production (no trusted proxy: every bad key counts in one invalid-auth bucket); then
# five wrk processes at once for SOAK_SECONDS: list, export, status stages, bad keys, and one key that asks for
# more than its bucket holds (bench/soak.lua).
# The API's RSS is sampled every second. Writes bench/SOAK.md and fails when any answer is a 5xx, a socket
# error or timeout, or anything but what the traffic calls for (200; 429 rate_limited past a key's bucket;
# 401 invalid_api_key and 429 auth_rate_limited for bad keys), or when memory does not stay flat.
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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/roofkit-soak.XXXXXX")
chmod 711 "$tmp"   # as root the cluster belongs to the postgres user, who must pass through
api_pid=
sampler_pid=
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; fi
  if [ -n "$api_pid" ]; then stop_process "$api_pid"; fi
  pg_remove "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf -- "$tmp"
  release_ports
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
dotnet "$ROOFKIT_API_DLL" --urls "$BASE_URL" >"$tmp/api.log" 2>&1 &
api_pid=$!
wait_for_http "$BASE_URL/healthz" "$api_pid" "$tmp/api.log" || exit 1

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
run_mix "$WARMUP_SECONDS" "$tmp/warmup"
sleep 2
rss_start=$(rss_mb)

say "load: ${SOAK_SECONDS} s (RSS at start $rss_start MB)"
(while kill -0 "$api_pid" 2>/dev/null; do printf '%s %s\n' "$(date +%s)" "$(rss_mb)"; sleep 1; done) >"$tmp/rss" 2>/dev/null &
sampler_pid=$!
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
started_epoch=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
run_mix "$SOAK_SECONDS" "$tmp/load"
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
api_errors=$(grep -c -E '^(fail|crit):' "$tmp/api.log" || true)

# --- report -----------------------------------------------------------------------------------
export SOAK_TMP=$tmp SOAK_STARTED=$started SOAK_RSS_START=$rss_start SOAK_RSS_END=$rss_end SOAK_RSS_IDLE=$rss_idle
export SOAK_LOAD_START=$load_start SOAK_LOAD_END=$load_end SOAK_STARTED_EPOCH=$started_epoch SOAK_ENDED_EPOCH=$ended_epoch
export SOAK_BUSY=$busy SOAK_OPEN=$open SOAK_API_ERRORS=$api_errors SOAK_SECONDS SOAK_LEADS SOAK_KEY_COUNT
export SOAK_LIST_LIMIT SOAK_EXPORT_LIMIT SOAK_REPORT
SOAK_COMMIT=${SOAK_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
SOAK_DOTNET=$(dotnet --version)
SOAK_PG=$("$PG_BIN/postgres" --version | awk '{print $3}')
SOAK_WRK=$({ wrk --version 2>&1 || true; } | head -n 1 | awk '{print $2}')
export SOAK_COMMIT SOAK_DOTNET SOAK_PG SOAK_WRK
python3 - <<'EOF'
import json, os, sys

tmp = os.environ["SOAK_TMP"]
expected = {
    "list": {"200", "429 rate_limited"},
    "export": {"200", "429 rate_limited"},
    "stages": {"200", "429 rate_limited"},
    "badkeys": {"401 invalid_api_key", "429 auth_rate_limited"},
    "overlimit": {"200", "429 rate_limited"},
}
runs = []
for kind in ["list", "export", "stages", "badkeys", "overlimit"]:
    text = open(f"{tmp}/load.{kind}").read()
    line = next((l for l in text.splitlines() if l.startswith('{"kind"')), None)
    if line is None:
        sys.exit(f"soak: wrk printed no summary for {kind}:\n{text}")
    runs.append(json.loads(line))

problems = []
rows = []
server_errors = 0
socket_error_total = 0
total_requests = 0
all_statuses = {}
for run in runs:
    kind, statuses = run["kind"], run["statuses"]
    seconds = run["duration_us"] / 1e6
    total_requests += run["requests"]
    for label, n in statuses.items():
        all_statuses[label] = all_statuses.get(label, 0) + n
        if label.startswith("5"):
            server_errors += n
            problems.append(f"{kind}: {n} x {label}")
        elif label not in expected[kind]:
            problems.append(f"{kind}: {n} x {label}, which this traffic must never get")
    socket_errors = {k: v for k, v in run["errors"].items() if k != "status" and v}
    socket_error_total += sum(socket_errors.values())
    if socket_errors:
        problems.append(f"{kind}: socket errors {socket_errors}")
    lat = run["latency_us"]
    shown = ", ".join(f"{label}: {n:,}" for label, n in sorted(statuses.items()))
    rows.append(f"| {kind} | {run['requests']:,} | {run['requests'] / seconds:,.0f} | {shown} | "
                f"{lat['p50'] / 1000:.1f} | {lat['p99'] / 1000:.1f} | {lat['max'] / 1000:.1f} | {run['bytes'] / 1e6:,.0f} |")

# The key over its limit: its bucket lets through at most the limit per clock-aligned minute. The warm-up ran in
# the minute before the load began, so the windows are those from that one to the last one of the load.
over = next(r for r in runs if r["kind"] == "overlimit")
limit = int(os.environ["SOAK_EXPORT_LIMIT"])
first_window = (int(os.environ["SOAK_STARTED_EPOCH"]) - 15) // 60
windows = int(os.environ["SOAK_ENDED_EPOCH"]) // 60 - first_window + 1
allowed = over["statuses"].get("200", 0)
if allowed > limit * windows:
    problems.append(f"overlimit: {allowed} exports allowed, more than {limit} a minute over {windows} windows")
if over["statuses"].get("429 rate_limited", 0) == 0:
    problems.append("overlimit: never limited, so the key's bucket was not tested")

samples = [float(l.split()[1]) for l in open(f"{tmp}/rss") if len(l.split()) == 2]
rss_start, rss_end, rss_idle = (float(os.environ[k]) for k in ("SOAK_RSS_START", "SOAK_RSS_END", "SOAK_RSS_IDLE"))
peak = max(samples + [rss_end])
half = len(samples) // 2
first_half_peak = max(samples[:half] or [rss_start])
second_half_peak = max(samples[half:] or [rss_end])
# Flat: the second half of the run climbs no higher than the first half did (plus 10%), and the end is within
# 25% of the start. A leak climbs through the whole run; a working set reached in the first seconds does not.
if second_half_peak > first_half_peak * 1.10 + 5:
    problems.append(f"memory climbs: peak {first_half_peak:.0f} MB in the first half, {second_half_peak:.0f} MB in the second")
if rss_end > rss_start * 1.25 + 10:
    problems.append(f"memory grew from {rss_start:.0f} MB to {rss_end:.0f} MB")
if os.environ["SOAK_BUSY"] != "0":
    problems.append(f"{os.environ['SOAK_BUSY']} database connections of the API still busy 5 s after the load")
if os.environ["SOAK_API_ERRORS"] != "0":
    problems.append(f"the API logged {os.environ['SOAK_API_ERRORS']} errors (fail/crit)")

status_total = ", ".join(f"{label}: {n:,}" for label, n in sorted(all_statuses.items()))
verdict = "PASS" if not problems else "FAIL"
env = os.environ
report = f"""# Soak: {verdict}

`make soak` ({env['SOAK_SECONDS']} s of mixed load; `SOAK_SECONDS=600 make soak` for longer). Run {env['SOAK_STARTED']},
commit `{env['SOAK_COMMIT']}`, .NET SDK {env['SOAK_DOTNET']}, PostgreSQL {env['SOAK_PG']}, wrk {env['SOAK_WRK']},
{os.cpu_count()} cores (load average {env['SOAK_LOAD_START']} at the start, {env['SOAK_LOAD_END']} at the end:
the machine is shared, so latencies are those of this moment, not a benchmark). The API is the Release build in Production mode; the database a throwaway cluster on the
same machine (fsync off), one workspace of {int(env['SOAK_LEADS']):,} seeded leads.

## Load

Five `wrk` processes at once (bench/soak.lua), after a 10 s warm-up of the same mix:

- **list**: 6 connections, `GET /api/v1/leads` with limits of 10 to 200 and random `source`, `medium`, `from`, `search` filters;
- **export**: 3 connections, `GET /api/v1/leads/export` of 100 (60%), 1,000 (30%) or 10,000 rows (10%), 30% filtered, gzip;
- **stages**: 2 connections, `GET /api/v1/status-stages`;
- **badkeys**: 1 connection, any endpoint with a made-up, malformed or revoked key;
- **overlimit**: 1 connection, 10-row exports with a key of its own, as fast as they come back: more than its bucket allows.

The good traffic is spread over {env['SOAK_KEY_COUNT']} keys, with per-key limits of {int(env['SOAK_LIST_LIMIT']):,} list and
{int(env['SOAK_EXPORT_LIMIT']):,} export requests a minute (production: 600 and 60), so that most requests do real work and
the rest meet the limit the contract sets. Bad keys all come from 127.0.0.1 with no trusted proxy: one invalid-auth
bucket of 30 failures a minute, so most of them get 429 `auth_rate_limited`, as the contract says.

## Results

{total_requests:,} requests in {env['SOAK_SECONDS']} s. Statuses: {status_total}.

| traffic | requests | req/s | statuses | p50 ms | p99 ms | max ms | MB received |
|---|---:|---:|---|---:|---:|---:|---:|
{chr(10).join(rows)}

Allowed: 200 and 429 `rate_limited` for good keys; 401 `invalid_api_key` and 429 `auth_rate_limited` for bad keys.
The key over its limit got {allowed:,} exports through in {windows} clock minutes (at most {limit:,} a minute) and
{over['statuses'].get('429 rate_limited', 0):,} answers 429 `rate_limited`.
5xx answers: {server_errors}. Socket errors and timeouts: {socket_error_total}.

## Memory and connections

| API RSS | MB |
|---|---:|
| start of the load (after the warm-up) | {rss_start:.0f} |
| peak during the load | {peak:.0f} |
| peak in the first half / second half | {first_half_peak:.0f} / {second_half_peak:.0f} |
| end of the load | {rss_end:.0f} |
| 5 s after the load | {rss_idle:.0f} |

Database connections of the API 5 s after the load: {env['SOAK_OPEN']} open, {env['SOAK_BUSY']} busy.
Errors in the API's log (fail/crit): {env['SOAK_API_ERRORS']}.

## Verdict

{"All checks passed." if not problems else chr(10).join("- " + p for p in problems)}
"""
open(env["SOAK_REPORT"], "w").write(report)
print(report)
sys.exit(0 if not problems else 1)
EOF
