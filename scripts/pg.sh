#!/usr/bin/env bash
# Project-local PostGIS cluster: data under var/pg, socket under var/run, its own port.
#
#   scripts/pg.sh ensure   initialise (first time only) and start; create role, database, extension
#   scripts/pg.sh start | stop | status | url
#   scripts/pg.sh replicas N [DELAY]   streaming replicas 1..N of this cluster (hot standby, pg_basebackup),
#                                      started; DELAY (e.g. 2s) sets recovery_min_apply_delay; N=0 removes all
#   scripts/pg.sh replica-urls         DATABASE_REPLICA_URLS of the running replicas (comma-separated)
#   scripts/pg.sh replica-stop K | replica-start K   stop or start replica K (failure drills)
#
# Idempotent: `ensure` on an existing cluster only starts it (data is reused, never re-initialised).
# PostgreSQL refuses to run as root, so when invoked as root the server runs as the `postgres` OS user.
# Environment: PGLOCAL_DIR (default ./var), PGLOCAL_PORT (5544), PGLOCAL_DB (gis), PGLOCAL_USER (gis).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
base="${PGLOCAL_DIR:-$here/var}"
base="$(mkdir -p "$base" && cd "$base" && pwd)"
data="$base/pg"
run="$base/run"
log="$base/log/postgres.log"
port="${PGLOCAL_PORT:-5544}"
db="${PGLOCAL_DB:-gis}"
user="${PGLOCAL_USER:-gis}"

# `url` is asked before anything is installed (the Makefile computes DATABASE_URL up front).
if [ "${1:-}" = url ]; then echo "postgis://$user@127.0.0.1:$port/$db"; exit 0; fi

pgbin="${PGBIN:-}"
if [ -z "$pgbin" ]; then
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { pgbin="$d"; break; }
  done
fi
[ -n "$pgbin" ] && [ -x "$pgbin/pg_ctl" ] || {
  echo "pg.sh: PostgreSQL server binaries not found; install postgresql-15 (make deps) or set PGBIN" >&2; exit 1; }

# Run a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_su() {  # psql as the bootstrap superuser over the local socket
  local su; if [ "$(id -u)" = 0 ]; then su=postgres; else su="$(id -un)"; fi
  as_owner "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$run" -p "$port" -U "$su" "$@"
}

is_running() { as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

init() {
  [ -f "$data/PG_VERSION" ] && return 0
  echo "pg.sh: initialising a new cluster in $data (port $port)"
  mkdir -p "$data" "$run" "$(dirname "$log")"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$data" "$run" "$(dirname "$log")"
    # postgres must be able to reach the cluster below the project directory
    chmod o+x "$base"
  fi
  chmod 700 "$data"
  as_owner "$pgbin/initdb" -D "$data" -E UTF8 --locale=C.UTF-8 -A trust >/dev/null
  cat >> "$data/postgresql.conf" <<CONF
# --- project-local settings (scripts/pg.sh) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
shared_buffers = 1GB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
random_page_cost = 1.1
fsync = on
CONF
}

start() {
  init
  if is_running; then return 0; fi
  mkdir -p "$run"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$run"
  as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
}

ensure() {
  start
  psql_su -d postgres <<SQL
SELECT 'CREATE ROLE $user LOGIN SUPERUSER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user')\gexec
SELECT 'CREATE DATABASE $db OWNER $user' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\gexec
SQL
  psql_su -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" -c "CREATE EXTENSION IF NOT EXISTS pgrouting"
}

# --- Streaming replicas: var/replicas/rK, port = primary port + 10 + K, same socket directory ---
# PGLOCAL_REPLICAS (default $base/replicas) and PGLOCAL_REPLICA_PORT0 (default port + 10) let the
# tests keep replicas of their own apart from a developer's.
replicas_dir="${PGLOCAL_REPLICAS:-$base/replicas}"
replica_dir() { echo "$replicas_dir/r$1"; }
replica_port() { echo $((${PGLOCAL_REPLICA_PORT0:-$((port + 10))} + $1)); }
replica_running() { [ -f "$(replica_dir "$1")/PG_VERSION" ] && as_owner "$pgbin/pg_ctl" -D "$(replica_dir "$1")" status >/dev/null 2>&1; }

replica_create() {  # K DELAY
  local k=$1 delay=${2:-0} dir; dir="$(replica_dir "$1")"
  if [ ! -f "$dir/PG_VERSION" ]; then
    echo "pg.sh: creating replica $k of port $port in $dir (port $(replica_port "$k"))"
    # WAL kept on the primary for replicas that fall behind (no slots: a removed replica must not
    # make the primary keep WAL for ever).
    psql_su -d postgres -c "ALTER SYSTEM SET wal_keep_size = '1GB'" -c "SELECT pg_reload_conf()" >/dev/null
    mkdir -p "$replicas_dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$replicas_dir"
    as_owner "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$port" -U "$user" -D "$dir" -R -X stream -c fast
  fi
  # Settings of its own, after the primary's (the copied postgresql.conf names the primary's port).
  cat > "$dir/conf.d.replica" <<CONF
port = $(replica_port "$k")
unix_socket_directories = '$run'
shared_buffers = 256MB
hot_standby = on
hot_standby_feedback = on
recovery_min_apply_delay = '$delay'
CONF
  grep -q "include_if_exists = 'conf.d.replica'" "$dir/postgresql.conf" ||
    echo "include_if_exists = 'conf.d.replica'" >> "$dir/postgresql.conf"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/conf.d.replica" "$dir/postgresql.conf"
  replica_running "$k" || as_owner "$pgbin/pg_ctl" -D "$dir" -l "$base/log/replica$k.log" -w -t 60 start >/dev/null
}

replica_remove() {
  local dir; dir="$(replica_dir "$1")"
  replica_running "$1" && as_owner "$pgbin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null
  rm -rf "$dir"
}

replicas() {  # N DELAY
  local n=${1:?usage: scripts/pg.sh replicas N [DELAY]} delay=${2:-0} k
  start
  for k in $(seq 1 "$n"); do replica_create "$k" "$delay"; done
  for d in "$replicas_dir"/r*; do
    [ -d "$d" ] || continue; k=${d##*/r}
    [ "$k" -gt "$n" ] && replica_remove "$k"
  done
  return 0
}

replica_urls() {
  local urls=() d k
  for d in "$replicas_dir"/r*; do
    [ -d "$d" ] || continue; k=${d##*/r}
    replica_running "$k" && urls+=("postgis://$user@127.0.0.1:$(replica_port "$k")/$db")
  done
  (IFS=,; echo "${urls[*]}")
}

case "${1:-}" in
  ensure) ensure ;;
  replicas) replicas "${2:-}" "${3:-0}"; [ "${2:-}" = 0 ] && rm -rf "$replicas_dir"; true ;;
  replica-urls) replica_urls ;;
  replica-stop) replica_running "$2" && as_owner "$pgbin/pg_ctl" -D "$(replica_dir "$2")" -m immediate -w stop >/dev/null; true ;;
  replica-start) as_owner "$pgbin/pg_ctl" -D "$(replica_dir "$2")" -l "$base/log/replica$2.log" -w -t 60 start >/dev/null ;;
  start) start ;;
  stop)
    for d in "$replicas_dir"/r*; do [ -f "$d/PG_VERSION" ] && as_owner "$pgbin/pg_ctl" -D "$d" -m fast -w stop >/dev/null 2>&1; done
    if [ -f "$data/PG_VERSION" ] && is_running; then as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi ;;
  status) if is_running; then echo "running: $data port $port"; else echo "stopped: $data"; exit 3; fi ;;
  *) echo "usage: scripts/pg.sh ensure|start|stop|status|url|replicas N [DELAY]|replica-urls|replica-stop K|replica-start K" >&2; exit 2 ;;
esac
