#!/usr/bin/env bash
# make cluster: the scale-out topology of CONTRACT.md §10 on one machine, from Debian packages.
#
#   nginx            http://127.0.0.1:5090     keep-alive upstreams, X-Forwarded-For set by nginx, connects from 127.0.0.2
#   API instance 1   http://127.0.0.1:5091     Release build; keys and counters on the primary, reads on the replica
#   API instance 2   http://127.0.0.1:5092     the same; both trust X-Forwarded-For from 127.0.0.2 (nginx) only
#   PostgreSQL       127.0.0.1:5441 primary, 127.0.0.1:5442 streaming replica (pg_basebackup -R)
#
# Seeds the demo workspaces once, writes .roofkit/cluster.env (base URL, both database URLs, the demo keys), prints the
# topology and serves until Ctrl-C or SIGTERM, which stop everything it started. A watcher polls each instance's
# /healthz/ready every second and takes an instance that is not ready out of nginx's upstream (and puts it back).
#
#   CLUSTER_DIR          state: databases, nginx config, logs, pids (default .roofkit/cluster)
#   CLUSTER_ENV          the env file written for clients (default .roofkit/cluster.env)
#   CLUSTER_INSTANCES    API instances, 1 or 2 (default 2)
#   CLUSTER_PORT_BASE    nginx on BASE, instances on BASE+1 and BASE+2, their metrics on BASE+401 and BASE+402
#                        (default 5090)
#   CLUSTER_PORTS        instead of the base, each port given: "NGINX API1 API2 METRICS1 METRICS2" (make cluster-test's
#                        free ports)
#   CLUSTER_PG_PORT      primary on this port (default 5441)
#   CLUSTER_PG_REPLICA_PORT  replica on this port (default the primary's + 1)
# Other settings reach both instances from the environment as usual (RateLimits__List__PermitLimit=…).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

CLUSTER_DIR=$(realpath -m "${CLUSTER_DIR:-.roofkit/cluster}")
CLUSTER_ENV=$(realpath -m "${CLUSTER_ENV:-.roofkit/cluster.env}")
CLUSTER_INSTANCES=${CLUSTER_INSTANCES:-2}
PORT_BASE=${CLUSTER_PORT_BASE:-5090}
if [ -n "${CLUSTER_PORTS:-}" ]; then
  read -r -a PORTS <<<"$CLUSTER_PORTS"
  if [ "${#PORTS[@]}" != 5 ] || ! [[ " ${PORTS[*]} " =~ ^(\ [1-9][0-9]{0,4}){5}\ $ ]] \
    || [ "$(printf '%s\n' "${PORTS[@]}" | sort -u | wc -l)" != 5 ]; then
    say "CLUSTER_PORTS takes five different ports (nginx, two instances, their two metrics ports), not '$CLUSTER_PORTS'"
    exit 2
  fi
else
  PORTS=("$PORT_BASE" $((PORT_BASE + 1)) $((PORT_BASE + 2)) $((PORT_BASE + 401)) $((PORT_BASE + 402)))
fi
PG_PRIMARY_PORT=${CLUSTER_PG_PORT:-5441}
PG_REPLICA_PORT=${CLUSTER_PG_REPLICA_PORT:-$((PG_PRIMARY_PORT + 1))}
NGINX_ADDRESS=127.0.0.1:${PORTS[0]}
BASE_URL=http://$NGINX_ADDRESS
# nginx connects to the instances from an address of its own, so the instances can tell it from a client on this
# machine that calls them directly (127.0.0.1): only this address is a trusted proxy.
PROXY_ADDRESS=127.0.0.2

die() { say "$*"; exit 1; }

if ! [[ $CLUSTER_INSTANCES =~ ^[12]$ ]]; then die "CLUSTER_INSTANCES must be 1 or 2, not '$CLUSTER_INSTANCES'"; fi
instances=()
for i in $(seq 1 "$CLUSTER_INSTANCES"); do instances+=("$i"); done
api_port() { printf '%s\n' "${PORTS[$1]}"; }
metrics_port() { printf '%s\n' "${PORTS[$(($1 + 2))]}"; }

# --- tools: a missing one is installed (Debian packages), or the start fails ---------------------------------------
pg_ensure_installed
ensure_commands curl python3
if ! command -v nginx >/dev/null 2>&1 && ! [ -x /usr/sbin/nginx ]; then
  say "installing nginx (apt-get: nginx-light)"
  apt_install nginx-light || die "could not install nginx"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "no nginx after installing it"
[ -x "$PG_BIN/pg_basebackup" ] || die "no pg_basebackup in $PG_BIN"

for port in "${PORTS[0]}" $(for i in "${instances[@]}"; do api_port "$i"; metrics_port "$i"; done); do
  if port_in_use 127.0.0.1 "$port"; then die "127.0.0.1:$port is in use (is make cluster already running?)"; fi
done

mkdir -p .roofkit "$CLUSTER_DIR"
chmod 711 .roofkit "$CLUSTER_DIR"   # the postgres user (as root) passes through to the databases

# The cursor signing key make run uses: every instance must sign and check cursors with the same key.
export_signing_key .roofkit/secrets.env

api_build

# --- cleanup: whatever this script started, in reverse order ---------------------------------------------------
api_pids=()
nginx_pid=
watcher_pid=
primary_started=0
replica_started=0
NGINX_DIR=
# shellcheck disable=SC2317  # runs when the script ends (on_exit)
cleanup() {
  local pid
  if [ -n "$watcher_pid" ]; then kill "$watcher_pid" 2>/dev/null || true; wait "$watcher_pid" 2>/dev/null || true; fi
  if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
    say "stopping nginx"
    # The master's own pid: as root nginx_pid is runuser's.
    kill -QUIT "$(cat "$NGINX_DIR/nginx.pid" 2>/dev/null || echo "$nginx_pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  # All asked to stop at once, then each given its graceful shutdown (stop_process: TERM, 10 s, KILL).
  for pid in "${api_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  if [ ${#api_pids[@]} -gt 0 ]; then say "stopping the API instances"; fi
  for pid in "${api_pids[@]}"; do stop_process "$pid"; done
  if [ "$replica_started" = 1 ]; then say "stopping the replica"; pg_stop "$CLUSTER_DIR/replica" || true; fi
  if [ "$primary_started" = 1 ]; then say "stopping the primary"; pg_stop "$CLUSTER_DIR/primary" || true; fi
  rm -f "$CLUSTER_DIR/ready"
}
on_exit cleanup
rm -f "$CLUSTER_DIR/ready"

# --- PostgreSQL: primary, then a streaming replica of it -------------------------------------------------------
primary_started=1
pg_start "$CLUSTER_DIR/primary" "$PG_PRIMARY_PORT"
pg_create_db roofkit
PRIMARY_URI=$(pg_uri roofkit)
say "primary on 127.0.0.1:$PG_PORT ($PG_CLUSTER)"
PG_PRIMARY_PORT=$PG_PORT

replica_dir=$CLUSTER_DIR/replica
pg_make_replica "$replica_dir" || die "could not make the replica"
replica_started=1
pg_start "$replica_dir" "$PG_REPLICA_PORT"
REPLICA_URI=$(pg_uri roofkit)
PG_REPLICA_PORT=$PG_PORT
[ "$(pg_psql -d roofkit -tAc 'SELECT pg_is_in_recovery()')" = t ] || die "127.0.0.1:$PG_PORT is not a standby"
say "replica on 127.0.0.1:$PG_PORT ($PG_CLUSTER), streaming from the primary"

# --- migrate and seed the demo once (on the primary), then the instances -------------------------------------
api_env Production
ConnectionStrings__Default=$PRIMARY_URI demo_setup "$CLUSTER_DIR" "$BASE_URL" "$PRIMARY_URI"

for i in "${instances[@]}"; do
  port=$(api_port "$i")
  ConnectionStrings__Default=$PRIMARY_URI \
    ConnectionStrings__ReadReplica=$REPLICA_URI \
    Network__TrustedProxies__0=$PROXY_ADDRESS \
    Metrics__Port=$(metrics_port "$i") \
    Api__PublicBaseUrl=$BASE_URL \
    dotnet "$ROOFKIT_API_DLL" --urls "http://127.0.0.1:$port" >"$CLUSTER_DIR/api$i.log" 2>&1 &
  api_pids+=($!)
  printf '%s\n' "$!" >"$CLUSTER_DIR/api$i.pid"
done

for i in "${instances[@]}"; do
  port=$(api_port "$i")
  wait_for_http "http://127.0.0.1:$port/healthz/ready" "${api_pids[$((i - 1))]}" "$CLUSTER_DIR/api$i.log" 60 \
    || die "API instance $i on 127.0.0.1:$port is not ready"
done

# --- nginx, unprivileged, with its own config, pid, logs and temp files ----------------------------------------
NGINX_DIR=$CLUSTER_DIR/nginx
nginx_user=
if [ "$(id -u)" -eq 0 ]; then
  # As root nginx runs as nobody; its directory moves to /tmp when nobody cannot reach this one.
  nginx_user=nobody
  mkdir -p "$NGINX_DIR"
  chown nobody "$NGINX_DIR"
  if ! runuser -u nobody -- test -w "$NGINX_DIR" -a -x "$NGINX_DIR"; then
    NGINX_DIR=/tmp/roofkit-nginx-$(printf '%s' "$CLUSTER_DIR" | sha256sum | cut -c1-12)
    say "nobody cannot reach $CLUSTER_DIR/nginx; nginx lives in $NGINX_DIR"
    mkdir -p "$NGINX_DIR"
    chown nobody "$NGINX_DIR"
  fi
fi
mkdir -p "$NGINX_DIR/tmp"
upstream_conf() {   # arguments: the instances that are in
  local i
  for i in "${instances[@]}"; do
    if [[ " $* " == *" $i "* ]]; then
      printf 'server 127.0.0.1:%s max_fails=1 fail_timeout=2s;\n' "$(api_port "$i")"
    else
      printf 'server 127.0.0.1:%s down;\n' "$(api_port "$i")"
    fi
  done
}
upstream_conf "${instances[@]}" >"$NGINX_DIR/upstream.conf"
sed -e "s#@DIR@#$NGINX_DIR#g" -e "s#@LISTEN@#$NGINX_ADDRESS#g" -e "s#@PROXY_ADDRESS@#$PROXY_ADDRESS#g" \
  deploy/nginx/roofkit.conf.template >"$NGINX_DIR/nginx.conf"
if [ -n "$nginx_user" ]; then chown -R nobody "$NGINX_DIR"; fi
as_nginx() { if [ -n "$nginx_user" ]; then (cd / && runuser -u "$nginx_user" -- "$@"); else "$@"; fi; }
as_nginx "$NGINX" -t -q -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" || die "nginx -t failed"
as_nginx "$NGINX" -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" &
nginx_pid=$!
wait_for_http "$BASE_URL/healthz/live" "$nginx_pid" "$NGINX_DIR/error.log" 10 || die "nginx does not answer on $BASE_URL"
# runuser stays nginx's parent: signal the master by its pid file.
nginx_master() { cat "$NGINX_DIR/nginx.pid"; }

# --- the readiness watcher: /healthz/ready decides which instances nginx sends to ------------------------------
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/healthz/ready" || true)" = 200 ]; }
(
  trap 'exit 0' TERM
  current=$(cat "$NGINX_DIR/upstream.conf")
  while sleep 1; do
    in=()
    for i in "${instances[@]}"; do
      if ready "$(api_port "$i")"; then in+=("$i"); fi
    done
    next=$(upstream_conf "${in[@]}")
    if [ "$next" != "$current" ]; then
      printf '%s\n' "$next" >"$NGINX_DIR/upstream.conf"
      kill -HUP "$(nginx_master)" 2>/dev/null || true
      say "instances in nginx's upstream now: ${in[*]:-none}"
      current=$next
    fi
  done
) &
watcher_pid=$!

# --- the clients' env file -------------------------------------------------------------------------------------
{
  # demo_setup's: ROOFKIT_BASE_URL (nginx), ROOFKIT_DATABASE_URL (the primary) and the demo keys.
  cat "$CLUSTER_DIR/env"
  printf 'export ROOFKIT_REPLICA_DATABASE_URL=%s\n' "$REPLICA_URI"
  printf 'export ROOFKIT_API_INSTANCE_URLS="%s"\n' "$(for i in "${instances[@]}"; do printf 'http://127.0.0.1:%s ' "$(api_port "$i")"; done | sed 's/ $//')"
  printf 'export ROOFKIT_CLUSTER_DIR=%s\n' "$CLUSTER_DIR"
  printf 'export ROOFKIT_PROXY_ADDRESS=%s\n' "$PROXY_ADDRESS"
  printf 'export ROOFKIT_API_DLL=%s\n' "$ROOFKIT_ROOT/$ROOFKIT_API_DLL"
} >"$CLUSTER_ENV.tmp"
chmod 600 "$CLUSTER_ENV.tmp"
mv -f "$CLUSTER_ENV.tmp" "$CLUSTER_ENV"

cat >&2 <<EOF

RoofKit cluster (Ctrl-C stops all of it)
  clients ──> nginx          $BASE_URL   (X-Forwarded-For = the client's address; from $PROXY_ADDRESS)
$(for i in "${instances[@]}"; do printf '              ├─> API %s       http://127.0.0.1:%s   log %s/api%s.log, metrics :%s\n' "$i" "$(api_port "$i")" "$CLUSTER_DIR" "$i" "$(metrics_port "$i")"; done)
  keys, counters, export slots ─> primary   127.0.0.1:$PG_PRIMARY_PORT
  leads, deletions, stages     ─> replica   127.0.0.1:$PG_REPLICA_PORT (streaming; sync pages wait for its replay, ADR-011)
  env: source $CLUSTER_ENV   (ROOFKIT_BASE_URL, both database URLs, the demo keys)

EOF
touch "$CLUSTER_DIR/ready"

# Serve until a signal; an instance that dies stays out of nginx's upstream (the watcher) and the rest serves on.
while kill -0 "$nginx_pid" 2>/dev/null; do
  sleep 1 &
  wait $! || true
done
die "nginx exited; see $NGINX_DIR/error.log"
