#!/usr/bin/env bash
# The checks of make test that need the API running as partners meet it (scripts/test.sh runs this after
# dotnet test). Each check counts as one test:
#   lint     docs/openapi.json with Redocly's recommended rules, warnings as errors (tests/e2e/redocly.yaml)
#   spectral docs/openapi.json with Spectral: spectral:oas and the OWASP API security ruleset (.spectral.yaml); an
#            error fails it (its summary line counts the warnings)
#   browser  Swagger UI at /docs in headless Chromium: authorize, "Try it out" on listLeads and exportLeads
#            (tests/e2e/swagger-ui.mjs; the screenshot goes to TestResults/e2e/swagger-ui.png, and to the README's
#            docs/swagger-ui.png only with UPDATE_SCREENSHOT=1: make screenshot)
#   docs_query  /docs ignores ?url= and ?configUrl=: a fake server they point at receives no request
#            (tests/e2e/swagger-ui-query.mjs)
#   newman   the Postman collection in docs/postman/ against the API as `make run` serves it (default limits, the demo
#            seeded by the same code, the Postman environment make run writes), every endpoint and status, plus two
#            instances for 503 and 500; then once more with make run's file as it is, where those requests are skipped
#   spreadsheet  an export full of formula payloads (tests/e2e/spreadsheet-leads.sql) opened by LibreOffice Calc
#            (headless) with comma, semicolon and tab as the separator: no cell may be a formula, and an E.164 phone
#            keeps its + without a leading ' (CONTRACT.md §7)
#   scripts  the scripts' own parts: free_port hands out 30 different ports; the soak's verdict finds and quotes the
#            API's error lines (tests/scripts/test_soak_report.py); make test's count of a run that failed without a
#            failing test (tests/scripts/test_trx_counts.py)
#
# Needs the built Release API and ROOFKIT_TEST_DATABASE_URL (a postgresql:// URI of a server where it may create
# a database; scripts/test.sh passes its throwaway cluster). Installs what it needs when it is missing: Debian's
# chromium and libreoffice-calc-nogui, and the npm packages pinned in tests/e2e/package-lock.json (npm ci).
# E2E_CHECKS="spreadsheet newman" runs only the named checks (default: all).
# The last line of output is `e2e: N passed, N failed`; E2E_SUMMARY=FILE also gets "PASSED FAILED" written to it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

E2E_DIR=tests/e2e
CHROMIUM=/usr/bin/chromium

passed=0 failed=0
summary() {
  echo "e2e: $passed passed, $failed failed"
  if [ -n "${E2E_SUMMARY:-}" ]; then printf '%s %s\n' "$passed" "$failed" >"$E2E_SUMMARY"; fi
  summary_printed=1
}

# Runs one check (a function below) into a log: shown whole when the check fails, only the lines matching the
# check's summary pattern when it passes (E2E_VERBOSE=1: whole either way).
check() {
  local name=$1 log="$tmp/$1.log" start=$SECONDS
  if [ -n "${E2E_CHECKS:-}" ] && [[ " $E2E_CHECKS " != *" $name "* ]]; then return 0; fi
  say "$name: running"
  if "$name" >"$log" 2>&1; then
    passed=$((passed + 1))
    say "$name: passed in $((SECONDS - start))s"
    if [ "${E2E_VERBOSE:-0}" = 1 ]; then cat "$log" >&2; else grep -E "${2:-^$}" "$log" >&2 || true; fi
  else
    failed=$((failed + 1))
    say "$name: FAILED after $((SECONDS - start))s; its output:"
    cat "$log" >&2
  fi
}

: "${ROOFKIT_TEST_DATABASE_URL:?set ROOFKIT_TEST_DATABASE_URL (make test does), a postgresql:// URI}"
if [ ! -f "$ROOFKIT_API_DLL" ]; then
  say "$ROOFKIT_API_DLL is missing: build the API in Release first (make test does)"
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roofkit-e2e.XXXXXX")
api_pid='' broken_pid='' faulty_pid='' database='' summary_printed=0
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  for pid in $api_pid $broken_pid $faulty_pid; do stop_process "$pid"; done
  if [ -n "$database" ]; then
    _e2e_psql -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
    _e2e_psql -c "DROP DATABASE IF EXISTS ${database}_bare WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf -- "$tmp"
  release_ports
  # Stopped before the checks could run (setup failed, interrupted): that is one failure.
  if [ "$summary_printed" = 0 ]; then
    failed=$((failed + 1))
    summary
    [ "$EXIT_CODE" -ne 0 ] || EXIT_CODE=1
  fi
}
on_exit cleanup

# --- tools ---------------------------------------------------------------------------------------------------
if [ ! -x "$CHROMIUM" ]; then
  say "installing Debian's chromium (headless browser for the Swagger UI check)"
  apt_install chromium
fi
# A failed install fails the spreadsheet check (it finds no soffice), not the other checks.
if ! command -v soffice >/dev/null 2>&1; then
  say "installing Debian's libreoffice-calc-nogui (headless Calc for the spreadsheet check)"
  apt_install libreoffice-calc-nogui || say "installing libreoffice-calc-nogui failed"
fi
ensure_commands python3 curl   # json_field reads the admin CLI's --json output; curl answers wait_for_http
# Node and npm run the browser checks and the linters (Debian's npm package brings nodejs with it).
ensure_commands npm
# npm ci only when the lock file changed since the last install: it deletes node_modules first.
lock_sum=$(sha256sum "$E2E_DIR/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$E2E_DIR/node_modules/.roofkit-lock" 2>/dev/null || true)" != "$lock_sum" ]; then
  say "npm ci in $E2E_DIR"
  (cd "$E2E_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
  printf '%s\n' "$lock_sum" >"$E2E_DIR/node_modules/.roofkit-lock"
fi
pg_ensure_installed

# --- the API as `make run` serves it: its demo, set up by the same code, and a workspace for the spreadsheet ---
_e2e_psql() { PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$ROOFKIT_TEST_DATABASE_URL" "$@"; }
database=roofkit_e2e_$(random_hex 6)
_e2e_psql -c "CREATE DATABASE $database" >/dev/null
DATABASE_URL="${ROOFKIT_TEST_DATABASE_URL%/*}/$database"

export ConnectionStrings__Default=$DATABASE_URL
export_signing_key
api_env Production
API_PORT=$(free_port)
BASE_URL=http://127.0.0.1:$API_PORT
DEMO_DIR=$tmp/demo   # what make run writes to .roofkit/: env and postman_environment.json

admin() { dotnet "$ROOFKIT_API_DLL" "$@"; }
{
  demo_setup "$DEMO_DIR" "$BASE_URL" "$DATABASE_URL"
  admin workspaces create --slug e2e-formulas --name "E2E Formula Roofing"
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -v workspace=e2e-formulas -f "$E2E_DIR/spreadsheet-leads.sql"
} >"$tmp/admin.log" 2>&1 || { cat "$tmp/admin.log" >&2; exit 1; }
FORMULA_KEY=$(admin keys create --workspace e2e-formulas --name "e2e spreadsheet" --scopes leads.export --json | json_field key)
# shellcheck source=/dev/null
API_KEY=$(source "$DEMO_DIR/env" && printf '%s\n' "$ROOFKIT_DEMO_KEY")

# --- the API, an instance whose database is gone (503) and one whose database has no tables (500) --------------
# The API runs with make run's settings: default rate limits (60 exports, 600 list requests a minute per key), clock
# windows of 60 s, no trusted proxy (every request counts for the client address 127.0.0.1), 4 export slots.
# The document's server is where this instance serves, so that Swagger UI's "Try it out" calls it.
Api__PublicBaseUrl=$BASE_URL dotnet "$ROOFKIT_API_DLL" --urls "$BASE_URL" >"$tmp/api.log" 2>&1 &
api_pid=$!

# Each port is reserved until this script ends (free_port): the dead database's port stays closed, and no two differ
# only in name.
BROKEN_PORT=$(free_port)
DEAD_DB_PORT=$(free_port)
BROKEN_URL=http://127.0.0.1:$BROKEN_PORT
ConnectionStrings__Default="postgresql://roofkit:nothing@127.0.0.1:$DEAD_DB_PORT/roofkit" \
  dotnet "$ROOFKIT_API_DLL" --urls "$BROKEN_URL" >"$tmp/api-broken.log" 2>&1 &
broken_pid=$!

FAULTY_PORT=$(free_port)
FAULTY_URL=http://127.0.0.1:$FAULTY_PORT
_e2e_psql -c "CREATE DATABASE ${database}_bare" >/dev/null
ConnectionStrings__Default="${ROOFKIT_TEST_DATABASE_URL%/*}/${database}_bare" \
  dotnet "$ROOFKIT_API_DLL" --urls "$FAULTY_URL" >"$tmp/api-faulty.log" 2>&1 &
faulty_pid=$!

wait_for_http "$BASE_URL/healthz" "$api_pid" "$tmp/api.log" || exit 1
wait_for_http "$BROKEN_URL/openapi/v1.json" "$broken_pid" "$tmp/api-broken.log" || exit 1
wait_for_http "$FAULTY_URL/openapi/v1.json" "$faulty_pid" "$tmp/api-faulty.log" || exit 1
say "API on $BASE_URL (database $database), API without a database on $BROKEN_URL, with an empty one on $FAULTY_URL"

# --- the checks ----------------------------------------------------------------------------------------------
# No telemetry or update check: the only network here is the package registries.
# The scripts' own parts: free_port never hands out a port twice (e2e.sh once got one port twice in a row), the
# soak's verdict finds the API's error lines in either console format and quotes them, and make test's last line
# counts a test project that did not build as a failure (tests/scripts/).
scripts() {
  local ports=() _
  for _ in $(seq 1 30); do ports+=("$(free_port)"); done
  if [ "$(printf '%s\n' "${ports[@]}" | sort -u | wc -l)" -ne 30 ]; then
    echo "scripts: free_port handed out a port twice: ${ports[*]}"
    return 1
  fi
  echo "scripts: 30 calls of free_port, 30 different ports"
  python3 -m unittest -v tests/scripts/test_soak_report.py tests/scripts/test_trx_counts.py
}

lint() {
  (cd "$E2E_DIR" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    npx --no-install redocly lint ../../docs/openapi.json --config redocly.yaml)
}

# .spectral.yaml (at the repository root) extends @stoplight/spectral-owasp-ruleset, which npm ci installed in
# tests/e2e/node_modules; Spectral looks for it beside the ruleset, so NODE_PATH points it here.
spectral() {
  (cd "$E2E_DIR" && NODE_PATH=$PWD/node_modules npx --no-install spectral lint ../../docs/openapi.json \
    --ruleset ../../.spectral.yaml --fail-severity error --format stylish)
}

# The screenshot is a test result; the README's picture changes only when asked (make screenshot).
browser() {
  local screenshot=$PWD/TestResults/e2e/swagger-ui.png
  if [ "${UPDATE_SCREENSHOT:-0}" = 1 ]; then screenshot=$PWD/docs/swagger-ui.png; fi
  mkdir -p "${screenshot%/*}"
  ROOFKIT_BASE_URL=$BASE_URL ROOFKIT_API_KEY=$API_KEY CHROMIUM=$CHROMIUM SCREENSHOT=$screenshot \
    node "$E2E_DIR/swagger-ui.mjs"
}

docs_query() {
  ROOFKIT_BASE_URL=$BASE_URL CHROMIUM=$CHROMIUM node "$E2E_DIR/swagger-ui-query.mjs"
}

# The collection with the environment make run writes, as a QA engineer runs it (import both, press Run), plus the
# two instances for 503 and 500. Then the health folder with make run's file as it is: its 503 request must be
# reported skipped, not failed.
newman() {
  local collection=../../docs/postman/roofkit-partner-api.postman_collection.json out
  (cd "$E2E_DIR" && npx --no-install newman run "$collection" --environment "$DEMO_DIR/postman_environment.json" \
    --env-var "brokenBaseUrl=$BROKEN_URL" --env-var "faultyBaseUrl=$FAULTY_URL" \
    --color off --disable-unicode --reporters cli) || return 1
  out=$(cd "$E2E_DIR" && npx --no-install newman run "$collection" --environment "$DEMO_DIR/postman_environment.json" \
    --folder health --color off --disable-unicode --reporters cli) || { printf '%s\n' "$out"; return 1; }
  printf '%s\n' "$out"
  if ! grep -q 'skipped: set brokenBaseUrl to run this' <<<"$out"; then
    echo "newman: without brokenBaseUrl, the health folder's 503 request was not reported as skipped"
    return 1
  fi
}

# LibreOffice imports the export with each separator (filter options: separator, quote, UTF-8, from line 1) and
# writes it as flat ODF XML, where a formula cell is one with a table:formula attribute. One more import with the
# phone column (5) as text shows the phone as the file has it. soffice gets a private profile and HOME.
spreadsheet() {
  command -v soffice >/dev/null || { echo "soffice (Debian's libreoffice-calc-nogui) is missing"; return 1; }
  local dir=$tmp/spreadsheet rc=0 import name options out formulas id rows
  mkdir -p "$dir"
  curl -fsS -D "$dir/headers" -o "$dir/leads.csv" -H "Authorization: Bearer $FORMULA_KEY" "$BASE_URL/api/v1/leads/export"
  rows=$(tr -d '\r' <"$dir/headers" | sed -n 's/^[Xx]-[Ee]xport-[Rr]ow-[Cc]ount: //p')
  echo "spreadsheet: export of $rows leads, $(wc -c <"$dir/leads.csv") bytes"
  [ "$rows" = 23 ] || { echo "expected the 23 leads of tests/e2e/spreadsheet-leads.sql"; return 1; }
  for import in comma:44 semicolon:59 tab:9 phone-as-text:44,34,76,1,5/2; do
    name=${import%%:*} options=${import#*:}
    [[ $options == *,* ]] || options=$options,34,76,1
    mkdir -p "$dir/$name"
    HOME=$dir/home timeout 300 soffice -env:UserInstallation="file://$dir/profile" --headless --norestore \
      --infilter="CSV:$options" --convert-to fods --outdir "$dir/$name" "$dir/leads.csv" >"$dir/$name.log" 2>&1 || true
    out=$dir/$name/leads.fods
    if [ ! -s "$out" ]; then echo "spreadsheet: $name: LibreOffice wrote nothing"; cat "$dir/$name.log"; rc=1; continue; fi
    # Every lead must be in the sheet, or a count of 0 proves nothing.
    while IFS=, read -r id _; do
      grep -q -- "$id" "$out" || { echo "spreadsheet: $name: lead $id is not in the sheet"; rc=1; }
    done < <(tail -n +2 "$dir/leads.csv" | grep -aoE '^[0-9a-f]{8}-[0-9a-f-]{27}')
    formulas=$(grep -o 'table:formula="[^"]*"' "$out" | wc -l)
    echo "spreadsheet: $name import (CSV:$options): $formulas formula cells"
    if [ "$formulas" -ne 0 ]; then grep -o 'table:formula="[^"]*"' "$out" | sort | uniq -c | sed 's/^/  /'; rc=1; fi
    if grep -qE "('|&apos;)\+15125550142" "$out"; then echo "spreadsheet: $name: the phone +15125550142 has a leading '"; rc=1; fi
  done
  if ! grep -qF '<text:p>+15125550142</text:p>' "$dir/phone-as-text/leads.fods"; then
    echo "spreadsheet: no cell holds the phone +15125550142 as it is"; rc=1
  fi
  if ! grep -qF 'office:value="-3.5"' "$dir/comma/leads.fods"; then
    echo "spreadsheet: the notes -3.5 are not the number -3.5 in the comma import"; rc=1
  fi
  return "$rc"
}

check lint 'Your API description is valid|problem'
check spectral 'problems? \(|No results'
check browser '^swagger-ui: '
check docs_query '^swagger-ui-query: '
check newman '^\|  +(requests|assertions) |skipped: set'
check spreadsheet '^spreadsheet: '
check scripts '^scripts: |^Ran |^OK'

if [ "$failed" -gt 0 ]; then
  say "end of the API's log:"
  tail -n 30 "$tmp/api.log" >&2
fi
summary
[ "$failed" -eq 0 ]
