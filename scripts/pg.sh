#!/usr/bin/env bash
# Project-local PostGIS cluster: data under var/pg, socket under var/run, its own port.
#
#   scripts/pg.sh ensure   initialise (first time only) and start; create role, database, extension
#   scripts/pg.sh start | stop | status | url
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
  psql_su -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis"
}

case "${1:-}" in
  ensure) ensure ;;
  start) start ;;
  stop) if [ -f "$data/PG_VERSION" ] && is_running; then as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi ;;
  status) if is_running; then echo "running: $data port $port"; else echo "stopped: $data"; exit 3; fi ;;
  *) echo "usage: scripts/pg.sh ensure|start|stop|status|url" >&2; exit 2 ;;
esac
