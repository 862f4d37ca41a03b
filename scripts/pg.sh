# shellcheck shell=bash disable=SC2034  # the PG_* results are read by the scripts that source this
# Private PostgreSQL clusters for the RoofKit scripts (make run, make test, make admin, bench, soak): the pg_* part of
# scripts/lib.sh, which sources this file (sourcing this file alone loads the whole library).
#
# It only defines functions. They report on stderr, print results on stdout, and return non-zero on failure instead
# of exiting, so callers decide (they run with set -e). Public:
#
#   pg_ensure_installed          find initdb (or apt-get install postgresql); sets PG_BIN
#   pg_start DIR PORT [fast]     initdb if needed, start on 127.0.0.1:PORT, wait until ready
#   pg_stop DIR                  fast shutdown; fine if it is not running
#   pg_remove DIR                stop and delete the cluster (also its /tmp home, see below)
#   pg_create_db NAME            create database NAME in the started cluster if missing
#   pg_psql ARGS...              psql as the superuser over TCP to the started cluster (add -d NAME)
#   pg_uri NAME                  postgresql://roofkit:PASSWORD@127.0.0.1:PORT/NAME
#   pg_make_replica DIR          once: make DIR a streaming replica (pg_basebackup -R) of the cluster pg_start last
#                                started; then pg_start DIR PORT starts it as a hot standby (make cluster)
#   pg_cluster_dir DIR           where DIR's cluster really lives
#
# _pg_* functions are this file's own.
#
# DIR is a cluster directory: DIR/data (PGDATA), DIR/run (unix socket), DIR/postgres.log and
# DIR/password (the superuser's password, generated once, mode 600).
# pg_start sets PG_CLUSTER, PG_DATA, PG_LOG, PG_PORT, PG_PASSWORD and PG_STARTED (1 when this call
# started the server, 0 when it was already running; then PG_PORT is the port it runs on).
#
# As root: postgres refuses to run as root, so initdb and pg_ctl run as the `postgres` user and the
# cluster belongs to it. When that user cannot reach DIR (say a clone under /root, mode 700), the
# cluster moves to /tmp/roofkit-pg-<hash of DIR> and DIR/LOCATION records where it went.

if [ -z "${ROOFKIT_LIB:-}" ]; then
  # shellcheck source=scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
  return
fi

PG_SUPERUSER=roofkit

_pg_say() { printf 'pg: %s\n' "$*" >&2; }
_pg_is_root() { [ "$(id -u)" -eq 0 ]; }

# Run as the cluster's owner. From / because the postgres user may not be allowed into our cwd.
_pg_as_owner() {
  if _pg_is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Print the bin directory of the newest PostgreSQL found (a dir with initdb, pg_ctl, psql, pg_isready).
_pg_find_bin() {
  local d ver candidates=()
  for d in /usr/lib/postgresql/*/bin; do candidates+=("$d"); done
  if command -v initdb >/dev/null 2>&1; then
    # Debian puts symlinks (or wrappers) in PATH; the real tools sit next to the resolved initdb.
    candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
  fi
  for d in "${candidates[@]}"; do
    if ! { [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && [ -x "$d/pg_isready" ]; }; then
      continue
    fi
    ver=$("$d/initdb" --version 2>/dev/null | awk '{print $NF}')
    [ -n "$ver" ] && printf '%s %s\n' "$ver" "$d"
  done | sort -V | tail -n 1 | cut -d' ' -f2-
}

# pg_trgm and btree_gin come with contrib; check for them when pg_config can tell us where to look.
_pg_has_contrib() {
  local share
  [ -x "$1/pg_config" ] || return 0
  share=$("$1/pg_config" --sharedir 2>/dev/null) || return 0
  [ -f "$share/extension/pg_trgm.control" ] && [ -f "$share/extension/btree_gin.control" ]
}

pg_ensure_installed() {
  local bin
  bin=$(_pg_find_bin) || true
  if [ -z "$bin" ] || ! _pg_has_contrib "$bin"; then
    _pg_say "PostgreSQL (with contrib) not found; installing it with apt-get"
    apt_install postgresql postgresql-contrib || return 1
    bin=$(_pg_find_bin) || true
  fi
  if [ -z "$bin" ]; then
    _pg_say "no initdb found after installing postgresql"
    return 1
  fi
  PG_BIN=$bin
  export PG_BIN
}

_pg_abspath() { realpath -m -- "$1"; }

pg_cluster_dir() {
  local dir
  dir=$(_pg_abspath "$1")
  if [ -f "$dir/LOCATION" ]; then cat "$dir/LOCATION"; else printf '%s\n' "$dir"; fi
}

# The Debian package creates the postgres user; a PostgreSQL from elsewhere may not have.
_pg_ensure_os_user() {
  id postgres >/dev/null 2>&1 && return 0
  _pg_say "creating system user postgres"
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
}

# Make DIR ready for the cluster's owner and print where the cluster lives (DIR or its /tmp home).
_pg_prepare_dir() {
  local dir target owner
  dir=$(_pg_abspath "$1")
  mkdir -p "$dir" || return 1
  if ! _pg_is_root; then
    chmod 700 "$dir"
    printf '%s\n' "$dir"
    return 0
  fi
  _pg_ensure_os_user || return 1

  if [ ! -f "$dir/LOCATION" ]; then
    owner=$(stat -c %u:%g "$dir")
    chown postgres: "$dir" && chmod 700 "$dir" || return 1
    if runuser -u postgres -- test -w "$dir" -a -x "$dir" 2>/dev/null; then
      printf '%s\n' "$dir"
      return 0
    fi
    chown "$owner" "$dir"
    target=/tmp/roofkit-pg-$(printf '%s' "$dir" | sha256sum | cut -c1-12)
    _pg_say "the postgres user cannot reach $dir; the cluster lives in $target"
    printf '%s\n' "$target" >"$dir/LOCATION"
  fi

  target=$(cat "$dir/LOCATION")
  mkdir -p "$target" || return 1
  # /tmp is shared: never adopt a directory that someone else prepared.
  owner=$(stat -c %U "$target")
  if [ "$owner" != root ] && [ "$owner" != postgres ]; then
    _pg_say "$target belongs to $owner; refusing to use it"
    return 1
  fi
  chown postgres: "$target" && chmod 700 "$target" || return 1
  printf '%s\n' "$target"
}

# unix socket paths are limited to 107 bytes; print the socket dir, or nothing (TCP only) when too long.
_pg_socket_dir() {
  local sock=$1/run port=$2
  if [ $((${#sock} + ${#port} + 10)) -gt 100 ]; then
    _pg_say "cluster path too long for a unix socket; TCP only"
    return 0
  fi
  printf '%s\n' "$sock"
}

_pg_initdb() {
  local cluster=$1 pwfile=$2 pwtmp
  _pg_say "initdb $cluster/data"
  rm -rf "$cluster/data"
  # initdb reads the password as the cluster owner, who may not see $pwfile: hand it a private copy.
  pwtmp=$cluster/initdb.pw
  install -m 600 /dev/null "$pwtmp" && cat "$pwfile" >"$pwtmp" || return 1
  if _pg_is_root; then chown postgres: "$pwtmp"; fi
  if ! _pg_as_owner "$PG_BIN/initdb" -D "$cluster/data" -U "$PG_SUPERUSER" --pwfile="$pwtmp" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
    >"$cluster/initdb.log" 2>&1; then
    rm -f "$pwtmp"
    _pg_say "initdb failed:"
    tail -n 30 "$cluster/initdb.log" >&2
    return 1
  fi
  rm -f "$pwtmp"
  # Settings that hold for every start; port, socket and durability are given per start (pg_start).
  _pg_as_owner tee -a "$cluster/data/postgresql.conf" >/dev/null <<'EOF'

# roofkit private cluster
listen_addresses = '127.0.0.1'
max_connections = 200
logging_collector = off
EOF
}

pg_start() {
  local dir=${1:?pg_start DIR PORT [fast]} port=${2:?pg_start DIR PORT [fast]} mode=${3:-} cluster opts sock
  [ -n "${PG_BIN:-}" ] || pg_ensure_installed || return 1
  dir=$(_pg_abspath "$dir")
  cluster=$(_pg_prepare_dir "$dir") || return 1

  if [ ! -s "$dir/password" ]; then
    (umask 077 && random_hex 24 >"$dir/password") || return 1
  fi
  PG_PASSWORD=$(cat "$dir/password")
  PG_CLUSTER=$cluster PG_DATA=$cluster/data PG_LOG=$cluster/postgres.log

  if [ -f "$PG_DATA/PG_VERSION" ]; then
    local have want
    have=$(cat "$PG_DATA/PG_VERSION")
    want=$("$PG_BIN/initdb" --version | awk '{print $NF}' | cut -d. -f1)
    if [ "$have" != "$want" ]; then
      _pg_say "$PG_DATA was made by PostgreSQL $have but $PG_BIN is $want; remove $dir to start over"
      return 1
    fi
  else
    _pg_initdb "$cluster" "$dir/password" || return 1
  fi

  if _pg_as_owner "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; then
    # Already up (another make run / admin, or left over): use it where it listens.
    PG_PORT=$(sed -n 4p "$PG_DATA/postmaster.pid")
    PG_STARTED=0
    _pg_say "cluster $cluster already running on port $PG_PORT"
  else
    _pg_as_owner mkdir -p "$cluster/run"
    sock=$(_pg_socket_dir "$cluster" "$port")
    opts="-p $port -k '$sock'"
    # The test cluster is thrown away after the run: durability buys nothing there.
    if [ "$mode" = fast ]; then
      opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    elif [ -n "$mode" ]; then
      _pg_say "pg_start: unknown mode '$mode' (expected: fast)"
      return 1
    fi
    if ! _pg_as_owner "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -o "$opts" -w -t 30 >/dev/null 2>&1; then
      _pg_say "PostgreSQL did not start on 127.0.0.1:$port; end of $PG_LOG:"
      tail -n 30 "$PG_LOG" >&2 2>/dev/null || true
      return 1
    fi
    PG_PORT=$port
    PG_STARTED=1
  fi

  for _ in $(seq 1 30); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 && return 0
    sleep 1
  done
  _pg_say "PostgreSQL on 127.0.0.1:$PG_PORT does not answer; end of $PG_LOG:"
  tail -n 30 "$PG_LOG" >&2 2>/dev/null || true
  return 1
}

pg_stop() {
  local cluster
  cluster=$(pg_cluster_dir "${1:?pg_stop DIR}")
  [ -f "$cluster/data/postmaster.pid" ] || return 0
  [ -n "${PG_BIN:-}" ] || PG_BIN=$(_pg_find_bin)
  [ -n "$PG_BIN" ] || return 1
  _pg_as_owner "$PG_BIN/pg_ctl" status -D "$cluster/data" >/dev/null 2>&1 || return 0
  _pg_as_owner "$PG_BIN/pg_ctl" stop -D "$cluster/data" -m fast -w -t 60 >/dev/null
}

pg_remove() {
  local dir cluster
  dir=$(_pg_abspath "${1:?pg_remove DIR}")
  cluster=$(pg_cluster_dir "$dir")
  pg_stop "$dir" || true
  rm -rf -- "$cluster" "$dir"
}

# psql as the superuser over TCP, the same way the API connects.
pg_psql() {
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" "$@"
}

pg_create_db() {
  local name=${1:?pg_create_db NAME}
  if ! [[ $name =~ ^[a-z_][a-z0-9_]*$ ]]; then
    _pg_say "pg_create_db: bad database name '$name'"
    return 1
  fi
  if [ -z "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
    pg_psql -d postgres -c "CREATE DATABASE $name" || return 1
  fi
}

pg_uri() {
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$PG_SUPERUSER" "$PG_PASSWORD" "$PG_PORT" "${1:?pg_uri DBNAME}"
}

pg_make_replica() {
  local dir cluster
  dir=$(_pg_abspath "${1:?pg_make_replica DIR}")
  [ -f "$(pg_cluster_dir "$dir")/data/PG_VERSION" ] && return 0
  if [ -z "${PG_PORT:-}" ] || [ -z "${PG_PASSWORD:-}" ]; then
    _pg_say "pg_make_replica: start the primary first"
    return 1
  fi
  _pg_say "pg_basebackup -R from 127.0.0.1:$PG_PORT into $dir"
  mkdir -p "$dir" || return 1
  # The copy has the primary's superuser and password.
  (umask 077 && printf '%s' "$PG_PASSWORD" >"$dir/password") || return 1
  cluster=$(_pg_prepare_dir "$dir") || return 1
  _pg_as_owner rm -rf "$cluster/data"
  # -R writes standby.signal and primary_conninfo (with this password) into the copy; -X stream brings the WAL of the
  # copy's own duration along, so that it starts consistent.
  if ! _pg_as_owner env PGPASSWORD="$PG_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" \
    -U "$PG_SUPERUSER" -D "$cluster/data" -R -X stream -c fast >"$dir/basebackup.log" 2>&1; then
    _pg_say "pg_basebackup failed:"
    tail -n 20 "$dir/basebackup.log" >&2
    return 1
  fi
  # Long reads on the standby (a 10,000-row export) are not cancelled by the primary's vacuum of rows they see.
  printf '\n# a streaming replica (pg_make_replica)\nhot_standby = on\nhot_standby_feedback = on\n' |
    _pg_as_owner tee -a "$cluster/data/postgresql.conf" >/dev/null
}
