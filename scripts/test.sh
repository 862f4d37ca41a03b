#!/usr/bin/env bash
# make test: run every test project against a throwaway PostgreSQL cluster.
# The cluster lives in a temp dir on a free port (so it can run beside `make run`) and is removed
# on exit. Tests get ROOFKIT_TEST_DATABASE_URL (database `postgres`) and create their own databases.
# Extra `dotnet test` arguments: scripts/test.sh --filter X, or TEST_ARGS='--filter "X"'.
# E2E=1 adds the checks of scripts/e2e.sh to a run with arguments, E2E=0 leaves them out of a whole run, and
# E2E=only runs them alone (no dotnet test; the Release API is built when a source changed).
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
    echo "tests: 0 passed, 0 failed"
    [ "$EXIT_CODE" -ne 0 ] || EXIT_CODE=1
  fi
}
on_exit cleanup

run_e2e=${E2E:-}
if [ -z "$run_e2e" ]; then
  if [ $# -eq 0 ]; then run_e2e=1; else run_e2e=0; fi
fi

pg_start "$tmp/pg" "$(free_port)" fast   # prints the log tail itself when it fails
ROOFKIT_TEST_DATABASE_URL=$(pg_uri postgres)
export ROOFKIT_TEST_DATABASE_URL
echo "test: PostgreSQL on 127.0.0.1:$PG_PORT (fsync off)" >&2

# A child plus `wait`: bash runs the traps only while it waits, so Ctrl-C / SIGTERM clean up at once.
dotnet_rc=0
if [ "$run_e2e" = only ]; then
  api_build   # what dotnet test would have built for e2e.sh
else
  dotnet test RoofKit.sln -c Release --logger trx --results-directory "$tmp/results" "$@" &
  test_pid=$!
  wait "$test_pid" || dotnet_rc=$?
  test_pid=
fi

# Sum the <Counters passed=".." failed=".."/> of every trx file (one per test project).
passed=0 failed=0 files=0
while IFS= read -r -d '' trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
  p=$(printf '%s' "$counters" | grep -o ' passed="[0-9]*"' | tr -dc 0-9 || true)
  f=$(printf '%s' "$counters" | grep -o ' failed="[0-9]*"' | tr -dc 0-9 || true)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  files=$((files + 1))
done < <(find "$tmp/results" -name '*.trx' -print0 2>/dev/null)

rc=0
if [ "$run_e2e" = only ]; then
  :   # no dotnet test to count
elif [ "$files" -eq 0 ]; then
  echo "test: dotnet test produced no trx file (no test project, or the build failed)" >&2
  rc=1
elif [ "$dotnet_rc" -ne 0 ] || [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
  rc=1
fi

# The checks against a live server (scripts/e2e.sh: OpenAPI lint, Swagger UI in Chromium, the Postman collection),
# each counted as one test. They run with a whole run (no dotnet test arguments); E2E=1 forces them, E2E=0 skips them.
if [ "$run_e2e" = 1 ] || [ "$run_e2e" = only ]; then
  e2e_rc=0
  E2E_SUMMARY="$tmp/e2e-summary" scripts/e2e.sh &
  test_pid=$!
  wait "$test_pid" || e2e_rc=$?
  test_pid=
  e2e_passed=0 e2e_failed=1   # no summary: the script died before it could count
  if [ -s "$tmp/e2e-summary" ]; then read -r e2e_passed e2e_failed <"$tmp/e2e-summary"; fi
  passed=$((passed + e2e_passed))
  failed=$((failed + e2e_failed))
  if [ "$e2e_rc" -ne 0 ] || [ "$e2e_failed" -gt 0 ]; then rc=1; fi
fi
echo "tests: $passed passed, $failed failed"
summary_printed=1
exit "$rc"
