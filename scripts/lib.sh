# shellcheck shell=bash
# The one library of the RoofKit scripts (make run, test, admin, bench, soak): `source scripts/lib.sh` from the
# repository root (every script cds there first). It defines functions and the constants below, exports the .NET
# CLI's quiet settings, and sources scripts/pg.sh (the private PostgreSQL clusters, pg_*).
#
# Functions report on stderr, print results on stdout, and return non-zero on failure instead of exiting, so callers
# decide (they run with set -e). Names without a leading _ are the library's interface; _lib_* (here) and _pg_*
# (pg.sh) are private to their file and may change.
#
#   ROOFKIT_TFM, ROOFKIT_API_OUT, ROOFKIT_API_DLL   the API's target framework (from Directory.Build.props), its
#                                Release output directory and dll, relative to the repository root
#   say MESSAGE...               "NAME: MESSAGE" on stderr; NAME is $ROOFKIT_SCRIPT (default: the script's name)
#   on_exit FUNCTION             run FUNCTION once when the script ends, however it ends (see below)
#   stop_process PID [SECONDS]   SIGTERM, SECONDS (default 10) for a graceful exit, then SIGKILL; reaps it
#   wait_for_http URL PID LOG [SECONDS]   wait until URL answers 2xx while PID lives; else show LOG's end, fail
#   free_port                    a TCP port on 127.0.0.1, reserved for this script (never handed out twice)
#   release_ports                give back this script's reserved ports (on_exit handlers call it)
#   port_in_use HOST PORT        true when something accepts connections there
#   random_hex BYTES             BYTES random bytes as hex
#   export_signing_key [FILE]    export Cursor__SigningKey: kept in FILE (made once, mode 600), else fresh for this run
#   trx_counts DIR DOTNET_RC     "PASSED FAILED" of a dotnet test run: the trx files under DIR summed, plus one failure
#                                when the run failed with none (a project that did not build writes no trx file) or
#                                ran no test at all
#   apt_install PKG..., ensure_commands CMD...   Debian packages, with sudo when not root
#   api_build                    build the Release API when a source changed since its last build, with progress
#   api_env [ENVIRONMENT]        export what the API needs to run from the repository root (default Production)
#   json_field FIELD             print FIELD of the JSON object on stdin (the admin CLI's --json output)
#   demo_setup DIR BASE_URL DATABASE_URL   migrate and set up make run's demo: DIR/env, DIR/postman_environment.json

ROOFKIT_LIB=1
ROOFKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOFKIT_SCRIPT=${ROOFKIT_SCRIPT:-$(basename "$0" .sh)}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

say() { printf '%s: %s\n' "$ROOFKIT_SCRIPT" "$*" >&2; }

# --- the API's build ------------------------------------------------------------------------------------------

# Read once, here: the build puts the API under bin/Release/<TargetFramework>/, and Directory.Build.props sets it for
# every project (no project overrides it).
ROOFKIT_TFM=$(sed -n 's:.*<TargetFramework>\([^<]*\)</TargetFramework>.*:\1:p' "$ROOFKIT_ROOT/Directory.Build.props" | head -n 1)
if [ -z "$ROOFKIT_TFM" ]; then
  say "no <TargetFramework> in $ROOFKIT_ROOT/Directory.Build.props"
  return 1
fi
ROOFKIT_API_PROJECT=src/RoofKit.Api/RoofKit.Api.csproj
ROOFKIT_API_OUT=src/RoofKit.Api/bin/Release/$ROOFKIT_TFM
ROOFKIT_API_DLL=$ROOFKIT_API_OUT/RoofKit.Api.dll

# Build the Release API (from the repository root) only when it is missing or a file it is built from is newer than
# the stamp of its last build; the build shows its progress on stderr. The stamp is taken when a build starts, so a
# file saved during a build makes the next call build again. `make test` builds into the same directory: that leaves
# the stamp alone, which costs at most one needless (incremental) build.
api_build() {
  local stamp=$ROOFKIT_API_OUT/.roofkit-build-stamp changed inputs=(src) f
  for f in Directory.Build.props Directory.Packages.props global.json .editorconfig nuget.config NuGet.Config; do
    if [ -e "$f" ]; then inputs+=("$f"); fi
  done
  if [ -f "$ROOFKIT_API_DLL" ] && [ -f "$stamp" ]; then
    changed=$(find "${inputs[@]}" \( -name bin -o -name obj \) -prune -o -type f -newer "$stamp" -print -quit)
    if [ -z "$changed" ]; then
      printf 'build: the API is up to date (nothing under src/ changed since its last build)\n' >&2
      return 0
    fi
    printf 'build: %s changed; building the API (Release)\n' "$changed" >&2
  else
    printf 'build: building the API (Release); a first build restores packages and takes a minute or two\n' >&2
  fi
  mkdir -p "$ROOFKIT_API_OUT"
  touch "$stamp.next"
  if ! dotnet build "$ROOFKIT_API_PROJECT" -c Release -nologo -v minimal >&2; then
    rm -f "$stamp.next"
    return 1
  fi
  mv -f "$stamp.next" "$stamp"
}

# appsettings.json is copied next to the dll; the scripts run the API from the repository root, so say where it is.
api_env() {
  ASPNETCORE_CONTENTROOT=$(realpath "$ROOFKIT_API_OUT") || return 1
  export ASPNETCORE_CONTENTROOT ASPNETCORE_ENVIRONMENT=${1:-Production}
}

# Print one field of the JSON object on stdin (the admin CLI's --json output): json_field key.
json_field() {
  python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "${1:?json_field FIELD}"
}

# What `make run` serves, set up the way it sets it up (make test's newman check calls this too): migrations, then
# the API's demo command, which seeds the demo workspaces once and writes their keys to DIR/env (shell) and
# DIR/postman_environment.json (Postman). Needs ConnectionStrings__Default exported and api_env.
demo_setup() {
  local dir=${1:?demo_setup DIR BASE_URL DATABASE_URL} base_url=${2:?demo_setup DIR BASE_URL DATABASE_URL}
  local database_url=${3:?demo_setup DIR BASE_URL DATABASE_URL}
  dotnet "$ROOFKIT_API_DLL" migrate &&
    dotnet "$ROOFKIT_API_DLL" demo --env-file "$dir/env" --postman-env "$dir/postman_environment.json" \
      --base-url "$base_url" --database-url "$database_url"
}

random_hex() {
  head -c "${1:?random_hex BYTES}" /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# The HMAC key of cursors. With FILE (make run and make admin: .roofkit/secrets.env) it is generated once and kept,
# so that cursors survive restarts; without, every run gets its own.
export_signing_key() {
  local file=${1:-}
  if [ -z "$file" ]; then
    Cursor__SigningKey=$(random_hex 32) || return 1
    export Cursor__SigningKey
    return 0
  fi
  if [ ! -s "$file" ]; then
    (umask 077 && printf 'Cursor__SigningKey=%s\n' "$(random_hex 32)" >"$file") || return 1
  fi
  chmod 600 "$file"
  set -a
  # shellcheck source=/dev/null
  source "$file"
  set +a
}

# --- processes ------------------------------------------------------------------------------------------------

# on_exit FUNCTION: run FUNCTION once when the script ends, whichever way (exit, a failure under set -e, Ctrl-C,
# SIGTERM). FUNCTION finds the exit code in EXIT_CODE and may change it; Ctrl-C ends the script with 130 and SIGTERM
# with 143. While FUNCTION runs, Ctrl-C and SIGTERM are ignored, so that it can stop all that the script started.
on_exit() {
  _lib_on_exit=${1:?on_exit FUNCTION}
  trap _lib_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# shellcheck disable=SC2317  # runs from the EXIT trap
_lib_exit() {
  EXIT_CODE=$?
  trap - EXIT
  trap '' INT TERM
  "$_lib_on_exit" || true
  exit "$EXIT_CODE"
}

# Stop a child of this script: SIGTERM gives the .NET host its graceful shutdown; after SECONDS, SIGKILL.
stop_process() {
  local pid=${1:?stop_process PID [SECONDS]} seconds=${2:-10}
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 $((seconds * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# Wait until URL answers with a 2xx, at most SECONDS (default 60). When PID (the server) exits first or the time runs
# out, show the end of its LOG and fail.
wait_for_http() {
  local url=${1:?wait_for_http URL PID LOG [SECONDS]} pid=${2:?wait_for_http URL PID LOG [SECONDS]}
  local log=${3:?wait_for_http URL PID LOG [SECONDS]} seconds=${4:-60} deadline
  deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the server for $url exited; end of $log:"
      tail -n 40 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
  say "no answer from $url in $seconds s; end of $log:"
  tail -n 40 "$log" >&2
  return 1
}

# --- dotnet test ----------------------------------------------------------------------------------------------

# "PASSED FAILED" of a dotnet test run: the <Counters> of every trx file under DIR summed, plus one failure when the
# run failed (DOTNET_RC) with none, or wrote no trx file at all.
trx_counts() {
  local dir=${1:?trx_counts DIR DOTNET_RC} dotnet_rc=${2:?trx_counts DIR DOTNET_RC} trx counters p f passed=0 failed=0 files=0
  while IFS= read -r -d '' trx; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
    p=$(printf '%s' "$counters" | grep -o ' passed="[0-9]*"' | tr -dc 0-9 || true)
    f=$(printf '%s' "$counters" | grep -o ' failed="[0-9]*"' | tr -dc 0-9 || true)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    files=$((files + 1))
  done < <(find "$dir" -name '*.trx' -print0 2>/dev/null)
  if [ "$files" -eq 0 ]; then
    say "dotnet test produced no trx file (no test project, or the build failed)"
    failed=$((failed + 1))
  elif [ "$dotnet_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # Counted, so that the summary line never reads as a clean run: the tests of a project that did not build
    # (or whose run broke off) are in no trx file.
    say "dotnet test failed (exit $dotnet_rc) with no failing test: a test project did not build or its run broke off"
    failed=$((failed + 1))
  elif [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    # A filter that matched no test ran nothing: a failure, so that the summary line shows it.
    say "no test ran"
    failed=1
  fi
  echo "$passed $failed"
}

# --- ports ----------------------------------------------------------------------------------------------------

# true when something accepts TCP connections on HOST:PORT.
port_in_use() {
  # shellcheck disable=SC2016  # $1 and $2 belong to the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "${1:?port_in_use HOST PORT}" "${2:?port_in_use HOST PORT}" 2>/dev/null
}

# A port that one asked for and then closed can be handed out again by the next bind(0), and until the server that
# gets it binds it, anyone may take it. So free_port picks from the 10,000 ports below the kernel's ephemeral range
# (where connections take their local ports, and bind(0) its), checks that it can bind the port, and reserves it: a
# file named after the port in ROOFKIT_PORTS_DIR holds the pid of the script ($$, also inside $(free_port)). A port
# reserved by a script that still runs is never handed out again, to it or to another script (make test beside make
# run, or another checkout's); a reservation whose script is gone is void, and release_ports removes this script's.
ROOFKIT_PORTS_DIR=${ROOFKIT_PORTS_DIR:-${TMPDIR:-/tmp}/roofkit-ports}

free_port() {
  local top low port file owner
  read -r top _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || top=32768
  low=$((top > 11024 ? top - 10000 : 1024))
  if [ ! -d "$ROOFKIT_PORTS_DIR" ]; then
    mkdir -p "$ROOFKIT_PORTS_DIR" && chmod 1777 "$ROOFKIT_PORTS_DIR" || return 1
  fi
  for _ in $(seq 1 200); do
    port=$((low + RANDOM % (top - low)))
    file=$ROOFKIT_PORTS_DIR/$port
    if ! (set -C && printf '%s\n' "$$" >"$file") 2>/dev/null; then
      owner=$(cat "$file" 2>/dev/null || true)
      if [ -n "$owner" ] && [ -d "/proc/$owner" ]; then continue; fi
      # Its script is gone: take the reservation over.
      rm -f "$file"
      (set -C && printf '%s\n' "$$" >"$file") 2>/dev/null || continue
    fi
    if _lib_port_bindable "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
    rm -f "$file"
  done
  say "found no free port between $low and $top"
  return 1
}

_lib_port_bindable() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
  else
    ! port_in_use 127.0.0.1 "$1"
  fi
}

release_ports() {
  local file
  for file in "$ROOFKIT_PORTS_DIR"/*; do
    [ -f "$file" ] && [ "$(cat "$file" 2>/dev/null)" = "$$" ] && rm -f "$file"
  done
  return 0
}

# --- Debian packages ------------------------------------------------------------------------------------------

# apt-get needs root: sudo when we are not. Another install on the machine (a second make test, CI) holds the
# dpkg lock for a while: wait for it up to 10 minutes instead of failing at once.
_lib_apt() {
  if [ "$(id -u)" -eq 0 ]; then
    env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
  else
    say "need root or sudo to run: apt-get $*"
    return 1
  fi
}

# Install Debian packages; refresh the package lists only when a plain install fails. Output goes to stderr, so that
# stdout stays clean for the callers' own output (admin commands print keys there).
apt_install() {
  _lib_apt install -y -qq --no-install-recommends "$@" >&2 ||
    { _lib_apt update -qq >&2 && _lib_apt install -y -qq --no-install-recommends "$@" >&2; }
}

# Install the Debian package of each named command (same name) that is not on PATH.
ensure_commands() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 && continue
    say "installing $tool (apt-get)"
    apt_install "$tool"
  done
}

# shellcheck source=scripts/pg.sh
source "$ROOFKIT_ROOT/scripts/pg.sh"
