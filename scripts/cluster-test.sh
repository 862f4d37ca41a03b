#!/usr/bin/env bash
# make cluster-test: start the cluster of `make cluster` in a throwaway directory, run the checks of
# tests/cluster/cluster_checks.py against it (through nginx, with both instances, the replica paused and one instance
# killed), stop everything and report. The last line is `cluster checks: N passed, N failed`; exit 1 on any failure.
#
#   CLUSTER_TEST_PORT_BASE   nginx on it, instances on the next two, their metrics on BASE+401 and BASE+402
#                            (default: five free ports, each reserved by free_port, so it runs beside `make cluster`,
#                            a test run or another checkout's cluster-test)
#   CLUSTER_TEST_PG_PORT     primary on it, replica on the next (default: two free ports)
#   CLUSTER_SUMMARY          also write "PASSED FAILED" to this file (for a caller that sums results)
#   extra arguments          names of the checks to run (default: all)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roofkit-cluster-test.XXXXXX")
chmod 711 "$tmp"   # as root the postgres user and nginx's user pass through
cluster_pid=
summary_printed=0
# shellcheck disable=SC2317  # runs from the traps below
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  trap '' INT TERM
  if [ -n "$cluster_pid" ] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid" 2>/dev/null || true
    wait "$cluster_pid" 2>/dev/null || true
  fi
  # cluster.sh stopped its databases; remove them (as root they may live elsewhere: pg_remove knows where).
  (pg_remove "$tmp/cluster/primary" && pg_remove "$tmp/cluster/replica") >/dev/null 2>&1 || true
  release_ports
  rm -rf -- "$tmp" "/tmp/roofkit-nginx-$(printf '%s' "$tmp/cluster" | sha256sum | cut -c1-12)"
  if [ "$summary_printed" = 0 ]; then
    echo "cluster checks: 0 passed, 1 failed"
    if [ -n "${CLUSTER_SUMMARY:-}" ]; then echo "0 1" >"$CLUSTER_SUMMARY"; fi
    [ "$rc" -ne 0 ] || rc=1
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
# One free_port per assignment: set -e sees a failed one (in a list of substitutions it would see only the last).
free_ports() {
  local n=$1 list=() port
  for _ in $(seq 1 "$n"); do
    port=$(free_port) || return 1
    list+=("$port")
  done
  printf '%s\n' "${list[*]}"
}
if [ -n "${CLUSTER_TEST_PORT_BASE:-}" ]; then
  ports=(CLUSTER_PORT_BASE="$CLUSTER_TEST_PORT_BASE")
else
  app_ports=$(free_ports 5)
  ports=(CLUSTER_PORTS="$app_ports")
fi
if [ -n "${CLUSTER_TEST_PG_PORT:-}" ]; then
  ports+=(CLUSTER_PG_PORT="$CLUSTER_TEST_PG_PORT")
else
  pg_ports=$(free_ports 2)
  ports+=(CLUSTER_PG_PORT="${pg_ports% *}" CLUSTER_PG_REPLICA_PORT="${pg_ports#* }")
fi
# The workspace's export slots (4 by default) are lifted, so that in the 75 concurrent exports the key's bucket alone
# decides which are served: exactly the bucket's remaining count, the rest 429 rate_limited.
env Exports__MaxConcurrentPerWorkspace=1000 CLUSTER_DIR="$tmp/cluster" CLUSTER_ENV="$tmp/cluster.env" "${ports[@]}" \
  scripts/cluster.sh >"$tmp/cluster.log" 2>&1 &
cluster_pid=$!
for _ in $(seq 1 600); do
  [ -f "$tmp/cluster/ready" ] && break
  if ! kill -0 "$cluster_pid" 2>/dev/null; then
    echo "cluster-test: the cluster did not start; its output:" >&2
    tail -n 40 "$tmp/cluster.log" >&2
    exit 1
  fi
  sleep 0.5
done
[ -f "$tmp/cluster/ready" ] || { tail -n 40 "$tmp/cluster.log" >&2; echo "cluster-test: no cluster after 300 s" >&2; exit 1; }
echo "cluster-test: cluster up in $(($(date +%s) - started)) s; running the checks" >&2

checks_rc=0
ROOFKIT_CLUSTER_ENV=$tmp/cluster.env python3 tests/cluster/cluster_checks.py "$@" | tee "$tmp/checks.out" || checks_rc=$?
last=$(tail -n 1 "$tmp/checks.out")
if [[ $last =~ ^cluster\ checks:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  if [ -n "${CLUSTER_SUMMARY:-}" ]; then echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" >"$CLUSTER_SUMMARY"; fi
  summary_printed=1
fi
if [ "$checks_rc" -ne 0 ]; then
  echo "cluster-test: the cluster's log: $tmp/cluster.log (removed on exit); its last lines:" >&2
  tail -n 15 "$tmp/cluster.log" >&2
  grep -h -E '"LogLevel":"(Error|Critical)"' "$tmp"/cluster/api*.log 2>/dev/null | tail -n 5 >&2 || true
fi
echo "cluster-test: $(($(date +%s) - started)) s in all" >&2
exit "$checks_rc"
