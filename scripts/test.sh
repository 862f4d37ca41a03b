#!/usr/bin/env bash
# make test: run every test project against a throwaway PostgreSQL cluster.
# The cluster lives in a temp dir on a free port (so it can run beside `make run`) and is removed
# on exit. Tests get ROOFKIT_TEST_DATABASE_URL (database `postgres`) and create their own databases.
# Extra `dotnet test` arguments: scripts/test.sh --filter X, or TEST_ARGS='--filter "X"'.
# E2E=1 adds the checks of scripts/e2e.sh to a run with arguments, E2E=0 leaves them out of a whole run, and
# E2E=only runs them alone (no dotnet test; the Release API is built when a source changed). CLUSTER=1|0|only does
# the same for the checks of scripts/cluster-test.sh (make cluster-test).
# The last line of output is always `tests: N passed, N failed`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# No build nodes that outlive the run (in CI they can hold the job's output pipe open).
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
if [ $# -eq 0 ] && [ -n "${TEST_ARGS:-}" ]; then
  eval "set -- $TEST_ARGS"   # honour the quoting inside TEST_ARGS
fi

pg_ensure_installed

# What git tracks, as the run found it: a run that is not asked to update docs (make openapi, make screenshot) must
# leave it as it was (it once rewrote docs/swagger-ui.png). Checked at the end as one more test.
tracked_state() { git status --porcelain --untracked-files=no 2>/dev/null | sha256sum; git diff 2>/dev/null | sha256sum; }
check_tracked=0
if [ -z "${UPDATE_OPENAPI:-}${UPDATE_SCREENSHOT:-}" ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  check_tracked=1
  tracked_before=$(tracked_state)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roofkit-test.XXXXXX")
# As root the cluster belongs to the postgres user, which must be able to pass through.
chmod 711 "$tmp"
summary_printed=0
test_pid=
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  if [ -n "$test_pid" ] && kill -0 "$test_pid" 2>/dev/null; then
    kill -TERM "$test_pid" 2>/dev/null || true
    wait "$test_pid" 2>/dev/null || true
  fi
  pg_remove "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf -- "$tmp"
  release_ports
  # Failed before the tests ran (cluster did not start, interrupted): still end with the summary.
  if [ "$summary_printed" = 0 ]; then
    echo "tests: 0 passed, 1 failed"
    [ "$EXIT_CODE" -ne 0 ] || EXIT_CODE=1
  fi
}
on_exit cleanup

# The live checks run with a whole run (no dotnet test arguments) unless told otherwise; one of them asked for
# alone ("only") runs without dotnet test and without the other.
whole=0
if [ $# -eq 0 ]; then whole=1; fi
live_only=0
if [ "${E2E:-}" = only ] || [ "${CLUSTER:-}" = only ]; then live_only=1 whole=0; fi
run_e2e=${E2E:-$whole}
run_cluster=${CLUSTER:-$whole}

pg_start "$tmp/pg" "$(free_port)" fast   # prints the log tail itself when it fails
ROOFKIT_TEST_DATABASE_URL=$(pg_uri postgres)
export ROOFKIT_TEST_DATABASE_URL
echo "test: PostgreSQL on 127.0.0.1:$PG_PORT (fsync off)" >&2

# A child plus `wait`: bash runs the traps only while it waits, so Ctrl-C / SIGTERM clean up at once.
dotnet_rc=0
if [ "$live_only" = 1 ]; then
  api_build   # what dotnet test would have built for the live checks
else
  dotnet test RoofKit.sln -c Release --logger trx --results-directory "$tmp/results" "$@" &
  test_pid=$!
  wait "$test_pid" || dotnet_rc=$?
  test_pid=
fi

# The run fails exactly when the summary counts a failure: every way of failing below counts one.
passed=0 failed=0
if [ "$live_only" != 1 ]; then
  read -r passed failed < <(trx_counts "$tmp/results" "$dotnet_rc")
fi

# Runs a script of checks against live servers, each check counted as one test: the script writes "PASSED FAILED"
# to the file named by its summary variable; no summary means it died before it could count.
live_checks() {
  local summary_var=$1 script=$2 summary script_rc=0 script_passed=0 script_failed=1
  summary="$tmp/${script##*/}.summary"
  env "$summary_var=$summary" "$script" &
  test_pid=$!
  wait "$test_pid" || script_rc=$?
  test_pid=
  if [ -s "$summary" ]; then read -r script_passed script_failed <"$summary"; fi
  # A script that failed without a failing check (it broke off after writing its summary) counts one.
  if [ "$script_rc" -ne 0 ] && [ "$script_failed" -eq 0 ]; then script_failed=1; fi
  passed=$((passed + script_passed))
  failed=$((failed + script_failed))
}

# The checks against a live server (scripts/e2e.sh: OpenAPI lint, Swagger UI in Chromium, the Postman collection).
# They run with a whole run (no dotnet test arguments); E2E=1 forces them, E2E=0 skips them.
if [ "$run_e2e" = 1 ] || [ "$run_e2e" = only ]; then
  live_checks E2E_SUMMARY scripts/e2e.sh
fi

# The checks of make cluster-test (scripts/cluster-test.sh: nginx, two instances, a streaming replica; exact limits,
# true client addresses, a paused replica, an instance killed), with a whole run too; CLUSTER=1 forces them,
# CLUSTER=0 skips them, CLUSTER=only runs them alone.
if [ "$run_cluster" = 1 ] || [ "$run_cluster" = only ]; then
  live_checks CLUSTER_SUMMARY scripts/cluster-test.sh
fi
if [ "$check_tracked" = 1 ]; then
  if [ "$(tracked_state)" = "$tracked_before" ]; then
    passed=$((passed + 1))
  else
    echo "test: the run changed files that git tracks:" >&2
    git status --short --untracked-files=no >&2
    failed=$((failed + 1))
  fi
fi
echo "tests: $passed passed, $failed failed"
summary_printed=1
exit $((failed > 0 ? 1 : 0))
