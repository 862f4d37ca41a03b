#!/usr/bin/env bash
# make cluster-bench: list and export throughput through nginx, with one and with two API instances, on the topology
# of `make cluster` (primary + streaming replica, reads on the replica). Not part of make test.
# For each instance count: a throwaway cluster (scripts/cluster.sh, rate limits raised out of the way), a warm-up,
# then wrk for CLUSTER_BENCH_SECONDS on list (50-lead first pages) and on export (1,000-row segments). Writes
# bench/CLUSTER.md (CLUSTER_BENCH_REPORT).
#
#   CLUSTER_BENCH_SECONDS       length of each measured run (default 20)
#   CLUSTER_BENCH_CONNECTIONS   wrk connections for list (default 32); export uses 8
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOFKIT_SCRIPT="cluster-bench"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

SECONDS_EACH=${CLUSTER_BENCH_SECONDS:-20}
LIST_CONNECTIONS=${CLUSTER_BENCH_CONNECTIONS:-32}
EXPORT_CONNECTIONS=8
REPORT=${CLUSTER_BENCH_REPORT:-bench/CLUSTER.md}
PORT_BASE=${CLUSTER_BENCH_PORT_BASE:-5097}   # beside make cluster (5090)
ensure_commands wrk curl

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roofkit-cluster-bench.XXXXXX")
chmod 711 "$tmp"
cluster_pid=
# shellcheck disable=SC2317  # runs from the traps below
stop_cluster() {
  if [ -n "$cluster_pid" ] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid" 2>/dev/null || true
    wait "$cluster_pid" 2>/dev/null || true
  fi
  cluster_pid=
}
# shellcheck disable=SC2317
remove_cluster() {
  (pg_remove "$tmp/cluster/primary" && pg_remove "$tmp/cluster/replica") >/dev/null 2>&1 || true
  rm -rf -- "${tmp:?}/cluster" "$tmp/cluster.env" "/tmp/roofkit-nginx-$(printf '%s' "$tmp/cluster" | sha256sum | cut -c1-12)"
}
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  stop_cluster
  remove_cluster
  rm -rf -- "$tmp"
}
on_exit cleanup

# CPU seconds so far of the process trees: the API instances, both PostgreSQL servers (backends that ended are in
# the postmaster's cutime), nginx. Printed as "api pg nginx".
cpu_now() {
  local pg_pids
  pg_pids="$(head -n 1 "$(pg_cluster_dir "$tmp/cluster/primary")/data/postmaster.pid") $(head -n 1 "$(pg_cluster_dir "$tmp/cluster/replica")/data/postmaster.pid")"
  python3 - "$(cat "$tmp"/cluster/api*.pid | tr '\n' ' ')" "$pg_pids" "$(cat "$NGINX_PID_FILE")" <<'PY'
import os, sys
hz = os.sysconf("SC_CLK_TCK")
children = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            fields = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(d))
def tree(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(x) for x in f[11:15]) + sum(tree(c) for c in children.get(pid, []))
print(" ".join("%.3f" % (sum(tree(int(p)) for p in group.split()) / hz) for group in sys.argv[1:]))
PY
}

# wrk's summary as "req/s p50 p99 non2xx(statuses) api-ms pg-ms nginx-ms errors" (CPU milliseconds per request).
wrk_run() {
  local out before after
  : >"${NGINX_PID_FILE%/*}/access.log"
  before=$(cpu_now)
  out=$(wrk -t2 -c"$1" -d"${SECONDS_EACH}s" --timeout 10s --latency -H "Authorization: Bearer $KEY" "$2")
  after=$(cpu_now)
  printf '%s\n' "$out" >>"$tmp/wrk.log"
  # wrk counts non-2xx answers but not which: nginx's access log (flushed every second) says.
  sleep 2
  statuses=$(awk '$9 !~ /^2/ { n[$9]++ } END { for (s in n) printf "%s%s:%d", (k++ ? "," : ""), s, n[s] }' \
    "${NGINX_PID_FILE%/*}/access.log")
  awk -v before="$before" -v after="$after" -v statuses="$statuses" '
    /requests in / { requests = $1 }
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
    /Non-2xx or 3xx responses:/ { non2xx = $5 }
    /Socket errors:/ { errs = $0; sub(/.*Socket errors: /, "", errs) }
    END {
      split(before, b, " "); split(after, a, " ")
      printf "%s %s %s %s%s %.2f %.2f %.2f %s\n", rps, p50, p99, (non2xx == "" ? 0 : non2xx),
        (statuses == "" ? "" : "(" statuses ")"),
        (a[1] - b[1]) * 1000 / requests, (a[2] - b[2]) * 1000 / requests, (a[3] - b[3]) * 1000 / requests,
        (errs == "" ? "none" : errs)
    }
  ' <<<"$out"
}

rows=()
for n in 1 2; do
  remove_cluster
  say "starting a cluster with $n instance(s)"
  CLUSTER_DIR=$tmp/cluster CLUSTER_ENV=$tmp/cluster.env CLUSTER_INSTANCES=$n CLUSTER_PORT_BASE=$PORT_BASE \
    CLUSTER_PG_PORT=${CLUSTER_BENCH_PG_PORT:-5448} \
    RateLimits__List__PermitLimit=100000000 RateLimits__Export__PermitLimit=100000000 \
    Exports__MaxConcurrentPerWorkspace=$EXPORT_CONNECTIONS Logging__LogLevel__Default=Warning \
    scripts/cluster.sh >"$tmp/cluster-$n.log" 2>&1 &
  cluster_pid=$!
  for _ in $(seq 1 600); do
    [ -f "$tmp/cluster/ready" ] && break
    kill -0 "$cluster_pid" 2>/dev/null || { tail -n 30 "$tmp/cluster-$n.log" >&2; exit 1; }
    sleep 0.5
  done
  # shellcheck source=/dev/null
  source "$tmp/cluster.env"
  KEY=$ROOFKIT_DEMO_KEY
  NGINX_PID_FILE=$tmp/cluster/nginx/nginx.pid
  [ -f "$NGINX_PID_FILE" ] || NGINX_PID_FILE=/tmp/roofkit-nginx-$(printf '%s' "$tmp/cluster" | sha256sum | cut -c1-12)/nginx.pid
  list_url="$ROOFKIT_BASE_URL/api/v1/leads?limit=50"
  export_url="$ROOFKIT_BASE_URL/api/v1/leads/export?limit=1000"
  say "warming up"
  wrk -t2 -c8 -d5s -H "Authorization: Bearer $KEY" "$list_url" >/dev/null
  wrk -t2 -c4 -d5s -H "Authorization: Bearer $KEY" "$export_url" >/dev/null
  load=$(cut -d' ' -f1 /proc/loadavg)
  say "list, $LIST_CONNECTIONS connections, ${SECONDS_EACH} s"
  list=$(wrk_run "$LIST_CONNECTIONS" "$list_url")
  say "export, $EXPORT_CONNECTIONS connections, ${SECONDS_EACH} s"
  export=$(wrk_run "$EXPORT_CONNECTIONS" "$export_url")
  rows+=("$n|$load|$list|$export")
  stop_cluster
done

{
  echo "# Throughput through nginx: one and two API instances (make cluster-bench)"
  echo
  echo "Written by \`bench/cluster.sh\` on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))."
  echo "The topology of \`make cluster\`: nginx, the Release API, a PostgreSQL primary (keys, counters) and a streaming"
  echo "replica (reads), all on this machine. Rate limits raised out of the way; the demo workspace (25,000 leads);"
  echo "wrk -t2 --timeout 10s for ${SECONDS_EACH} s after a warm-up. List: \`GET /api/v1/leads?limit=50\` (first pages: horizon"
  echo "reading, replica check, key and counter on the primary, 51 rows from the replica), $LIST_CONNECTIONS connections."
  echo "Export: \`GET /api/v1/leads/export?limit=1000\`, $EXPORT_CONNECTIONS connections (and as many export slots)."
  echo "Load average: the 1-minute load just before the measured runs (other work on this machine included)."
  echo
  echo "CPU per request: CPU time of the API instances, of both PostgreSQL servers and of nginx during the measured run"
  echo "(from /proc), divided by the requests served; unlike req/s it hardly changes when other work shares the machine."
  echo
  echo "| instances | load avg | list req/s | list p50 | list p99 | list non-2xx (status:count) | list CPU ms/request: API, PostgreSQL, nginx | export req/s | export rows/s | export p50 | export p99 | export non-2xx (status:count) | export CPU ms/request: API, PostgreSQL, nginx | socket errors (list; export) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for row in "${rows[@]}"; do
    IFS='|' read -r n load list export <<<"$row"
    read -r lr l50 l99 lnon lapi lpg lng lerr <<<"$list"
    read -r er e50 e99 enon eapi epg eng eerr <<<"$export"
    erows=$(awk -v r="$er" 'BEGIN { printf "%.0f", r * 1000 }')
    echo "| $n | $load | $lr | $l50 | $l99 | $lnon | $lapi, $lpg, $lng | $er | $erows | $e50 | $e99 | $enon | $eapi, $epg, $eng | $lerr; $eerr |"
  done
} >"$REPORT"
cat "$REPORT"
