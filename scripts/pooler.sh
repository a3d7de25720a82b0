#!/usr/bin/env bash
# PgBouncer (Debian's package) in front of the local cluster and its replicas, transaction mode.
#
#   scripts/pooler.sh start [LISTEN_PORT]   (default 6432) start or restart it
#   scripts/pooler.sh stop
#   scripts/pooler.sh url [DB]               DATABASE_URL through it (set DATABASE_POOLER=transaction with it)
#
# Every database name is passed on to the primary ("* ="); a replica K is reachable as the
# database "<name>@rK" (e.g. gis@r1). Debian 12 ships PgBouncer 1.18: protocol-level prepared
# statements came in 1.21, so in transaction mode the app prepares no named statements
# (gis_core/db.py, DATABASE_POOLER=transaction). The session settings the app passes in the
# startup packet (options=…) are not forwarded by PgBouncer: connect_query sets them instead.
# Environment: PGLOCAL_DIR (./var), PGLOCAL_PORT (5544), PGLOCAL_REPLICAS, PGLOCAL_REPLICA_PORT0 as scripts/pg.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
base="${PGLOCAL_DIR:-$here/var}"
port="${PGLOCAL_PORT:-5544}"
dir="$base/pgbouncer"
listen="${2:-6432}"
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-}" in
  url) echo "postgis://gis@127.0.0.1:${POOLER_PORT:-6432}/${2:-gis}"; exit 0 ;;
  stop) [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; rm -f "$dir/pgbouncer.pid"; exit 0 ;;
  start) ;;
  *) echo "usage: scripts/pooler.sh start [PORT] | stop | url [DB]" >&2; exit 2 ;;
esac
command -v pgbouncer >/dev/null || { echo "pooler.sh: pgbouncer not found; apt-get install pgbouncer (make deps)" >&2; exit 1; }
mkdir -p "$dir"
settings="connect_query='SET max_parallel_workers_per_gather = 0; SET jit = off'"
{
  echo "[databases]"
  replicas_dir="${PGLOCAL_REPLICAS:-$base/replicas}"
  for d in "$replicas_dir"/r*; do
    [ -d "$d" ] || continue; k=${d##*/r}
    rport=$((${PGLOCAL_REPLICA_PORT0:-$((port + 10))} + k))
    for db in ${POOLER_DATABASES:-gis}; do echo "$db@r$k = host=127.0.0.1 port=$rport dbname=$db $settings"; done
  done
  echo "* = host=127.0.0.1 port=$port $settings"
  cat <<INI
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $listen
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
reserve_pool_size = 5
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
} > "$dir/pgbouncer.ini"
echo '"gis" ""' > "$dir/userlist.txt"
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"
[ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null && sleep 0.5
as_owner pgbouncer -d "$dir/pgbouncer.ini"
